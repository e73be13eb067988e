// End to end across processes for the 8A family: the compiled simulator program on a real pty
// pair, the agent's EightADriver on the real `serialport` at the other end, the person at the
// locker played through the control API. Runs dist/ (build first: npx tsc -b).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SerialPort } from 'serialport';
import { Cabinet, EightADriver, type DoorEvent } from '@xinbao/kiosk-agent/lockboard/index';
import { startEightASimulator, type RunningEightASimulator } from './eight-a-sim.js';

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
  const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  return port;
}

describe('8A simulator program ↔ EightADriver over a real pty', () => {
  let child: ChildProcessWithoutNullStreams;
  let ready: Ready;
  let driver: EightADriver;
  let stderr = '';

  beforeAll(async () => {
    if (!existsSync(program)) throw new Error(`${program} is missing: build first (npx tsc -b)`);
    child = spawn(process.execPath, [program, '--family', '8a', '--boards', '1'], { cwd: root });
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const lines = createInterface({ input: child.stdout });
    ready = await new Promise<Ready>((resolve, reject) => {
      lines.once('line', (line) => resolve(JSON.parse(line) as Ready));
      child.once('exit', (code) => reject(new Error(`simulator exited (${code}) before ready: ${stderr}`)));
    });
    driver = new EightADriver({ port: await openPort(ready.ptyPath) });
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
    expect(ready).toEqual({ event: 'ready', family: '8a', ptyPath: expect.stringMatching(/agent$/), controlUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
  });

  it('unlocks board 1 lock 1 with exactly one 8A 01 01 11 9B, reads it open, then closed after the person shuts it', async () => {
    await control(ready.controlUrl, 'DELETE', '/frames');
    await expect(driver.unlock(1, 1)).resolves.toEqual({ latchClosed: false, itemPresent: null });

    const seen = await control<{ frames: Array<{ hex: string; at: string }>; bad: number }>(ready.controlUrl, 'GET', '/frames');
    expect(seen.frames.map((f) => f.hex.toLowerCase())).toEqual(['8a 01 01 11 9b']);
    expect(seen.bad).toBe(0);

    const open = await driver.readStatus(1);
    expect(open[1]).toEqual({ latchClosed: false, itemPresent: null });
    expect(open.filter((s) => !s.latchClosed)).toHaveLength(1);

    await control(ready.controlUrl, 'POST', '/boards/1/locks/1/close');
    const closed = await driver.readStatus(1);
    expect(closed[1]).toEqual({ latchClosed: true, itemPresent: null });

    const after = await control<{ frames: Array<{ hex: string }> }>(ready.controlUrl, 'GET', '/frames');
    expect(after.frames.map((f) => f.hex)).toEqual(['8A 01 01 11 9B', '80 01 00 33 B2', '80 01 00 33 B2']);
    await expect(control(ready.controlUrl, 'GET', '/boards/1/locks/1')).resolves.toEqual({ board: 1, lock: 1, latchClosed: true, jammed: false, sensorBroken: false });
  });

  it('refuses an item for a board without an item sensor, and unknown locks', async () => {
    const item = await fetch(`${ready.controlUrl}/boards/1/locks/1/item`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"present":true}' });
    expect(item.status).toBe(409);
    expect(await item.json()).toMatchObject({ error: { code: 'no_item_sensor' } });
    const lock0 = await fetch(`${ready.controlUrl}/boards/1/locks/0/close`, { method: 'POST' });
    expect(lock0.status).toBe(404);
    const board2 = await fetch(`${ready.controlUrl}/boards/2/locks/1/close`, { method: 'POST' });
    expect(await board2.json()).toMatchObject({ error: { code: 'unknown_lock' } });
  });
});

describe('Cabinet on EightADriver (open_is_clear wiring) on the in-process simulator', () => {
  let sim: RunningEightASimulator;
  let cabinet: Cabinet;
  let driver: EightADriver;

  beforeAll(async () => {
    sim = await startEightASimulator({ boards: [1], replyDelayMs: 1, wiring: 'open_is_clear' });
    driver = new EightADriver({ port: await openPort(sim.ptyPath), openPolarity: 'open_is_clear' });
    cabinet = new Cabinet({
      buses: new Map([['main', driver]]),
      compartments: [
        { compartment: 1, bus: 'main', board: 1, lock: 1 },
        { compartment: 2, bus: 'main', board: 1, lock: 32 },
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

  it('opens a compartment, sees the person close it and a forced door, never an item', async () => {
    const items: unknown[] = [];
    cabinet.on('item', (e) => items.push(e));
    cabinet.start();
    const opened = nextDoor(1);
    await expect(cabinet.open(1)).resolves.toBe('opened');
    await expect(opened).resolves.toEqual({ compartment: 1, state: 'opened', itemPresent: null, commanded: true });

    const closed = nextDoor(1);
    await control(sim.controlUrl, 'POST', '/boards/1/locks/1/close');
    await expect(closed).resolves.toEqual({ compartment: 1, state: 'closed', itemPresent: null, commanded: false });

    const forced = nextDoor(2);
    const fault = new Promise((resolve) => cabinet.once('fault', resolve));
    await control(sim.controlUrl, 'POST', '/boards/1/locks/32/force-open');
    await expect(forced).resolves.toMatchObject({ state: 'opened', commanded: false });
    await expect(fault).resolves.toEqual({ compartment: 2, fault: 'forced_open' });
    expect(sim.simulator.frames.filter((f) => f.hex.startsWith('8A'))).toHaveLength(1);
    expect(items).toEqual([]);
  });
});
