// End to end across processes: the compiled simulator program on a real pty pair, the agent's
// KerongDriver on the real `serialport` at the other end, the person at the locker played through
// the control API. Runs dist/ (build first: npx tsc -b protocol kiosk-agent simulators).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SerialPort } from 'serialport';
import { Cabinet, KerongDriver, type DoorEvent } from '@xinbao/kiosk-agent/lockboard/index';
import { startKerongSimulator, type RunningKerongSimulator } from './kerong-sim.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const program = fileURLToPath(new URL('../../dist/lockboard/main.js', import.meta.url));

interface Ready {
  event: 'ready';
  family: string;
  ptyPath: string;
  controlUrl: string;
}

async function control<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${await res.text()}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

async function openPort(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 19200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  return port;
}

describe('KR-CU16 simulator program ↔ KerongDriver over a real pty', () => {
  let child: ChildProcessWithoutNullStreams;
  let ready: Ready;
  let driver: KerongDriver;
  let stderr = '';

  beforeAll(async () => {
    if (!existsSync(program)) throw new Error(`${program} is missing: build first (npx tsc -b protocol kiosk-agent simulators)`);
    child = spawn(process.execPath, [program, '--family', 'kerong', '--boards', '0'], { cwd: root });
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const lines = createInterface({ input: child.stdout });
    ready = await new Promise<Ready>((resolve, reject) => {
      lines.once('line', (line) => resolve(JSON.parse(line) as Ready));
      child.once('exit', (code) => reject(new Error(`simulator exited (${code}) before ready: ${stderr}`)));
    });
    driver = new KerongDriver({ port: await openPort(ready.ptyPath) });
  });

  afterAll(async () => {
    await driver?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  it('announces itself with one JSON line', () => {
    expect(ready).toEqual({ event: 'ready', family: 'kerong', ptyPath: expect.stringMatching(/agent$/), controlUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
  });

  it('unlocks board 0 lock 3 with exactly one 02 03 31 03 39, then reads back what the person did', async () => {
    await control(ready.controlUrl, 'DELETE', '/frames');
    await expect(driver.unlock(0, 3)).resolves.toEqual({ latchClosed: false, itemPresent: false });

    const seen = await control<{ frames: Array<{ hex: string; at: string }>; bad: number }>(ready.controlUrl, 'GET', '/frames');
    expect(seen.frames.map((f) => f.hex)).toEqual(['02 03 31 03 39']);
    expect(seen.bad).toBe(0);
    expect(Number.isNaN(Date.parse(seen.frames[0]!.at))).toBe(false);

    await control(ready.controlUrl, 'POST', '/boards/0/locks/3/item', { present: true });
    await control(ready.controlUrl, 'POST', '/boards/0/locks/3/close');
    const states = await driver.readStatus(0);
    expect(states[3]).toEqual({ latchClosed: true, itemPresent: true });
    expect(states.filter((s) => s.itemPresent)).toHaveLength(1);

    const after = await control<{ frames: Array<{ hex: string }> }>(ready.controlUrl, 'GET', '/frames');
    expect(after.frames.map((f) => f.hex).filter((h) => h === '02 03 31 03 39')).toHaveLength(1);
    await expect(control(ready.controlUrl, 'GET', '/boards/0/locks/3')).resolves.toMatchObject({ latchClosed: true, itemPresent: true });
  });

  it('answers control API mistakes with an error body and a 4xx', async () => {
    const bad = await fetch(`${ready.controlUrl}/boards/0/locks/3/item`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"present":"yes"}' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'bad_request' } });
    const missing = await fetch(`${ready.controlUrl}/boards/7/locks/3/close`, { method: 'POST' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'unknown_lock' } });
  });
});

describe('Cabinet on KerongDriver on the in-process simulator', () => {
  let sim: RunningKerongSimulator;
  let cabinet: Cabinet;
  let driver: KerongDriver;

  beforeAll(async () => {
    sim = await startKerongSimulator({ boards: [0], replyDelayMs: 1 });
    driver = new KerongDriver({ port: await openPort(sim.ptyPath) });
    cabinet = new Cabinet({
      buses: new Map([['main', driver]]),
      compartments: [
        { compartment: 1, bus: 'main', board: 0, lock: 3 },
        { compartment: 2, bus: 'main', board: 0, lock: 4 },
      ],
      pollIntervalMs: 30,
      leftOpenAfterMs: 60_000,
      openGraceMs: 1_000,
    });
  });

  afterAll(async () => {
    await cabinet?.stop();
    await driver?.close();
    await sim?.stop();
  });

  const nextDoor = (compartment: number): Promise<DoorEvent> =>
    new Promise((resolve) => {
      const on = (e: DoorEvent): void => {
        if (e.compartment !== compartment) return;
        cabinet.off('door', on);
        resolve(e);
      };
      cabinet.on('door', on);
    });

  it('opens a compartment, then sees the person close it and a forced door', async () => {
    cabinet.start();
    const opened = nextDoor(1);
    await expect(cabinet.open(1)).resolves.toBe('opened');
    await expect(opened).resolves.toEqual({ compartment: 1, state: 'opened', itemPresent: false, commanded: true });

    const closed = nextDoor(1);
    await control(sim.controlUrl, 'POST', '/boards/0/locks/3/item', { present: true });
    await control(sim.controlUrl, 'POST', '/boards/0/locks/3/close');
    await expect(closed).resolves.toEqual({ compartment: 1, state: 'closed', itemPresent: true, commanded: false });

    const forced = nextDoor(2);
    const fault = new Promise((resolve) => cabinet.once('fault', resolve));
    await control(sim.controlUrl, 'POST', '/boards/0/locks/4/force-open');
    await expect(forced).resolves.toMatchObject({ state: 'opened', commanded: false });
    await expect(fault).resolves.toEqual({ compartment: 2, fault: 'forced_open' });
    expect(sim.simulator.frames.filter((f) => f.hex.includes(' 31 '))).toHaveLength(1);
  });
});
