import { describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config.js';

const base = () => ({ DATA_DIR: mkdtempSync(join(tmpdir(), 'xinbao-config-')) });
const partner = {
  PARTNER_API_URL: 'http://127.0.0.1:9000',
  PARTNER_APP_ID: 'xinbao-hub',
  PARTNER_APP_SECRET: 'partner-app-secret-0001',
  PARTNER_WEBHOOK_SECRET: 'partner-webhook-secret-0001',
};

describe('partner network configuration', () => {
  it('is off when none of it is given', () => {
    expect(loadConfig(base()).partner).toBeNull();
  });

  it('takes the four together, with defaults for the rest', () => {
    expect(loadConfig({ ...base(), ...partner }).partner).toEqual({
      apiUrl: 'http://127.0.0.1:9000',
      appId: 'xinbao-hub',
      appSecret: 'partner-app-secret-0001',
      webhookSecret: 'partner-webhook-secret-0001',
      network: 'postal',
      callbackUrl: undefined,
      timeoutMs: 5_000,
      refreshIntervalMs: 900_000,
      reconcileIntervalMs: 60_000,
      reservationMinutes: 4_320,
      codeDelivery: 'sync',
      retry: { attempts: 10, baseMs: 1_000, maxMs: 900_000 },
    });
  });

  it('names what is missing when only some are given', () => {
    const { PARTNER_WEBHOOK_SECRET: _w, PARTNER_APP_SECRET: _s, ...some } = partner;
    expect(() => loadConfig({ ...base(), ...some })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base(), ...some })).toThrow(/missing: PARTNER_APP_SECRET, PARTNER_WEBHOOK_SECRET/);
  });

  it('refuses a bad network name, a reservation longer than the partner allows, and a backoff cap below its base', () => {
    expect(() => loadConfig({ ...base(), ...partner, PARTNER_NETWORK: 'own' })).toThrow(/PARTNER_NETWORK/);
    expect(() => loadConfig({ ...base(), ...partner, PARTNER_NETWORK: 'China Post' })).toThrow(/PARTNER_NETWORK/);
    expect(() => loadConfig({ ...base(), ...partner, PARTNER_RESERVATION_MINUTES: String(8 * 24 * 60) })).toThrow(
      /PARTNER_RESERVATION_MINUTES/,
    );
    expect(() => loadConfig({ ...base(), ...partner, PARTNER_RETRY_BASE_MS: '5000', PARTNER_RETRY_MAX_MS: '1000' })).toThrow(
      /PARTNER_RETRY_MAX_MS/,
    );
  });
});

describe('numbers out of range', () => {
  it.each([
    ['SWEEP_INTERVAL_MS', String(2 ** 31)],
    ['PARTNER_RECONCILE_INTERVAL_MS', String(2 ** 31)],
    ['CODE_FIRST_DELAY_MS', '3600001'],
    ['CODE_MAX_DELAY_SECONDS', '86401'],
    ['CODE_FAILURE_WINDOW_SECONDS', String(31 * 86_400)],
    ['PARTNER_RETRY_MAX_MS', '86400001'],
    ['SWEEP_INTERVAL_MS', '1.5'],
  ])('refuses %s=%s (a Node timer past 2^31 - 1 ms fires at once; times past their sense)', (name, value) => {
    expect(() => loadConfig({ ...base(), ...partner, [name]: value })).toThrow(new RegExp(name));
  });

  it('takes the largest allowed', () => {
    const c = loadConfig({
      ...base(),
      SWEEP_INTERVAL_MS: '86400000',
      CODE_MAX_DELAY_SECONDS: '86400',
      CODE_FAILURE_WINDOW_SECONDS: '2592000',
    });
    expect(c.sweepIntervalMs).toBe(86_400_000);
  });
});

describe('the hall timers', () => {
  it('flags a parcel never received after 4 hours by default, or after NEVER_RECEIVED_AFTER_HOURS; refuses nonsense', () => {
    expect(loadConfig(base()).neverReceivedAfterHours).toBe(4);
    expect(loadConfig({ ...base(), NEVER_RECEIVED_AFTER_HOURS: '1.5' }).neverReceivedAfterHours).toBe(1.5);
    expect(() => loadConfig({ ...base(), NEVER_RECEIVED_AFTER_HOURS: '0' })).toThrow(/NEVER_RECEIVED_AFTER_HOURS/);
    expect(() => loadConfig({ ...base(), NEVER_RECEIVED_AFTER_HOURS: 'soon' })).toThrow(/NEVER_RECEIVED_AFTER_HOURS/);
  });
});
