// The agent's Cabinet on each family's driver, against the simulator started in-process (the
// same starter the simulator program uses) on a real pty pair: an opening, the person closing the
// door (with an item where the board can see one) and a forced door, as events. The 8A case runs
// the inverted door-switch wiring on both ends.
import { afterEach, describe, expect, it } from '@jest/globals';
import { Cabinet, EightADriver, KerongDriver, type LockBoardDriver } from '@xinbao/kiosk-agent/lockboard';
import { startEightASimulator, startKerongSimulator } from '@xinbao/simulators/lockboard';
import { eventually } from '../support/eventually.js';
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

describe('Cabinet polling a KR-CU16 bus of two boards, in-process simulator', () => {
  const stops: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });

  it('polls both boards with one broadcast status read (0x32 → 0x36), falls back to one read per board when it fails, and returns to it', async () => {
    const sim = await startKerongSimulator({ boards: [0, 1], replyDelayMs: 1 });
    stops.push(() => sim.stop());
    const driver = new KerongDriver({ port: await openSerialPort(sim.ptyPath, 19200) });
    stops.push(() => driver.close());
    const cabinet = new Cabinet({
      buses: new Map([['main', driver]]),
      compartments: [
        { compartment: 1, bus: 'main', board: 0, lock: 3 },
        { compartment: 17, bus: 'main', board: 1, lock: 0 },
      ],
      pollIntervalMs: 30,
      leftOpenAfterMs: 60_000,
      openGraceMs: 1_000,
    });
    stops.push(() => cabinet.stop());
    const events = new CabinetRecorder(cabinet);
    const polls = () => sim.simulator.frames.map((f) => f.hex.split(' ').slice(0, 3).join(' ')).filter((h) => h !== '02 03 31');
    cabinet.start();
    await eventually(() => (cabinet.state(17) && cabinet.state(1) ? true : undefined), 'the first poll of both boards');
    // (A first exchange on a pty just opened may be lost, and fall back to single reads: steady state from here.)
    await eventually(() => (polls().slice(-2).join() === '02 F0 32,02 F0 32' ? true : undefined), 'broadcast polls');
    const steady = polls().length;

    // A door forced on board 1 is seen through the broadcast read, and no board is read alone.
    await control(sim.controlUrl, 'POST', '/boards/1/locks/0/force-open');
    await events.waitFor((e) => e.type === 'fault' && e.fault === 'forced_open', 'forced_open on board 1');
    expect(events.events).toEqual([
      { type: 'door', compartment: 17, state: 'opened', itemPresent: false, commanded: false },
      { type: 'fault', compartment: 17, fault: 'forced_open' },
    ]);
    // Each poll is one broadcast read; boards are read alone only after a broadcast that failed (on a
    // loaded machine a 100 ms poll timeout can lapse), never instead of a broadcast that answered.
    const since = polls().slice(steady);
    expect(since).toContain('02 F0 32');
    expect(since.filter((h) => h === '02 F0 32').length).toBeGreaterThanOrEqual(since.filter((h) => h === '02 00 30').length);

    // One broadcast reply lost: that poll reads each board alone, then the broadcast comes back.
    await eventually(() => (polls().at(-1) === '02 F0 32' ? true : undefined), 'a broadcast poll');
    const from = polls().length;
    await control(sim.controlUrl, 'POST', '/faults', { kind: 'lost_reply', count: 1 });
    const fellBack = (): number => {
      const after = polls().slice(from);
      for (let i = 0; i + 2 < after.length; i++) if (after.slice(i, i + 3).join() === '02 F0 32,02 00 30,02 10 30') return i + 3;
      return -1;
    };
    await eventually(() => (fellBack() >= 0 ? true : undefined), 'single reads after the lost broadcast reply');
    await eventually(
      () =>
        polls()
          .slice(from + fellBack())
          .includes('02 F0 32')
          ? true
          : undefined,
      'the broadcast again',
    );
    // One lost reply is not an outage.
    expect(events.events.filter((e) => e.type === 'fault' && e.fault === 'board_unreachable')).toEqual([]);

    // An unlock still goes to its own board, once.
    await expect(cabinet.open(1)).resolves.toBe('opened');
    expect(sim.simulator.frames.filter((f) => f.hex.split(' ')[2] === '31').map((f) => f.hex)).toEqual(['02 03 31 03 39']);
  });
});
