// The hub in-process on a real PostgreSQL and Redis: who may ask what, what bad input gets, how a
// kiosk proves itself, and the attempt limit on codes.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { io, type Socket } from 'socket.io-client';
import { ConfigError, loadConfig } from '@xinbao/hub/config';
import { signedHandshake } from '@xinbao/kiosk-agent/hub-link';
import { redisUrl, type TestDatabase } from '../support/db.js';
import { factorOf, hubApi, type Json, signIn } from '../support/http.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { applyPassed } from '../support/apply.js';

describe('hub: roles, input, kiosk handshake and code attempt limits', () => {
  let testHub: TestHub;
  let db: TestDatabase;
  let base = '';
  let siteId = '';
  let deviceId = '';
  const keys = generateKeyPairSync('ed25519');
  const sockets: Socket[] = [];

  const api = hubApi(() => base);
  const login = (username: string) => signIn(api, username);

  const connectKiosk = (auth: unknown) =>
    new Promise<{ socket: Socket; error?: string }>((resolve) => {
      const socket = io(`${base}/kiosk`, { transports: ['websocket'], auth: auth as object, reconnection: false });
      sockets.push(socket);
      socket.on('hello', () => resolve({ socket }));
      socket.on('connect_error', (e: Error & { data?: { code?: string } }) => resolve({ socket, error: e.data?.code ?? e.message }));
    });

  beforeAll(async () => {
    testHub = await startTestHub({ env: { CODE_MAX_FAILURES: '3' } });
    ({ db, url: base } = testHub);
    const admin = await login('ops.admin');
    siteId = ((await api('GET', '/api/sites', admin)).json.sites as Json[]).find((s) => s.code === 'own-hall')!.id as string;
    deviceId = (
      await api('POST', '/api/admin/kiosks', admin, {
        siteId,
        label: 't',
        publicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }),
      })
    ).json.deviceId as string;
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await testHub?.stop();
  });

  it('answers health only when PostgreSQL and Redis answer', async () => {
    const r = await api('GET', '/health');
    expect(r).toEqual({ status: 200, json: { postgres: 'ok', redis: 'ok' } });
  });

  it('answers 503 from health when Redis does not answer', async () => {
    const lost = new Redis(redisUrl(), { maxRetriesPerRequest: 0, retryStrategy: () => null });
    const second = await startTestHub({ db, redis: lost });
    lost.disconnect();
    const res = await fetch(`${second.url}/health`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ postgres: 'ok', redis: 'down' });
    await second.stop();
  });

  it('checks who is asking on every route', async () => {
    expect((await api('GET', '/api/sites')).status).toBe(401);
    expect((await api('POST', '/api/auth/login', undefined, { username: 'zhang.san', password: 'nope' })).status).toBe(401);
    const applicant = await login('zhang.san');
    const courier = await login('ems.courier');
    expect((await api('POST', '/api/intake/receive', applicant, { trackingNumber: 'XB000000000000' })).json.error.code).toBe('forbidden');
    expect((await api('POST', '/api/admin/kiosks', applicant, {})).status).toBe(403);
    expect((await api('POST', '/api/applications', courier, {})).status).toBe(403);
    expect((await api('GET', '/api/sites', 'not-a-token')).status).toBe(401);
  });

  it('answers bad input with a 4xx and a reason, and writes nothing', async () => {
    const applicant = await login('zhang.san');
    const before = (await db.pool.query('SELECT (SELECT count(*) FROM applications) + (SELECT count(*) FROM parcels) AS n')).rows[0].n;
    const badJson = await api('POST', '/api/applications', applicant, undefined, '{"matterCode":');
    expect(badJson).toMatchObject({ status: 400, json: { error: { code: 'bad_json' } } });
    const missing = await api('POST', '/api/applications', applicant, { matterCode: 'business-licence-change' });
    expect(missing.status).toBe(400);
    expect(missing.json.error.message).toContain('dropOff');
    const unknown = await api('POST', '/api/applications', applicant, { matterCode: 'nope', dropOff: { channel: 'own_kiosk', siteId } });
    expect(unknown.status).toBe(404);
    const noSite = await api('POST', '/api/applications', applicant, {
      matterCode: 'business-licence-change',
      dropOff: { channel: 'own_kiosk', siteId: randomUUID() },
    });
    expect(noSite.status).toBe(404);
    const staff = await login('hall.staff');
    expect((await api('POST', '/api/intake/receive', staff, { trackingNumber: 'XB123' })).json.error.code).toBe('bad_tracking_number');
    const after = (await db.pool.query('SELECT (SELECT count(*) FROM applications) + (SELECT count(*) FROM parcels) AS n')).rows[0].n;
    expect(after).toBe(before);
  });

  it('lets an applicant see only their own applications', async () => {
    const mine = await applyPassed(api, await login('zhang.san'), {
      matterCode: 'customs-declarant-record',
      dropOff: { channel: 'own_kiosk', siteId },
    });
    expect(mine.status).toBe(201);
    const other = await login('li.si');
    expect((await api('GET', `/api/applications/${mine.json.application.id}`, other)).status).toBe(404);
    expect((await api('GET', `/api/parcels/${mine.json.parcel.trackingNumber}`, other)).status).toBe(404);
    expect((await api('GET', `/api/parcels/${mine.json.parcel.trackingNumber}`, await login('hall.staff'))).status).toBe(200);
  });

  it('refuses a kiosk with a wrong key, a stale clock or a replayed handshake', async () => {
    const other = generateKeyPairSync('ed25519');
    expect((await connectKiosk(signedHandshake(deviceId, other.privateKey, Date.now()))).error).toBe('bad_credentials');
    expect((await connectKiosk(signedHandshake(randomUUID(), keys.privateKey, Date.now()))).error).toBe('bad_credentials');
    expect((await connectKiosk(signedHandshake(deviceId, keys.privateKey, Date.now() - 10 * 60_000))).error).toBe('clock_skew');
    expect((await connectKiosk({ deviceId })).error).toBe('bad_handshake');
    const h = signedHandshake(deviceId, keys.privateKey, Date.now());
    expect((await connectKiosk(h)).error).toBeUndefined();
    expect((await connectKiosk(h)).error).toBe('replayed');
    expect((await connectKiosk({ ...signedHandshake(deviceId, keys.privateKey, Date.now()), versions: [99] })).error).toBe(
      'unsupported_version',
    );
  });

  it('slows a kiosk keypad after too many wrong codes (never locks it), and answers a retried request with the same grant', async () => {
    const created = await applyPassed(api, await login('zhang.san'), {
      matterCode: 'business-licence-change',
      dropOff: { channel: 'own_kiosk', siteId },
    });
    const { socket } = await connectKiosk(signedHandshake(deviceId, keys.privateKey, Date.now()));
    const submit = (code: string, requestId: string = randomUUID()) =>
      socket.timeout(5_000).emitWithAck('code:submit', { requestId, via: 'keypad', code, factor: factorOf('zhang.san') }) as Promise<Json>;
    const requestId = randomUUID();
    const first = await submit(created.json.deposit.code as string, requestId);
    // The reply names the request it answers.
    expect(first).toMatchObject({ status: 'ok', requestId, data: { compartment: created.json.compartment, purpose: 'deposit' } });
    // A lost ack makes the kiosk ask again with the same request id: same command, nothing new written.
    expect(await submit(created.json.deposit.code as string, requestId)).toEqual(first);
    const used = await db.pool.query('SELECT count(*)::int AS n FROM custody_events WHERE parcel_id = $1 AND kind = $2', [
      created.json.parcel.id,
      'deposit_code_used',
    ]);
    expect(used.rows[0].n).toBe(1);

    for (let i = 0; i < 3; i++) expect((await submit('00000000')).error.code).toMatch(/code_invalid|code_used/);
    const second = await applyPassed(api, await login('zhang.san'), {
      matterCode: 'business-licence-change',
      dropOff: { channel: 'own_kiosk', siteId },
    });
    // Never a lock-out (ADR 0015): the keypad waits (2 s after the free failures), then the code opens.
    const slowed = (await submit(second.json.deposit.code as string)).error;
    expect(slowed).toMatchObject({ code: 'keypad_slowed', details: { retryAfterMs: expect.any(Number) } });
    expect(slowed.details.retryAfterMs).toBeLessThanOrEqual(2_000);
    await new Promise((r) => setTimeout(r, slowed.details.retryAfterMs + 50));
    expect((await submit(second.json.deposit.code as string)).status).toBe('ok');
  });

  it('stops with one clear message on bad configuration', () => {
    expect(() => loadConfig({ PORT: 'eighty', DATABASE_URL: 'not a url' })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'not a url' });
    } catch (e) {
      expect((e as Error).message).toMatch(/PORT[\s\S]*DATABASE_URL|DATABASE_URL[\s\S]*PORT/);
    }
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/production/);
  });
});
