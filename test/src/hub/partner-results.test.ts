// Results back to the applicant through a partner locker (ADR 0025), against the partner network
// simulator over real HTTP (signed requests, signed webhooks to the hub's real port): the delivery
// reservation and its deliver code (sealed at rest, never in clear), the courier's deposit and the
// partner's collection code in the notices outbox, once however often the partner says so; each
// failure an exception for staff — no compartment, the reservation run out, the deposit refused —
// and the holding period: the partner's own expiry and the hub's timer both send a courier with the
// partner's return code, after which the applicant's code no longer opens the door.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { firstBrokenLink } from '@xinbao/hub/domain/custody';
import { enqueueOrder, sweepResults } from '@xinbao/hub/features/results/jobs';
import { startPartnerRig, type PartnerRig } from '../support/partner-rig.js';
import { eventually } from '../support/eventually.js';
import type { Json } from '../support/http.js';
import { applyPassed } from '../support/apply.js';

let rig: PartnerRig;

beforeAll(async () => {
  rig = await startPartnerRig();
}, 60_000);

afterAll(async () => {
  await rig?.stop();
});

/** An application with no paper in whose result comes back to the partner locker `externalId`, approved by staff. */
async function approvedForPartnerLocker(externalId: string, username = 'zhang.san') {
  const applicant = await rig.token(username);
  const created = await applyPassed(rig.api, applicant, {
    matterCode: 'business-licence-change',
    dropOff: { channel: 'none' },
    returnChannel: { channel: 'partner_locker', siteId: await rig.siteId(externalId) },
  });
  expect(created).toMatchObject({ status: 201, json: { returnChannel: 'partner_locker' } });
  const applicationId = created.json.application.id as string;
  const approved = await rig.api('POST', `/api/applications/${applicationId}/approve`, await rig.token('hall.staff'), {});
  expect(approved).toMatchObject({ status: 201, json: { result: { state: 'result_ready', channel: 'partner_locker' } } });
  return {
    applicationId,
    parcelId: approved.json.result.id as string,
    trackingNumber: approved.json.result.trackingNumber as string,
    token: applicant,
  };
}

const keypad = (deviceId: string, code: string) => rig.control('POST', `/devices/${deviceId}/keypad`, { code });
const orderOf = (trackingNumber: string, kind: 'delivery' | 'pickup') =>
  [...rig.courier.orders.values()].find((o) => o.trackingNumber === trackingNumber && o.kind === kind);
const exceptionsOf = async (parcelId: string) =>
  (await rig.db.pool.query(`SELECT kind, detail FROM exceptions WHERE parcel_id = $1 ORDER BY opened_at`, [parcelId])).rows as Json[];
const reservationRow = async (parcelId: string) =>
  (
    await rig.db.pool.query(
      `SELECT purpose, status, open_code_enc AS "openCodeEnc", compartment_no AS "compartmentNo", failure_code AS "failureCode" FROM partner_reservations WHERE parcel_id = $1`,
      [parcelId],
    )
  ).rows[0] as Json;
const noticesOf = async (token: string, parcelId: string) =>
  ((await rig.api('GET', '/api/me/notices', token)).json.notices as Json[]).filter((n) => n.parcelId === parcelId);
const kinds = async (parcelId: string) => (await rig.custody(parcelId)).map((e) => [e.kind, e.toState]);

/** Approved for BIG, its delivery order out with the partner's deliver code. */
async function deliveryUnderWay() {
  const r = await approvedForPartnerLocker('BIG');
  await rig.waitForParcel(r.parcelId, 'delivery_ordered');
  const sim = (await rig.simReservation(r.parcelId))!;
  const order = orderOf(r.trackingNumber, 'delivery')!;
  return { ...r, sim, order };
}

