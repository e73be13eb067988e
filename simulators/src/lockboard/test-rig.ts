// The shared rig of the lock-board cross-process tests (*-sim.test.ts, faults-sim.test.ts): start
// the compiled simulator program as a child process and wait for its ready line, talk to its
// control API, open the agent's end of the pty with the real `serialport`, build the family's
// driver, and record what a Cabinet emits. Only tests use it; it holds no assertions, so that a
// failure names the test's own expectation.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SerialPort } from 'serialport';
import { encodeEightAOpen, encodeKerongUnlock, toHex } from '@xinbao/protocol';
import {
  EightADriver,
  KerongDriver,
  type Cabinet,
  type DoorEvent,
  type EightADriverStats,
  type FaultEvent,
  type ItemEvent,
  type KerongDriverStats,
  type LockBoardDriver,
} from '@xinbao/kiosk-agent/lockboard/index';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PROGRAM = fileURLToPath(new URL('../../dist/lockboard/main.js', import.meta.url));

/** Polls `check` until it returns something other than undefined. */
export async function until<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

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

export interface SimulatorProgram {
  ready: SimulatorReady;
  /** The control API, bound to this simulator. */
  control<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** Hex of every frame (serial) or `METHOD path` of every request (HTTP) the simulator received. */
  received(): Promise<Array<{ hex?: string; request?: string; faults?: string[] }>>;
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
    received: async () => (await api<{ frames: Array<{ hex?: string; request?: string; faults?: string[] }> }>('GET', '/frames')).frames,
    settle: async () => {
      await api('DELETE', '/faults');
      await until(async () => ((await api<{ pendingReplies: number }>('GET', '/faults')).pendingReplies === 0 ? true : undefined), 'late replies to leave');
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
export type SerialDriverStats = Pick<KerongDriverStats & EightADriverStats, 'frames' | 'badChecksum' | 'badLength' | 'noiseBytes' | 'unmatched' | 'timeouts'>;
export type SerialDriver = LockBoardDriver & { readonly stats: Readonly<SerialDriverStats> };

/** What a cross-process test needs to know of one serial board family. */
export interface SerialFamily {
  family: 'kerong' | '8a';
  baudRate: number;
  /** The one board the tests put on the bus. */
  board: number;
  /** The lowest lock number on the wire (Kerong 0, 8A 1) and how many there are. */
  firstLock: number;
  locks: number;
  itemSensors: boolean;
  /** Program arguments for a bus with `board` on it. */
  args: string[];
  driver(port: SerialPort, timing: { replyTimeoutMs: number; quietGapMs?: number }): SerialDriver;
  /** The unlock frame for `lock` on `board`, as the control API prints it. */
  unlockHex(lock: number): string;
}

export const SERIAL_FAMILIES: Record<'kerong' | '8a', SerialFamily> = {
  kerong: {
    family: 'kerong',
    baudRate: 19200,
    board: 0,
    firstLock: 0,
    locks: 16,
    itemSensors: true,
    args: ['--family', 'kerong', '--boards', '0'],
    driver: (port, timing) => new KerongDriver({ port, ...timing }),
    unlockHex: (lock) => toHex(encodeKerongUnlock(0, lock)),
  },
  '8a': {
    family: '8a',
    baudRate: 9600,
    board: 1,
    firstLock: 1,
    locks: 32,
    itemSensors: false,
    args: ['--family', '8a', '--boards', '1'],
    driver: (port, timing) => new EightADriver({ port, ...timing }),
    unlockHex: (lock) => toHex(encodeEightAOpen(1, lock)),
  },
};

/** A family's simulator program with the agent's driver on the other end of its pty. */
export async function startProgramWithDriver(
  family: SerialFamily,
  timing: { replyTimeoutMs: number } = { replyTimeoutMs: 2_000 },
): Promise<{ sim: SimulatorProgram; driver: SerialDriver; stop(): Promise<number | null> }> {
  const sim = await startSimulatorProgram(family.args);
  const driver = family.driver(await openSerialPort(sim.ready.ptyPath ?? '', family.baudRate), timing);
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
    return until(() => this.events.find(matches), what, timeoutMs);
  }

  faults(compartment?: number): string[] {
    return this.events.flatMap((e) => (e.type === 'fault' && (compartment === undefined || e.compartment === compartment) ? [e.fault] : []));
  }
}
