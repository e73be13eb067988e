// The courier dispatch system's webhooks at the hub (POST /api/courier/webhooks): only a body signed
// with the shared secret and a fresh timestamp is taken; each event is stored once by its id (a
// retry or a replay changes nothing and is answered as a duplicate); what it causes is written in
// the same transaction. And the PDA's link: a courier user sees the visits of the dispatch courier
// they are linked to, nobody else's.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { courierWebhookHeaders, signRequest, TIMESTAMP_HEADER, SIGNATURE_HEADER, type CourierEvent } from '@xinbao/protocol';
import { startCourierDispatchSimulator, type CourierDispatchSimulator } from '@xinbao/simulators/courier-dispatch';
import { startTestHub, type TestHub } from '../support/hub.js';
import { signIn, type Json } from '../support/http.js';
import { eventually } from '../support/eventually.js';

const SECRET = 'courier-webhook-test-secret';
let t: TestHub;
let dispatch: CourierDispatchSimulator;

beforeAll(async () => {
  t = await startTestHub({ env: { COURIER_DISPATCH_SECRET: SECRET } });
  dispatch = await startCourierDispatchSimulator({ secret: SECRET, webhookUrl: `${t.url}/api/courier/webhooks`, retryDelaysMs: [50, 100] });
}, 60_000);
afterAll(async () => {
  await dispatch?.stop();
  await t?.stop();
});

const post = (body: string, headers: Record<string, string>) => fetch(`${t.url}/api/courier/webhooks`, { method: 'POST', headers, body });
const event = (over: Partial<CourierEvent> = {}): CourierEvent => ({
  eventId: `ce_${randomUUID()}`,
  orderId: randomUUID(),
  type: 'assigned',
  at: new Date().toISOString(),
  courierId: 'EMS-XA-009',
  ...over,
});
const rows = async (eventId: string) =>
  (await t.db.pool.query('SELECT type, outcome, detail FROM courier_events WHERE event_id = $1', [eventId])).rows;

/** A pickup visit as the pickup job opens it (no parcel yet), each at another own site (one open visit per site). */
const SITES = ['own-hall', 'own-huanancheng', 'own-finance-town', 'own-bonded', 'own-silk-road'];
let visits = 0;
async function visit(): Promise<string> {
  const id = randomUUID();
  const r = await t.db.pool.query(
    `INSERT INTO courier_visits (id, kind, site_id, status, created_at, updated_at)
     SELECT $1, 'pickup', id, 'dispatched', now(), now() FROM sites WHERE code = $2`,
    [id, SITES[visits++ % SITES.length]],
  );
  expect(r.rowCount).toBe(1);
  return id;
}

