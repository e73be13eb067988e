// The partner's callbacks and the reconciliation, against the partner simulator over real HTTP, with
// the open-code delivered by callback (code_issued): a deposit at the partner's keypad moves the
// parcel and orders the courier with the partner's courier code; bad or stale signatures are refused
// with 401 and recorded; duplicates are applied once; events out of order (a deposit before the
// code, a collection before the courier order) end where they should; a lost deposit callback is
// caught up by the reconciliation.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { partnerWebhookHeaders, type PartnerEvent } from '@xinbao/protocol';
import { firstBrokenLink } from '@xinbao/hub/domain/custody';
import { PARTNER_APP, startPartnerRig, type PartnerRig } from '../support/partner-rig.js';
import { eventually } from '../support/eventually.js';
import type { Json } from '../support/http.js';

let rig: PartnerRig;

beforeAll(async () => {
  rig = await startPartnerRig({ env: { PARTNER_CODE_DELIVERY: 'callback' } });
}, 60_000);

afterAll(async () => {
  await rig?.stop();
});

const keypad = async (deviceId: string, code: string) => {
  const r = await rig.control('POST', `/devices/${deviceId}/keypad`, { code });
  expect(r.status).toBe(200);
  return r.body as Json;
};
const simEvents = (reservationId: string): PartnerEvent[] =>
  rig.sim.network.events(PARTNER_APP.appId, 0, 10_000).events.filter((e) => e.reservationId === reservationId);
const deliveries = async (reservationId: string) =>
  (await rig.control('GET', `/deliveries?reservationId=${reservationId}`)).body.deliveries as Json[];
const post = (raw: string, headers: Record<string, string>) =>
  fetch(`${rig.hubUrl}/api/partner/webhooks`, { method: 'POST', headers, body: raw });
const rejections = async () =>
  (
    await rig.db.pool.query(
      `SELECT reason, status, event_id AS "eventId", body_sha256 AS "bodySha256", body_bytes AS "bodyBytes" FROM partner_webhook_rejections ORDER BY received_at`,
    )
  ).rows;

/** Applies at BIG and waits for the partner's code; returns the application and the simulator's reservation. */
async function ready(): Promise<{ a: Awaited<ReturnType<PartnerRig['apply']>>; sim: Json; view: Json }> {
  const a = await rig.apply('BIG');
  expect(a.status).toBe(201);
  const view = await rig.waitForDropOff(a.applicationId, 'ready');
  const sim = (await rig.simReservation(a.parcelId))!;
  expect(view.code).toBe(sim.openCode);
  return { a, sim, view };
}

describe('the journey by callbacks', () => {
  it('code by callback → deposit at the keypad → courier ordered with the partner courier code → collected', async () => {
    const { a, sim } = await ready();
    expect(sim.codeDelivery).toBe('callback');
    expect((await rig.custody(a.parcelId))[1]!.evidence).toMatchObject({ codeDelivery: 'callback', reservationId: sim.reservationId });

    // The resident types the code at the partner's locker.
    expect(await keypad(sim.deviceId, sim.openCode)).toMatchObject({ state: 'deposited' });
    await rig.waitForParcel(a.parcelId, 'pickup_ordered');
    expect(await rig.dropOff(a.applicationId)).toMatchObject({ state: 'deposited' });
    expect(
      (await rig.db.pool.query('SELECT open_code_enc FROM partner_reservations WHERE parcel_id = $1', [a.parcelId])).rows[0].open_code_enc,
    ).toBeNull();

    // The courier's order carries the partner's collection code, its locker and compartment.
    const pickupCode = (await rig.simReservation(a.parcelId))!.pickupCode as string;
    expect(pickupCode).toMatch(/^\d{8}$/);
    const order = [...rig.courier.orders.values()].find((o) => o.trackingNumber === a.trackingNumber)!;
    expect(order).toMatchObject({
      kind: 'pickup',
      code: pickupCode,
      compartment: sim.compartmentNo,
      site: { code: 'postal:BIG', name: '西大街社区服务站' },
    });

    // The courier opens the compartment with it.
    expect(await keypad(sim.deviceId, pickupCode)).toMatchObject({ state: 'collected' });
    await rig.waitForParcel(a.parcelId, 'picked_up');
    expect(await rig.dropOff(a.applicationId)).toMatchObject({ state: 'collected' });
    expect(
      (await rig.db.pool.query(`SELECT status, compartment_id FROM courier_orders WHERE parcel_id = $1`, [a.parcelId])).rows[0],
    ).toEqual({ status: 'done', compartment_id: null });

    const custody = await rig.custody(a.parcelId);
    expect(custody.map((e) => [e.kind, e.toState, e.actorKind])).toEqual([
      ['created', 'reserving', 'applicant'],
      ['reserved', 'awaiting_deposit', 'partner'],
      ['deposited', 'deposited', 'applicant'],
      ['pickup_ordered', 'pickup_ordered', 'system'],
      ['picked_up', 'picked_up', 'courier'],
    ]);
    expect(custody.slice(1).every((e) => e.compartment === sim.compartmentNo)).toBe(true);
    expect(firstBrokenLink(custody as never)).toBe(-1);
    for (const e of custody) expect(JSON.stringify(e)).not.toContain(sim.openCode);
    expect((await rig.events(a.parcelId)).map((e) => [e.type, e.source, e.outcome])).toEqual([
      ['code_issued', 'webhook', 'applied'],
      ['deposited', 'webhook', 'applied'],
      ['collected', 'webhook', 'applied'],
    ]);
  });
});

