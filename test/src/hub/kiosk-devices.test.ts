// Operators' control over kiosk devices, and a site's online state, across two hub processes on one
// database and one Redis: a deactivated device's live socket is cut at once wherever it is connected
// and its handshakes are refused; a rotated key replaces the old; a site stays online while any of its
// devices is connected to any hub process.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { pino } from 'pino';
import { io, type Socket } from 'socket.io-client';
import { cutDevice } from '@xinbao/hub/features/kiosk/namespace';
import { KioskPresence } from '@xinbao/hub/features/kiosk/presence';
import { signedHandshake } from '@xinbao/kiosk-agent/hub-link';
import { eventually } from '../support/eventually.js';
import { signIn, type Json } from '../support/http.js';
import { startTestHub, type TestHub } from '../support/hub.js';

describe('hub: kiosk devices deactivated and re-keyed, site presence', () => {
  let one: TestHub;
  let two: TestHub;
  let admin = '';
  const sockets: Socket[] = [];
  const sites = new Map<string, string>();

  /** Connects a device to a hub; resolves once it is in (hello) or refused (the refusal's code). */
  const connect = (hub: TestHub, deviceId: string, key: KeyObject) =>
    new Promise<{ socket: Socket; error?: string; disconnected: Promise<string> }>((resolve) => {
      const socket = io(`${hub.url}/kiosk`, {
        transports: ['websocket'],
        auth: signedHandshake(deviceId, key, Date.now()) as object,
        reconnection: false,
      });
      sockets.push(socket);
      const disconnected = new Promise<string>((r) => socket.on('disconnect', (reason) => r(reason)));
      socket.on('hello', () => resolve({ socket, disconnected }));
      socket.on('connect_error', (e: Error & { data?: { code?: string } }) =>
        resolve({ socket, error: e.data?.code ?? e.message, disconnected }),
      );
    });

  const register = async (site: string) => {
    const keys = generateKeyPairSync('ed25519');
    const r = await one.api('POST', '/api/admin/kiosks', admin, {
      siteId: sites.get(site),
      label: `${site} ${randomUUID().slice(0, 4)}`,
      publicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }),
    });
    expect(r.status).toBe(201);
    return { deviceId: r.json.deviceId as string, keys };
  };

  const online = async (site: string) =>
    (await one.db.pool.query<{ online: boolean }>('SELECT online FROM sites WHERE id = $1', [sites.get(site)])).rows[0]!.online;

  beforeAll(async () => {
    one = await startTestHub();
    two = await startTestHub({ db: one.db });
    admin = await signIn(one.api, 'ops.admin');
    for (const s of (await one.api('GET', '/api/sites', admin)).json.sites as Json[]) sites.set(s.code as string, s.id as string);
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await two?.stop();
    await one?.stop();
  });

  it('cuts a deactivated device’s live socket on the other hub process at once, and refuses it from then on', async () => {
    const { deviceId, keys } = await register('own-bonded');
    const live = await connect(two, deviceId, keys.privateKey);
    expect(live.error).toBeUndefined();
    await eventually(() => online('own-bonded'), 'the site to be online');

    const r = await one.api('POST', `/api/admin/kiosks/${deviceId}/deactivate`, admin);
    expect(r).toMatchObject({ status: 200, json: { deviceId, deactivatedAt: expect.any(String) } });
    // Cut by the hub (not a network loss): the client is told, and does not reconnect by itself.
    expect(await live.disconnected).toBe('io server disconnect');
    await eventually(async () => !(await online('own-bonded')), 'the site to go offline');

    for (const hub of [one, two]) expect((await connect(hub, deviceId, keys.privateKey)).error).toBe('device_deactivated');
    // Deactivating again keeps the first time.
    const again = await two.api('POST', `/api/admin/kiosks/${deviceId}/deactivate`, await signIn(two.api, 'ops.admin'));
    expect(again.json.deactivatedAt).toBe(r.json.deactivatedAt);
  });

  it('replaces a rotated key: the live socket is cut, the old key is refused, the new one gets in', async () => {
    const { deviceId, keys } = await register('own-finance-town');
    const live = await connect(one, deviceId, keys.privateKey);
    expect(live.error).toBeUndefined();
    const next = generateKeyPairSync('ed25519');
    const r = await two.api('PUT', `/api/admin/kiosks/${deviceId}/key`, await signIn(two.api, 'ops.admin'), {
      publicKey: next.publicKey.export({ type: 'spki', format: 'pem' }),
    });
    expect(r).toMatchObject({ status: 200, json: { deviceId, deactivated: false } });
    expect(await live.disconnected).toBe('io server disconnect');
    expect((await connect(one, deviceId, keys.privateKey)).error).toBe('bad_credentials');
    expect((await connect(two, deviceId, keys.privateKey)).error).toBe('bad_credentials');
    const renewed = await connect(two, deviceId, next.privateKey);
    expect(renewed.error).toBeUndefined();
    const stored = await one.db.pool.query('SELECT key_rotated_at IS NOT NULL AS rotated FROM kiosk_devices WHERE id = $1', [deviceId]);
    expect(stored.rows[0].rotated).toBe(true);
  });

  it('lets only admins deactivate or re-key, and says what is wrong', async () => {
    const { deviceId } = await register('own-silk-road');
    const staff = await signIn(one.api, 'hall.staff');
    expect((await one.api('POST', `/api/admin/kiosks/${deviceId}/deactivate`, staff)).status).toBe(403);
    expect((await one.api('PUT', `/api/admin/kiosks/${deviceId}/key`, staff, { publicKey: 'x'.repeat(50) })).status).toBe(403);
    expect((await one.api('POST', `/api/admin/kiosks/${randomUUID()}/deactivate`, admin)).status).toBe(404);
    expect((await one.api('POST', '/api/admin/kiosks/not-a-uuid/deactivate', admin)).status).toBe(400);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' });
    expect((await one.api('PUT', `/api/admin/kiosks/${deviceId}/key`, admin, { publicKey: rsa })).json.error.message).toContain('Ed25519');
    const untouched = await one.db.pool.query('SELECT deactivated_at, key_rotated_at FROM kiosk_devices WHERE id = $1', [deviceId]);
    expect(untouched.rows[0]).toEqual({ deactivated_at: null, key_rotated_at: null });
  });

  it('keeps a site online while any of its devices is connected, on either hub process', async () => {
    const a = await register('own-huanancheng');
    const b = await register('own-huanancheng');
    const ca = await connect(one, a.deviceId, a.keys.privateKey);
    const cb = await connect(two, b.deviceId, b.keys.privateKey);
    expect([ca.error, cb.error]).toEqual([undefined, undefined]);
    await eventually(() => online('own-huanancheng'), 'the site to be online');
    await eventually(
      async () =>
        (await one.db.pool.query('SELECT count(*)::int AS n FROM kiosk_connections WHERE site_id = $1', [sites.get('own-huanancheng')]))
          .rows[0].n === 2,
      'both connections to be counted',
    );

    ca.socket.disconnect();
    await eventually(
      async () =>
        (await one.db.pool.query('SELECT count(*)::int AS n FROM kiosk_connections WHERE site_id = $1', [sites.get('own-huanancheng')]))
          .rows[0].n === 1,
      'the first disconnect to be counted',
    );
    expect(await online('own-huanancheng')).toBe(true);

    cb.socket.disconnect();
    await eventually(async () => !(await online('own-huanancheng')), 'the site to go offline with its last device');
  });

  it('drops the connections of a hub process that stopped refreshing them, and only those', async () => {
    const { deviceId, keys } = await register('own-hall');
    const live = await connect(one, deviceId, keys.privateKey);
    expect(live.error).toBeUndefined();
    const ghost = await register('own-silk-road');
    const long = new Date(Date.now() - 10 * 60_000);
    // A row left by a process that died ten minutes ago, its site still marked online.
    await one.db.pool.query(
      `INSERT INTO kiosk_connections (socket_id, device_id, site_id, hub_id, connected_at, seen_at) VALUES ('dead-socket', $1, $2, 'dead-hub', $3, $3)`,
      [ghost.deviceId, sites.get('own-silk-road'), long],
    );
    await one.db.pool.query('UPDATE sites SET online = true WHERE id = $1', [sites.get('own-silk-road')]);
    await eventually(() => online('own-hall'), 'own-hall to be online');

    const presence = new KioskPresence({ db: one.db.pool, log: pino({ level: 'silent' }), now: () => new Date(), intervalMs: 30_000 });
    await presence.beat();
    expect(await online('own-silk-road')).toBe(false);
    expect(await online('own-hall')).toBe(true);
    const left = await one.db.pool.query(`SELECT socket_id FROM kiosk_connections WHERE hub_id = 'dead-hub'`);
    expect(left.rows).toEqual([]);
  });

  it('after a missed notification, cuts the devices deactivated or re-keyed meanwhile, and only those', async () => {
    const gone = await register('own-hall');
    const rekeyed = await register('own-hall');
    const fine = await register('own-hall');
    const [g, r, f] = await Promise.all([
      connect(one, gone.deviceId, gone.keys.privateKey),
      connect(one, rekeyed.deviceId, rekeyed.keys.privateKey),
      connect(one, fine.deviceId, fine.keys.privateKey),
    ]);
    expect([g.error, r.error, f.error]).toEqual([undefined, undefined, undefined]);
    await eventually(
      async () =>
        (
          await one.db.pool.query('SELECT count(*)::int AS n FROM kiosk_connections WHERE device_id = ANY($1::uuid[])', [
            [gone.deviceId, rekeyed.deviceId, fine.deviceId],
          ])
        ).rows[0].n === 3,
      'the three connections to be counted',
    );
    // Changed behind the listener's back (as if its notification was lost while it reconnected).
    await one.db.pool.query('UPDATE kiosk_devices SET deactivated_at = now() WHERE id = $1', [gone.deviceId]);
    await one.db.pool.query("UPDATE kiosk_devices SET key_rotated_at = now() + interval '1 second' WHERE id = $1", [rekeyed.deviceId]);
    await cutDevice(one.hub.io.of('/kiosk'), one.db.pool, null, pino({ level: 'silent' }));
    expect(await g.disconnected).toBe('io server disconnect');
    expect(await r.disconnected).toBe('io server disconnect');
    expect(f.socket.connected).toBe(true);
  });
});
