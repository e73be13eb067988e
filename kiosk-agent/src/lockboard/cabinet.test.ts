import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Cabinet, UnknownCompartmentError, type DoorEvent, type FaultEvent, type ItemEvent } from './cabinet.js';
import { MemoryLockBoard } from './memory-driver.js';

const POLL = 1000;
let bus: MemoryLockBoard;
let cabinet: Cabinet;
let events: Array<['door', DoorEvent] | ['item', ItemEvent] | ['fault', FaultEvent]>;

function build(fake: MemoryLockBoard, extra: { bus?: string; board?: number; lock?: number; compartment?: number }[] = []): Cabinet {
  const c = new Cabinet({
    buses: new Map([['left', fake]]),
    compartments: [
      { compartment: 101, bus: 'left', board: 0, lock: 3 },
      { compartment: 102, bus: 'left', board: 0, lock: 4 },
      ...extra.map((e) => ({ compartment: e.compartment ?? 0, bus: e.bus ?? 'left', board: e.board ?? 0, lock: e.lock ?? 0 })),
    ],
    pollIntervalMs: POLL,
    leftOpenAfterMs: 60_000,
    openGraceMs: 5_000,
  });
  c.on('door', (e) => events.push(['door', e]));
  c.on('item', (e) => events.push(['item', e]));
  c.on('fault', (e) => events.push(['fault', e]));
  return c;
}

const unlocks = (): string[] => bus.unlocks;
/** Opens and lets the confirmation window (1.5 s by default) pass on the fake clock. */
async function openAndWait(compartment: number): Promise<string> {
  const result = cabinet.open(compartment);
  await jest.advanceTimersByTimeAsync(2_000);
  return result;
}

beforeEach(async () => {
  jest.useFakeTimers();
  events = [];
  bus = new MemoryLockBoard();
  cabinet = build(bus);
  cabinet.start();
  await jest.advanceTimersByTimeAsync(0);
});

afterEach(async () => {
  await cabinet.stop();
  jest.useRealTimers();
});