describe('callbacks are verified', () => {
  it('refuses a bad signature, a stale timestamp, another app and missing headers with 401, records each, changes nothing', async () => {
    const { a, sim } = await ready();
    const issued = simEvents(sim.reservationId as string)[0]!;
    // A forged deposit of this parcel.
    const forged = {
      ...issued,
      eventId: 'evt_forged_0001',
      seq: issued.seq + 1000,
      type: 'deposited',
      data: { compartmentNo: sim.compartmentNo, size: sim.size },
    };
    const raw = JSON.stringify(forged);
    const before = (await rejections()).length;

    const wrongKey = partnerWebhookHeaders(PARTNER_APP.appId, 'not-the-webhook-secret', forged.eventId, raw, Date.now());
    const r1 = await post(raw, wrongKey);
    expect(r1.status).toBe(401);
    expect(((await r1.json()) as Json).error.code).toBe('bad_signature');

    const stale = partnerWebhookHeaders(PARTNER_APP.appId, PARTNER_APP.webhookSecret, forged.eventId, raw, Date.now() - 10 * 60_000);
    const r2 = await post(raw, stale);
    expect(r2.status).toBe(401);
    expect(((await r2.json()) as Json).error.code).toBe('stale_timestamp');

    // Signed right, but over a different body than the one sent.
    const other = partnerWebhookHeaders(PARTNER_APP.appId, PARTNER_APP.webhookSecret, forged.eventId, JSON.stringify(issued), Date.now());
    expect((await post(raw, other)).status).toBe(401);

    const otherApp = partnerWebhookHeaders('someone-else', PARTNER_APP.webhookSecret, forged.eventId, raw, Date.now());
    expect((await post(raw, otherApp)).status).toBe(401);
    expect((await post(raw, { 'content-type': 'application/json' })).status).toBe(401);

    // Signed right, not an event.
    const junk = JSON.stringify({ hello: 'world' });
    const r6 = await post(junk, partnerWebhookHeaders(PARTNER_APP.appId, PARTNER_APP.webhookSecret, 'evt_junk', junk, Date.now()));
    expect(r6.status).toBe(400);

    const recorded = (await rejections()).slice(before);
    expect(recorded.map((r) => [r.reason, r.status])).toEqual([
      ['bad_signature', 401],
      ['stale_timestamp', 401],
      ['bad_signature', 401],
      ['unknown_app', 401],
      ['missing_header', 401],
      ['invalid_event', 400],
    ]);
    expect(recorded[0]).toMatchObject({ eventId: 'evt_forged_0001', bodyBytes: Buffer.byteLength(raw) });
    expect(recorded[0]!.bodySha256).toMatch(/^[0-9a-f]{64}$/);
    // Nothing moved, nothing was stored as an event.
    expect(await rig.parcelState(a.parcelId)).toBe('awaiting_deposit');
    expect((await rig.events(a.parcelId)).map((e) => e.eventId)).toEqual([issued.eventId]);

    // The same event, properly signed, is taken (the partner's real deposit would be).
    const signed = partnerWebhookHeaders(PARTNER_APP.appId, PARTNER_APP.webhookSecret, issued.eventId, JSON.stringify(issued), Date.now());
    const again = await post(JSON.stringify(issued), signed);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ eventId: issued.eventId, duplicate: true });
  });
});