describe('courier webhooks', () => {
  it('refuses a bad signature, a stale timestamp, and a body that does not match its signature', async () => {
    const e = event();
    const body = JSON.stringify(e);
    const good = courierWebhookHeaders(SECRET, e.eventId, body, Date.now());
    expect(
      (await post(body, { ...good, [SIGNATURE_HEADER]: signRequest('another-secret-xxxxxxxx', Number(good[TIMESTAMP_HEADER]), body) }))
        .status,
    ).toBe(401);
    const stale = Date.now() - 6 * 60_000;
    expect((await post(body, courierWebhookHeaders(SECRET, e.eventId, body, stale))).status).toBe(401);
    expect((await post(body.replace('assigned', 'delivered'), good)).status).toBe(401);
    const noHeaders = await post(body, { 'content-type': 'application/json' });
    expect(noHeaders.status).toBe(401);
    expect(((await noHeaders.json()) as Json).error.code).toBe('bad_signature');
    expect(await rows(e.eventId)).toEqual([]);
  });

  it('refuses a signed body that is not an event, or whose event id is not the header’s', async () => {
    const notEvent = JSON.stringify({ hello: 'world' });
    const r1 = await post(notEvent, courierWebhookHeaders(SECRET, 'x', notEvent, Date.now()));
    expect(r1.status).toBe(400);
    expect(((await r1.json()) as Json).error.code).toBe('invalid_event');
    const e = event();
    const body = JSON.stringify(e);
    expect((await post(body, courierWebhookHeaders(SECRET, 'ce_other', body, Date.now()))).status).toBe(400);
    expect(await rows(e.eventId)).toEqual([]);
  });

  it('stores an event once: a retry or a replay (freshly signed) is a duplicate and changes nothing', async () => {
    const visitId = await visit();
    const e = event({ orderId: visitId, courierId: 'EMS-XA-007' });
    const body = JSON.stringify(e);
    const first = await post(body, courierWebhookHeaders(SECRET, e.eventId, body, Date.now()));
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ eventId: e.eventId, duplicate: false, outcome: 'applied', detail: null });
    expect((await t.db.pool.query('SELECT courier_id FROM courier_visits WHERE id = $1', [visitId])).rows[0].courier_id).toBe('EMS-XA-007');

    // The same event again, even claiming another courier: nothing changes.
    const replay = JSON.stringify({ ...e, courierId: 'EMS-XA-666' });
    const again = await post(replay, courierWebhookHeaders(SECRET, e.eventId, replay, Date.now()));
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ eventId: e.eventId, duplicate: true, outcome: 'applied' });
    expect((await t.db.pool.query('SELECT courier_id FROM courier_visits WHERE id = $1', [visitId])).rows[0].courier_id).toBe('EMS-XA-007');
    expect(await rows(e.eventId)).toEqual([{ type: 'assigned', outcome: 'applied', detail: null }]);
  });

  it('answers an event for an order it does not know (so it is not retried forever) and keeps it', async () => {
    const e = event({ type: 'delivered' });
    const body = JSON.stringify(e);
    const r = await post(body, courierWebhookHeaders(SECRET, e.eventId, body, Date.now()));
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ duplicate: false, outcome: 'unknown_order' });
    expect(await rows(e.eventId)).toEqual([
      { type: 'delivered', outcome: 'unknown_order', detail: 'no visit or courier order of this hub has this id' },
    ]);
  });

  it('records a failure with its reason: a visit not yet at the kiosk is over', async () => {
    const visitId = await visit();
    const e = event({ orderId: visitId, type: 'failed', reason: 'locker_full', note: 'site closed for works' });
    const body = JSON.stringify(e);
    expect((await post(body, courierWebhookHeaders(SECRET, e.eventId, body, Date.now()))).status).toBe(200);
    const v = (await t.db.pool.query('SELECT status, failure_reason FROM courier_visits WHERE id = $1', [visitId])).rows[0];
    expect(v).toEqual({ status: 'failed', failure_reason: 'locker_full' });
    expect((await t.db.pool.query('SELECT reason FROM courier_events WHERE event_id = $1', [e.eventId])).rows[0].reason).toBe(
      'locker_full',
    );
  });

  it('gets the dispatch simulator’s webhooks through its retries: while the hub refuses, it tries again until a 2xx', async () => {
    const admin = await signIn(t.api, 'ops.admin');
    const site = ((await t.api('GET', '/api/sites', admin)).json.sites as Json[]).find((s) => s.code === 'own-hall')!;
    const orderId = randomUUID();
    // The hub's webhook is not there at first (a 404, as during a deploy), then it is.
    dispatch.setWebhookUrl(`${t.url}/api/courier/no-such-path`);
    const sign = (b: string) => ({
      'content-type': 'application/json',
      [TIMESTAMP_HEADER]: String(Date.now()),
      [SIGNATURE_HEADER]: signRequest(SECRET, Date.now(), b),
    });
    const order = JSON.stringify({
      orderId,
      kind: 'delivery',
      trackingNumber: 'XB240601000009',
      code: '12345678',
      site: { code: site.code, name: site.name, address: site.address, district: site.district, lat: site.lat, lng: site.lng },
      compartment: 3,
      destination: { name: 'someone', address: 'somewhere' },
    });
    const created = await fetch(`${dispatch.url}/api/orders`, { method: 'POST', headers: sign(order), body: order });
    expect(created.status).toBe(201);
    await eventually(
      async () => dispatch.webhookLog.filter((w) => w.orderId === orderId && w.outcome === 'failed').length >= 2,
      'failed attempts',
    );
    dispatch.setWebhookUrl(`${t.url}/api/courier/webhooks`);
    await eventually(
      async () => dispatch.webhookLog.some((w) => w.orderId === orderId && w.outcome === 'delivered'),
      'a delivered attempt',
    );
    const attempts = dispatch.webhookLog.filter((w) => w.orderId === orderId);
    expect(attempts.every((w) => w.type === 'assigned')).toBe(true);
    expect(attempts.at(-1)).toMatchObject({ outcome: 'delivered', status: 200 });
    expect(new Set(attempts.map((w) => w.eventId)).size).toBe(1);
    // The hub knows no such order (it was not the hub's): kept as unknown, answered, not retried again.
    expect((await t.db.pool.query('SELECT outcome FROM courier_events WHERE order_id = $1', [orderId])).rows).toEqual([
      { outcome: 'unknown_order' },
    ]);
  });
});

