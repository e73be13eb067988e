// The lock-board simulator program. Starts a pty pair, a simulated bus of boards on its board
// end and the HTTP control API, prints one JSON "ready" line on stdout (the only stdout output;
// logs go to stderr) and runs until SIGTERM/SIGINT.
//   node simulators/dist/lockboard/main.js --family kerong|8a --boards N[,M...] [--dir D]
//        [--control-port 0] [--reply-delay-ms N] [--wiring open_is_set|open_is_clear]
//        [--preset NAME] [--fault KIND[:key=value,...]]...
// Kerong boards are 0–14 (default 0, 19200 baud); 8A boards are 1–64 (default 1, 9600 baud) and
// --wiring (8A only) says what a set status bit means. --preset names a starting state of the
// family's model (kerong-model.ts, eight-a-model.ts); --fault arms a simulated wire fault from the
// start (faults.ts), e.g. --fault late_reply:delayMs=1500,count=2, as POST /faults does later.
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { EIGHT_A_PRESETS, EightABusModel, type EightAPreset } from './eight-a-model.js';
import { startEightASimulator } from './eight-a-sim.js';
import { FaultSpecError, FaultSwitchboard, WireFault, parseFaultFlag } from './faults.js';
import { KERONG_PRESETS, KerongBusModel, type KerongPreset } from './kerong-model.js';
import { startKerongSimulator } from './kerong-sim.js';

const log = pino({ name: 'lockboard-sim', level: process.env.LOG_LEVEL ?? 'info' }, pino.destination(2));

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function intArg(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) fail(`--${name} must be a whole number ≥ 0, got "${value}"`);
  return n;
}

const { values } = parseArgs({
  options: {
    family: { type: 'string', default: 'kerong' },
    boards: { type: 'string' },
    wiring: { type: 'string' },
    dir: { type: 'string' },
    'control-port': { type: 'string' },
    'reply-delay-ms': { type: 'string' },
    preset: { type: 'string' },
    fault: { type: 'string', multiple: true },
  },
  strict: true,
});

const family = values.family;
if (family !== 'kerong' && family !== '8a') fail(`--family must be kerong or 8a, got "${family}"`);
const [minBoard, maxBoard] = family === 'kerong' ? [0, 14] : [1, 64];
const boardsArg = values.boards ?? String(minBoard);
const boards = boardsArg.split(',').map((b) => b.trim());
if (boards.some((b) => !/^\d+$/.test(b) || Number(b) < minBoard || Number(b) > maxBoard)) {
  fail(`--boards must be a comma list of ${family} board numbers ${minBoard}–${maxBoard}, got "${boardsArg}"`);
}
const wiring = values.wiring;
if (wiring !== undefined && (family !== '8a' || (wiring !== 'open_is_set' && wiring !== 'open_is_clear'))) {
  fail(`--wiring is open_is_set or open_is_clear, for --family 8a only`);
}

const preset = values.preset;
const presets: readonly string[] = family === 'kerong' ? KERONG_PRESETS : EIGHT_A_PRESETS;
if (preset !== undefined && !presets.includes(preset)) fail(`--preset for ${family} is one of: ${presets.map((p) => `"${p}"`).join(', ')}; got "${preset}"`);
if (preset !== undefined && wiring !== undefined) fail('give --wiring or --preset, not both (an 8A preset names its wiring)');

const faultBoard = new FaultSwitchboard<WireFault>(WireFault);
const faults = (values.fault ?? []).map((flag) => {
  try {
    return parseFaultFlag(faultBoard, flag);
  } catch (err) {
    if (err instanceof FaultSpecError) fail(`--fault "${flag}": ${err.message}`);
    throw err;
  }
});

const boardNumbers = boards.map(Number);
const common = {
  boards: boardNumbers,
  ...(values.dir !== undefined && { dir: values.dir }),
  controlPort: intArg('control-port', values['control-port'], 0),
  replyDelayMs: intArg('reply-delay-ms', values['reply-delay-ms'], 5),
  faults,
  logger: log,
};
const sim = await (
  family === 'kerong'
    ? startKerongSimulator({ ...common, ...(preset !== undefined && { model: KerongBusModel.preset(preset as KerongPreset, boardNumbers) }) })
    : startEightASimulator({
        ...common,
        ...(wiring !== undefined && { wiring }),
        ...(preset !== undefined && { model: EightABusModel.preset(preset as EightAPreset, boardNumbers) }),
      })
).catch((err: unknown) => fail(`simulator failed to start: ${err instanceof Error ? err.message : String(err)}`));

process.stdout.write(`${JSON.stringify({ event: 'ready', family: sim.family, ptyPath: sim.ptyPath, controlUrl: sim.controlUrl })}\n`);

const shutdown = (signal: NodeJS.Signals): void => {
  log.info({ signal }, 'stopping');
  sim.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      log.error({ err }, 'stop failed');
      process.exit(1);
    },
  );
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
