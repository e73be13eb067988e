// Signing in with a phone number and a one-time SMS code (ADR 0026): how long a code lives, how many
// wrong tries it takes, how often codes may be sent, and what an attempt with a code means. Pure.
//
// A wrong guess counts against the code, so a stranger can spend someone's code, but never their
// account: the holder asks for a new code, which is sent at most `phoneIntervalSeconds` later.

export interface SmsSignInLimits {
  codeTtlMinutes: number;
  /** wrong tries one code takes before it is spent */
  codeMaxFailures: number;
  /** one code per phone per this many seconds, whoever asks */
  phoneIntervalSeconds: number;
  /** codes one address may ask for in an hour */
  addressCodesPerHour: number;
  /** wrong codes one address may send in an hour */
  addressFailuresPerHour: number;
  /** the terms' version recorded with each consent */
  termsVersion: string;
}

/** The phone's latest code, as the store keeps it. */
export interface SignInCodeState {
  expiresAt: Date;
  failures: number;
  usedAt: Date | null;
  spentAt: Date | null;
}

export type SignInCodeVerdict =
  | { ok: true }
  | { ok: false; code: 'invalid_code' | 'code_used' | 'code_expired' | 'code_spent'; message: string }
  | { ok: false; code: 'wrong_code'; message: string; attemptsLeft: number; spends: boolean };

/**
 * What typing `matches` (whether the code typed is the phone's latest code) means. What became of a
 * code (used, expired, spent) is told only to someone who typed it right; a wrong guess at a code
 * that cannot be used any more learns nothing.
 */
export function judgeSignInCode(
  latest: SignInCodeState | null,
  matches: boolean,
  now: Date,
  limits: Pick<SmsSignInLimits, 'codeMaxFailures'>,
): SignInCodeVerdict {
  const invalid = { ok: false, code: 'invalid_code', message: 'that code is not valid for this phone; ask for a new one' } as const;
  if (!latest) return invalid;
  const expired = latest.expiresAt.getTime() <= now.getTime();
  const spent = latest.spentAt !== null || latest.failures >= limits.codeMaxFailures;
  if (matches) {
    if (latest.usedAt) return { ok: false, code: 'code_used', message: 'this code was used already; ask for a new one' };
    if (spent) return { ok: false, code: 'code_spent', message: 'this code took too many wrong tries; ask for a new one' };
    if (expired) return { ok: false, code: 'code_expired', message: 'this code has expired; ask for a new one' };
    return { ok: true };
  }
  if (latest.usedAt || spent || expired) return invalid;
  const attemptsLeft = Math.max(0, limits.codeMaxFailures - latest.failures - 1);
  return {
    ok: false,
    code: 'wrong_code',
    message:
      attemptsLeft > 0 ? `wrong code; ${attemptsLeft} more tries with this code` : 'wrong code; this code is spent, ask for a new one',
    attemptsLeft,
    spends: attemptsLeft === 0,
  };
}

/** Six digits, leading zeros kept. */
export function formatSignInCode(n: number): string {
  return String(n % 1_000_000).padStart(6, '0');
}