describe('a result delivered into a partner locker', () => {
  it('reserves for delivery, sends the deliver code (sealed at rest), and gives the applicant the partner’s collection code once', async () => {
    const r = await deliveryUnderWay();
    expect(r.sim).toMatchObject({ purpose: 'delivery', siteId: 'BIG', deviceId: 'BIG-1', state: 'reserved', reference: r.trackingNumber });
    expect(r.order).toMatchObject({
      kind: 'delivery',
      code: r.sim.openCode,
      compartment: r.sim.compartmentNo,
      site: { code: 'postal:BIG' },
    });
    const row = await reservationRow(r.parcelId);
    expect(row).toMatchObject({ purpose: 'delivery', status: 'reserved', compartmentNo: r.sim.compartmentNo });
    expect((row.openCodeEnc as Buffer).toString('latin1')).not.toContain(r.sim.openCode as string);

    // The partner will say "deposited" twice; it counts once.
    expect((await rig.control('POST', '/webhooks/faults', { mode: 'duplicate', count: 1 })).status).toBe(200);
    expect((await keypad('BIG-1', r.order.code!)).body.state).toBe('deposited');
    await rig.waitForParcel(r.parcelId, 'in_locker');
    await eventually(async () => (await rig.events(r.parcelId)).some((e) => e.type === 'deposited'), 'the deposited event');
    await eventually(
      async () => (await rig.control('GET', `/deliveries?reservationId=${r.sim.reservationId as string}`)).body.pending === 0,
      'the duplicate delivered',
    );
    // The reconciliation pulls the same events again: all duplicates, nothing written twice.
    const pulled = await rig.hub.partner!.reconcile();
    expect(pulled.fresh).toBe(0);
    const collectionCode = (await rig.simReservation(r.parcelId))!.collectionCode as string;
    const notices = await noticesOf(r.token, r.parcelId);
    expect(notices.map((n) => n.kind)).toEqual(['result_in_locker']);
    expect(notices[0]!.details).toMatchObject({ code: collectionCode, compartment: r.sim.compartmentNo, factor: 'none' });
    expect(await reservationRow(r.parcelId)).toMatchObject({ status: 'deposited', openCodeEnc: null });
    const stored = JSON.stringify([await rig.events(r.parcelId), await rig.custody(r.parcelId)]);
    expect(stored).not.toContain(collectionCode);
    expect(stored).not.toContain(r.sim.openCode);

    // Another applicant sees nothing of it.
    expect(await noticesOf(await rig.token('li.si'), r.parcelId)).toEqual([]);

    expect((await keypad('BIG-1', collectionCode)).body.state).toBe('collected');
    await rig.waitForParcel(r.parcelId, 'collected');
    expect(await kinds(r.parcelId)).toEqual([
      ['created', 'result_ready'],
      ['partner_reserved', 'result_ready'],
      ['delivery_ordered', 'delivery_ordered'],
      ['out_for_delivery', 'out_for_delivery'],
      ['in_locker', 'in_locker'],
      ['collected', 'collected'],
    ]);
    const custody = await rig.custody(r.parcelId);
    expect(firstBrokenLink(custody as never)).toBe(-1);
    // Once collected, the code is shown no more.
    expect((await noticesOf(r.token, r.parcelId))[0]!.details.code).toBeUndefined();
    expect(await exceptionsOf(r.parcelId)).toEqual([]);
  });

  it('is refused up front when the site is one of the hall’s own kiosks, and checked against the matter’s channels', async () => {
    const t = await rig.token('zhang.san');
    const own = (await rig.db.pool.query(`SELECT id FROM sites WHERE network = 'own' LIMIT 1`)).rows[0].id as string;
    const wrong = await applyPassed(rig.api, t, {
      matterCode: 'business-licence-change',
      dropOff: { channel: 'none' },
      returnChannel: { channel: 'partner_locker', siteId: own },
    });
    expect(wrong).toMatchObject({ status: 400, json: { error: { code: 'wrong_network' } } });
    const notAllowed = await applyPassed(rig.api, t, {
      matterCode: 'construction-permit',
      dropOff: { channel: 'none' },
      returnChannel: { channel: 'partner_locker', siteId: await rig.siteId('BIG') },
    });
    expect(notAllowed).toMatchObject({ status: 400, json: { error: { code: 'channel_not_allowed' } } });
  });
});

