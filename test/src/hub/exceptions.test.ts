// Exceptions as records (issue 11, ADR 0022), in-process on a real PostgreSQL and Redis: each source
// that exists today opens one (a jammed or unconfirmed door, an expired deposit code, a courier
// pickup given up, a partner reservation that failed, a partner event the parcel cannot follow, a
// parcel picked up but never received), once per cause; the list shows each with its parcel's
// custody trail, people masked; each action (retry, reassign, contact, close) does what it says and
// is recorded with who and when, or is refused with nothing written; staff and admins only.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { UnrecoverableError } from 'bullmq';
import { pino } from 'pino';
import { io, type Socket } from 'socket.io-client';
import type { CourierOrderRequest } from '@xinbao/protocol';
import { expireDepositCodes } from '@xinbao/hub/features/applications/deposit-expiry';
import { flagNeverReceived } from '@xinbao/hub/features/exceptions/never-received';
import { withTransaction } from '@xinbao/hub/store/db';
import { openException } from '@xinbao/hub/store/exceptions';
import { custodyLog, lockParcel, moveParcel } from '@xinbao/hub/store/parcels';
import { signedHandshake } from '@xinbao/kiosk-agent/hub-link';
import { eventually } from '../support/eventually.js';
import { factorOf, signIn, type Json } from '../support/http.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { startPartnerRig, type PartnerRig } from '../support/partner-rig.js';
import { applyPassed } from '../support/apply.js';

const log = pino({ level: 'silent' });

