// The keypad's attempt limit (ADR 0015), shared by the hub (per device and per site, in Redis) and
// the kiosk (per device, from its journal, while the hub is out of reach): the same numbers give the
// same waits online and offline. Wrong keypad codes never lock anything: after `freeFailures` of them
// each next keypad attempt must wait, the wait doubling from `firstDelayMs` up to `maxDelayMs`, and
// the count is forgotten after `quietResetMs` without a failure. QR codes are signed and never limited.
// Pure: the clock comes in.

export interface KeypadLimit {
  /** wrong keypad codes allowed without any wait */
  freeFailures: number;
  /** the wait after the first wrong code beyond the free ones; it doubles with each further one */
  firstDelayMs: number;
  /** the longest wait: the worst a genuine keypad user can be made to wait for the next attempt */
  maxDelayMs: number;
  /** the count starts again after this long without a wrong code */
  quietResetMs: number;
}

/** Wrong keypad codes in the current run, and when the last one was refused (epoch ms). */
export interface FailureCount {
  failures: number;
  lastAt: number | null;
}

export const NO_FAILURES: FailureCount = { failures: 0, lastAt: null };

/** How long after the last of `failures` wrong codes the next keypad attempt must wait. */
export function waitAfter(failures: number, limit: KeypadLimit): number {
  if (failures < limit.freeFailures) return 0;
  const doublings = failures - limit.freeFailures;
  // 2^doublings overflows nothing that matters: beyond ~40 it is far above any cap.
  return Math.min(limit.firstDelayMs * 2 ** Math.min(doublings, 40), limit.maxDelayMs);
}

/** The count as it stands at `now` (forgotten after a quiet spell). */
export function currentCount(count: FailureCount, now: number, limit: KeypadLimit): FailureCount {
  if (count.lastAt === null || now - count.lastAt >= limit.quietResetMs) return NO_FAILURES;
  return count;
}

/** Milliseconds the keypad must still wait at `now` (0: an attempt may be checked now). */
export function waitRemaining(count: FailureCount, now: number, limit: KeypadLimit): number {
  const c = currentCount(count, now, limit);
  if (c.lastAt === null) return 0;
  return Math.max(0, c.lastAt + waitAfter(c.failures, limit) - now);
}

/** The count after one more wrong code at `now`. */
export function afterFailure(count: FailureCount, now: number, limit: KeypadLimit): FailureCount {
  const c = currentCount(count, now, limit);
  return { failures: c.failures + 1, lastAt: now };
}

/** The count from a history of refusal times (the kiosk's journal), at `now`. */
export function countFromHistory(times: readonly number[], now: number, limit: KeypadLimit): FailureCount {
  let count = NO_FAILURES;
  for (const t of [...times].sort((a, b) => a - b)) if (t <= now) count = afterFailure(count, t, limit);
  return currentCount(count, now, limit);
}