describe('when the partner fails the delivery, staff see it on the exceptions list', () => {
  it('no compartment: the partner refuses the reservation; nothing goes to the courier', async () => {
    const r = await approvedForPartnerLocker('FULL');
    await eventually(async () => (await reservationRow(r.parcelId)).status === 'failed', 'the reservation failed');
    expect(await reservationRow(r.parcelId)).toMatchObject({ status: 'failed', failureCode: 'NO_COMPARTMENT', openCodeEnc: null });
    expect(await rig.parcelState(r.parcelId)).toBe('result_ready');
    expect(orderOf(r.trackingNumber, 'delivery')).toBeUndefined();
    expect(await exceptionsOf(r.parcelId)).toEqual([
      { kind: 'partner_failed', detail: expect.objectContaining({ stage: 'delivery_reservation', failureCode: 'NO_COMPARTMENT' }) },
    ]);
    expect(await kinds(r.parcelId)).toEqual([
      ['created', 'result_ready'],
      ['partner_failed', 'result_ready'],
    ]);
    const order = await rig.db.pool.query(`SELECT status FROM courier_orders WHERE parcel_id = $1`, [r.parcelId]);
    expect(order.rows).toEqual([{ status: 'cancelled' }]);
  });

  it('the reservation runs out before the courier comes: an exception, the deliver code no longer works', async () => {
    const r = await deliveryUnderWay();
    expect((await rig.control('POST', '/expire', { reservationId: r.sim.reservationId })).status).toBe(200);
    await eventually(async () => (await exceptionsOf(r.parcelId)).length === 1, 'the exception');
    expect(await exceptionsOf(r.parcelId)).toEqual([
      { kind: 'partner_failed', detail: expect.objectContaining({ stage: 'reservation_expired', direction: 'outbound' }) },
    ]);
    expect(await reservationRow(r.parcelId)).toMatchObject({ status: 'expired', openCodeEnc: null });
    expect(await rig.parcelState(r.parcelId)).toBe('delivery_ordered');
    expect((await keypad('BIG-1', r.order.code!)).status).toBe(403);
  });

  it('the locker refuses the deposit: an exception; the courier’s next try goes in', async () => {
    const r = await deliveryUnderWay();
    const before = (await rig.control('GET', '/doors')).body.openings.length as number;
    expect(
      (await rig.control('POST', `/reservations/${r.sim.reservationId as string}/refuse-deposit`, { reason: 'the door is jammed' })).status,
    ).toBe(200);
    expect((await keypad('BIG-1', r.order.code!)).status).toBe(409);
    await eventually(async () => (await exceptionsOf(r.parcelId)).length === 1, 'the exception');
    expect(await exceptionsOf(r.parcelId)).toEqual([
      { kind: 'partner_failed', detail: expect.objectContaining({ stage: 'deposit_refused', reason: 'the door is jammed' }) },
    ]);
    expect(await rig.parcelState(r.parcelId)).toBe('delivery_ordered');
    expect((await rig.control('GET', '/doors')).body.openings).toHaveLength(before);

    expect((await keypad('BIG-1', r.order.code!)).body.state).toBe('deposited');
    await rig.waitForParcel(r.parcelId, 'in_locker');
    expect((await kinds(r.parcelId)).map(([k]) => k)).toEqual([
      'created',
      'partner_reserved',
      'delivery_ordered',
      'partner_failed',
      'out_for_delivery',
      'in_locker',
    ]);
  });
});

