// The lock-board simulator program. For a serial family, starts a pty pair, a simulated bus of
// boards on its board end and the HTTP control API; for `--family http`, a simulated network lock
// controller and the same control API. Prints one JSON "ready" line on stdout (the only stdout
// output; logs go to stderr) and runs until SIGTERM/SIGINT.
//   node simulators/dist/lockboard/main.js --family kerong|8a --boards N[,M...] [--dir D]
//        [--control-port 0] [--reply-delay-ms N] [--unlock-reply-delay-ms N] [--wiring open_is_set|open_is_clear]
//        [--preset NAME] [--fault KIND[:key=value,...]]...
//   node simulators/dist/lockboard/main.js --family http --token-file F | --token T [--locks 16]
//        [--item-sensors] [--pulse-ms 500] [--port 0] [--control-port 0] [--reply-delay-ms N]
//        [--preset NAME] [--fault KIND[:key=value,...]]...
// Kerong boards are 0–14 (default 0, 19200 baud); 8A boards are 1–64 (default 1, 9600 baud) and
// --wiring (8A only) says what a set status bit means. The HTTP controller's locks are 1…N under
// board 1. --preset names a starting state of the model (kerong-model.ts, eight-a-model.ts,
// http-controller-model.ts); --fault arms a simulated fault from the start (faults.ts), e.g.
// --fault late_reply:delayMs=1500,count=2 or --fault lost_reply:ratio=0.1,seed=7, as POST /faults does
// later. --unlock-reply-delay-ms: how long a board takes to answer an unlock (a real 8A board: about
// 1000, once the latch has moved). POST /line/unplug and /line/replug pull the cable and plug it back
// (the pty link vanishes and returns at the same path).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { EIGHT_A_PRESETS, EightABusModel, type EightAPreset } from './eight-a-model.js';
import { startEightASimulator } from './eight-a-sim.js';
import { FaultSpecError, FaultSwitchboard, HttpFault, WireFault, parseFaultFlag } from './faults.js';
import { HTTP_CONTROLLER_PRESETS, type HttpControllerPreset } from './http-controller-model.js';
import { startHttpControllerSimulator } from './http-controller-sim.js';
import { KERONG_PRESETS, KerongBusModel, type KerongPreset } from './kerong-model.js';
import { startKerongSimulator } from './kerong-sim.js';
import { announceReady } from '../program.js';

