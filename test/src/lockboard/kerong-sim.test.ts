// End to end across processes: the compiled simulator program on a real pty pair, the agent's
// KerongDriver on the real `serialport` at the other end, the person at the locker played through
// the control API. Runs dist/ (build first: npx tsc -b). The rig is shared with the 8A and fault
// tests (test-rig.ts).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SERIAL_FAMILIES, startProgramWithDriver, type ProgramWithDriver, type SerialDriver, type SimulatorProgram } from './test-rig.js';

describe('KR-CU16 simulator program ↔ KerongDriver over a real pty', () => {
  let rig: ProgramWithDriver<SerialDriver>;
  let sim: SimulatorProgram;
  let driver: SerialDriver;

  beforeAll(async () => {
    rig = await startProgramWithDriver(SERIAL_FAMILIES.kerong);
    ({ sim, driver } = rig);
  });

  afterAll(async () => {
    expect(await rig?.stop()).toBe(0);
  });

  it('announces itself with one JSON line', () => {
    expect(sim.ready).toEqual({
      event: 'ready',
      family: 'kerong',
      ptyPath: expect.stringMatching(/agent$/),
      controlUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
    });
  });

  it('unlocks board 0 lock 3 with exactly one 02 03 31 03 39, then reads back what the person did', async () => {
    await sim.control('DELETE', '/frames');
    await expect(driver.unlock(0, 3)).resolves.toEqual({ latchClosed: false, itemPresent: false });

    const seen = await sim.control<{ frames: Array<{ hex: string; at: string }>; bad: number }>('GET', '/frames');
    expect(seen.frames.map((f) => f.hex)).toEqual(['02 03 31 03 39']);
    expect(seen.bad).toBe(0);
    expect(Number.isNaN(Date.parse(seen.frames[0]!.at))).toBe(false);

    await sim.control('POST', '/boards/0/locks/3/item', { present: true });
    await sim.control('POST', '/boards/0/locks/3/close');
    const states = await driver.readStatus(0);
    expect(states[3]).toEqual({ latchClosed: true, itemPresent: true });
    expect(states.filter((s) => s.itemPresent)).toHaveLength(1);

    expect((await sim.received()).map((f) => f.hex).filter((h) => h === '02 03 31 03 39')).toHaveLength(1);
    await expect(sim.control('GET', '/boards/0/locks/3')).resolves.toMatchObject({ latchClosed: true, itemPresent: true });
  });

  it('answers control API mistakes with an error body and a 4xx', async () => {
    const bad = await fetch(`${sim.ready.controlUrl}/boards/0/locks/3/item`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"present":"yes"}',
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'bad_request' } });
    const missing = await fetch(`${sim.ready.controlUrl}/boards/7/locks/3/close`, { method: 'POST' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'unknown_lock' } });
    const fault = await fetch(`${sim.ready.controlUrl}/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"kind":"late_reply"}',
    });
    expect(fault.status).toBe(400);
    expect(await fault.json()).toMatchObject({ error: { code: 'bad_request', message: expect.stringContaining('delayMs') } });
  });
});