describe('the holding period', () => {
  /** In the locker, its collection code known. */
  async function inLocker() {
    const r = await deliveryUnderWay();
    expect((await keypad('BIG-1', r.order.code!)).body.state).toBe('deposited');
    await rig.waitForParcel(r.parcelId, 'in_locker');
    const collectionCode = (await rig.simReservation(r.parcelId))!.collectionCode as string;
    return { ...r, collectionCode };
  }

  /**
   * The courier takes it back with the partner's return code (returning: in the courier's hands),
   * the hall scans it in (returned_to_hall, ADR 0028) and it goes on to `then`; the applicant's code opened nothing.
   */
  async function takenBack(r: Awaited<ReturnType<typeof inLocker>>, then = 'returned_to_hall') {
    const order = await eventually(async () => orderOf(r.trackingNumber, 'pickup'), 'the return order');
    const sim = (await rig.simReservation(r.parcelId))!;
    expect(order).toMatchObject({ code: sim.pickupCode, compartment: r.sim.compartmentNo, site: { code: 'postal:BIG' } });
    expect((await keypad('BIG-1', r.collectionCode)).status).toBe(403);
    expect((await keypad('BIG-1', order.code!)).body.state).toBe('collected');
    await rig.waitForParcel(r.parcelId, 'returning');
    const scanned = await rig.api('POST', '/api/intake/scans', await rig.token('hall.staff'), { trackingNumber: r.trackingNumber });
    expect(scanned.json).toMatchObject({ result: 'received', parcel: { state: then } });
    await rig.waitForParcel(r.parcelId, then);
    const doors = ((await rig.control('GET', `/doors?reservationId=${r.sim.reservationId as string}`)).body.openings as Json[]).map(
      (o) => o.codeKind,
    );
    expect(doors).toEqual(['deliver', 'return']);
  }

  it('the partner’s own expiry: the collection code stops, a courier takes the result back to the hall', async () => {
    const r = await inLocker();
    expect((await rig.control('POST', `/reservations/${r.sim.reservationId as string}/expire-hold`)).status).toBe(200);
    await takenBack(r);
    expect((await kinds(r.parcelId)).map(([k]) => k)).toEqual([
      'created',
      'partner_reserved',
      'delivery_ordered',
      'out_for_delivery',
      'in_locker',
      'return_ordered',
      'returning',
      'returned_to_hall',
    ]);
    expect((await noticesOf(r.token, r.parcelId)).map((n) => n.kind).sort()).toEqual(['result_in_locker', 'result_returning']);
  });

  it('the hub’s timer (a clock passed in): a reminder, then the return with the partner’s return code', async () => {
    const r = await inLocker();
    const hold = (await rig.db.pool.query(`SELECT in_locker_at, hold_until FROM result_holds WHERE parcel_id = $1`, [r.parcelId])).rows[0];
    const timers = { remindAfterHours: 24, remindBeforeHours: 24, holdDays: 7 };
    const at = (hours: number) => () => new Date((hold.in_locker_at as Date).getTime() + hours * 3_600_000);
    const log = pino({ level: 'silent' });
    const enqueue = (o: { parcelId: string; kind: 'delivery' | 'mail' | 'pickup' }) => enqueueOrder(rig.hub.resultsQueue, o);
    await sweepResults({ db: rig.db.pool, now: at(timers.remindAfterHours + 1), log, timers }, enqueue);
    expect((await noticesOf(r.token, r.parcelId)).map((n) => n.kind)).toContain('result_reminder_collect');
    expect(await rig.parcelState(r.parcelId)).toBe('in_locker');
    const after = () => new Date((hold.hold_until as Date).getTime() + 60_000);
    await sweepResults({ db: rig.db.pool, now: after, log, timers }, enqueue);
    await takenBack(r);
    const ended = (await rig.custody(r.parcelId)).find((e) => e.kind === 'return_ordered')!;
    expect(ended.evidence).toEqual({ reason: 'holding_period_over' });
  });

  it('the applicant switches to the counter: taken back, then at the counter', async () => {
    const r = await inLocker();
    const switched = await rig.api('POST', `/api/results/${r.parcelId}/switch`, r.token, { channel: 'counter' });
    expect(switched.status).toBe(200);
    // Back at the hall, it goes on to the counter in the same transaction.
    await takenBack(r, 'at_counter');
    expect((await kinds(r.parcelId)).slice(-5)).toEqual([
      ['channel_switched', 'in_locker'],
      ['return_ordered', 'in_locker'],
      ['returning', 'returning'],
      ['returned_to_hall', 'returned_to_hall'],
      ['at_counter', 'at_counter'],
    ]);
    expect((await noticesOf(r.token, r.parcelId)).map((n) => n.kind).sort()).toEqual([
      'result_at_counter',
      'result_in_locker',
      'result_returning',
    ]);
  });
});