describe('hub: exceptions from the own kiosks, the deposit codes, the courier queue and the hall timer', () => {
  let h: TestHub;
  let siteId = '';
  let dispatchRefuses = true;
  const orders: CourierOrderRequest[] = [];
  const sockets: Socket[] = [];
  const tokens: Record<string, string> = {};

  const connect = (deviceId: string, key: KeyObject) =>
    new Promise<Socket>((resolve, reject) => {
      const socket = io(`${h.url}/kiosk`, {
        transports: ['websocket'],
        auth: signedHandshake(deviceId, key, Date.now()),
        reconnection: false,
      });
      sockets.push(socket);
      socket.on('hello', () => resolve(socket));
      socket.on('connect_error', reject);
    });
  let kiosk: Socket;
  let deviceId = '';
  const ask = (event: string, body: unknown) => kiosk.timeout(5_000).emitWithAck(event, body) as Promise<Json>;
  /** a deposit code typed with its second factor, the applicant's phone digits (ADR 0018) */
  const submit = (code: { code: string; factor: string }) =>
    ask('code:submit', { requestId: randomUUID(), via: 'keypad', code: code.code, factor: code.factor });
  const report = (body: Json) => ask('kiosk:event', { eventId: randomUUID(), at: new Date().toISOString(), ...body });

  const apply = async (username = 'zhang.san') => {
    const r = await applyPassed(h.api, tokens[username], {
      matterCode: 'business-licence-change',
      dropOff: { channel: 'own_kiosk', siteId },
    });
    expect(r.status).toBe(201);
    return {
      applicationId: r.json.application.id as string,
      parcelId: r.json.parcel.id as string,
      code: { code: r.json.deposit.code as string, factor: factorOf(username) },
      compartment: r.json.compartment as number,
    };
  };
  const move = async (parcelId: string, moves: Array<Parameters<typeof moveParcel>[2]>, at = new Date()) => {
    for (const m of moves) {
      await withTransaction(h.db.pool, async (tx) => {
        await moveParcel(tx, await lockParcel(tx, parcelId), m, { actor: { kind: 'system', id: null }, at });
      });
    }
  };
  const list = async (query = '', who = 'hall.staff') => {
    const r = await h.api('GET', `/api/exceptions${query}`, tokens[who]);
    expect(r.status).toBe(200);
    return r.json.items as Json[];
  };
  const ofParcel = async (parcelId: string, kind?: string) =>
    (await list(kind ? `?kind=${kind}` : '')).filter((e) => e.parcel?.id === parcelId);
  const act = (id: string, body: Json, who = 'hall.staff') => h.api('POST', `/api/exceptions/${id}/actions`, tokens[who], body);
  const rowCount = async (sql: string, params: unknown[]) => Number((await h.db.pool.query<{ n: string }>(sql, params)).rows[0]!.n);

  beforeAll(async () => {
    h = await startTestHub({
      // The hub's own never-received timer stays out of the way: the timer test runs it with its own clock.
      env: { RUN_WORKERS: 'true', SWEEP_INTERVAL_MS: '3600000', NEVER_RECEIVED_AFTER_HOURS: '2000' },
      deps: {
        dispatch: {
          createOrder: async (order) => {
            // Not a CourierDispatchError: the pickup job fails for good at once (no backoff to wait out).
            if (dispatchRefuses) throw new UnrecoverableError('the dispatch system refused the order: unknown site');
            orders.push(order);
            return { orderId: order.orderId, dispatchRef: `D-${orders.length}` };
          },
        },
      },
    });
    for (const u of ['zhang.san', 'li.si', 'hall.staff', 'ems.courier', 'ops.admin']) tokens[u] = await signIn(h.api, u);
    const sites = (await h.api('GET', '/api/sites', tokens['ops.admin'])).json.sites as Json[];
    siteId = sites.find((s) => s.code === 'own-hall')!.id as string;
    const keys = generateKeyPairSync('ed25519');
    const reg = await h.api('POST', '/api/admin/kiosks', tokens['ops.admin'], {
      siteId,
      label: 'hall kiosk',
      publicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }),
    });
    deviceId = reg.json.deviceId as string;
    kiosk = await connect(deviceId, keys.privateKey);
  }, 60_000);

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await h?.stop();
  });

  it('a jammed deposit door opens one unlock_jammed exception with the custody trail, people masked; reassign moves it and gives the code back', async () => {
    const a = await apply();
    const grant = await submit(a.code);
    expect(grant.status).toBe('ok');
    const commandId = grant.data.commandId as string;
    await report({ type: 'unlock_result', compartment: a.compartment, commandId, outcome: 'jammed' });
    // The same report again (a retry from the kiosk): still one exception.
    await report({ type: 'unlock_result', compartment: a.compartment, commandId, outcome: 'jammed' });

    const found = await ofParcel(a.parcelId, 'unlock_jammed');
    expect(found).toHaveLength(1);
    const e = found[0]!;
    expect(e).toMatchObject({
      kind: 'unlock_jammed',
      subject: `command:${commandId}`,
      open: true,
      occurrences: 1,
      applicationId: a.applicationId,
      site: { id: siteId, code: 'own-hall' },
      parcel: { id: a.parcelId, state: 'awaiting_deposit' },
      detail: { commandId, deviceId, compartment: a.compartment, purpose: 'deposit' },
      actions: [],
    });
    expect((e.custody as Json[]).map((c) => c.kind)).toEqual(['created', 'deposit_code_used', 'unlock_jammed']);
    expect(e.custody[0].actor).toEqual({ kind: 'applicant', name: '张*' });
    expect(e.custody[2].actor).toEqual({ kind: 'kiosk', name: deviceId });
    expect(JSON.stringify(e)).not.toContain('张三');

    const moved = await act(e.id as string, { action: 'reassign', note: 'door 1 stuck; moved' });
    expect(moved.status).toBe(200);
    expect(moved.json).toMatchObject({ exceptionId: e.id, action: 'reassign', open: true, result: { codeRestored: true } });
    const to = moved.json.result.compartment as number;
    expect(to).not.toBe(a.compartment);
    expect((await custodyLog(h.db.pool, a.parcelId)).map((c) => c.kind)).toEqual([
      'created',
      'deposit_code_used',
      'unlock_jammed',
      'compartment_reassigned',
      'deposit_code_restored',
    ]);
    // The applicant's own code now opens the new door, once.
    const again = await submit(a.code);
    expect(again).toMatchObject({ status: 'ok', data: { compartment: to, purpose: 'deposit' } });
    // Reassigned already: a second reassign is refused and recorded nowhere.
    const twice = await act(e.id as string, { action: 'reassign' });
    expect(twice.status).toBe(409);
    expect(twice.json.error.code).toBe('not_applicable');
    const after = (await ofParcel(a.parcelId, 'unlock_jammed'))[0]!;
    expect(after.actions).toEqual([
      expect.objectContaining({
        action: 'reassign',
        by: { kind: 'staff', name: '王*' },
        note: 'door 1 stuck; moved',
        result: { compartment: to, codeRestored: true },
      }),
    ]);
  });

  it('an unconfirmed door opens an unlock_unconfirmed exception; retry and reassign do not apply to it and write nothing', async () => {
    const a = await apply('li.si');
    const grant = await submit(a.code);
    await report({ type: 'unlock_result', compartment: a.compartment, commandId: grant.data.commandId, outcome: 'unconfirmed' });
    const [e] = await ofParcel(a.parcelId, 'unlock_unconfirmed');
    expect(e).toMatchObject({ kind: 'unlock_unconfirmed', open: true, detail: { commandId: grant.data.commandId } });
    expect((e!.custody as Json[]).at(-1)!.kind).toBe('unlock_unconfirmed');
    for (const action of ['reassign', 'retry']) {
      const r = await act(e!.id as string, { action });
      expect(r.status).toBe(409);
      expect(r.json.error.code).toBe('not_applicable');
    }
    expect(await rowCount('SELECT count(*) AS n FROM exception_actions WHERE exception_id = $1', [e!.id])).toBe(0);
  });

  it('contact records; close needs a note, closes with who and when; a closed exception takes no action; the open filter follows', async () => {
    const a = await apply();
    const grant = await submit(a.code);
    await report({ type: 'unlock_result', compartment: a.compartment, commandId: grant.data.commandId, outcome: 'unconfirmed' });
    const [e] = await ofParcel(a.parcelId, 'unlock_unconfirmed');
    const id = e!.id as string;

    expect((await act(id, { action: 'contact', note: 'called the applicant: the door did open' })).json).toMatchObject({
      open: true,
      action: 'contact',
    });
    for (const note of [undefined, '   ']) {
      const r = await act(id, { action: 'close', ...(note !== undefined && { note }) });
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe('note_required');
    }
    const closed = await act(id, { action: 'close', note: 'documents found in the compartment' }, 'ops.admin');
    expect(closed.status).toBe(200);
    expect(closed.json).toMatchObject({ open: false, action: 'close' });

    expect((await list('?open=true')).map((x) => x.id)).not.toContain(id);
    const [shown] = (await list('?open=false')).filter((x) => x.id === id);
    expect(shown).toMatchObject({ open: false, closedBy: '运*', note: 'documents found in the compartment' });
    expect((shown!.actions as Json[]).map((x) => [x.action, x.by.kind, x.by.name])).toEqual([
      ['contact', 'staff', '王*'],
      ['close', 'admin', '运*'],
    ]);
    const late = await act(id, { action: 'contact', note: 'again' });
    expect(late.status).toBe(409);
    expect(late.json.error.code).toBe('exception_closed');
    expect(await rowCount('SELECT count(*) AS n FROM exception_actions WHERE exception_id = $1', [id])).toBe(2);

    // The same cause reported again reopens the record rather than opening a second.
    await withTransaction(h.db.pool, async (tx) => {
      const again = await openException(tx, {
        kind: 'unlock_unconfirmed',
        subject: e!.subject as string,
        parcelId: a.parcelId,
        at: new Date(),
      });
      expect(again).toEqual({ id, opened: false, reopened: true });
    });
    const [reopened] = (await list('?open=true&kind=unlock_unconfirmed')).filter((x) => x.id === id);
    expect(reopened).toMatchObject({ open: true, occurrences: 2, closedBy: null, note: null });
    expect((reopened!.actions as Json[]).at(-1)).toMatchObject({ action: 'reopened', by: { kind: 'system', name: null } });
  });

  it('an expired deposit code opens one code_expired exception in the expiry’s transaction, however often the sweep runs', async () => {
    const a = await apply();
    const later = () => new Date(Date.now() + 200 * 3_600_000);
    expect(await expireDepositCodes({ db: h.db.pool, now: later, log })).toBeGreaterThanOrEqual(1);
    await expireDepositCodes({ db: h.db.pool, now: later, log });
    const found = await ofParcel(a.parcelId, 'code_expired');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      open: true,
      parcel: { state: 'deposit_expired' },
      detail: { purpose: 'deposit', compartment: a.compartment },
    });
    expect((found[0]!.custody as Json[]).at(-1)).toMatchObject({ kind: 'deposit_expired', actor: { kind: 'system', name: null } });
    // Nothing to retry or reassign: refused.
    expect((await act(found[0]!.id as string, { action: 'retry' })).json.error.code).toBe('not_applicable');
  });

  it('a courier pickup order given up opens courier_failed; retry gives it back to the courier queue and the pickup is ordered', async () => {
    const a = await apply();
    await move(a.parcelId, ['deposited']);
    dispatchRefuses = true;
    await h.hub.queue.add('pickup', { kind: 'pickup', parcelId: a.parcelId }, { jobId: `pickup-${a.parcelId}` });
    const e = await eventually(async () => (await ofParcel(a.parcelId, 'courier_failed'))[0], 'the courier failure exception');
    expect(e).toMatchObject({
      subject: `pickup:${a.parcelId}`,
      open: true,
      parcel: { state: 'deposited' },
      detail: { stage: 'pickup_order' },
    });
    expect(String(e.detail.reason)).toContain('unknown site');

    dispatchRefuses = false;
    const r = await act(e.id as string, { action: 'retry', note: 'site code fixed at the dispatch system' });
    expect(r.status).toBe(200);
    expect(r.json.result).toEqual({ pickup: 'retried' });
    await eventually(async () => (await custodyLog(h.db.pool, a.parcelId)).at(-1)?.kind === 'pickup_ordered', 'the pickup to be ordered');
    expect(orders.filter((o) => o.trackingNumber !== undefined && o.kind === 'pickup')).toHaveLength(1);
    // The parcel has moved on: nothing left to retry.
    const late = await act(e.id as string, { action: 'retry' });
    expect(late.status).toBe(409);
    expect(late.json.error.code).toBe('not_applicable');
    // Still one record of the failure.
    expect(await ofParcel(a.parcelId, 'courier_failed')).toHaveLength(1);
  });

  it('flags a parcel picked up and not received within NEVER_RECEIVED_AFTER_HOURS, once; a received one never', async () => {
    const pickedUpAt = new Date('2026-12-01T06:00:00Z');
    const lost = await apply();
    const arrived = await apply('li.si');
    await move(lost.parcelId, ['deposited', 'pickup_ordered', 'picked_up'], pickedUpAt);
    await move(arrived.parcelId, ['deposited', 'pickup_ordered', 'picked_up'], pickedUpAt);
    await move(arrived.parcelId, ['received_at_hall'], new Date('2026-12-01T07:00:00Z'));
    const at = (iso: string) => ({ db: h.db.pool, now: () => new Date(iso), log, afterHours: 4 });

    expect(await flagNeverReceived(at('2026-12-01T09:59:59Z'))).toBe(0);
    expect(await ofParcel(lost.parcelId, 'never_received')).toEqual([]);
    expect(await flagNeverReceived(at('2026-12-01T10:00:00Z'))).toBe(1);
    expect(await flagNeverReceived(at('2026-12-01T16:00:00Z'))).toBe(0);
    const found = await ofParcel(lost.parcelId, 'never_received');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      subject: `parcel:${lost.parcelId}`,
      parcel: { state: 'picked_up' },
      detail: { pickedUpAt: pickedUpAt.toISOString(), afterHours: 4 },
      openedAt: '2026-12-01T10:00:00.000Z',
    });
    expect(await ofParcel(arrived.parcelId, 'never_received')).toEqual([]);
    // A shorter setting flags sooner.
    const soon = await apply();
    await move(soon.parcelId, ['deposited', 'pickup_ordered', 'picked_up'], pickedUpAt);
    expect(await flagNeverReceived({ ...at('2026-12-01T07:00:00Z'), afterHours: 1 })).toBe(1);
    expect(await ofParcel(soon.parcelId, 'never_received')).toHaveLength(1);
  });

  it('is for staff and admins: applicants and couriers get 403, nobody signed in 401; bad input is a 400, an unknown id a 404', async () => {
    const [any] = await list();
    for (const who of ['zhang.san', 'ems.courier']) {
      expect((await h.api('GET', '/api/exceptions', tokens[who])).status).toBe(403);
      const r = await act(any!.id as string, { action: 'contact', note: 'x' }, who);
      expect(r.status).toBe(403);
      expect(r.json.error.code).toBe('forbidden');
    }
    expect((await h.api('GET', '/api/exceptions')).status).toBe(401);
    expect((await list('', 'ops.admin')).length).toBeGreaterThan(0);
    expect((await h.api('GET', '/api/exceptions?open=maybe', tokens['hall.staff'])).status).toBe(400);
    expect((await h.api('GET', '/api/exceptions?kind=DROP%20TABLE', tokens['hall.staff'])).status).toBe(400);
    expect((await act(any!.id as string, { action: 'escalate' })).status).toBe(400);
    expect((await act(any!.id as string, { action: 'contact', extra: 1 })).status).toBe(400);
    expect((await act(randomUUID(), { action: 'contact' })).status).toBe(404);
    expect((await act('nope', { action: 'contact' })).status).toBe(400);
    expect(await rowCount("SELECT count(*) AS n FROM exception_actions WHERE actor_kind <> 'system' AND note = 'x'", [])).toBe(0);
  });
});

