// Signing in with a phone number and a one-time SMS code (issue 12, ADR 0026), the hub in-process on
// real PostgreSQL and Redis with the SMS gateway simulator: a new phone gets an applicant account and
// the same session as a password sign-in, with its consent recorded; a code is refused when reused,
// expired, wrong (and spent after a few wrong tries, the holder back in after a short wait), or sent
// to another phone; staff and couriers never get a code; codes are kept only as keyed hashes; sends
// and wrong codes are limited per phone and per address.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomInt } from 'node:crypto';
import { SmsSignInThrottle } from '@xinbao/hub/features/auth/sms-throttle';
import { startSmsGatewaySimulator, type SmsGatewaySimulator } from '@xinbao/simulators/sms-gateway';
import { DEMO_USERS } from '@xinbao/hub/store/seed';
import type { Json } from '../support/http.js';
import { freshQueuePrefix, startTestHub, type TestHub } from '../support/hub.js';
import { eventually } from '../support/eventually.js';

const SECRET = 'sms-secret-for-sign-in-tests';
const phoneOf = (username: string) => DEMO_USERS.find((u) => u.username === username)!.phone;
const CONSENT = { terms: true, lockerDelivery: true };

describe('hub: SMS sign-in for applicants', () => {
  let hub: TestHub;
  let sms: SmsGatewaySimulator;
  let clockOffsetMs = 0;

  beforeAll(async () => {
    sms = await startSmsGatewaySimulator({ secret: SECRET });
    hub = await startTestHub({
      env: {
        SMS_GATEWAY_URL: sms.url,
        SMS_GATEWAY_SECRET: SECRET,
        SMS_CODE_PHONE_INTERVAL_SECONDS: '1',
        SMS_CODE_ADDRESS_PER_HOUR: '10000',
        SMS_LOGIN_ADDRESS_FAILURES_PER_HOUR: '10000',
        TERMS_VERSION: 'terms-2026-12',
      },
      deps: { now: () => new Date(Date.now() + clockOffsetMs) },
    });
  });
  afterAll(async () => {
    await hub?.stop();
    await sms?.stop();
  });

  /** A mobile number nobody in this file has used. */
  const newPhone = () => `139${String(randomInt(0, 100_000_000)).padStart(8, '0')}`;
  const askCode = (phone: string) => hub.api('POST', '/api/auth/sms-code', undefined, { phone });
  const login = (phone: string, code: string, extra: Json = {}) =>
    hub.api('POST', '/api/auth/sms-login', undefined, { phone, code, consent: CONSENT, ...extra });
  /** The code in the phone's latest SMS. */
  const codeSentTo = (phone: string) => {
    const text = sms.inboxOf(phone).at(-1)?.text ?? '';
    const code = /验证码为 (\d{6})/.exec(text)?.[1];
    if (!code) throw new Error(`no sign-in code was sent to ${phone}`);
    return code;
  };
  /** Asks for a code, waiting out the phone's interval if one was just sent; the code. */
  const freshCode = async (phone: string) => {
    const before = sms.inboxOf(phone).length;
    await eventually(async () => (await askCode(phone)).status === 202, 'a new code sent', { timeoutMs: 5_000, intervalMs: 200 });
    expect(sms.inboxOf(phone)).toHaveLength(before + 1);
    return codeSentTo(phone);
  };
  const otherCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

  it('signs a new phone in as a new applicant, with the same session as a password sign-in and its consent recorded', async () => {
    const phone = newPhone();
    const asked = await askCode(phone);
    expect(asked).toEqual({ status: 202, json: { sent: true, expiresInSeconds: 300, resendAfterSeconds: 1 } });
    expect(JSON.stringify(asked.json)).not.toContain(codeSentTo(phone));
    expect(sms.inboxOf(phone)[0]!.text).toMatch(/^【政务服务】您的登录验证码为 \d{6}，5 分钟内有效/);

    const r = await login(phone, codeSentTo(phone), { consent: { terms: true, lockerDelivery: false }, language: 'en' });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      token: expect.any(String),
      newAccount: true,
      user: { role: 'applicant' },
      sessionId: expect.any(String),
    });
    const me = await hub.api('GET', '/api/me', r.json.token as string);
    expect(me).toMatchObject({ status: 200, json: { user: { id: r.json.user.id, role: 'applicant' } } });
    const sessions = await hub.api('GET', '/api/auth/sessions', r.json.token as string);
    expect(sessions.json.sessions).toEqual([expect.objectContaining({ id: r.json.sessionId, current: true })]);
    const user = (await hub.db.pool.query('SELECT phone, language, role FROM users WHERE id = $1', [r.json.user.id])).rows[0];
    expect(user).toEqual({ phone, language: 'en', role: 'applicant' });
    const consent = await hub.db.pool.query(
      'SELECT terms, locker_delivery AS "lockerDelivery", terms_version AS version, via, at FROM applicant_consents WHERE user_id = $1',
      [r.json.user.id],
    );
    expect(consent.rows).toEqual([
      { terms: true, lockerDelivery: false, version: 'terms-2026-12', via: 'sms_sign_in', at: expect.any(Date) },
    ]);
    // A password sign-in never works for such an account.
    const pw = await hub.api('POST', '/api/auth/login', undefined, { username: r.json.user.username, password: 'none' });
    expect(pw.status).toBe(401);

    // The same phone again: the same account, another consent row.
    const again = await login(phone, await freshCode(phone));
    expect(again.json).toMatchObject({ newAccount: false, user: { id: r.json.user.id } });
    expect(
      (await hub.db.pool.query('SELECT count(*)::int AS n FROM applicant_consents WHERE user_id = $1', [r.json.user.id])).rows[0].n,
    ).toBe(2);
  });

  it('signs a seeded applicant into their own account by the phone on file', async () => {
    const phone = phoneOf('zhang.san');
    const r = await login(phone, await freshCode(phone));
    expect(r.json).toMatchObject({ newAccount: false, user: { username: 'zhang.san', role: 'applicant' } });
    const apps = await hub.api('GET', '/api/me/notices', r.json.token as string);
    expect(apps.status).toBe(200);
  });

  it('refuses a code used already', async () => {
    const phone = newPhone();
    const code = await freshCode(phone);
    expect((await login(phone, code)).status).toBe(200);
    expect(await login(phone, code)).toMatchObject({ status: 401, json: { error: { code: 'code_used' } } });
  });

  it('refuses an expired code', async () => {
    const phone = newPhone();
    const code = await freshCode(phone);
    clockOffsetMs = 5 * 60_000 + 1_000;
    try {
      expect(await login(phone, code)).toMatchObject({ status: 401, json: { error: { code: 'code_expired' } } });
    } finally {
      clockOffsetMs = 0;
    }
    // Only the latest code counts: an earlier one is now a wrong code (one chance in a million it is the same).
    const first = await freshCode(phone);
    const second = await freshCode(phone);
    if (first !== second) expect(await login(phone, first)).toMatchObject({ status: 401, json: { error: { code: 'wrong_code' } } });
    expect((await login(phone, second)).status).toBe(200);
  });

  it('limits wrong codes: each counts, the code is spent at the limit, and its holder is back in after a short wait', async () => {
    const phone = newPhone();
    const code = await freshCode(phone);
    const wrong = otherCode(code);
    for (const left of [4, 3, 2, 1, 0]) {
      expect(await login(phone, wrong)).toMatchObject({
        status: 401,
        json: { error: { code: 'wrong_code', details: { attemptsLeft: left } } },
      });
    }
    // Spent by a stranger's guesses: the right code no longer works, and more guesses learn nothing.
    expect(await login(phone, code)).toMatchObject({ status: 401, json: { error: { code: 'code_spent' } } });
    expect(await login(phone, wrong)).toMatchObject({ status: 401, json: { error: { code: 'invalid_code' } } });
    // The holder asks again (at most the phone's interval later) and signs in.
    const started = Date.now();
    const fresh = await freshCode(phone);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect((await login(phone, fresh)).status).toBe(200);
  });

  it('does not sign in with someone else’s code: a code is bound to the phone it was sent to', async () => {
    const mine = newPhone();
    const victim = phoneOf('li.si');
    // A stranger asks for a code for li.si's phone: it goes to her phone only, not to the asker.
    const asked = await askCode(victim);
    expect(asked.status).toBe(202);
    expect(JSON.stringify(asked.json)).not.toMatch(/\d{6}/);
    // The stranger's own code does not open li.si's account.
    const code = await freshCode(mine);
    expect(await login(victim, code)).toMatchObject({ status: 401 });
    expect((await login(mine, code)).json.user.username).not.toBe('li.si');
  });

  it('sends no code to staff, couriers or admins (the answer is the same) and refuses them SMS sign-in', async () => {
    for (const username of ['hall.staff', 'ems.courier', 'ops.admin']) {
      const phone = phoneOf(username);
      const r = await askCode(phone);
      expect(r).toEqual({ status: 202, json: { sent: true, expiresInSeconds: 300, resendAfterSeconds: 1 } });
      expect(sms.inboxOf(phone)).toHaveLength(0);
      expect(await login(phone, '123456')).toMatchObject({ status: 401, json: { error: { code: 'invalid_code' } } });
    }
    // A phone that became a courier's after its code was sent: the right code is still refused.
    const phone = newPhone();
    const code = await freshCode(phone);
    await hub.db.pool.query(`UPDATE users SET phone = $1 WHERE username = 'ems.courier'`, [phone]);
    try {
      expect(await login(phone, code)).toMatchObject({ status: 403, json: { error: { code: 'forbidden' } } });
      expect((await hub.db.pool.query(`SELECT count(*)::int AS n FROM users WHERE phone = $1`, [phone])).rows[0].n).toBe(1);
    } finally {
      await hub.db.pool.query(`UPDATE users SET phone = $1 WHERE username = 'ems.courier'`, [phoneOf('ems.courier')]);
    }
  });

  it('keeps only keyed hashes of codes and phones', async () => {
    const phone = newPhone();
    const code = await freshCode(phone);
    const rows = (await hub.db.pool.query('SELECT * FROM sms_sign_in_codes')).rows;
    const all = JSON.stringify(rows);
    expect(rows.length).toBeGreaterThan(0);
    expect(all).not.toContain(phone);
    expect(all).not.toContain(code);
  });

  it('refuses bodies that are not a sign-in: a bad phone, terms not accepted, unknown fields', async () => {
    expect(await hub.api('POST', '/api/auth/sms-code', undefined, { phone: '12345' })).toMatchObject({
      status: 400,
      json: { error: { code: 'invalid_phone' } },
    });
    expect(await hub.api('POST', '/api/auth/sms-code', undefined, { phone: newPhone(), extra: 1 })).toMatchObject({
      status: 400,
      json: { error: { code: 'unknown_field' } },
    });
    const phone = newPhone();
    for (const consent of [{ terms: false, lockerDelivery: true }, { lockerDelivery: true }, undefined]) {
      const r = await hub.api('POST', '/api/auth/sms-login', undefined, { phone, code: '123456', consent });
      expect(r.status).toBe(400);
    }
    expect((await hub.api('POST', '/api/auth/sms-login', undefined, { phone, code: '12345', consent: CONSENT })).status).toBe(400);
  });

  it('sends one code per phone per interval (429 with Retry-After), and says so when the gateway is down', async () => {
    const phone = newPhone();
    expect((await askCode(phone)).status).toBe(202);
    const again = await fetch(`${hub.url}/api/auth/sms-code`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phone }),
    });
    expect(again.status).toBe(429);
    expect(Number(again.headers.get('retry-after'))).toBeLessThanOrEqual(1);
    expect(((await again.json()) as Json).error.code).toBe('too_many_codes');
    expect(sms.inboxOf(phone)).toHaveLength(1);

    const down = newPhone();
    sms.setFaults({ failNext: 1 });
    expect(await askCode(down)).toMatchObject({ status: 503, json: { error: { code: 'sms_unavailable' } } });
    expect(sms.inboxOf(down)).toHaveLength(0);
    expect((await login(down, await freshCode(down))).status).toBe(200);
  });

  it('limits the codes one address asks for and the wrong codes it sends, per hour, on the shared Redis', async () => {
    const throttle = new SmsSignInThrottle(hub.redis, freshQueuePrefix(), {
      phoneIntervalSeconds: 60,
      addressCodesPerHour: 2,
      addressFailuresPerHour: 2,
    });
    await throttle.admitCode(newPhone(), '203.0.113.7');
    await throttle.admitCode(newPhone(), '203.0.113.7');
    await expect(throttle.admitCode(newPhone(), '203.0.113.7')).rejects.toMatchObject({ statusCode: 429, code: 'too_many_codes' });
    await throttle.admitCode(newPhone(), '203.0.113.8');
    await throttle.admitLogin('203.0.113.7');
    await throttle.loginFailed('203.0.113.7');
    await throttle.loginFailed('203.0.113.7');
    await expect(throttle.admitLogin('203.0.113.7')).rejects.toMatchObject({ statusCode: 429, code: 'too_many_attempts' });
    await throttle.admitLogin('203.0.113.8');
  });
});
