// Sign-in throttling and sessions, on the hub in-process with real PostgreSQL and Redis. Client
// addresses are real: each "client" binds its own loopback address (127.0.0.x), so the hub sees
// the attacker and the genuine user as different peers, as it would on the internet.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from 'node:http';
import { DEMO_PASSWORD, type Json } from '../support/http.js';
import { startTestHub, type TestHub } from '../support/hub.js';

interface Answer {
  status: number;
  retryAfter: number | null;
  json: Json;
  ms: number;
}

describe('hub: sign-in throttling and sessions', () => {
  let testHub: TestHub;
  let port = 0;

  /** One request from the given loopback address. */
  const call = (
    from: string,
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; userAgent?: string } = {},
  ): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const started = Date.now();
      const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method,
          path,
          localAddress: from,
          headers: {
            ...(payload !== undefined && { 'content-type': 'application/json' }),
            ...(opts.token && { authorization: `Bearer ${opts.token}` }),
            'user-agent': opts.userAgent ?? 'jest',
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => {
            const ra = res.headers['retry-after'];
            resolve({
              status: res.statusCode ?? 0,
              retryAfter: ra === undefined ? null : Number(ra),
              json: text ? (JSON.parse(text) as Json) : {},
              ms: Date.now() - started,
            });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  const login = (from: string, username: string, password: string, userAgent?: string) =>
    call(from, 'POST', '/api/auth/login', { body: { username, password }, ...(userAgent && { userAgent }) });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    testHub = await startTestHub({
      env: {
        LOGIN_FREE_FAILURES: '3',
        LOGIN_ADDRESS_MAX_FAILURES: '30',
        LOGIN_ACCOUNT_SLOW_AFTER: '8',
        LOGIN_ACCOUNT_MAX_SLOW_MS: '2000',
      },
    });
    port = Number(new URL(testHub.url).port);
  });

  afterAll(async () => {
    await testHub?.stop();
  });

  it('answers 200 wrong passwords with growing waits and 429s, while the genuine user from another address signs in', async () => {
    const attacker = '127.0.0.2';
    const answers: Answer[] = [];
    for (let i = 0; i < 200; i++) answers.push(await login(attacker, 'zhang.san', `guess-${i}`));
    const wrong = answers.filter((a) => a.status === 401);
    const throttled = answers.filter((a) => a.status === 429);
    expect(wrong.length + throttled.length).toBe(200);
    // A few wrong passwords cost nothing; after that the password is not even checked while the wait runs.
    expect(wrong.length).toBeGreaterThanOrEqual(4);
    expect(wrong.length).toBeLessThan(10);
    expect(wrong.slice(0, 3).map((a) => a.retryAfter)).toEqual([null, null, null]);
    expect(wrong[3]!.retryAfter).toBe(1);
    for (const a of throttled) {
      expect(a.retryAfter).toBeGreaterThanOrEqual(1);
      expect(a.json).toEqual({
        error: {
          code: 'too_many_attempts',
          message: expect.stringContaining('try again'),
          details: { retryAfterSeconds: a.retryAfter },
          requestId: expect.any(String),
        },
      });
    }

    // The genuine user, from their own address, is not locked out.
    const genuine = await login('127.0.0.1', 'zhang.san', DEMO_PASSWORD);
    expect(genuine.status).toBe(200);
    expect(genuine.json.token).toEqual(expect.any(String));

    // Each wrong password sat out makes the next wait twice as long.
    const waits: number[] = [wrong.at(-1)!.retryAfter!];
    for (let round = 0; round < 2; round++) {
      await sleep(waits.at(-1)! * 1000 + 150);
      const next = await login(attacker, 'zhang.san', `late-guess-${round}`);
      expect(next.status).toBe(401);
      waits.push(next.retryAfter!);
    }
    expect(waits[1]).toBe(waits[0]! * 2);
    expect(waits[2]).toBe(waits[1]! * 2);
    // While it waits, even the right password from the attacker's address is not tried.
    const rightDuringWait = await login(attacker, 'zhang.san', DEMO_PASSWORD);
    expect(rightDuringWait.status).toBe(429);
    expect(rightDuringWait.retryAfter).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('clears an address’s record against an account when the right password comes from it', async () => {
    const from = '127.0.0.3';
    for (let i = 0; i < 4; i++) expect((await login(from, 'hall.staff', `nope-${i}`)).status).toBe(401);
    expect((await login(from, 'hall.staff', DEMO_PASSWORD)).status).toBe(429);
    await sleep(1_150);
    expect((await login(from, 'hall.staff', DEMO_PASSWORD)).status).toBe(200);
    // A fresh start: the next wrong password is one of the free ones again.
    const after = await login(from, 'hall.staff', 'nope-again');
    expect(after).toMatchObject({ status: 401, retryAfter: null });
  }, 30_000);

  it('refuses an address that sprays many accounts once it used its hour up, and only that address', async () => {
    const sprayer = '127.0.0.4';
    const statuses: number[] = [];
    // 30 failures: one per made-up account, so no single pair ever waits.
    for (let i = 0; i < 32; i++) statuses.push((await login(sprayer, `nobody-${i}`, 'x')).status);
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(30)).toEqual([429, 429]);
    const refused = await login(sprayer, 'li.si', DEMO_PASSWORD);
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBeGreaterThan(3_000);
    expect((await login('127.0.0.5', 'li.si', DEMO_PASSWORD)).status).toBe(200);
  }, 30_000);

  it('slows down, but never refuses, an account attacked from many addresses', async () => {
    // 12 failures at ems.courier from 3 addresses (4 each: each pair's first wait only just begins).
    for (let a = 10; a < 13; a++)
      for (let i = 0; i < 4; i++) expect((await login(`127.0.1.${a}`, 'ems.courier', `x${i}`)).status).toBe(401);
    const genuine = await login('127.0.0.1', 'ems.courier', DEMO_PASSWORD);
    expect(genuine.status).toBe(200);
    // 12 - 8 = 4 over the threshold: held 1 s before the password was checked.
    expect(genuine.ms).toBeGreaterThanOrEqual(1_000);
  }, 60_000);

  it('lists a user’s own sessions, ends one, and ends them all', async () => {
    const home = await login('127.0.0.1', 'li.si', DEMO_PASSWORD, 'Mozilla/5.0 (phone)');
    const office = await login('127.0.0.6', 'li.si', DEMO_PASSWORD, 'Mozilla/5.0 (desktop)');
    const other = await login('127.0.0.1', 'zhang.san', DEMO_PASSWORD);
    const [h, o, z] = [home.json.token as string, office.json.token as string, other.json.token as string];

    const list = await call('127.0.0.1', 'GET', '/api/auth/sessions', { token: h });
    expect(list.status).toBe(200);
    const sessions = list.json.sessions as Json[];
    const mine = sessions.find((s) => s.current === true)!;
    const theirs = sessions.find((s) => s.userAgent === 'Mozilla/5.0 (desktop)')!;
    expect(mine).toMatchObject({ address: '127.0.0.x', userAgent: 'Mozilla/5.0 (phone)', id: home.json.sessionId });
    expect(theirs).toMatchObject({ address: '127.0.0.x', current: false, id: office.json.sessionId });
    for (const s of [mine, theirs]) {
      expect(new Date(s.createdAt as string).getTime()).toBeGreaterThan(Date.now() - 60_000);
      expect(s.lastUsedAt).toEqual(expect.any(String));
      expect(s.expiresAt).toEqual(expect.any(String));
    }
    // Only the owner's sessions, and no token (nor its hash) in the answer.
    expect(sessions.every((s) => s.id !== other.json.sessionId)).toBe(true);
    expect(JSON.stringify(list.json)).not.toContain(h);
    expect(Object.keys(mine).sort()).toEqual(['address', 'createdAt', 'current', 'expiresAt', 'id', 'lastUsedAt', 'userAgent']);

    // Someone else's session cannot be ended (nor learned of).
    expect((await call('127.0.0.1', 'DELETE', `/api/auth/sessions/${other.json.sessionId}`, { token: h })).status).toBe(404);
    expect((await call('127.0.0.1', 'GET', '/api/me', { token: z })).status).toBe(200);

    // Logout ends this token at once; the other session lives on.
    expect((await call('127.0.0.1', 'POST', '/api/auth/logout', { token: h })).status).toBe(204);
    expect((await call('127.0.0.1', 'GET', '/api/me', { token: h })).json).toEqual({
      error: { code: 'unauthorized', message: 'sign in first', requestId: expect.any(String) },
    });
    expect((await call('127.0.0.6', 'GET', '/api/me', { token: o })).status).toBe(200);

    // Ending one session by its id.
    const third = (await login('127.0.0.1', 'li.si', DEMO_PASSWORD)).json;
    expect((await call('127.0.0.6', 'DELETE', `/api/auth/sessions/${third.sessionId}`, { token: o })).status).toBe(204);
    expect((await call('127.0.0.1', 'GET', '/api/me', { token: third.token as string })).status).toBe(401);

    // Everywhere: every session of li.si, none of zhang.san's.
    const fourth = (await login('127.0.0.1', 'li.si', DEMO_PASSWORD)).json.token as string;
    const live = (await call('127.0.0.6', 'GET', '/api/auth/sessions', { token: o })).json.sessions as Json[];
    expect(live.length).toBeGreaterThanOrEqual(2);
    const everywhere = await call('127.0.0.6', 'POST', '/api/auth/logout-everywhere', { token: o });
    expect(everywhere).toMatchObject({ status: 200, json: { ended: live.length } });
    for (const t of [o, fourth]) expect((await call('127.0.0.1', 'GET', '/api/me', { token: t })).status).toBe(401);
    expect((await call('127.0.0.1', 'GET', '/api/me', { token: z })).status).toBe(200);
    const rows = await testHub.db.pool.query(
      `SELECT count(*)::int AS n FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = 'li.si'`,
    );
    expect(rows.rows[0].n).toBe(0);
  });

  it('needs a session for the session routes', async () => {
    expect((await call('127.0.0.1', 'POST', '/api/auth/logout')).status).toBe(401);
    expect((await call('127.0.0.1', 'GET', '/api/auth/sessions')).status).toBe(401);
    const t = (await login('127.0.0.1', 'zhang.san', DEMO_PASSWORD)).json.token as string;
    expect((await call('127.0.0.1', 'DELETE', '/api/auth/sessions/not-a-uuid', { token: t })).status).toBe(400);
  });
});