const log = pino({ name: 'lockboard-sim', level: process.env.LOG_LEVEL ?? 'info' }, pino.destination(2));

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function intArg(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be a whole number ≥ ${min}, got "${value}"`);
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
    'unlock-reply-delay-ms': { type: 'string' },
    preset: { type: 'string' },
    fault: { type: 'string', multiple: true },
    // --family http
    locks: { type: 'string' },
    'item-sensors': { type: 'boolean' },
    'pulse-ms': { type: 'string' },
    port: { type: 'string' },
    token: { type: 'string' },
    'token-file': { type: 'string' },
  },
  strict: true,
});

const family = values.family;
if (family !== 'kerong' && family !== '8a' && family !== 'http') fail(`--family must be kerong, 8a or http, got "${family}"`);
const onlyFor = (flags: Array<keyof typeof values>, families: string[]): void => {
  for (const f of flags)
    if (values[f] !== undefined && !families.includes(family)) fail(`--${f} is for --family ${families.join(' or ')} only`);
};
onlyFor(['boards', 'dir', 'unlock-reply-delay-ms'], ['kerong', '8a']);
onlyFor(['wiring'], ['8a']);
onlyFor(['locks', 'item-sensors', 'pulse-ms', 'port', 'token', 'token-file'], ['http']);

const presets: readonly string[] = family === 'kerong' ? KERONG_PRESETS : family === '8a' ? EIGHT_A_PRESETS : HTTP_CONTROLLER_PRESETS;
const preset = values.preset;
if (preset !== undefined && !presets.includes(preset))
  fail(`--preset for ${family} is one of: ${presets.map((p) => `"${p}"`).join(', ')}; got "${preset}"`);

function faultsFrom<S extends { kind: string; count?: number | undefined }>(board: FaultSwitchboard<S>): S[] {
  return (values.fault ?? []).map((flag) => {
    try {
      return parseFaultFlag(board, flag);
    } catch (err) {
      if (err instanceof FaultSpecError) fail(`--fault "${flag}": ${err.message}`);
      throw err;
    }
  });
}

const controlPort = intArg('control-port', values['control-port'], 0);
const startFailed = (err: unknown): never => fail(`simulator failed to start: ${err instanceof Error ? err.message : String(err)}`);

async function startSerial(serialFamily: 'kerong' | '8a') {
  const [minBoard, maxBoard] = serialFamily === 'kerong' ? [0, 14] : [1, 64];
  const boardsArg = values.boards ?? String(minBoard);
  const boards = boardsArg.split(',').map((b) => b.trim());
  if (boards.some((b) => !/^\d+$/.test(b) || Number(b) < minBoard || Number(b) > maxBoard)) {
    fail(`--boards must be a comma list of ${serialFamily} board numbers ${minBoard}–${maxBoard}, got "${boardsArg}"`);
  }
  const wiring = values.wiring;
  if (wiring !== undefined && wiring !== 'open_is_set' && wiring !== 'open_is_clear') fail('--wiring is open_is_set or open_is_clear');
  if (preset !== undefined && wiring !== undefined) fail('give --wiring or --preset, not both (an 8A preset names its wiring)');
  const boardNumbers = boards.map(Number);
  const common = {
    boards: boardNumbers,
    ...(values.dir !== undefined && { dir: values.dir }),
    controlPort,
    replyDelayMs: intArg('reply-delay-ms', values['reply-delay-ms'], 5),
    ...(values['unlock-reply-delay-ms'] !== undefined && {
      unlockReplyDelayMs: intArg('unlock-reply-delay-ms', values['unlock-reply-delay-ms'], 0),
    }),
    faults: faultsFrom(new FaultSwitchboard<WireFault>(WireFault)),
    logger: log,
  };
  const sim = await (
    serialFamily === 'kerong'
      ? startKerongSimulator({
          ...common,
          ...(preset !== undefined && { model: KerongBusModel.preset(preset as KerongPreset, boardNumbers) }),
        })
      : startEightASimulator({
          ...common,
          ...(wiring !== undefined && { wiring }),
          ...(preset !== undefined && { model: EightABusModel.preset(preset as EightAPreset, boardNumbers) }),
        })
  ).catch(startFailed);
  return { ready: { family: sim.family, ptyPath: sim.ptyPath, controlUrl: sim.controlUrl }, stop: () => sim.stop() };
}

async function startHttp() {
  if ((values.token === undefined) === (values['token-file'] === undefined))
    fail('--family http needs the bearer token: --token-file F or --token T (one of them)');
  let token = values.token ?? '';
  if (values['token-file'] !== undefined) {
    try {
      token = readFileSync(values['token-file'], 'utf8').trim();
    } catch (err) {
      fail(`cannot read --token-file: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (token === '') fail('the bearer token is empty');
  const sim = await startHttpControllerSimulator({
    locks: intArg('locks', values.locks, 16, 1),
    itemSensors: values['item-sensors'] === true,
    pulseMs: intArg('pulse-ms', values['pulse-ms'], 500),
    token,
    ...(preset !== undefined && { preset: preset as HttpControllerPreset }),
    port: intArg('port', values.port, 0),
    controlPort,
    replyDelayMs: intArg('reply-delay-ms', values['reply-delay-ms'], 0),
    faults: faultsFrom(new FaultSwitchboard<HttpFault>(HttpFault)),
    logger: log,
  }).catch(startFailed);
  return {
    ready: { family: sim.family, url: sim.url, controlUrl: sim.controlUrl, locks: sim.simulator.model.locks },
    stop: () => sim.stop(),
  };
}

const sim = family === 'http' ? await startHttp() : await startSerial(family);
announceReady(sim.ready, () => sim.stop(), log);