describe("hub: the hall's never-received timer runs by itself", () => {
  let h: TestHub;
  // The hub's clock is five hours ahead: a parcel picked up now is overdue at once.
  const ahead = () => new Date(Date.now() + 5 * 3_600_000);

  beforeAll(async () => {
    h = await startTestHub({
      env: { RUN_WORKERS: 'true', SWEEP_INTERVAL_MS: '300' },
      deps: { now: ahead, dispatch: { createOrder: () => Promise.reject(new UnrecoverableError('no courier in this test')) } },
    });
  }, 60_000);

  afterAll(async () => {
    await h?.stop();
  });

  it('flags a parcel picked up longer ago than NEVER_RECEIVED_AFTER_HOURS (default 4) from its repeatable job', async () => {
    const token = await signIn(h.api, 'zhang.san');
    const sites = (await h.api('GET', '/api/sites', token)).json.sites as Json[];
    const siteId = sites.find((s) => s.code === 'own-hall')!.id as string;
    const r = await applyPassed(h.api, token, {
      matterCode: 'business-licence-change',
      dropOff: { channel: 'own_kiosk', siteId },
    });
    const parcelId = r.json.parcel.id as string;
    for (const m of ['deposited', 'pickup_ordered', 'picked_up'] as const) {
      await withTransaction(h.db.pool, async (tx) => {
        await moveParcel(tx, await lockParcel(tx, parcelId), m, { actor: { kind: 'system', id: null }, at: new Date() });
      });
    }
    const staff = await signIn(h.api, 'hall.staff');
    const found = await eventually(async () => {
      const items = (await h.api('GET', '/api/exceptions?kind=never_received', staff)).json.items as Json[];
      return items.find((e) => e.parcel?.id === parcelId);
    }, 'the never_received exception');
    expect(found).toMatchObject({ subject: `parcel:${parcelId}`, detail: { afterHours: 4 }, occurrences: 1 });
  });
});

