// End to end across processes for the 8A family: the compiled simulator program on a real pty
// pair, the agent's EightADriver on the real `serialport` at the other end, the person at the
// locker played through the control API. Runs dist/ (build first: npx tsc -b). The rig is shared
// with the KR-CU16 and fault tests (test-rig.ts).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SERIAL_FAMILIES, startProgramWithDriver, type ProgramWithDriver, type SerialDriver, type SimulatorProgram } from './test-rig.js';

describe('8A simulator program ↔ EightADriver over a real pty', () => {
  let rig: ProgramWithDriver<SerialDriver>;
  let sim: SimulatorProgram;
  let driver: SerialDriver;

  beforeAll(async () => {
    rig = await startProgramWithDriver(SERIAL_FAMILIES['8a']);
    ({ sim, driver } = rig);
  });

  afterAll(async () => {
    expect(await rig?.stop()).toBe(0);
  });

  it('announces itself with one JSON line', () => {
    expect(sim.ready).toEqual({
      event: 'ready',
      family: '8a',
      ptyPath: expect.stringMatching(/agent$/),
      controlUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
    });
  });

  it('unlocks board 1 lock 1 with exactly one 8A 01 01 11 9B, reads it open, then closed after the person shuts it', async () => {
    await sim.control('DELETE', '/frames');
    await expect(driver.unlock(1, 1)).resolves.toEqual({ latchClosed: false, itemPresent: null });

    const seen = await sim.control<{ frames: Array<{ hex: string; at: string }>; bad: number }>('GET', '/frames');
    expect(seen.frames.map((f) => f.hex.toLowerCase())).toEqual(['8a 01 01 11 9b']);
    expect(seen.bad).toBe(0);

    const open = await driver.readStatus(1);
    expect(open[1]).toEqual({ latchClosed: false, itemPresent: null });
    expect(open.filter((s) => !s.latchClosed)).toHaveLength(1);

    await sim.control('POST', '/boards/1/locks/1/close');
    const closed = await driver.readStatus(1);
    expect(closed[1]).toEqual({ latchClosed: true, itemPresent: null });

    expect((await sim.received()).map((f) => f.hex)).toEqual(['8A 01 01 11 9B', '80 01 00 33 B2', '80 01 00 33 B2']);
    await expect(sim.control('GET', '/boards/1/locks/1')).resolves.toEqual({
      board: 1,
      lock: 1,
      latchClosed: true,
      jammed: false,
      sensorBroken: false,
    });
  });

  it('refuses an item for a board without an item sensor, and unknown locks', async () => {
    const item = await fetch(`${sim.ready.controlUrl}/boards/1/locks/1/item`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"present":true}',
    });
    expect(item.status).toBe(409);
    expect(await item.json()).toMatchObject({ error: { code: 'no_item_sensor' } });
    const lock0 = await fetch(`${sim.ready.controlUrl}/boards/1/locks/0/close`, { method: 'POST' });
    expect(lock0.status).toBe(404);
    const board2 = await fetch(`${sim.ready.controlUrl}/boards/2/locks/1/close`, { method: 'POST' });
    expect(await board2.json()).toMatchObject({ error: { code: 'unknown_lock' } });
  });
});
