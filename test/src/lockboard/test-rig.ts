// The shared rig of the lock-board cross-process tests (*-sim.test.ts, faults-sim.test.ts): start
// the compiled simulator program as a child process and wait for its ready line, talk to its
// control API, connect the family's driver (the agent's end of the pty on the real `serialport`,
// or the HTTP lock controller's URL), and record what a Cabinet emits. Only tests use it; it holds
// no assertions, so that a failure names the test's own expectation.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { encodeEightAOpen, encodeKerongUnlock, toHex } from '@xinbao/protocol';
import {
  EightADriver,
  HttpLockControllerDriver,
  KerongDriver,
  type Cabinet,
  type DoorEvent,
  type EightADriverStats,
  type FaultEvent,
  type ItemEvent,
  type KerongDriverStats,
  type LockBoardDriver,
} from '@xinbao/kiosk-agent/lockboard';
import { eventually, REPO_ROOT } from '../support/processes.js';

const ROOT = REPO_ROOT;
const PROGRAM = join(REPO_ROOT, 'simulators', 'dist', 'lockboard', 'main.js');

/** One call to a simulator's control API; throws with the status and body unless it is 2xx. */
export async function control<T = unknown>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${await res.text()}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

export interface SimulatorReady {
  event: 'ready';
  family: string;
  controlUrl: string;
  /** Serial families: the agent's end of the pty. */
  ptyPath?: string;
  /** HTTP controller: its vendor API. */
  url?: string;
}

/** One frame (serial: `hex`) or request (HTTP: `request`, `requestId`) a simulator received. */
export interface Received {
  hex?: string;
  request?: string;
  requestId?: string;
  faults?: string[];
}

export interface SimulatorProgram {
  ready: SimulatorReady;
  /** The control API, bound to this simulator. */
  control<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** Everything the simulator received, oldest first (since the last DELETE /frames). */
  received(): Promise<Received[]>;
  /** Clears armed faults and waits until no late reply is still on its way. */
  settle(): Promise<void>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
  stderr(): string;
}

/** Starts `simulators/dist/lockboard/main.js` with `args` (build first: npx tsc -b). */
export async function startSimulatorProgram(args: string[]): Promise<SimulatorProgram> {
  if (!existsSync(PROGRAM)) throw new Error(`${PROGRAM} is missing: build first (npx tsc -b)`);
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [PROGRAM, ...args], { cwd: ROOT });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-20_000)));
  const ready = await new Promise<SimulatorReady>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolve(JSON.parse(line) as SimulatorReady));
    child.once('exit', (code) => reject(new Error(`simulator exited (${code}) before ready: ${stderr}`)));
  });
  const api = <T>(method: string, path: string, body?: unknown) => control<T>(ready.controlUrl, method, path, body);
  return {
    ready,
    control: api,
    received: async () => (await api<{ frames: Received[] }>('GET', '/frames')).frames,
    settle: async () => {
      await api('DELETE', '/faults');
      await eventually(
        async () => ((await api<{ pendingReplies: number }>('GET', '/faults')).pendingReplies === 0 ? true : undefined),
        'late replies to leave',
      );
    },
    stop: () =>
      new Promise<number | null>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
    stderr: () => stderr,
  };
}

export async function openSerialPort(path: string, baudRate: number): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  return port;
}

/** What both serial drivers count (each family counts a few more things of its own). */
export type SerialDriverStats = Pick<
  KerongDriverStats & EightADriverStats,
  'frames' | 'badChecksum' | 'badLength' | 'noiseBytes' | 'unmatched' | 'timeouts'
>;
export type SerialDriver = LockBoardDriver & { readonly stats: Readonly<SerialDriverStats> };
export type RigDriver = SerialDriver | HttpLockControllerDriver;

/** What a cross-process test needs to know of one lock family, serial or HTTP. */
export interface RigFamily {
  family: 'kerong' | '8a' | 'http';
  /** The one board the tests use (the HTTP controller is board 1). */
  board: number;
  /** The lowest lock number (Kerong 0, 8A and HTTP 1) and how many locks there are. */
  firstLock: number;
  locks: number;
  itemSensors: boolean;
  /** Program arguments. */
  args: string[];
  /** The agent's driver, connected to the program that printed `ready`. */
  connect(ready: SimulatorReady, timing: { replyTimeoutMs: number }): Promise<RigDriver>;
  /** Whether `entry` is the unlock (open) request for `lock`. */
  isUnlock(entry: Received, lock: number): boolean;
}

