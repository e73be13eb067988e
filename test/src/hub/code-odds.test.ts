// The odds ADR 0015 states, computed from the hub's configured keypad limit (its defaults): how many
// keypad guesses a year one site can be made to check, and the chance that they open any
// compartment of a site with 1,000 live 8-digit codes; and the worst wait a genuine keypad user
// can be made to suffer.
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '@xinbao/hub/config';
import { attemptsBelowCap, attemptsBound, breakInOdds, YEAR_MS } from '@xinbao/hub/domain/attempts';

describe('the keypad limit as configured, against a year of the fastest guessing (ADR 0015)', () => {
  const { keypadLimits } = loadConfig({ DATABASE_URL: 'postgres://u@127.0.0.1:5432/x' });
  const site = keypadLimits.site;
  const guesses = attemptsBound(site, YEAR_MS);
  const live = 1_000;
  const eightDigits = 1e8;

  it('lets through at most about 60,000 keypad guesses a year at one site, each waiting at most 10 minutes', () => {
    // 10 free, then 2 s doubling: 2,4,…,512 s below the 600 s cap → 19 per run; 366 runs (24 h quiet reset).
    expect(attemptsBelowCap(site)).toBe(site.freeFailures + 9);
    expect(guesses).toBe(366 * 19 + Math.floor(YEAR_MS / 600_000) + 1);
    expect(guesses).toBeLessThan(60_000);
    expect(Math.max(site.maxDelayMs, keypadLimits.device.maxDelayMs)).toBe(600_000);
  });

  it('meets 1 in a million only with a 6-digit second factor: the 8-digit code alone cannot', () => {
    const codeOnly = breakInOdds(guesses, { liveCodes: live, keySpace: eightDigits });
    const phone4 = breakInOdds(guesses, { liveCodes: live, keySpace: eightDigits * 1e4 });
    const phone6 = breakInOdds(guesses, { liveCodes: live, keySpace: eightDigits * 1e6 });
    expect(codeOnly).toBeGreaterThan(0.5); // ~0.6 a year: the keypad limit alone is nowhere near
    expect(phone4).toBeGreaterThan(1e-6); // ~6e-3
    expect(phone6).toBeLessThan(1e-6); // ~6e-7
    // Without a second factor the target needs fewer than 0.1 guesses a year per site: no delay a
    // genuine user could bear gives that.
    expect((1e-6 * eightDigits) / live).toBeCloseTo(0.1, 12);
  });
});
