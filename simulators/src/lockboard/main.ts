// The lock-board simulator program. Starts a pty pair, a simulated bus of boards on its board
// end and the HTTP control API, prints one JSON "ready" line on stdout (the only stdout output;
// logs go to stderr) and runs until SIGTERM/SIGINT.
//   node simulators/dist/lockboard/main.js --family kerong --boards 0[,1...] [--dir D]
//        [--control-port 0] [--reply-delay-ms N]
import { parseArgs } from 'node:util';
import { pino } from 'pino';
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
    boards: { type: 'string', default: '0' },
    dir: { type: 'string' },
    'control-port': { type: 'string' },
    'reply-delay-ms': { type: 'string' },
  },
  strict: true,
});

if (values.family !== 'kerong') fail(`--family ${values.family} is not supported yet (kerong only)`);
const boards = values.boards.split(',').map((b) => b.trim());
if (boards.some((b) => !/^\d+$/.test(b) || Number(b) > 14)) fail(`--boards must be a comma list of board numbers 0–14, got "${values.boards}"`);

const sim = await startKerongSimulator({
  boards: boards.map(Number),
  ...(values.dir !== undefined && { dir: values.dir }),
  controlPort: intArg('control-port', values['control-port'], 0),
  replyDelayMs: intArg('reply-delay-ms', values['reply-delay-ms'], 5),
  logger: log,
}).catch((err: unknown) => fail(`simulator failed to start: ${err instanceof Error ? err.message : String(err)}`));

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