describe('duplicates and disorder', () => {
  it('applies an event delivered twice once', async () => {
    await rig.control('POST', '/webhooks/faults', { mode: 'duplicate', count: 2 });
    const { a, sim } = await ready();
    await keypad(sim.deviceId, sim.openCode);
    await rig.waitForParcel(a.parcelId, 'pickup_ordered');
    // Every copy has been delivered and answered 200.
    await eventually(async () => {
      const d = (await deliveries(sim.reservationId)).filter((x) => x.outcome === 'delivered');
      return d.length >= 4 ? d : undefined;
    }, 'both copies of both events');
    const delivered = (await deliveries(sim.reservationId)).filter((x) => x.outcome === 'delivered');
    expect(delivered.map((d) => d.type).sort()).toEqual(['code_issued', 'code_issued', 'deposited', 'deposited']);
    expect((await rig.events(a.parcelId)).map((e) => [e.type, e.outcome])).toEqual([
      ['code_issued', 'applied'],
      ['deposited', 'applied'],
    ]);
    expect((await rig.custody(a.parcelId)).map((e) => e.kind)).toEqual(['created', 'reserved', 'deposited', 'pickup_ordered']);
    expect([...rig.courier.orders.values()].filter((o) => o.trackingNumber === a.trackingNumber)).toHaveLength(1);
  });

  it('a deposit that arrives before the code: deposited, and the late code is never shown', async () => {
    // Hold the next two events and deliver them newest first.
    await rig.control('POST', '/webhooks/faults', { mode: 'reorder', count: 2 });
    const a = await rig.apply('BIG');
    const sim = await eventually(async () => {
      const r = await rig.simReservation(a.parcelId);
      return r?.openCodeIssued === true ? r : undefined;
    }, 'the partner to issue the code');
    // The hub has the reservation but not its code: the applicant waits, with no code.
    const waiting = await rig.dropOff(a.applicationId);
    expect(waiting.state).toBe('reserving');
    expect(waiting.code).toBeUndefined();

    // Someone deposits (the simulator's hand, no code typed); the held events now go out, deposit first.
    expect((await rig.control('POST', `/reservations/${sim.reservationId}/deposit`, {})).status).toBe(200);
    await rig.waitForParcel(a.parcelId, 'pickup_ordered');
    await eventually(async () => (await rig.events(a.parcelId)).length === 2, 'both events');
    const order = (await deliveries(sim.reservationId)).filter((d) => d.outcome === 'delivered').map((d) => d.type);
    expect(order).toEqual(['deposited', 'code_issued']);
    const events = await rig.events(a.parcelId);
    expect(events.map((e) => [e.type, e.outcome])).toEqual([
      ['code_issued', 'ignored'],
      ['deposited', 'applied'],
    ]);
    expect(events[0]!.detail).toContain('no longer opens');
    expect(await rig.dropOff(a.applicationId)).toMatchObject({ state: 'deposited' });
    expect((await rig.dropOff(a.applicationId)).code).toBeUndefined();
    const custody = await rig.custody(a.parcelId);
    expect(custody.map((e) => [e.kind, e.toState])).toEqual([
      ['created', 'reserving'],
      ['reserved', 'awaiting_deposit'],
      ['deposited', 'deposited'],
      ['pickup_ordered', 'pickup_ordered'],
    ]);
    expect(custody[1]!.evidence).toMatchObject({ openCodeReceived: false });
    expect(firstBrokenLink(custody as never)).toBe(-1);
  });

  it('a collection that arrives before the courier dispatch system confirmed the order: the order went out, the parcel is picked up', async () => {
    const { a, sim } = await ready();
    // The courier dispatch system takes the order but answers 503 (its answer lost): the hub retries.
    rig.courier.failNext(3);
    await keypad(sim.deviceId, sim.openCode);
    const pickupCode = await eventually(
      async () => (await rig.simReservation(a.parcelId))?.pickupCode as string | undefined,
      'the partner courier code',
    );
    await eventually(async () => {
      const r = await rig.db.pool.query(`SELECT code_sent_at FROM courier_orders WHERE parcel_id = $1`, [a.parcelId]);
      return Boolean(r.rows[0]?.code_sent_at);
    }, 'the order to go out');
    expect(await rig.parcelState(a.parcelId)).toBe('deposited');
    // The courier, whose PDA got the code all the same, collects at once.
    await keypad(sim.deviceId, pickupCode);
    await rig.waitForParcel(a.parcelId, 'picked_up');
    const collected = (await rig.events(a.parcelId)).find((e) => e.type === 'collected')!;
    expect(collected).toMatchObject({ outcome: 'applied', detail: 'collected before the courier dispatch system confirmed the order' });
    const custody = await rig.custody(a.parcelId);
    expect(custody.map((e) => e.kind)).toEqual(['created', 'reserved', 'deposited', 'pickup_ordered', 'picked_up']);
    expect(custody[3]!.evidence).toMatchObject({ confirmed: false, courierCodeFrom: 'partner' });
    expect(firstBrokenLink(custody as never)).toBe(-1);
    // The pickup job's next try finds the parcel gone and orders nothing more.
    await eventually(
      async () => (await rig.hub.queue.getJob(`pickup-${a.parcelId}`))?.returnvalue === 'not_needed',
      'the pickup job to end',
      30_000,
    );
    expect((await rig.custody(a.parcelId)).length).toBe(5);
    expect((await rig.db.pool.query(`SELECT status FROM courier_orders WHERE parcel_id = $1`, [a.parcelId])).rows[0].status).toBe('done');
    rig.courier.failNext(0);
  }, 45_000);

  it('a collection reported before its deposit waits for it, and is never applied to the wrong state', async () => {
    const { a, sim } = await ready();
    // Hold deposited and collected, then deliver them newest first. Someone empties the compartment
    // with the simulator's hand (no code, no courier order): an anomaly staff must look at.
    await rig.control('POST', '/webhooks/faults', { mode: 'reorder', count: 2 });
    await keypad(sim.deviceId, sim.openCode);
    expect((await rig.control('POST', `/reservations/${sim.reservationId}/collect`, {})).status).toBe(200);
    await eventually(async () => (await rig.events(a.parcelId)).length === 3, 'both events');
    await rig.waitForParcel(a.parcelId, 'deposited');
    expect((await rig.events(a.parcelId)).map((e) => [e.type, e.outcome])).toEqual([
      ['code_issued', 'applied'],
      ['deposited', 'applied'],
      ['collected', 'deferred'],
    ]);
    // The courier order never gets the partner's code (the parcel is gone): cancelled, and the
    // collection stays deferred rather than invent a courier order.
    await eventually(
      async () =>
        (await rig.db.pool.query(`SELECT status FROM courier_orders WHERE parcel_id = $1`, [a.parcelId])).rows[0]?.status === 'cancelled',
      'the order to be cancelled',
    );
    expect(await rig.hub.partner!.sweep()).toMatchObject({ replayed: 0 });
    expect(await rig.parcelState(a.parcelId)).toBe('deposited');
    expect((await rig.custody(a.parcelId)).map((e) => e.kind)).toEqual(['created', 'reserved', 'deposited']);
  });
});