export interface SerialFamily extends RigFamily {
  family: 'kerong' | '8a';
  baudRate: number;
  driver(port: SerialPort, timing: { replyTimeoutMs: number; quietGapMs?: number }): SerialDriver;
  /** The unlock frame for `lock` on `board`, as the control API prints it. */
  unlockHex(lock: number): string;
  connect(ready: SimulatorReady, timing: { replyTimeoutMs: number }): Promise<SerialDriver>;
}

function serialFamily(f: Omit<SerialFamily, 'connect' | 'isUnlock'>): SerialFamily {
  return {
    ...f,
    connect: async (ready, timing) => f.driver(await openSerialPort(ready.ptyPath ?? '', f.baudRate), timing),
    isUnlock: (entry, lock) => entry.hex === f.unlockHex(lock),
  };
}

export const SERIAL_FAMILIES: Record<'kerong' | '8a', SerialFamily> = {
  kerong: serialFamily({
    family: 'kerong',
    baudRate: 19200,
    board: 0,
    firstLock: 0,
    locks: 16,
    itemSensors: true,
    args: ['--family', 'kerong', '--boards', '0'],
    driver: (port, timing) => new KerongDriver({ port, ...timing }),
    unlockHex: (lock) => toHex(encodeKerongUnlock(0, lock)),
  }),
  '8a': serialFamily({
    family: '8a',
    baudRate: 9600,
    board: 1,
    firstLock: 1,
    locks: 32,
    itemSensors: false,
    args: ['--family', '8a', '--boards', '1'],
    driver: (port, timing) => new EightADriver({ port, ...timing }),
    unlockHex: (lock) => toHex(encodeEightAOpen(1, lock)),
  }),
};

/** The simulated controller's bearer token (a test value, passed on the command line). */
export const HTTP_TEST_TOKEN = 'simulated-controller-token';

export const HTTP_FAMILY: RigFamily = {
  family: 'http',
  board: 1,
  firstLock: 1,
  locks: 24,
  itemSensors: true,
  args: ['--family', 'http', '--locks', '24', '--item-sensors', '--token', HTTP_TEST_TOKEN],
  connect: async (ready, timing) =>
    new HttpLockControllerDriver({ url: ready.url ?? '', token: HTTP_TEST_TOKEN, locks: 24, itemSensors: true, ...timing }),
  isUnlock: (entry, lock) => entry.request === `POST /api/v1/locks/${lock}/open`,
};

export interface ProgramWithDriver<D extends RigDriver> {
  sim: SimulatorProgram;
  driver: D;
  /** Closes the driver, then stops the program; resolves with its exit code. */
  stop(): Promise<number | null>;
}

/** A family's simulator program with the agent's driver connected to it. */
export async function startProgramWithDriver<D extends RigDriver>(
  family: { args: string[]; connect(ready: SimulatorReady, timing: { replyTimeoutMs: number }): Promise<D> },
  timing: { replyTimeoutMs: number } = { replyTimeoutMs: 2_000 },
): Promise<ProgramWithDriver<D>> {
  const sim = await startSimulatorProgram(family.args);
  const driver = await family.connect(sim.ready, timing);
  return {
    sim,
    driver,
    stop: async () => {
      await driver.close();
      return sim.stop();
    },
  };
}

export type CabinetEvent = ({ type: 'door' } & DoorEvent) | ({ type: 'item' } & ItemEvent) | ({ type: 'fault' } & FaultEvent);

/** Everything a Cabinet emits, in order, with a way to wait for one event. */
export class CabinetRecorder {
  readonly events: CabinetEvent[] = [];

  constructor(cabinet: Cabinet) {
    cabinet.on('door', (e) => this.events.push({ type: 'door', ...e }));
    cabinet.on('item', (e) => this.events.push({ type: 'item', ...e }));
    cabinet.on('fault', (e) => this.events.push({ type: 'fault', ...e }));
  }

  /** Resolves with the first recorded event (past or future) that `matches`. */
  waitFor(matches: (e: CabinetEvent) => boolean, what: string, timeoutMs?: number): Promise<CabinetEvent> {
    return eventually(async () => this.events.find(matches), what, timeoutMs);
  }

  faults(compartment?: number): string[] {
    return this.events.flatMap((e) =>
      e.type === 'fault' && (compartment === undefined || e.compartment === compartment) ? [e.fault] : [],
    );
  }
}
