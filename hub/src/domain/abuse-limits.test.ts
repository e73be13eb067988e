// Table tests of the abuse limits' rules (ADR 0017): sign-in waits, the open-deposit limit, the
// masking of session addresses and the compartment release.
import { describe, expect, it } from '@jest/globals';
import { applyCompartmentMove } from './compartments.js';
import { accountSlowdownMs, addressExhausted, pairDelaySeconds, type LoginThrottleLimits } from './login-throttle.js';
import { judgeNewDeposit } from './open-deposits.js';
import { maskAddress, trimUserAgent } from './sessions.js';

const limits: LoginThrottleLimits = {
  freeFailures: 3,
  maxDelaySeconds: 900,
  addressFailuresPerHour: 100,
  accountSlowAfter: 20,
  accountMaxSlowMs: 3_000,
};

describe('sign-in throttling', () => {
  it.each([
    [0, 0],
    [1, 0],
    [3, 0],
    [4, 1],
    [5, 2],
    [6, 4],
    [10, 64],
    [13, 512],
    [14, 900],
    [200, 900],
    [1e9, 900],
  ])('after %i wrong passwords in a row from one address, the next waits %i s', (failures, wait) => {
    expect(pairDelaySeconds(failures, limits)).toBe(wait);
  });

  it('grows the wait with every failure until the cap', () => {
    const waits = Array.from({ length: 20 }, (_, i) => pairDelaySeconds(i + 1, limits));
    for (let i = 1; i < waits.length; i++) expect(waits[i]).toBeGreaterThanOrEqual(waits[i - 1]!);
    expect(waits.at(-1)).toBe(limits.maxDelaySeconds);
  });

  it('refuses an address only once it used up its hour', () => {
    expect(addressExhausted(99, limits)).toBe(false);
    expect(addressExhausted(100, limits)).toBe(true);
  });

  it.each([
    [0, 0],
    [20, 0],
    [21, 250],
    [24, 1_000],
    [32, 3_000],
    [10_000, 3_000],
  ])('an account with %i failures this hour holds each attempt %i ms (never refuses)', (failures, ms) => {
    expect(accountSlowdownMs(failures, limits)).toBe(ms);
  });
});

describe('open deposits per applicant', () => {
  const l = { perSite: 2, overall: 5 };
  it.each([
    [{ atSite: 0, overall: 0 }, true, null],
    [{ atSite: 1, overall: 4 }, true, null],
    [{ atSite: 2, overall: 2 }, false, 'open_deposits_at_site'],
    [{ atSite: 0, overall: 5 }, false, 'open_deposits'],
    [{ atSite: 3, overall: 9 }, false, 'open_deposits_at_site'],
  ])('%j → ok %s (%s)', (open, ok, code) => {
    const v = judgeNewDeposit(open, l);
    expect(v.ok).toBe(ok);
    if (!v.ok) {
      expect(v.code).toBe(code);
      expect(v.message).toMatch(/at most|the most/);
    }
  });
});

describe('session addresses', () => {
  it.each([
    ['203.0.113.57', '203.0.113.x'],
    ['::ffff:10.1.2.3', '10.1.2.x'],
    ['2001:db8:1:2::5', '2001:db8:1::x'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8:0::x'],
    ['::1', '0:0:0::x'],
    ['not an address', 'unknown'],
    ['1.2.3.999', 'unknown'],
    ['fe80::1%eth0', 'unknown'],
    ['1:2:3:4:5:6:7', 'unknown'],
    ['1::2::3', 'unknown'],
    [undefined, 'unknown'],
  ])('%s is shown as %s', (address, shown) => {
    expect(maskAddress(address)).toBe(shown);
  });

  it('keeps a user agent printable and short', () => {
    expect(trimUserAgent('curl/8.5.0\u0000\r\n')).toBe('curl/8.5.0');
    expect(trimUserAgent('x'.repeat(500))).toHaveLength(200);
    expect(trimUserAgent('  ')).toBeNull();
    expect(trimUserAgent(undefined)).toBeNull();
  });
});

describe('compartment release', () => {
  it('frees a reserved compartment and nothing else', () => {
    expect(applyCompartmentMove('reserved', 'release')).toEqual({ ok: true, to: 'free' });
    for (const s of ['free', 'occupied', 'open', 'faulty'] as const) expect(applyCompartmentMove(s, 'release').ok).toBe(false);
  });
});
