// What an SMS sign-in attempt means (ADR 0026): the right code signs in once, while it lives and
// has tries left; a wrong one counts against the code and spends it at the limit; what became of a
// code is told only to someone who typed it right.
import { describe, expect, it } from '@jest/globals';
import { formatSignInCode, judgeSignInCode, type SignInCodeState } from './sms-sign-in.js';

const NOW = new Date('2026-12-01T10:00:00Z');
const LIMITS = { codeMaxFailures: 3 };
const live = (over: Partial<SignInCodeState> = {}): SignInCodeState => ({
  expiresAt: new Date(NOW.getTime() + 60_000),
  failures: 0,
  usedAt: null,
  spentAt: null,
  ...over,
});

describe('SMS sign-in codes', () => {
  it('signs in with the right live code', () => {
    expect(judgeSignInCode(live(), true, NOW, LIMITS)).toEqual({ ok: true });
    expect(judgeSignInCode(live({ failures: 2 }), true, NOW, LIMITS)).toEqual({ ok: true });
  });

  it('tells the one who typed it right that the code was used, spent or expired', () => {
    expect(judgeSignInCode(live({ usedAt: NOW }), true, NOW, LIMITS)).toMatchObject({ ok: false, code: 'code_used' });
    expect(judgeSignInCode(live({ failures: 3 }), true, NOW, LIMITS)).toMatchObject({ ok: false, code: 'code_spent' });
    expect(judgeSignInCode(live({ spentAt: NOW }), true, NOW, LIMITS)).toMatchObject({ ok: false, code: 'code_spent' });
    expect(judgeSignInCode(live({ expiresAt: NOW }), true, NOW, LIMITS)).toMatchObject({ ok: false, code: 'code_expired' });
  });

  it('counts a wrong code against a live one, and spends it at the limit', () => {
    expect(judgeSignInCode(live(), false, NOW, LIMITS)).toMatchObject({ code: 'wrong_code', attemptsLeft: 2, spends: false });
    expect(judgeSignInCode(live({ failures: 1 }), false, NOW, LIMITS)).toMatchObject({ attemptsLeft: 1, spends: false });
    expect(judgeSignInCode(live({ failures: 2 }), false, NOW, LIMITS)).toMatchObject({ attemptsLeft: 0, spends: true });
  });

  it('tells a wrong guess nothing about a code that cannot be used, or a phone that has none', () => {
    for (const state of [live({ usedAt: NOW }), live({ failures: 3 }), live({ expiresAt: NOW }), null]) {
      expect(judgeSignInCode(state, false, NOW, LIMITS)).toMatchObject({ ok: false, code: 'invalid_code' });
    }
    expect(judgeSignInCode(null, true, NOW, LIMITS)).toMatchObject({ code: 'invalid_code' });
  });

  it('writes six digits, leading zeros kept', () => {
    expect(formatSignInCode(42)).toBe('000042');
    expect(formatSignInCode(999_999)).toBe('999999');
  });
});