describe('hub: exceptions from the partner locker network', () => {
  let rig: PartnerRig;

  beforeAll(async () => {
    rig = await startPartnerRig();
  }, 60_000);

  afterAll(async () => {
    await rig?.stop();
  });

  const ofParcel = async (parcelId: string) => {
    const r = await rig.api('GET', '/api/exceptions?kind=partner_failed', await rig.token('hall.staff'));
    return (r.json.items as Json[]).filter((e) => e.parcel?.id === parcelId);
  };

  it('a failed reservation opens partner_failed; an event the parcel cannot follow opens another, once however often it comes', async () => {
    const a = await rig.apply('FULL');
    await rig.waitForDropOff(a.applicationId, 'failed');
    const [failed] = await ofParcel(a.parcelId);
    expect(failed).toMatchObject({
      subject: `reservation:${a.parcelId}`,
      parcel: { state: 'reservation_failed' },
      detail: { stage: 'reservation', failureCode: 'NO_COMPARTMENT' },
    });
    expect((failed!.custody as Json[]).map((c) => c.kind)).toEqual(['created', 'reservation_failed']);

    const event = {
      eventId: `evt-${randomUUID()}`,
      seq: 900_000,
      reservationId: 'R-LATE',
      requestId: a.parcelId,
      reference: a.trackingNumber,
      siteId: 'FULL',
      deviceId: 'FULL-1',
      at: new Date().toISOString(),
      type: 'deposited' as const,
      data: { compartmentNo: 3, size: 'M' as const },
    };
    expect((await rig.hub.partner!.receive(event)).outcome).toBe('ignored');
    expect((await rig.hub.partner!.receive(event)).outcome).toBe('duplicate');
    const all = await ofParcel(a.parcelId);
    expect(all.map((e) => e.subject).sort()).toEqual([`partner-event:postal:${event.eventId}`, `reservation:${a.parcelId}`].sort());
    expect(all.find((e) => String(e.subject).startsWith('partner-event'))).toMatchObject({
      occurrences: 1,
      detail: { stage: 'event', type: 'deposited', eventId: event.eventId },
    });
  });
});
