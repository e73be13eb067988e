// The odds ADR 0018 states (ADR 0015's, with the second factor), computed from the limits as they are
// really configured, not from numbers written here: the hub's keypad limit per site and per device
// (its defaults), the kiosk's offline limit (its defaults), and the keypad's guess space (the code's
// and the second factor's lengths in @xinbao/protocol). How many keypad guesses a year one site can
// be made to check, online and with a kiosk out of the hub's reach; the chance that they open any
// compartment of a site with 1,000 live codes; and the worst wait a genuine holder can be made to suffer.
import { describe, expect, it } from '@jest/globals';
import { KEYPAD_CODE_LENGTH, KEYPAD_FACTOR_LENGTH } from '@xinbao/protocol';
import { loadConfig } from '@xinbao/hub/config';
import { attemptsBelowCap, attemptsBound, breakInOdds, waitAfter, YEAR_MS } from '@xinbao/hub/domain/attempts';
import { keypadLimit } from '@xinbao/kiosk-agent/code-entry';
import { KioskConfig } from '@xinbao/kiosk-agent/config';

const TARGET = 1e-6;
const LIVE_CODES = 1_000;

describe('the keypad limit as configured, against a year of the fastest guessing (ADR 0015, ADR 0018)', () => {
  const { keypadLimits } = loadConfig({ DATABASE_URL: 'postgres://u@127.0.0.1:5432/x' });
  const site = keypadLimits.site;
  const guesses = attemptsBound(site, YEAR_MS);
  // The kiosk's own limit while the hub is out of reach, from its configuration's defaults.
  const { offline } = KioskConfig.parse({
    hubUrl: 'http://127.0.0.1:8080',
    deviceId: '6f1c2b8e-3d4a-4f5b-9c6d-7e8f9a0b1c2d',
    privateKeyFile: 'device.pem',
    dataDir: 'data',
    buses: [{ id: 'k', family: 'kerong', path: '/dev/ttyUSB0' }],
    compartments: [{ compartment: 1, bus: 'k', board: 0, lock: 0 }],
  });
  const kiosk = keypadLimit({
    maxFailures: offline.maxFailures,
    failureWindowMs: offline.failureWindowSeconds * 1000,
    firstDelayMs: offline.firstDelayMs,
    maxDelayMs: offline.maxDelaySeconds * 1000,
  });
  const codeSpace = 10 ** KEYPAD_CODE_LENGTH;
  const pairSpace = codeSpace * 10 ** KEYPAD_FACTOR_LENGTH;

  it('lets through at most about 60,000 keypad guesses a year at one site, each waiting at most 10 minutes', () => {
    // 10 free, then 2 s doubling: 2,4,…,512 s below the 600 s cap → 19 per run; 366 runs (24 h quiet reset).
    expect(attemptsBelowCap(site)).toBe(site.freeFailures + 9);
    expect(guesses).toBe(366 * 19 + Math.floor(YEAR_MS / 600_000) + 1);
    expect(guesses).toBeLessThan(60_000);
    expect(Math.max(site.maxDelayMs, keypadLimits.device.maxDelayMs)).toBe(600_000);
  });

  it('the kiosk offline applies the hub’s per-device numbers', () => {
    expect(kiosk).toEqual(keypadLimits.device);
  });

  it('keeps a year of the fastest guessing at a site with 1,000 live codes below 1 in a million, with the 6-digit second factor', () => {
    expect(KEYPAD_CODE_LENGTH).toBe(8);
    expect(KEYPAD_FACTOR_LENGTH).toBe(6);
    const withFactor = breakInOdds(guesses, { liveCodes: LIVE_CODES, keySpace: pairSpace });
    expect(withFactor).toBeLessThan(TARGET); // ≈ 6.0e-7
    expect(withFactor).toBeGreaterThan(TARGET / 10); // the bound is not vacuous: it is close to the target
    // The 8-digit code alone (before ADR 0018) was nowhere near: ≈ 0.6 a year.
    const codeOnly = breakInOdds(guesses, { liveCodes: LIVE_CODES, keySpace: codeSpace });
    expect(codeOnly).toBeGreaterThan(0.5);
    // Four digits of the phone would not do either (≈ 6e-3).
    expect(breakInOdds(guesses, { liveCodes: LIVE_CODES, keySpace: codeSpace * 1e4 })).toBeGreaterThan(TARGET);
  });

  it('keeps one kiosk cut off from the hub for a whole year below 1 in a million too, and says how much offline time a site can bear', () => {
    // Offline a kiosk counts only its own failures (its journal), under the per-device limit.
    const perKioskYear = attemptsBound(kiosk, YEAR_MS);
    expect(attemptsBelowCap(kiosk)).toBe(kiosk.freeFailures + 9);
    const oneKioskOffline = breakInOdds(perKioskYear, { liveCodes: LIVE_CODES, keySpace: pairSpace });
    expect(oneKioskOffline).toBeLessThan(TARGET); // ≈ 5.8e-7
    // Online and offline guesses add up. What the target leaves after a year online at the site, in
    // kiosk-hours out of the hub's reach at the cap's pace (each further run adds its first attempts).
    const spare = (TARGET * pairSpace) / LIVE_CODES - guesses;
    const perHourAtCap = 3_600_000 / kiosk.maxDelayMs;
    const perDayOffline = perHourAtCap * 24 + attemptsBelowCap(kiosk);
    const kioskDays = spare / perDayOffline;
    expect(kioskDays).toBeGreaterThan(250); // ≈ 256 kiosk-days a year out of reach, on top of a year online
  });

  it('makes a genuine holder wait at most the cap, and a signed QR not at all', () => {
    // The worst delay before a genuine keypad entry is checked: the longest wait, online or off.
    const worst = Math.max(site.maxDelayMs, keypadLimits.device.maxDelayMs, kiosk.maxDelayMs);
    expect(worst).toBe(600_000);
    // The limits never lock: after any number of failures the wait is still the cap.
    for (const limit of [site, keypadLimits.device, kiosk]) expect(waitAfter(1_000_000, limit)).toBe(limit.maxDelayMs);
  });
});
