import { describe, expect, it } from '@jest/globals';
import { countFromHistory, NO_FAILURES } from '@xinbao/protocol';
import { afterFailure, attemptsBelowCap, attemptsBound, breakInOdds, waitAfter, waitRemaining, type KeypadLimit } from './attempts.js';

const limit: KeypadLimit = { freeFailures: 3, firstDelayMs: 1_000, maxDelayMs: 8_000, quietResetMs: 60_000 };

/** The fastest attacker the rule allows: every attempt at the first instant it may be checked, all wrong. */
function fastestAttacker(l: KeypadLimit, periodMs: number, pauseEvery = Infinity): number {
  let count = NO_FAILURES;
  let t = 0;
  let attempts = 0;
  for (;;) {
    t += waitRemaining(count, t, l);
    if (t >= periodMs) return attempts;
    count = afterFailure(count, t, l);
    attempts++;
    // A patient attacker waits out the quiet reset to get the free attempts again.
    if (attempts % pauseEvery === 0) t += l.quietResetMs;
  }
}

describe('the keypad attempt limit (ADR 0015)', () => {
  it.each([
    [0, 0],
    [2, 0],
    [3, 1_000],
    [4, 2_000],
    [5, 4_000],
    [6, 8_000],
    [7, 8_000],
    [500, 8_000],
  ])('after %i wrong codes waits %i ms', (failures, wait) => {
    expect(waitAfter(failures, limit)).toBe(wait);
  });

  it('counts a run of wrong codes, forgets it after a quiet spell, and owes the rest of the wait', () => {
    expect(countFromHistory([0, 1_000, 2_000], 2_500, limit)).toEqual({ failures: 3, lastAt: 2_000 });
    expect(countFromHistory([0, 1_000, 2_000, 70_000], 70_500, limit)).toEqual({ failures: 1, lastAt: 70_000 });
    expect(countFromHistory([0, 1_000, 2_000], 62_000, limit)).toEqual(NO_FAILURES);
    // Out of order (a journal merged across a restart) and future entries (a clock set back) are handled.
    expect(countFromHistory([2_000, 0, 1_000, 9_999_999], 2_500, limit)).toEqual({ failures: 3, lastAt: 2_000 });
    expect(waitRemaining({ failures: 3, lastAt: 2_000 }, 2_500, limit)).toBe(500);
    expect(waitRemaining({ failures: 3, lastAt: 2_000 }, 3_000, limit)).toBe(0);
    expect(waitRemaining({ failures: 2, lastAt: 2_000 }, 2_000, limit)).toBe(0);
    expect(afterFailure({ failures: 9, lastAt: 0 }, 60_000, limit)).toEqual({ failures: 1, lastAt: 60_000 });
  });

  it('bounds the attempts of the fastest attacker, patient or not, and the bound is tight', () => {
    const day = 24 * 3_600_000;
    expect(attemptsBelowCap(limit)).toBe(6); // 3 free, then 1 s, 2 s, 4 s
    for (const l of [limit, { ...limit, quietResetMs: 600_000 }]) {
      const bound = attemptsBound(l, day);
      const tries = [Infinity, 3, 6, 7, 50].map((pause) => fastestAttacker(l, day, pause));
      for (const n of tries) expect(n).toBeLessThanOrEqual(bound);
      // With the quiet reset long against the cap (as configured: 24 h against 10 min) the bound is tight.
      if (l.quietResetMs >= 75 * l.maxDelayMs) expect(Math.max(...tries)).toBeGreaterThan(0.9 * bound);
    }
    expect(() => attemptsBound({ ...limit, quietResetMs: 8_000 })).toThrow();
  });

  it('turns attempts into odds by the union bound', () => {
    expect(breakInOdds(100, { liveCodes: 1_000, keySpace: 1e8 })).toBeCloseTo(1e-3, 12);
    expect(breakInOdds(1e9, { liveCodes: 1_000, keySpace: 1e8 })).toBe(1);
  });
});
