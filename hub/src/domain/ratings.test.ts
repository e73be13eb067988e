import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { hallDay, isBad, isWorkingDay, rateable, workingDaysLater, type Grade } from './ratings.js';

describe('ratings', () => {
  it('calls 1 and 2 of 5 bad, 3 to 5 not', () => {
    expect(([1, 2, 3, 4, 5] as Grade[]).map(isBad)).toEqual([true, true, false, false, false]);
  });

  it('lets a rejected application or a result that reached its applicant be rated, nothing else', () => {
    expect(rateable({ status: 'rejected' }, null)).toBe(true);
    expect(rateable({ status: 'approved' }, { state: 'collected' })).toBe(true);
    expect(rateable({ status: 'approved' }, { state: 'delivered' })).toBe(true);
    for (const state of ['result_ready', 'in_locker', 'at_counter', 'mailed', 'returned_to_hall'])
      expect(rateable({ status: 'approved' }, { state })).toBe(false);
    expect(rateable({ status: 'submitted' }, null)).toBe(false);
    expect(rateable({ status: 'approved' }, null)).toBe(false);
  });

  it('counts working days in the hall’s calendar (UTC+8), skipping weekends and holidays', () => {
    // Monday 2026-11-30 10:00 in Beijing: five working days later is the end of Monday 2026-12-07.
    expect(workingDaysLater(new Date('2026-11-30T02:00:00Z'), 5).toISOString()).toBe('2026-12-07T15:59:59.999Z');
    // Friday 23:30 in Beijing (15:30 UTC, still Friday there): one working day later is Monday's end.
    expect(workingDaysLater(new Date('2026-12-04T15:30:00Z'), 1).toISOString()).toBe('2026-12-07T15:59:59.999Z');
    // Friday 16:30 UTC is already Saturday in Beijing: the next working day is still Monday.
    expect(workingDaysLater(new Date('2026-12-04T16:30:00Z'), 1).toISOString()).toBe('2026-12-07T15:59:59.999Z');
    // New Year's Day 2027 (a Friday) as a holiday: from Wednesday 30 Dec, 2 working days → Monday 4 Jan.
    expect(workingDaysLater(new Date('2026-12-30T04:00:00Z'), 2, new Set(['2027-01-01'])).toISOString()).toBe('2027-01-04T15:59:59.999Z');
    expect(() => workingDaysLater(new Date(), 0)).toThrow(RangeError);
  });

  it('always ends on a working day, after exactly `days` working days', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.integer({ min: 1, max: 30 }),
        (from, days) => {
          const due = workingDaysLater(from, days);
          expect(isWorkingDay(hallDay(due), new Set())).toBe(true);
          let counted = 0;
          for (
            let t = Date.parse(`${hallDay(from)}T12:00:00Z`) + 86_400_000;
            hallDay(new Date(t - 8 * 3_600_000)) <= hallDay(due);
            t += 86_400_000
          )
            if (isWorkingDay(new Date(t).toISOString().slice(0, 10), new Set())) counted++;
          expect(counted).toBe(days);
          expect(due.getTime() - from.getTime()).toBeGreaterThan((days - 1) * 86_400_000);
        },
      ),
      { numRuns: 300 },
    );
  });
});
