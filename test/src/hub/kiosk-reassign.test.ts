// The hub in-process on a real PostgreSQL and Redis: `code:reassign`, another compartment for a
// deposit whose door jammed. Who may ask, when, for which codes, what moves (parcel, code,
// compartments, custody) and that a repeated request changes nothing.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import type { HubConfig } from '@xinbao/hub/config';
import { firstBrokenLink } from '@xinbao/hub/domain/custody';
import { codeKeysFrom, issueCode } from '@xinbao/hub/features/codes/service';
import { withTransaction } from '@xinbao/hub/store/db';
import { custodyLog } from '@xinbao/hub/store/parcels';
import { signedHandshake } from '@xinbao/kiosk-agent/hub-link';
import type { TestDatabase } from '../support/db.js';
import { factorOf, hubApi, type Json, signIn } from '../support/http.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { applyPassed } from '../support/apply.js';

describe('hub: another compartment for a jammed deposit (code:reassign)', () => {
  let testHub: TestHub;
  let db: TestDatabase;
  let config: HubConfig;
  let base = '';
  let siteId = '';
  const sockets: Socket[] = [];
  const api = hubApi(() => base);

  const connect = (deviceId: string, key: KeyObject) =>
    new Promise<Socket>((resolve, reject) => {
      const socket = io(`${base}/kiosk`, {
        transports: ['websocket'],
        auth: signedHandshake(deviceId, key, Date.now()),
        reconnection: false,
      });
      sockets.push(socket);
      socket.on('hello', () => resolve(socket));
      socket.on('connect_error', reject);
    });
  const register = async (site: string) => {
    const keys = generateKeyPairSync('ed25519');
    const admin = await signIn(api, 'ops.admin');
    const r = await api('POST', '/api/admin/kiosks', admin, {
      siteId: site,
      label: 'k',
      publicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }),
    });
    return connect(r.json.deviceId as string, keys.privateKey);
  };
  const ask = (s: Socket, event: string, body: unknown) => s.timeout(5_000).emitWithAck(event, body) as Promise<Json>;
  const submit = (s: Socket, code: string, factor = factorOf('zhang.san')) =>
    ask(s, 'code:submit', { requestId: randomUUID(), via: 'keypad', code, factor });
  const report = (s: Socket, body: Json) => ask(s, 'kiosk:event', { eventId: randomUUID(), at: new Date().toISOString(), ...body });
  const reassign = (s: Socket, commandId: string, requestId: string = randomUUID()) => ask(s, 'code:reassign', { requestId, commandId });
  const apply = async (matterCode = 'business-licence-change') => {
    const r = await applyPassed(api, await signIn(api, 'zhang.san'), {
      matterCode,
      dropOff: { channel: 'own_kiosk', siteId },
    });
    expect(r.status).toBe(201);
    return {
      code: r.json.deposit.code as string,
      compartment: r.json.compartment as number,
      parcelId: r.json.parcel.id as string,
      trackingNumber: r.json.parcel.trackingNumber as string,
    };
  };
  const compartment = async (n: number) =>
    (
      await db.pool.query<{ id: string; size: string; state: string }>(
        'SELECT id, size, state FROM compartments WHERE site_id = $1 AND number = $2',
        [siteId, n],
      )
    ).rows[0]!;
  const parcelRow = async (parcelId: string) =>
    (
      await db.pool.query(
        `SELECT p.state, k.number AS compartment, c.command_id AS "commandId", c.resolved_at AS "resolvedAt", ck.number AS "codeCompartment"
         FROM parcels p JOIN compartments k ON k.id = p.compartment_id
         JOIN access_codes c ON c.parcel_id = p.id AND c.purpose = 'deposit' JOIN compartments ck ON ck.id = c.compartment_id
         WHERE p.id = $1`,
        [parcelId],
      )
    ).rows[0];
  const kinds = async (parcelId: string) => (await custodyLog(db.pool, parcelId)).map((e) => e.kind);

  /** A deposit whose unlock the kiosk reported as jammed: its grant. */
  const jammedDeposit = async (kiosk: Socket, matterCode?: string) => {
    const a = await apply(matterCode);
    const grant = await submit(kiosk, a.code);
    expect(grant).toMatchObject({ status: 'ok', data: { compartment: a.compartment, purpose: 'deposit' } });
    const jam = await report(kiosk, {
      type: 'unlock_result',
      compartment: a.compartment,
      commandId: grant.data.commandId,
      outcome: 'jammed',
    });
    expect(jam.status).toBe('ok');
    return { ...a, commandId: grant.data.commandId as string };
  };

  beforeAll(async () => {
    testHub = await startTestHub();
    ({ db, config, url: base } = testHub);
    const sites = (await api('GET', '/api/sites', await signIn(api, 'ops.admin'))).json.sites as Json[];
    siteId = sites.find((s) => s.code === 'own-hall')!.id as string;
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await testHub?.stop();
  });

  it('moves a jammed deposit, its code and its custody to a free fitting compartment, once', async () => {
    const kiosk = await register(siteId);
    const a = await apply();
    const grant = await submit(kiosk, a.code);
    const commandId = grant.data.commandId as string;

    // Not before the kiosk has reported the jam, and not when the door may have opened (ADR 0014; a
    // door reported opened is never reassigned, see kiosk-truth.test.ts).
    expect((await reassign(kiosk, commandId)).error.code).toBe('not_jammed');
    await report(kiosk, { type: 'unlock_result', compartment: a.compartment, commandId, outcome: 'unconfirmed' });
    expect((await reassign(kiosk, commandId)).error.code).toBe('not_jammed');
    await report(kiosk, { type: 'unlock_result', compartment: a.compartment, commandId, outcome: 'jammed' });
    expect(await kinds(a.parcelId)).toEqual(['created', 'deposit_code_used', 'unlock_unconfirmed', 'unlock_jammed']);

    const requestId = randomUUID();
    const moved = await reassign(kiosk, commandId, requestId);
    expect(moved).toMatchObject({ status: 'ok', requestId, data: { purpose: 'deposit', trackingNumber: a.trackingNumber } });
    const to = moved.data.compartment as number;
    expect(to).not.toBe(a.compartment);
    expect(moved.data.commandId).not.toBe(commandId);
    // business-licence-change needs M: the smallest free fitting compartment is M too.
    expect((await compartment(to)).size).toBe('M');
    expect((await compartment(a.compartment)).state).toBe('faulty');
    expect((await compartment(to)).state).toBe('reserved');
    expect(await parcelRow(a.parcelId)).toEqual({
      state: 'awaiting_deposit',
      compartment: to,
      codeCompartment: to,
      commandId: moved.data.commandId,
      resolvedAt: null,
    });
    const log = await custodyLog(db.pool, a.parcelId);
    expect(log.at(-1)).toMatchObject({
      kind: 'compartment_reassigned',
      fromState: 'awaiting_deposit',
      toState: 'awaiting_deposit',
      actorKind: 'kiosk',
      compartment: to,
      evidence: {
        requestId,
        fromCompartment: a.compartment,
        toCompartment: to,
        fromCommandId: commandId,
        toCommandId: moved.data.commandId,
      },
    });
    expect(firstBrokenLink(log.map((e) => ({ ...e, parcelId: a.parcelId })))).toBe(-1);

    // The same request again, or another request for the same jammed command: the same grant, nothing written.
    expect(await reassign(kiosk, commandId, requestId)).toEqual(moved);
    // (Each reply names the request it answers.)
    const another = randomUUID();
    expect(await reassign(kiosk, commandId, another)).toEqual({ ...moved, requestId: another });
    expect((await kinds(a.parcelId)).filter((k) => k === 'compartment_reassigned')).toHaveLength(1);
    expect(
      (await db.pool.query('SELECT count(*)::int AS n FROM compartment_reassignments WHERE from_command_id = $1', [commandId])).rows[0].n,
    ).toBe(1);

    // Another kiosk, even at the same site, cannot ask for this kiosk's command, nor reuse its request id.
    const other = await register(siteId);
    expect((await reassign(other, commandId)).error.code).toBe('unknown_command');
    expect((await reassign(other, moved.data.commandId as string)).error.code).toBe('unknown_command');
    expect((await reassign(other, commandId, requestId)).error.code).toBe('unknown_command');
    expect((await reassign(kiosk, randomUUID())).error.code).toBe('unknown_command');

    // The new door's cycle deposits the parcel in the new compartment.
    await report(kiosk, { type: 'unlock_result', compartment: to, commandId: moved.data.commandId, outcome: 'opened' });
    await report(kiosk, { type: 'door_closed', compartment: to, itemPresent: true });
    expect((await parcelRow(a.parcelId)).state).toBe('deposited');
    expect((await compartment(to)).state).toBe('occupied');
    expect((await compartment(a.compartment)).state).toBe('faulty');
  });

  it('moves again when the new door jams too', async () => {
    const kiosk = await register(siteId);
    const a = await jammedDeposit(kiosk, 'customs-declarant-record');
    const first = await reassign(kiosk, a.commandId);
    expect(first.status).toBe('ok');
    await report(kiosk, { type: 'unlock_result', compartment: first.data.compartment, commandId: first.data.commandId, outcome: 'jammed' });
    const second = await reassign(kiosk, first.data.commandId as string);
    expect(second.status).toBe('ok');
    expect(new Set([a.compartment, first.data.compartment, second.data.compartment]).size).toBe(3);
    expect((await parcelRow(a.parcelId)).compartment).toBe(second.data.compartment);
    expect((await compartment(first.data.compartment as number)).state).toBe('faulty');
    // The first jammed command still answers with its own (first) move.
    const again = randomUUID();
    expect(await reassign(kiosk, a.commandId, again)).toEqual({ ...first, requestId: again });
  });

  it('refuses for a courier pickup: the documents are behind the jammed door', async () => {
    const kiosk = await register(siteId);
    const a = await apply('customs-declarant-record');
    const grant = await submit(kiosk, a.code);
    await report(kiosk, { type: 'unlock_result', compartment: a.compartment, commandId: grant.data.commandId, outcome: 'opened' });
    await report(kiosk, { type: 'door_closed', compartment: a.compartment, itemPresent: true });
    expect((await parcelRow(a.parcelId)).state).toBe('deposited');
    const keys = codeKeysFrom(config);
    const courier = await withTransaction(db.pool, async (tx) => {
      const c = await tx.query<{ id: string }>('SELECT compartment_id AS id FROM parcels WHERE id = $1', [a.parcelId]);
      return issueCode(tx, keys, {
        purpose: 'courier_pickup',
        siteId,
        compartmentId: c.rows[0]!.id,
        parcelId: a.parcelId,
        holder: 'courier',
        holderPhone: null,
        now: new Date(),
        lifetimes: config.codeLifetimesHours,
      });
    });
    if (courier.factor.kind !== 'pin') throw new Error('a courier code comes with a PIN');
    const pickup = await submit(kiosk, courier.code, courier.factor.pin);
    expect(pickup).toMatchObject({ status: 'ok', data: { purpose: 'courier_pickup', compartment: a.compartment } });
    await report(kiosk, { type: 'unlock_result', compartment: a.compartment, commandId: pickup.data.commandId, outcome: 'jammed' });
    const before = await kinds(a.parcelId);
    expect((await reassign(kiosk, pickup.data.commandId as string)).error.code).toBe('not_reassignable');
    expect(await kinds(a.parcelId)).toEqual(before);
    expect((await compartment(a.compartment)).state).toBe('faulty');
  });

  it('says no_free_compartment when nothing fitting is free, and moves nothing', async () => {
    const kiosk = await register(siteId);
    // construction-permit needs L; the other L compartments are taken.
    const a = await apply('construction-permit');
    const others = await db.pool.query<{ id: string }>(
      `UPDATE compartments SET state = 'occupied' WHERE site_id = $1 AND size = 'L' AND state = 'free' RETURNING id`,
      [siteId],
    );
    try {
      const grant = await submit(kiosk, a.code);
      await report(kiosk, { type: 'unlock_result', compartment: a.compartment, commandId: grant.data.commandId, outcome: 'jammed' });
      const before = await kinds(a.parcelId);
      expect((await reassign(kiosk, grant.data.commandId as string)).error.code).toBe('no_free_compartment');
      expect(await parcelRow(a.parcelId)).toMatchObject({
        compartment: a.compartment,
        codeCompartment: a.compartment,
        commandId: grant.data.commandId,
      });
      expect(await kinds(a.parcelId)).toEqual(before);
      expect((await compartment(a.compartment)).state).toBe('faulty');
    } finally {
      await db.pool.query(`UPDATE compartments SET state = 'free' WHERE id = ANY($1)`, [others.rows.map((r) => r.id)]);
    }
  });

  it('answers malformed input with bad_request', async () => {
    const kiosk = await register(siteId);
    expect((await ask(kiosk, 'code:reassign', { commandId: 'nope' })).error.code).toBe('bad_request');
    expect((await ask(kiosk, 'code:reassign', null)).error.code).toBe('bad_request');
    // Malformed, it has no request id to echo; the message says which request was malformed.
    expect(await ask(kiosk, 'code:reassign', { requestId: 'not-a-uuid', commandId: 'nope' })).toEqual({
      status: 'error',
      error: { code: 'bad_request', message: 'malformed reassign request' },
    });
  });
});
