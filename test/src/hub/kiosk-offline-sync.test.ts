// The hub's half of offline operation, in-process on a real PostgreSQL and Redis, talked to over a
// real Socket.IO connection as a kiosk device: the code book a kiosk pulls (offline hashes under its
// site's key, deltas after a cursor, pushed change notes), and what a replayed offline use does
// (spends the code once, custody evidence, conflicts recorded rather than dropped).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac, createPublicKey, generateKeyPairSync, randomUUID, verify } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { v7 as uuidv7 } from 'uuid';
import { offlineKeypadInput, parseQrToken, type CodeSyncReply, type KioskEvent } from '@xinbao/protocol';
import type { HubConfig } from '@xinbao/hub/config';
import { codeKeysFrom, issueCode } from '@xinbao/hub/features/codes/service';
import { withTransaction } from '@xinbao/hub/store/db';
import { signedHandshake } from '@xinbao/kiosk-agent/hub-link';
import type { TestDatabase } from '../support/db.js';
import { eventually } from '../support/eventually.js';
import { factorOf, hubApi, signIn, type Json } from '../support/http.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { applyPassed } from '../support/apply.js';

describe('hub: code book for offline kiosks, and replayed offline uses', () => {
  let testHub: TestHub;
  let db: TestDatabase;
  let config: HubConfig;
  let base = '';
  const sites: Record<string, string> = {};
  const sockets: Socket[] = [];

  const api = hubApi(() => base);
  const login = (username: string) => signIn(api, username);

  interface Kiosk {
    deviceId: string;
    socket: Socket;
    changes: number;
    sync(cursor: number | null): Promise<CodeSyncReply>;
    submit(code: string, via?: 'keypad' | 'qr'): Promise<Json>;
    send(event: KioskEvent): Promise<Json>;
  }

  const kiosk = async (siteCode: string): Promise<Kiosk> => {
    const keys = generateKeyPairSync('ed25519');
    const admin = await login('ops.admin');
    const reg = await api('POST', '/api/admin/kiosks', admin, {
      siteId: sites[siteCode],
      label: siteCode,
      publicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }),
    });
    const deviceId = reg.json.deviceId as string;
    const socket = io(`${base}/kiosk`, {
      transports: ['websocket'],
      auth: signedHandshake(deviceId, keys.privateKey, Date.now()),
      reconnection: false,
    });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.on('hello', () => resolve());
      socket.on('connect_error', reject);
    });
    const k: Kiosk = {
      deviceId,
      socket,
      changes: 0,
      sync: async (cursor) => {
        const r = (await socket.timeout(5_000).emitWithAck('codes:sync', { cursor })) as Json;
        expect(r.status).toBe('ok');
        return r.data as CodeSyncReply;
      },
      submit: (code, via = 'keypad') =>
        socket.timeout(5_000).emitWithAck('code:submit', {
          requestId: randomUUID(),
          via,
          code,
          ...(via === 'keypad' ? { factor: factorOf('zhang.san') } : {}),
        }) as Promise<Json>,
      send: (event) => socket.timeout(5_000).emitWithAck('kiosk:event', event) as Promise<Json>,
    };
    socket.on('codes:changed', () => k.changes++);
    return k;
  };

  const apply = async (siteCode = 'own-hall') => {
    const created = await applyPassed(api, await login('zhang.san'), {
      matterCode: 'customs-declarant-record',
      dropOff: { channel: 'own_kiosk', siteId: sites[siteCode] },
    });
    expect(created.status).toBe(201);
    return created.json;
  };

  const offlineUse = (codeId: string, compartment: number, over: Partial<KioskEvent> = {}): KioskEvent =>
    ({
      type: 'code_used_offline',
      eventId: uuidv7(),
      at: new Date().toISOString(),
      compartment,
      codeId,
      commandId: uuidv7(),
      via: 'keypad',
      ...over,
    }) as KioskEvent;

  const custody = async (parcelId: string) =>
    (
      await db.pool.query(`SELECT kind, actor_kind AS "actorKind", evidence FROM custody_events WHERE parcel_id = $1 ORDER BY seq`, [
        parcelId,
      ])
    ).rows as Json[];

  beforeAll(async () => {
    testHub = await startTestHub({ env: { CODE_MAX_FAILURES: '50' } });
    ({ db, config, url: base } = testHub);
    for (const s of (await api('GET', '/api/sites', await login('ops.admin'))).json.sites as Json[])
      sites[s.code as string] = s.id as string;
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await testHub?.stop();
  });

  it("gives a kiosk its own site's live codes as offline hashes, then only what changed", async () => {
    const hall = await kiosk('own-hall');
    const a = await apply();
    const full = await hall.sync(null);
    expect(full).toMatchObject({ siteId: sites['own-hall'], full: true, removed: [] });
    const entry = full.codes.find((c) => c.codeId === a.deposit.id);
    expect(entry).toMatchObject({ compartment: a.compartment, purpose: 'deposit', trackingNumber: a.parcel.trackingNumber });
    // The kiosk can check the clear code with its second factor (ADR 0018) with the site key it was
    // given; the reply holds neither the code, nor its factor, nor a hash of the code alone.
    const siteKey = Buffer.from(full.offlineKey, 'base64');
    expect(entry!.keypadHash).toBe(
      createHmac('sha256', siteKey)
        .update(offlineKeypadInput(sites['own-hall']!, a.deposit.code as string, factorOf('zhang.san')))
        .digest('base64'),
    );
    expect(entry!.offlineHash).toBeNull();
    expect(a.deposit.factor).toEqual({ kind: 'phone' });
    expect(JSON.stringify(full)).not.toContain(a.deposit.code as string);
    expect(JSON.stringify(full)).not.toContain(`"${factorOf('zhang.san')}"`);
    // The QR form verifies with the public key it was given.
    const token = parseQrToken(a.deposit.qrToken as string)!;
    expect(verify(null, Buffer.from(token.signingInput), createPublicKey(full.qrPublicKey), token.signature)).toBe(true);
    // Neither the code nor its hash is in the database in a form a kiosk's key would open elsewhere.
    const row = (await db.pool.query(`SELECT row_to_json(c)::text AS j FROM access_codes c WHERE id = $1`, [a.deposit.id])).rows[0];
    expect(row.j).not.toContain(a.deposit.code as string);
    expect(row.j).not.toContain(`"${factorOf('zhang.san')}"`);
    expect(row.j).not.toContain('13800000001');
    expect(JSON.parse(row.j as string)).toMatchObject({ factor_kind: 'phone', factor_hash: expect.stringMatching(/^\\x[0-9a-f]{64}$/) });

    // Another site's kiosk gets another key and none of this site's codes.
    const park = await kiosk('own-huanancheng');
    const other = await park.sync(null);
    expect(other.offlineKey).not.toBe(full.offlineKey);
    expect(other.codes.map((c) => c.codeId)).not.toContain(a.deposit.id);

    // A new code at the site: the kiosk is told, and the delta after its cursor holds just that code.
    const seen = hall.changes;
    const b = await apply();
    await eventually(async () => hall.changes > seen, 'codes:changed after a new code');
    const delta = await hall.sync(full.cursor);
    expect(delta.full).toBe(false);
    expect(delta.cursor).toBeGreaterThan(full.cursor);
    expect(delta.codes.map((c) => c.codeId)).toEqual([b.deposit.id]);
    expect(delta.removed).toEqual([]);
    expect((await park.sync(other.cursor)).codes).toEqual([]);

    // Used online: the next delta removes it.
    const seen2 = hall.changes;
    expect((await hall.submit(a.deposit.code as string)).status).toBe('ok');
    await eventually(async () => hall.changes > seen2, 'codes:changed after a use');
    const after = await hall.sync(delta.cursor);
    expect(after.removed).toEqual([a.deposit.id]);
    expect(after.codes).toEqual([]);
    expect((await hall.sync(after.cursor)).codes).toEqual([]);
    // A cursor the hub never gave (a restored database) gets the whole list again.
    const restored = await hall.sync(after.cursor + 1000);
    expect(restored.full).toBe(true);
    expect(restored.codes.map((c) => c.codeId)).toContain(b.deposit.id);
    expect(restored.codes.map((c) => c.codeId)).not.toContain(a.deposit.id);

    // Bad input gets a clear refusal.
    expect(await hall.socket.timeout(5_000).emitWithAck('codes:sync', { cursor: 'x' })).toMatchObject({
      status: 'error',
      error: { code: 'bad_request' },
    });
  });

  it('spends a code used offline once, from the replayed event, and refuses it online afterwards', async () => {
    const hall = await kiosk('own-hall');
    const a = await apply();
    const event = offlineUse(a.deposit.id as string, a.compartment as number);
    expect(await hall.send(event)).toEqual({ status: 'ok', data: { eventId: event.eventId, duplicate: false } });
    expect(await hall.send(event)).toEqual({ status: 'ok', data: { eventId: event.eventId, duplicate: true } });
    const code = (
      await db.pool.query(`SELECT used_at, used_offline, used_by_device, command_id FROM access_codes WHERE id = $1`, [a.deposit.id])
    ).rows[0];
    expect(code).toMatchObject({ used_offline: true, used_by_device: hall.deviceId, command_id: (event as Json).commandId });
    expect((code.used_at as Date).toISOString()).toBe(event.at);
    expect(await custody(a.parcel.id as string)).toEqual([
      { kind: 'created', actorKind: 'applicant', evidence: expect.anything() },
      {
        kind: 'deposit_code_used',
        actorKind: 'applicant',
        evidence: { deviceId: hall.deviceId, via: 'keypad', commandId: (event as Json).commandId, eventId: event.eventId, offline: true },
      },
    ]);
    expect(await hall.submit(a.deposit.code as string)).toMatchObject({ status: 'error', error: { code: 'code_used' } });
    expect(await hall.submit(a.deposit.qrToken as string, 'qr')).toMatchObject({ status: 'error', error: { code: 'code_used' } });

    // The door cycle that follows moves the parcel as an online one does.
    const closed: KioskEvent = {
      type: 'door_closed',
      eventId: uuidv7(),
      at: new Date().toISOString(),
      compartment: a.compartment as number,
      itemPresent: true,
    };
    expect((await hall.send(closed)).status).toBe('ok');
    expect((await db.pool.query('SELECT state FROM parcels WHERE id = $1', [a.parcel.id])).rows[0].state).toBe('deposited');
  });

  it('records a use judged from the book while the hub was there (book first) as not offline, once', async () => {
    const hall = await kiosk('own-hall');
    const a = await apply();
    const event = { ...offlineUse(a.deposit.id as string, a.compartment as number), bookFirst: true } as KioskEvent;
    expect(await hall.send(event)).toEqual({ status: 'ok', data: { eventId: event.eventId, duplicate: false } });
    expect(await hall.send(event)).toEqual({ status: 'ok', data: { eventId: event.eventId, duplicate: true } });
    expect(await custody(a.parcel.id as string)).toEqual([
      { kind: 'created', actorKind: 'applicant', evidence: expect.anything() },
      {
        kind: 'deposit_code_used',
        actorKind: 'applicant',
        evidence: {
          deviceId: hall.deviceId,
          via: 'keypad',
          commandId: (event as Json).commandId,
          eventId: event.eventId,
          offline: false,
          bookFirst: true,
        },
      },
    ]);
    expect(await hall.submit(a.deposit.code as string)).toMatchObject({ status: 'error', error: { code: 'code_used' } });
  });

  it('records a clash with what the hub knew as custody evidence, and drops nothing', async () => {
    const hall = await kiosk('own-hall');
    const second = await kiosk('own-hall');

    // Used online by one kiosk, then reported used offline by another: the first use stands.
    const a = await apply();
    const granted = await hall.submit(a.deposit.code as string);
    expect(granted.status).toBe('ok');
    const clash = offlineUse(a.deposit.id as string, a.compartment as number);
    expect((await second.send(clash)).status).toBe('ok');
    const rowA = (await db.pool.query(`SELECT command_id, used_by_device, used_offline FROM access_codes WHERE id = $1`, [a.deposit.id]))
      .rows[0];
    expect(rowA).toEqual({ command_id: granted.data.commandId, used_by_device: hall.deviceId, used_offline: false });
    expect((await custody(a.parcel.id as string)).at(-1)).toMatchObject({
      kind: 'offline_code_conflict',
      actorKind: 'kiosk',
      evidence: {
        conflict: 'already_used',
        priorCommandId: granted.data.commandId,
        priorDevice: hall.deviceId,
        commandId: (clash as Json).commandId,
        offline: true,
      },
    });

    // Granted online to this kiosk whose answer never arrived, then let in offline: its own command is the one that ran.
    const b = await apply();
    const lost = await hall.submit(b.deposit.code as string);
    const mine = offlineUse(b.deposit.id as string, b.compartment as number);
    expect((await hall.send(mine)).status).toBe('ok');
    const rowB = (await db.pool.query(`SELECT command_id, used_offline FROM access_codes WHERE id = $1`, [b.deposit.id])).rows[0];
    expect(rowB).toEqual({ command_id: (mine as Json).commandId, used_offline: true });
    expect((await custody(b.parcel.id as string)).at(-1)).toMatchObject({
      kind: 'offline_code_conflict',
      evidence: { conflict: 'granted_online_unanswered', priorCommandId: lost.data.commandId },
    });

    // Replaced by a newer code before the kiosk heard: spent anyway, with the clash in its evidence.
    const c = await apply();
    const keys = codeKeysFrom(config);
    const compartmentId = (await db.pool.query('SELECT compartment_id FROM parcels WHERE id = $1', [c.parcel.id])).rows[0]
      .compartment_id as string;
    await withTransaction(db.pool, (tx) =>
      issueCode(tx, keys, {
        purpose: 'deposit',
        siteId: sites['own-hall']!,
        compartmentId,
        parcelId: c.parcel.id as string,
        holder: 'applicant',
        holderPhone: '13800000001',
        now: new Date(),
        lifetimes: config.codeLifetimesHours,
      }),
    );
    const revoked = offlineUse(c.deposit.id as string, c.compartment as number);
    expect((await hall.send(revoked)).status).toBe('ok');
    expect((await db.pool.query(`SELECT used_offline FROM access_codes WHERE id = $1`, [c.deposit.id])).rows[0].used_offline).toBe(true);
    expect((await custody(c.parcel.id as string)).at(-1)).toMatchObject({
      kind: 'deposit_code_used',
      evidence: { offline: true, conflict: 'revoked' },
    });

    // A code of another site is kept as the kiosk's event only: no custody, no code touched.
    const d = await apply('own-huanancheng');
    const foreign = offlineUse(d.deposit.id as string, d.compartment as number);
    expect(await hall.send(foreign)).toMatchObject({ status: 'ok', data: { duplicate: false } });
    expect((await db.pool.query(`SELECT used_at FROM access_codes WHERE id = $1`, [d.deposit.id])).rows[0].used_at).toBeNull();
    expect((await custody(d.parcel.id as string)).map((e) => e.kind)).toEqual(['created']);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM kiosk_events WHERE event_id = $1', [foreign.eventId])).rows[0].n).toBe(1);
  });
});
