// The keypad attempt limit's arithmetic (ADR 0015). The rule itself (waits, counts) lives in
// @xinbao/protocol so that the kiosk applies the very same one offline; here is what it is worth:
// how many keypad guesses a year it lets through at one site, and the odds that those guesses open
// a compartment. Pure.
import { waitAfter, type KeypadLimit } from '@xinbao/protocol';

export { afterFailure, currentCount, waitAfter, waitRemaining, type FailureCount, type KeypadLimit } from '@xinbao/protocol';

export const YEAR_MS = 365.25 * 24 * 3_600_000;

/** Wrong codes in one run (between quiet resets) that wait less than the cap before the next attempt. */
export function attemptsBelowCap(limit: KeypadLimit): number {
  let n = 0;
  while (waitAfter(n, limit) < limit.maxDelayMs) n++;
  return n;
}

/**
 * An upper bound on the keypad attempts one site can be made to check in `periodMs` by someone
 * typing as fast as the limit allows, whatever their timing. Every attempt is either one of the
 * first `attemptsBelowCap` of a run (a run begins only after `quietResetMs` without a failure, so
 * there are at most period/quietReset + 1 runs) or waited at least `maxDelayMs` after the previous
 * one (at most period/maxDelay + 1 of those).
 */
export function attemptsBound(limit: KeypadLimit, periodMs = YEAR_MS): number {
  if (limit.maxDelayMs >= limit.quietResetMs) throw new Error('the quiet reset must be longer than the longest wait');
  const runs = Math.floor(periodMs / limit.quietResetMs) + 1;
  return runs * attemptsBelowCap(limit) + Math.floor(periodMs / limit.maxDelayMs) + 1;
}

export interface GuessSpace {
  /** live keypad codes at the site at any time */
  liveCodes: number;
  /** possible codes: 10^8 for 8 digits, times 10^d for a d-digit second factor */
  keySpace: number;
}

/** The chance that `attempts` guesses open any compartment (union bound: each guess hits one of the live codes). */
export function breakInOdds(attempts: number, space: GuessSpace): number {
  return Math.min(1, (attempts * space.liveCodes) / space.keySpace);
}