describe('Cabinet', () => {
  it('takes the first poll as the baseline, without events', () => {
    expect(bus.calls).toEqual(['status 0']);
    expect(events).toEqual([]);
    expect(cabinet.state(101)).toEqual({ latchClosed: true, itemPresent: false });
  });

  it('open → one unlock, "opened", a commanded door event', async () => {
    await expect(cabinet.open(101)).resolves.toBe('opened');
    expect(unlocks()).toEqual(['unlock 0/3']);
    expect(events).toEqual([['door', { compartment: 101, state: 'opened', itemPresent: false, commanded: true }]]);
    await jest.advanceTimersByTimeAsync(POLL * 3);
    expect(events).toHaveLength(1);
  });

  it('a lock still closed after unlock is "jammed" only after reads across the whole window, with a jammed fault', async () => {
    bus.jammed.add('0/3');
    const result = cabinet.open(101);
    const settled = jest.fn();
    void result.then(settled);
    await jest.advanceTimersByTimeAsync(1_400);
    expect(settled).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(600);
    await expect(result).resolves.toBe('jammed');
    expect(unlocks()).toEqual(['unlock 0/3']);
    expect(bus.calls.filter((c) => c === 'status 0').length).toBeGreaterThan(10);
    expect(events).toEqual([['fault', expect.objectContaining({ compartment: 101, fault: 'jammed' })]]);
  });

  it('a latch that gives way late in the window is "opened", not jammed', async () => {
    bus.jammed.add('0/3');
    const result = cabinet.open(101);
    await jest.advanceTimersByTimeAsync(1_000);
    bus.lock(0, 3).latchClosed = false;
    await jest.advanceTimersByTimeAsync(1_000);
    await expect(result).resolves.toBe('opened');
    expect(unlocks()).toEqual(['unlock 0/3']);
  });

  it('a lost unlock reply and a door shut again before the first read: the item changed, so "opened"', async () => {
    bus.loseUnlockReply = true;
    bus.lostReplyTakesMs = 500;
    bus.onUnlock = (board, lock) => {
      // The person was quick: took the parcel and shut the door while the reply was being waited for.
      setTimeout(() => Object.assign(bus.lock(board, lock), { latchClosed: true, itemPresent: true }), 300);
    };
    await expect(openAndWait(101)).resolves.toBe('opened');
    expect(unlocks()).toEqual(['unlock 0/3']);
  });

  it('a lost unlock reply, door shut again, no item sensor change: "unconfirmed", never jammed, no fault', async () => {
    bus.loseUnlockReply = true;
    bus.lostReplyTakesMs = 500;
    bus.onUnlock = (board, lock) => {
      setTimeout(() => (bus.lock(board, lock).latchClosed = true), 300);
    };
    await expect(openAndWait(101)).resolves.toBe('unconfirmed');
    expect(unlocks()).toEqual(['unlock 0/3']);
    expect(events.filter(([kind]) => kind === 'fault')).toEqual([]);
  });

  it('a bus that is down: "not_sent", and nothing reached the board', async () => {
    bus.portGone = true;
    await expect(cabinet.open(101)).resolves.toBe('not_sent');
    expect(unlocks()).toEqual([]);
  });

  it('a lost unlock reply is resolved by reading status, never by a second unlock', async () => {
    bus.loseUnlockReply = true;
    await expect(cabinet.open(101)).resolves.toBe('opened');
    expect(unlocks()).toEqual(['unlock 0/3']);
    expect(events).toEqual([['door', { compartment: 101, state: 'opened', itemPresent: false, commanded: true }]]);
  });

  it('no answer at all → "unconfirmed", still only one unlock', async () => {
    bus.offline.add(0);
    await expect(openAndWait(101)).resolves.toBe('unconfirmed');
    expect(unlocks()).toEqual(['unlock 0/3']);
  });

  it('sends the unlock even when the sensor already says open', async () => {
    bus.lock(0, 3).latchClosed = false;
    await jest.advanceTimersByTimeAsync(POLL);
    events = [];
    await expect(cabinet.open(101)).resolves.toBe('opened');
    expect(unlocks()).toEqual(['unlock 0/3']);
    expect(events).toEqual([]);
  });

  it('a door opening with no open() is forced_open', async () => {
    bus.lock(0, 4).latchClosed = false;
    await jest.advanceTimersByTimeAsync(POLL);
    expect(events).toEqual([
      ['door', { compartment: 102, state: 'opened', itemPresent: false, commanded: false }],
      ['fault', { compartment: 102, fault: 'forced_open' }],
    ]);
  });

  it('a door seen opening within openGraceMs of an open() counts as commanded', async () => {
    bus.jammed.add('0/3');
    await openAndWait(101);
    events = [];
    bus.lock(0, 3).latchClosed = false; // the latch gave way late
    await jest.advanceTimersByTimeAsync(POLL);
    expect(events).toEqual([['door', { compartment: 101, state: 'opened', itemPresent: false, commanded: true }]]);
  });

  it('a door opening after openGraceMs has passed is forced_open again', async () => {
    bus.jammed.add('0/3');
    await openAndWait(101);
    await jest.advanceTimersByTimeAsync(10_000);
    events = [];
    bus.lock(0, 3).latchClosed = false;
    await jest.advanceTimersByTimeAsync(POLL);
    expect(events).toEqual([
      ['door', { compartment: 101, state: 'opened', itemPresent: false, commanded: false }],
      ['fault', { compartment: 101, fault: 'forced_open' }],
    ]);
  });

  it('reports left_open once when a door stays open too long, and again after the next opening', async () => {
    await cabinet.open(101);
    await jest.advanceTimersByTimeAsync(120_000);
    expect(events.filter(([, e]) => 'fault' in e && e.fault === 'left_open')).toHaveLength(1);
    bus.lock(0, 3).latchClosed = true;
    await jest.advanceTimersByTimeAsync(POLL);
    await cabinet.open(101);
    await jest.advanceTimersByTimeAsync(61_000);
    expect(events.filter(([, e]) => 'fault' in e && e.fault === 'left_open')).toHaveLength(2);
  });

  it('emits door closed and item events as the person deposits and closes', async () => {
    await cabinet.open(101);
    events = [];
    bus.lock(0, 3).itemPresent = true;
    await jest.advanceTimersByTimeAsync(POLL);
    bus.lock(0, 3).latchClosed = true;
    await jest.advanceTimersByTimeAsync(POLL);
    expect(events).toEqual([
      ['item', { compartment: 101, itemPresent: true }],
      ['door', { compartment: 101, state: 'closed', itemPresent: true, commanded: false }],
    ]);
  });

  it('reports board_unreachable once per board after 3 failures in a row, and board_reachable once when it answers', async () => {
    const faults = () => events.filter(([kind]) => kind === 'fault').map(([, e]) => e as FaultEvent);
    bus.offline.add(0);
    await jest.advanceTimersByTimeAsync(POLL * 2);
    expect(faults()).toEqual([]); // two lost replies are not an outage
    await jest.advanceTimersByTimeAsync(POLL * 5);
    expect(faults()).toEqual([expect.objectContaining({ bus: 'left', board: 0, fault: 'board_unreachable' })]);
    expect(faults()[0]).not.toHaveProperty('compartment');
    bus.offline.delete(0);
    await jest.advanceTimersByTimeAsync(POLL * 3);
    expect(faults().map((f) => f.fault)).toEqual(['board_unreachable', 'board_reachable']);
    // One failure and back: nothing.
    bus.offline.add(0);
    await jest.advanceTimersByTimeAsync(POLL);
    bus.offline.delete(0);
    await jest.advanceTimersByTimeAsync(POLL * 3);
    expect(faults()).toHaveLength(2);
  });

  it('polls at a steady interval and never overlaps itself', async () => {
    let release!: () => void;
    bus.statusDelay = new Promise<void>((r) => (release = r));
    await jest.advanceTimersByTimeAsync(POLL * 10);
    expect(bus.calls.filter((c) => c.startsWith('status'))).toHaveLength(2);
    bus.statusDelay = null;
    release();
    await jest.advanceTimersByTimeAsync(POLL * 3);
    expect(bus.maxInFlight).toBe(1);
    expect(bus.calls.filter((c) => c.startsWith('status')).length).toBeGreaterThanOrEqual(5);
  });

  it('holdPolling keeps polls off the bus until released (or its time limit), then polls at once', async () => {
    const statuses = () => bus.calls.filter((c) => c.startsWith('status')).length;
    const before = statuses();
    const release = cabinet.holdPolling(10 * POLL);
    await jest.advanceTimersByTimeAsync(POLL * 3);
    expect(statuses()).toBe(before);
    release();
    release(); // a second release changes nothing
    await jest.advanceTimersByTimeAsync(0);
    expect(statuses()).toBe(before + 1);
    cabinet.holdPolling(2 * POLL); // never released: lapses on its own
    await jest.advanceTimersByTimeAsync(POLL * 1.5);
    expect(statuses()).toBe(before + 1);
    await jest.advanceTimersByTimeAsync(POLL);
    expect(statuses()).toBe(before + 2);
  });

  it('typing() keeps polls off the bus from each digit until typingDone() (or it lapses), then polls at once', async () => {
    const statuses = () => bus.calls.filter((c) => c.startsWith('status')).length;
    const before = statuses();
    cabinet.typing(5 * POLL);
    await jest.advanceTimersByTimeAsync(POLL * 2);
    cabinet.typing(5 * POLL); // the next digit: from the latest call
    await jest.advanceTimersByTimeAsync(POLL * 4);
    expect(statuses()).toBe(before);
    cabinet.typingDone();
    await jest.advanceTimersByTimeAsync(0);
    expect(statuses()).toBe(before + 1);
    cabinet.typing(2 * POLL); // typed but never entered: lapses on its own
    await jest.advanceTimersByTimeAsync(POLL * 1.5);
    expect(statuses()).toBe(before + 1);
    await jest.advanceTimersByTimeAsync(POLL);
    expect(statuses()).toBe(before + 2);
  });

  it('rejects an unknown compartment with a clear error', async () => {
    await expect(cabinet.open(999)).rejects.toThrow(UnknownCompartmentError);
    await expect(cabinet.open(999)).rejects.toThrow('unknown compartment 999');
    expect(() => cabinet.state(999)).toThrow(UnknownCompartmentError);
    expect(unlocks()).toEqual([]);
  });

  it('refuses a configuration with a missing bus or a lock mapped twice', () => {
    expect(() => build(bus, [{ compartment: 103, bus: 'right' }])).toThrow('no bus named "right"');
    expect(() => build(bus, [{ compartment: 103, lock: 3 }])).toThrow('already compartment 101');
    expect(() => build(bus, [{ compartment: 101, lock: 5 }])).toThrow('mapped twice');
  });
});

describe('Cabinet on boards without item sensors', () => {
  it('never emits item events and reports itemPresent null', async () => {
    await cabinet.stop();
    events = [];
    bus = new MemoryLockBoard({ itemSensors: false });
    cabinet = build(bus);
    cabinet.start();
    await jest.advanceTimersByTimeAsync(0);
    await cabinet.open(102);
    await jest.advanceTimersByTimeAsync(POLL * 2);
    expect(events).toEqual([['door', { compartment: 102, state: 'opened', itemPresent: null, commanded: true }]]);
  });
});
