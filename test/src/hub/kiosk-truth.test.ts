// The hub in-process on a real PostgreSQL and Redis, a socket client standing in for the kiosk
// agent: what each unlock outcome does (ADR 0014) — `not_sent` gives the code back in the same
// transaction, a repeat changes nothing, a late `opened` spends it again once, `unconfirmed` asks a
// person and never reassigns, `jammed` still reassigns — and the alarms as records: one per board
// however often it is reported, its custody record rate-limited, cleared by `board_reachable`; and
// each kiosk's bus state, stored and shown to staff.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { firstBrokenLink } from '@xinbao/hub/domain/custody';
import { custodyLog } from '@xinbao/hub/store/parcels';
import { signedHandshake } from '@xinbao/kiosk-agent/hub-link';
import type { TestDatabase } from '../support/db.js';
import { factorOf, hubApi, type Json, signIn } from '../support/http.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { applyPassed } from '../support/apply.js';

describe('hub: the kiosk tells the truth about its doors', () => {
  let testHub: TestHub;
  let db: TestDatabase;
  let base = '';
  let siteIds: string[] = [];
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
  /** A new kiosk at the site (its own alarms, its own attempt counter). */
  const register = async (siteId: string) => {
    const keys = generateKeyPairSync('ed25519');
    const r = await api('POST', '/api/admin/kiosks', await signIn(api, 'ops.admin'), {
      siteId,
      label: 'k',
      publicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }),
    });
    const deviceId = r.json.deviceId as string;
    return { socket: await connect(deviceId, keys.privateKey), deviceId, siteId };
  };
  type Kiosk = Awaited<ReturnType<typeof register>>;
  const ask = (k: Kiosk, event: string, body: unknown) => k.socket.timeout(5_000).emitWithAck(event, body) as Promise<Json>;
  const submit = (k: Kiosk, code: string) =>
    ask(k, 'code:submit', { requestId: randomUUID(), via: 'keypad', code, factor: factorOf('zhang.san') });
  const report = (k: Kiosk, body: Json, eventId: string = randomUUID()) =>
    ask(k, 'kiosk:event', { eventId, at: new Date().toISOString(), ...body });
  const outcome = (k: Kiosk, compartment: number, commandId: string, o: string) =>
    report(k, { type: 'unlock_result', compartment, commandId, outcome: o });
  const apply = async (siteId: string) => {
    const r = await applyPassed(api, await signIn(api, 'zhang.san'), {
      matterCode: 'business-licence-change',
      dropOff: { channel: 'own_kiosk', siteId },
    });
    expect(r.status).toBe(201);
    return { code: r.json.deposit.code as string, compartment: r.json.compartment as number, parcelId: r.json.parcel.id as string };
  };
  /** A deposit granted at the kiosk: its code, compartment, parcel and command. */
  const granted = async (k: Kiosk) => {
    const a = await apply(k.siteId);
    const grant = await submit(k, a.code);
    expect(grant).toMatchObject({ status: 'ok', data: { compartment: a.compartment, purpose: 'deposit' } });
    return { ...a, commandId: grant.data.commandId as string };
  };
  const parcel = async (parcelId: string) =>
    (
      await db.pool.query(
        `SELECT p.state, k.number AS compartment, k.state AS "compartmentState", c.used_at IS NOT NULL AS "codeSpent", c.command_id AS "commandId"
         FROM parcels p JOIN compartments k ON k.id = p.compartment_id
         JOIN access_codes c ON c.parcel_id = p.id AND c.purpose = 'deposit' AND c.revoked_at IS NULL WHERE p.id = $1`,
        [parcelId],
      )
    ).rows[0];
  const custody = (parcelId: string) => custodyLog(db.pool, parcelId);
  const kinds = async (parcelId: string) => (await custody(parcelId)).map((e) => e.kind);
  const alarms = async (deviceId: string) =>
    (
      await db.pool.query(
        `SELECT kind, subject, count, cleared_at IS NOT NULL AS cleared FROM kiosk_alarms WHERE device_id = $1 ORDER BY raised_at, id`,
        [deviceId],
      )
    ).rows;

  beforeAll(async () => {
    testHub = await startTestHub();
    ({ db, url: base } = testHub);
    const sites = (await api('GET', '/api/sites', await signIn(api, 'ops.admin'))).json.sites as Json[];
    siteIds = sites.filter((s) => s.network === 'own').map((s) => s.id as string);
    expect(siteIds.length).toBeGreaterThanOrEqual(3);
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await testHub?.stop();
  });

  it('not_sent gives the code back with the parcel where it was and an alarm; a repeat changes nothing; the same code then opens', async () => {
    const k = await register(siteIds[0]!);
    const a = await granted(k);
    const before = await parcel(a.parcelId);
    expect(before).toMatchObject({ state: 'awaiting_deposit', codeSpent: true, commandId: a.commandId });

    // Another kiosk of the site cannot give the code back.
    const other = await register(siteIds[0]!);
    await outcome(other, a.compartment, a.commandId, 'not_sent');
    expect(await parcel(a.parcelId)).toEqual(before);
    expect(await alarms(other.deviceId)).toEqual([]);

    const eventId = randomUUID();
    const first = { type: 'unlock_result', compartment: a.compartment, commandId: a.commandId, outcome: 'not_sent', detail: 'port closed' };
    expect(await report(k, first, eventId)).toMatchObject({ status: 'ok', data: { eventId, duplicate: false } });
    expect(await parcel(a.parcelId)).toEqual({ ...before, codeSpent: false, commandId: null });
    expect(await kinds(a.parcelId)).toEqual(['created', 'deposit_code_used', 'unlock_not_sent']);
    expect((await custody(a.parcelId))[2]).toMatchObject({
      actorKind: 'kiosk',
      actorId: k.deviceId,
      compartment: a.compartment,
      evidence: { commandId: a.commandId, code: 'restored', detail: 'port closed', before: null },
    });
    expect(await alarms(k.deviceId)).toEqual([
      { kind: 'unlock_not_sent', subject: `compartment:${a.compartment}`, count: 1, cleared: false },
    ]);

    // The same event again, and the same outcome under a new event id: nothing more.
    expect(await report(k, first, eventId)).toMatchObject({ status: 'ok', data: { duplicate: true } });
    expect(await report(k, first)).toMatchObject({ status: 'ok', data: { duplicate: false } });
    expect(await parcel(a.parcelId)).toEqual({ ...before, codeSpent: false, commandId: null });
    expect(await kinds(a.parcelId)).toHaveLength(3);
    expect(await alarms(k.deviceId)).toEqual([
      { kind: 'unlock_not_sent', subject: `compartment:${a.compartment}`, count: 1, cleared: false },
    ]);

    // The code is live again: it opens under a new command, and that opening clears the alarm.
    const again = await submit(k, a.code);
    expect(again).toMatchObject({ status: 'ok', data: { compartment: a.compartment } });
    expect(again.data.commandId).not.toBe(a.commandId);
    expect(await outcome(k, a.compartment, again.data.commandId as string, 'opened')).toMatchObject({ status: 'ok' });
    expect(await alarms(k.deviceId)).toEqual([
      { kind: 'unlock_not_sent', subject: `compartment:${a.compartment}`, count: 1, cleared: true },
    ]);
    await report(k, { type: 'door_closed', compartment: a.compartment, itemPresent: true });
    expect(await parcel(a.parcelId)).toMatchObject({ state: 'deposited', codeSpent: true, commandId: again.data.commandId });
    expect(firstBrokenLink(await custody(a.parcelId))).toBe(-1);
  });

  it('a late opened after a give-back spends the code again, once; if the code was used again since, an alarm instead', async () => {
    const k = await register(siteIds[0]!);
    const a = await granted(k);
    await outcome(k, a.compartment, a.commandId, 'not_sent');
    expect(await parcel(a.parcelId)).toMatchObject({ codeSpent: false, commandId: null });

    expect(await outcome(k, a.compartment, a.commandId, 'opened')).toMatchObject({ status: 'ok' });
    expect(await parcel(a.parcelId)).toMatchObject({ state: 'awaiting_deposit', codeSpent: true, commandId: a.commandId });
    expect(await kinds(a.parcelId)).toEqual(['created', 'deposit_code_used', 'unlock_not_sent', 'unlock_opened']);
    expect((await custody(a.parcelId))[3]).toMatchObject({ evidence: { code: 'spent_again', before: 'not_sent' } });
    // Spent: typed again at once it gets the same grant (a double tap, ADR 0015), never a new
    // command; the late report again, or a late not_sent, changes nothing.
    expect(await submit(k, a.code)).toMatchObject({ status: 'ok', data: { commandId: a.commandId } });
    await outcome(k, a.compartment, a.commandId, 'opened');
    await outcome(k, a.compartment, a.commandId, 'not_sent');
    expect(await parcel(a.parcelId)).toMatchObject({ codeSpent: true, commandId: a.commandId });
    expect(await kinds(a.parcelId)).toHaveLength(4);
    // The door cycle of the command that opened goes on: its closing deposits.
    await report(k, { type: 'door_closed', compartment: a.compartment, itemPresent: true });
    expect(await parcel(a.parcelId)).toMatchObject({ state: 'deposited' });
    expect(await submit(k, a.code)).toMatchObject({ status: 'error', error: { code: 'code_used' } });
    expect(await alarms(k.deviceId)).toEqual([
      { kind: 'unlock_not_sent', subject: `compartment:${a.compartment}`, count: 1, cleared: true },
    ]);

    // Given back, used again under a new command, then the first command's late `opened`.
    const b = await granted(k);
    await outcome(k, b.compartment, b.commandId, 'not_sent');
    const reused = await submit(k, b.code);
    expect(reused.status).toBe('ok');
    await outcome(k, b.compartment, b.commandId, 'opened');
    expect(await parcel(b.parcelId)).toMatchObject({ codeSpent: true, commandId: reused.data.commandId });
    expect((await alarms(k.deviceId)).filter((x) => x.kind === 'late_open_code_reused')).toEqual([
      { kind: 'late_open_code_reused', subject: `command:${b.commandId}`, count: 1, cleared: false },
    ]);
  });

  it('unconfirmed neither reassigns nor marks the door faulty; a person is asked and the answer settles the code', async () => {
    const k = await register(siteIds[1]!);
    const a = await granted(k);
    await outcome(k, a.compartment, a.commandId, 'unconfirmed');
    expect(await parcel(a.parcelId)).toMatchObject({
      state: 'awaiting_deposit',
      compartmentState: 'reserved',
      codeSpent: true,
      commandId: a.commandId,
    });
    expect(await ask(k, 'code:reassign', { requestId: randomUUID(), commandId: a.commandId })).toMatchObject({
      status: 'error',
      error: { code: 'not_jammed' },
    });
    expect(await kinds(a.parcelId)).toEqual(['created', 'deposit_code_used', 'unlock_unconfirmed']);
    expect(await alarms(k.deviceId)).toEqual([{ kind: 'unlock_unconfirmed', subject: `command:${a.commandId}`, count: 1, cleared: false }]);
    // A malformed answer is refused.
    expect(await report(k, { type: 'unlock_answered', compartment: a.compartment, commandId: a.commandId, answer: 'maybe' })).toMatchObject(
      {
        status: 'error',
        error: { code: 'bad_request' },
      },
    );

    // "The door did not open": the code is given back and the alarm cleared.
    await report(k, { type: 'unlock_answered', compartment: a.compartment, commandId: a.commandId, answer: 'not_opened' });
    expect(await parcel(a.parcelId)).toMatchObject({
      state: 'awaiting_deposit',
      compartmentState: 'reserved',
      codeSpent: false,
      commandId: null,
    });
    expect(await kinds(a.parcelId)).toEqual(['created', 'deposit_code_used', 'unlock_unconfirmed', 'unlock_answered_not_opened']);
    expect((await custody(a.parcelId))[3]).toMatchObject({ actorKind: 'applicant', evidence: { code: 'restored', before: 'unconfirmed' } });
    expect(await alarms(k.deviceId)).toEqual([{ kind: 'unlock_unconfirmed', subject: `command:${a.commandId}`, count: 1, cleared: true }]);

    // The next try is unconfirmed too, but the door did open: its closing deposits (the cycle was left open).
    const again = await submit(k, a.code);
    expect(again.status).toBe('ok');
    const commandId = again.data.commandId as string;
    await outcome(k, a.compartment, commandId, 'unconfirmed');
    await report(k, { type: 'unlock_answered', compartment: a.compartment, commandId, answer: 'opened' });
    expect(await parcel(a.parcelId)).toMatchObject({ codeSpent: true, commandId });
    await report(k, { type: 'door_closed', compartment: a.compartment, itemPresent: true });
    expect(await parcel(a.parcelId)).toMatchObject({ state: 'deposited', compartmentState: 'occupied' });
    expect((await alarms(k.deviceId)).map((x) => x.cleared)).toEqual([true, true]);
  });

  it('jammed still moves a deposit to another compartment; an opened door is not reassigned by a later jam report', async () => {
    const k = await register(siteIds[1]!);
    const a = await granted(k);
    await outcome(k, a.compartment, a.commandId, 'jammed');
    expect(await parcel(a.parcelId)).toMatchObject({ compartmentState: 'faulty', codeSpent: true });
    const moved = await ask(k, 'code:reassign', { requestId: randomUUID(), commandId: a.commandId });
    expect(moved).toMatchObject({ status: 'ok', data: { purpose: 'deposit' } });
    expect(moved.data.compartment).not.toBe(a.compartment);
    expect(await parcel(a.parcelId)).toMatchObject({
      state: 'awaiting_deposit',
      compartment: moved.data.compartment,
      compartmentState: 'reserved',
    });

    const b = await granted(k);
    await outcome(k, b.compartment, b.commandId, 'opened');
    await outcome(k, b.compartment, b.commandId, 'jammed');
    expect(await parcel(b.parcelId)).toMatchObject({ compartmentState: 'reserved' });
    expect(await ask(k, 'code:reassign', { requestId: randomUUID(), commandId: b.commandId })).toMatchObject({
      error: { code: 'not_jammed' },
    });
    expect(await kinds(b.parcelId)).toEqual(['created', 'deposit_code_used']);
  });

  it('a board reported unreachable 16 times is one alarm with one custody record, cleared by board_reachable, and shown to staff', async () => {
    const k = await register(siteIds[2]!);
    const a = await apply(k.siteId);
    const others = Array.from({ length: 16 }, (_, i) => i + 1).filter((n) => n !== a.compartment);
    const at = new Date().toISOString();
    // As an agent that reports per compartment would: the parcel's compartment first, then the rest, all at once.
    const replies = await Promise.all(
      [a.compartment, ...others.slice(0, 15)].map((compartment) =>
        ask(k, 'kiosk:event', {
          eventId: randomUUID(),
          at,
          type: 'fault',
          fault: 'board_unreachable',
          bus: 'rs485-1',
          board: 0,
          compartment,
          detail: 'no reply',
        }),
      ),
    );
    expect(replies.every((r) => r.status === 'ok')).toBe(true);
    expect(await alarms(k.deviceId)).toEqual([{ kind: 'board_unreachable', subject: 'board:rs485-1:0', count: 16, cleared: false }]);
    const unreachable = async () => (await kinds(a.parcelId)).filter((x) => x === 'alarm_board_unreachable');
    expect((await unreachable()).length).toBeLessThanOrEqual(1);
    // The board's fault names no compartment: it counts on the same alarm.
    await report(k, { type: 'fault', fault: 'board_unreachable', bus: 'rs485-1', board: 0 });
    expect(await alarms(k.deviceId)).toEqual([{ kind: 'board_unreachable', subject: 'board:rs485-1:0', count: 17, cleared: false }]);
    // A board fault without its board is malformed.
    expect(await report(k, { type: 'fault', fault: 'board_unreachable', compartment: 1 })).toMatchObject({
      error: { code: 'bad_request' },
    });

    const staff = await signIn(api, 'hall.staff');
    const status = await api('GET', `/api/admin/kiosks/${k.deviceId}/status`, staff);
    expect(status.status).toBe(200);
    expect(status.json).toMatchObject({
      deviceId: k.deviceId,
      siteId: k.siteId,
      alarms: [{ kind: 'board_unreachable', bus: 'rs485-1', board: 0, count: 17, clearedAt: null }],
    });

    await report(k, { type: 'fault', fault: 'board_reachable', bus: 'rs485-1', board: 0 });
    expect(await alarms(k.deviceId)).toEqual([{ kind: 'board_unreachable', subject: 'board:rs485-1:0', count: 17, cleared: true }]);
    // Unreachable again: a new alarm, and (a new raise) a custody record again.
    const before = (await unreachable()).length;
    await report(k, { type: 'fault', fault: 'board_unreachable', bus: 'rs485-1', board: 0, compartment: a.compartment });
    expect((await alarms(k.deviceId)).map((x) => [x.count, x.cleared])).toEqual([
      [17, true],
      [1, false],
    ]);
    expect(await unreachable()).toHaveLength(before + 1);
    expect(before).toBe(1);
    expect(firstBrokenLink(await custody(a.parcelId))).toBe(-1);
  });

  it('stores each kiosk’s last bus state, ignores an older report, raises bus_down and shows it to staff only', async () => {
    const k = await register(siteIds[2]!);
    const t0 = Date.now();
    const bus = (state: string, frames: number, extra: Json = {}) => ({
      bus: 'rs485-1',
      state,
      frames,
      replies: frames - 2,
      timeouts: 2,
      badFramesDropped: 1,
      reopenings: 0,
      ...extra,
    });
    const send = (ms: number, buses: Json[]) => ask(k, 'kiosk:bus', { at: new Date(t0 + ms).toISOString(), buses });
    expect(await send(0, [bus('up', 10), { ...bus('up', 5), bus: 'rs485-2' }])).toEqual({ status: 'ok', data: { stored: true } });
    expect(await send(2_000, [bus('down', 40, { reopenings: 1, lastError: 'port closed' })])).toEqual({
      status: 'ok',
      data: { stored: true },
    });
    // An older report arriving late changes nothing.
    expect(await send(1_000, [bus('up', 20)])).toEqual({ status: 'ok', data: { stored: false } });
    expect(await ask(k, 'kiosk:bus', { at: 'yesterday', buses: [] })).toMatchObject({ status: 'error', error: { code: 'bad_request' } });

    const show = async (who: string) => api('GET', `/api/admin/kiosks/${k.deviceId}/status`, await signIn(api, who));
    const seen = await show('ops.admin');
    expect(seen.status).toBe(200);
    expect(seen.json.buses).toEqual([
      {
        bus: 'rs485-1',
        state: 'down',
        frames: 40,
        replies: 38,
        timeouts: 2,
        badFramesDropped: 1,
        reopenings: 1,
        lastError: 'port closed',
        reportedAt: new Date(t0 + 2_000).toISOString(),
        receivedAt: expect.any(String),
      },
      expect.objectContaining({ bus: 'rs485-2', state: 'up', frames: 5 }),
    ]);
    expect(seen.json.alarms).toMatchObject([{ kind: 'bus_down', subject: 'bus:rs485-1', detail: 'port closed', clearedAt: null }]);
    expect(await send(3_000, [bus('up', 50, { reopenings: 1 })])).toEqual({ status: 'ok', data: { stored: true } });
    expect(await alarms(k.deviceId)).toEqual([{ kind: 'bus_down', subject: 'bus:rs485-1', count: 1, cleared: true }]);

    expect((await show('zhang.san')).status).toBe(403);
    expect((await api('GET', `/api/admin/kiosks/${randomUUID()}/status`, await signIn(api, 'hall.staff'))).status).toBe(404);
  });
});