describe('reconciliation', () => {
  it('catches up a lost deposit callback from the partner event log, and advances its cursor', async () => {
    const { a, sim } = await ready();
    await rig.hub.partner!.reconcile();
    await rig.control('POST', '/webhooks/faults', { mode: 'drop', count: 1 });
    await keypad(sim.deviceId, sim.openCode);
    expect((await deliveries(sim.reservationId)).filter((d) => d.type === 'deposited').map((d) => d.outcome)).toEqual(['dropped']);
    expect(await rig.parcelState(a.parcelId)).toBe('awaiting_deposit');

    const report = await rig.hub.partner!.reconcile();
    expect(report.fresh).toBe(1);
    const deposited = simEvents(sim.reservationId).find((e) => e.type === 'deposited')!;
    expect(report.cursor).toBe(String(rig.sim.network.events(PARTNER_APP.appId, 0, 10_000).events.at(-1)!.seq));
    expect(Number(report.cursor)).toBeGreaterThanOrEqual(deposited.seq);
    await rig.waitForParcel(a.parcelId, 'pickup_ordered');
    expect((await rig.events(a.parcelId)).map((e) => [e.type, e.source, e.outcome])).toEqual([
      ['code_issued', 'webhook', 'applied'],
      ['deposited', 'pull', 'applied'],
    ]);
    const stored = (await rig.db.pool.query(`SELECT cursor FROM partner_event_cursors WHERE network = 'postal'`)).rows[0];
    expect(stored.cursor).toBe(report.cursor);
    // Nothing new: nothing applied twice, the cursor stays.
    expect(await rig.hub.partner!.reconcile()).toMatchObject({ fresh: 0, cursor: report.cursor });
    expect((await rig.custody(a.parcelId)).map((e) => e.kind)).toEqual(['created', 'reserved', 'deposited', 'pickup_ordered']);
  });
});