describe('the PDA sees only its own visits', () => {
  it('links a courier user to a dispatch courier (admin only, one user per courier id)', async () => {
    const admin = await signIn(t.api, 'ops.admin');
    const courier = await signIn(t.api, 'ems.courier');
    const me = (await t.api('GET', '/api/me', courier)).json;
    const userId = me.user.id as string;
    expect(
      (await t.api('PUT', `/api/admin/couriers/${userId}/dispatch-courier`, courier, { dispatchCourierId: 'EMS-XA-002' })).status,
    ).toBe(403);
    expect((await t.api('PUT', `/api/admin/couriers/${userId}/dispatch-courier`, admin, { dispatchCourierId: 'bad id!' })).status).toBe(
      400,
    );
    expect(
      (await t.api('PUT', `/api/admin/couriers/${randomUUID()}/dispatch-courier`, admin, { dispatchCourierId: 'EMS-XA-002' })).status,
    ).toBe(404);

    // Seeded: ems.courier is the simulator's EMS-XA-001. A visit of another courier is not shown; one of theirs is.
    const theirs = await visit();
    const others = await visit();
    await t.db.pool.query(`UPDATE courier_visits SET courier_id = 'EMS-XA-001' WHERE id = $1`, [theirs]);
    await t.db.pool.query(`UPDATE courier_visits SET courier_id = 'EMS-XA-002' WHERE id = $1`, [others]);
    // Neither has a code yet (the job seals one when it opens a visit): nothing to show either way.
    expect((await t.api('GET', '/api/courier/tasks', courier)).json).toEqual({ visits: [] });
    // A step on a visit that is not theirs is refused.
    const step = await t.api('POST', `/api/courier/visits/${others}/steps`, courier, {
      trackingNumber: 'XB240601000001',
      step: 'picked_up',
    });
    expect(step.status).toBe(403);
    const mine = await t.api('POST', `/api/courier/visits/${theirs}/steps`, courier, { trackingNumber: 'XB240601000001', step: 'failed' });
    expect(mine.status).toBe(400);
    // Relinked to EMS-XA-002, the other visit is theirs now, and a step on the first is refused.
    expect((await t.api('PUT', `/api/admin/couriers/${userId}/dispatch-courier`, admin, { dispatchCourierId: 'EMS-XA-002' })).status).toBe(
      200,
    );
    expect(
      (await t.api('POST', `/api/courier/visits/${theirs}/steps`, courier, { trackingNumber: 'XB240601000001', step: 'picked_up' })).status,
    ).toBe(403);
    expect(
      (await t.api('POST', `/api/courier/visits/${others}/steps`, courier, { trackingNumber: 'XB240601000001', step: 'picked_up' })).status,
    ).toBe(404);
    expect((await t.api('PUT', `/api/admin/couriers/${userId}/dispatch-courier`, admin, { dispatchCourierId: 'EMS-XA-001' })).status).toBe(
      200,
    );
  });
});

describe('refused courier webhooks are counted, sampled and slowed down, as the partner’s are (ADR 0016)', () => {
  it('counts each refusal by reason and address, keeps a sample, answers 429 past the limit; a signed event is never counted', async () => {
    const h = await startTestHub({ env: { COURIER_DISPATCH_SECRET: SECRET } });
    const counters = async () =>
      (
        await h.db.pool.query<{ reason: string; refusals: number }>(
          `SELECT reason, sum(refusals)::int AS refusals FROM partner_webhook_refusal_counts WHERE network = 'courier-dispatch'
           GROUP BY reason ORDER BY reason`,
        )
      ).rows;
    const samples = async () =>
      Number((await h.db.pool.query(`SELECT count(*) AS n FROM partner_webhook_rejections WHERE network = 'courier-dispatch'`)).rows[0].n);
    const send = (body: string, headers: Record<string, string>) =>
      fetch(`${h.url}/api/courier/webhooks`, { method: 'POST', headers, body });
    try {
      // One of each reason: a signed body that is not an event, and a bad signature.
      const notEvent = JSON.stringify({ hello: 'world' });
      expect((await send(notEvent, courierWebhookHeaders(SECRET, 'ce_x', notEvent, Date.now()))).status).toBe(400);
      expect((await send('{}', { 'content-type': 'application/json' })).status).toBe(401);
      expect(await counters()).toEqual([
        { reason: 'bad_signature', refusals: 1 },
        { reason: 'invalid_event', refusals: 1 },
      ]);
      expect(await samples()).toBe(2);

      // A flood of unsigned requests: about 30 refused with 401 in the minute, the rest 429 with Retry-After, unread.
      const statuses: Record<number, number> = {};
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < 200) {
            next++;
            const r = await send('{"eventId":"ce_x"}', { 'content-type': 'application/json' });
            statuses[r.status] = (statuses[r.status] ?? 0) + 1;
            if (r.status === 429) expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
            await r.arrayBuffer();
          }
        }),
      );
      expect(statuses[401]! + statuses[429]!).toBe(200);
      expect(statuses[401]).toBeLessThanOrEqual(30 + 8);
      const counted = await counters();
      expect(counted.reduce((n, c) => n + c.refusals, 0)).toBe(2 + statuses[401]!);
      // A sample, not a row per refusal: the first ten of each counter (two if the minute turned).
      expect(await samples()).toBeLessThanOrEqual(2 + 20);

      // A correctly signed event from the same address waits its turn too, and nothing of it is counted.
      const e = event();
      const raw = JSON.stringify(e);
      expect((await send(raw, courierWebhookHeaders(SECRET, e.eventId, raw, Date.now()))).status).toBe(429);
      expect(await counters()).toEqual(counted);
    } finally {
      await h.stop();
    }
  });
});
