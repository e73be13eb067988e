import { describe, expect, it } from '@jest/globals';
import { dueForHold, holdUntil, maskPostalAddress, type HoldStep } from './results.js';

const timers = { remindAfterHours: 24, remindBeforeHours: 24, holdDays: 7 };
const T0 = new Date('2026-12-01T08:00:00Z');
const at = (hours: number) => new Date(T0.getTime() + hours * 3_600_000);

describe('a result held in a locker', () => {
  const hold = { inLockerAt: T0, holdUntil: holdUntil(T0, timers) };
  it('is held for the holding period', () => {
    expect(hold.holdUntil).toEqual(at(7 * 24));
  });
  // hours after in_locker → what is due
  const table: Array<[number, HoldStep[]]> = [
    [0, []],
    [23.99, []],
    [24, ['remind_collect']],
    [143.99, ['remind_collect']],
    [144, ['remind_collect', 'remind_return']],
    [167.99, ['remind_collect', 'remind_return']],
    [168, ['return']],
    [500, ['return']],
  ];
  it.each(table)('after %s h: %j', (hours, want) => {
    expect(dueForHold(hold, at(hours), timers)).toEqual(want);
  });
  it('follows the configured delays', () => {
    const short = { remindAfterHours: 2, remindBeforeHours: 1, holdDays: 0.25 };
    const h = { inLockerAt: T0, holdUntil: holdUntil(T0, short) };
    expect(dueForHold(h, at(1.5), short)).toEqual([]);
    expect(dueForHold(h, at(2), short)).toEqual(['remind_collect']);
    expect(dueForHold(h, at(5), short)).toEqual(['remind_collect', 'remind_return']);
    expect(dueForHold(h, at(6), short)).toEqual(['return']);
  });
});

describe('a postal address, masked', () => {
  it.each([
    ['西安市雁塔区科技路10号3单元502室', '西安市雁塔区科技路10号***'],
    ['西安市雁塔区科技路10号', '西安市雁塔区科技路10号'],
    ['Room 5, 12 Keji Road', 'Room 5, 12***'],
  ])('%s → %s', (a, want) => {
    expect(maskPostalAddress(a)).toBe(want);
  });
});
