// The terminal device simulator program: a simulated QR scanner or ESC/POS receipt printer on a
// pty pair with its HTTP control API. Prints one JSON "ready" line on stdout (the only stdout
// output; logs go to stderr) with the pty path the kiosk agent opens and the control URL, and runs
// until SIGTERM/SIGINT.
//   node simulators/dist/terminal/main.js --device scanner|printer [--dir D] [--control-port 0]
//        [--suffix crlf|cr|lf (scanner)] [--paper ok|low|out|absent (printer)]
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { PAPER_STATES, PrinterModel, type PaperState } from './printer-model.js';
import { SCAN_SUFFIXES, type ScanSuffix } from './scanner-model.js';
import { startPrinterSimulator, startScannerSimulator } from './terminal-sim.js';
import { announceReady } from '../program.js';

const log = pino({ name: 'terminal-sim', level: process.env.LOG_LEVEL ?? 'info' }, pino.destination(2));

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function intArg(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be a whole number ≥ ${min}, got "${value}"`);
  return n;
}

const { values } = parseArgs({
  options: {
    device: { type: 'string' },
    dir: { type: 'string' },
    'control-port': { type: 'string' },
    suffix: { type: 'string' },
    paper: { type: 'string' },
  },
  strict: true,
});

const device = values.device;
if (device !== 'scanner' && device !== 'printer') fail(`--device must be scanner or printer, got "${device ?? ''}"`);
const suffix = values.suffix;
if (suffix !== undefined && (device !== 'scanner' || !(suffix in SCAN_SUFFIXES)))
  fail('--suffix is crlf, cr or lf, for --device scanner only');
const paper = values.paper;
if (paper !== undefined && (device !== 'printer' || !(PAPER_STATES as readonly string[]).includes(paper))) {
  fail(`--paper is one of ${PAPER_STATES.join(', ')}, for --device printer only`);
}

const common = {
  ...(values.dir !== undefined && { dir: values.dir }),
  controlPort: intArg('control-port', values['control-port'], 0, 0),
  logger: log,
};
const sim = await (
  device === 'scanner'
    ? startScannerSimulator({ ...common, ...(suffix !== undefined && { suffix: suffix as ScanSuffix }) })
    : startPrinterSimulator({ ...common, model: new PrinterModel((paper ?? 'ok') as PaperState) })
).catch((err: unknown) => fail(`simulator failed to start: ${err instanceof Error ? err.message : String(err)}`));

announceReady({ device: sim.device, ptyPath: sim.ptyPath, controlUrl: sim.controlUrl }, () => sim.stop(), log);
