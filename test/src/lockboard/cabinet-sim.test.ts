// The agent's Cabinet on each family's driver, against the simulator started in-process (the
// same starter the simulator program uses) on a real pty pair: an opening, the person closing the
// door (with an item where the board can see one) and a forced door, as events. The 8A case runs
// the inverted door-switch wiring on both ends.
import { afterEach, describe, expect, it } from '@jest/globals';
import { Cabinet, EightADriver, KerongDriver, type LockBoardDriver } from '@xinbao/kiosk-agent/lockboard';
import { startEightASimulator, startKerongSimulator } from '@xinbao/simulators/lockboard';
import { CabinetRecorder, control, openSerialPort } from './test-rig.js';

interface Running {
  ptyPath: string;
  controlUrl: string;
  simulator: { frames: ReadonlyArray<{ hex: string }> };
  stop(): Promise<void>;
}

const cases: Array<{
  name: string;
  start: () => Promise<Running>;
  baudRate: number;
  driver: (port: Awaited<ReturnType<typeof openSerialPort>>) => LockBoardDriver;
  board: number;
  locks: [number, number];
  itemSensors: boolean;
  isUnlock: (hex: string) => boolean;
}> = [
  {
    name: 'KR-CU16',
    start: () => startKerongSimulator({ boards: [0], replyDelayMs: 1 }),
    baudRate: 19200,
    driver: (port) => new KerongDriver({ port }),
    board: 0,
    locks: [3, 4],
    itemSensors: true,
    isUnlock: (hex) => hex.split(' ')[2] === '31',
  },
  {
    name: '8A, open_is_clear wiring',
    start: () => startEightASimulator({ boards: [1], replyDelayMs: 1, wiring: 'open_is_clear' }),
    baudRate: 9600,
    driver: (port) => new EightADriver({ port, openPolarity: 'open_is_clear' }),
    board: 1,
    locks: [1, 32],
    itemSensors: false,
    isUnlock: (hex) => hex.startsWith('8A'),
  },
];

describe.each(cases)('Cabinet on the $name driver, in-process simulator', (c) => {
  const stops: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });

  it('opens a compartment, sees the person close it and a forced door', async () => {
    const sim = await c.start();
    stops.push(() => sim.stop());
    const driver = c.driver(await openSerialPort(sim.ptyPath, c.baudRate));
    stops.push(() => driver.close());
    const [lock1, lock2] = c.locks;
    const cabinet = new Cabinet({
      buses: new Map([['main', driver]]),
      compartments: [
        { compartment: 1, bus: 'main', board: c.board, lock: lock1 },
        { compartment: 2, bus: 'main', board: c.board, lock: lock2 },
      ],
      pollIntervalMs: 30,
      leftOpenAfterMs: 60_000,
      openGraceMs: 1_000,
    });
    stops.push(() => cabinet.stop());
    const events = new CabinetRecorder(cabinet);
    const item = c.itemSensors ? false : null;

    cabinet.start();
    await expect(cabinet.open(1)).resolves.toBe('opened');
    await events.waitFor((e) => e.type === 'door' && e.compartment === 1, 'door 1 opened');

    if (c.itemSensors) await control(sim.controlUrl, 'POST', `/boards/${c.board}/locks/${lock1}/item`, { present: true });
    await control(sim.controlUrl, 'POST', `/boards/${c.board}/locks/${lock1}/close`);
    await events.waitFor((e) => e.type === 'door' && e.state === 'closed', 'door 1 closed');

    await control(sim.controlUrl, 'POST', `/boards/${c.board}/locks/${lock2}/force-open`);
    await events.waitFor((e) => e.type === 'fault', 'forced_open');
    // The item and the closing may land in one poll, so their order is not fixed.
    const expected = [
      { type: 'door', compartment: 1, state: 'opened', itemPresent: item, commanded: true },
      ...(c.itemSensors ? [{ type: 'item', compartment: 1, itemPresent: true }] : []),
      { type: 'door', compartment: 1, state: 'closed', itemPresent: c.itemSensors ? true : null, commanded: false },
      { type: 'door', compartment: 2, state: 'opened', itemPresent: item, commanded: false },
      { type: 'fault', compartment: 2, fault: 'forced_open' },
    ];
    expect(events.events).toEqual(expect.arrayContaining(expected));
    expect(events.events).toHaveLength(expected.length);
    expect(sim.simulator.frames.filter((f) => c.isUnlock(f.hex))).toHaveLength(1);
  });
});
