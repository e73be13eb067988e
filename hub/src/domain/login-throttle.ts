// How hard a sign-in is held back after wrong passwords (ADR 0017). Three counts, each with its own
// purpose, so that an attacker slows themselves down without locking the real user out:
// - per (account, address): consecutive failures; after a few free ones, each further failure makes
//   that pair wait twice as long as the last (capped). A success from that address clears it.
// - per address: failures over the last hour across every account; past the limit the address is
//   refused until the hour has passed (one address spraying many accounts).
// - per account: failures over the last hour from every address; past the threshold every attempt
//   at that account is answered more slowly, but never refused, so the real user still gets in.
export interface LoginThrottleLimits {
  /** consecutive failures of one (account, address) pair that cost nothing */
  freeFailures: number;
  /** the longest wait one pair is made to sit out, in seconds */
  maxDelaySeconds: number;
  /** failures one address may make in an hour, over every account */
  addressFailuresPerHour: number;
  /** failures at one account in an hour (from anywhere) after which every attempt is slowed */
  accountSlowAfter: number;
  /** the longest an attempt at a much-attacked account is held, in milliseconds */
  accountMaxSlowMs: number;
}

/** Seconds the pair must wait before its next attempt, after `consecutiveFailures` failures in a row. */
export function pairDelaySeconds(consecutiveFailures: number, limits: LoginThrottleLimits): number {
  const over = consecutiveFailures - limits.freeFailures;
  if (over <= 0) return 0;
  // 1, 2, 4, 8 … seconds; the exponent is capped first so a huge count cannot overflow to Infinity.
  return Math.min(2 ** Math.min(over - 1, 30), limits.maxDelaySeconds);
}

/** Whether an address has used up its failures for the hour. */
export function addressExhausted(failuresThisHour: number, limits: LoginThrottleLimits): boolean {
  return failuresThisHour >= limits.addressFailuresPerHour;
}

/** How long an attempt at the account is held before its password is checked: 0 until the threshold, then 250 ms more per failure. */
export function accountSlowdownMs(failuresThisHour: number, limits: LoginThrottleLimits): number {
  const over = failuresThisHour - limits.accountSlowAfter;
  if (over <= 0) return 0;
  return Math.min(over * 250, limits.accountMaxSlowMs);
}
