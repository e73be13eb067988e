// A free courier pickup from the applicant's address (ADR 0037), across processes: PostgreSQL, Redis,
// the hub program (running its workers) and the courier dispatch simulator (a real peer: signed
// orders in, signed webhooks out). The pass creates the parcel `pickup_requested` and tells the
// applicant a courier will come; the courier job sends one order with the origin address (the
// applicant's name and phone masked, no code, no compartment) and the parcel is `pickup_ordered`;
// the courier's PDA lists it; `picked_up` moves it, the hall's intake scan receives it. A failed
// pickup opens an exception and tells the applicant; an outage of the dispatch system still ends
// in one order.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { firstBrokenLink } from '@xinbao/hub/domain/custody';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { SimulatedCourier, startCourierDispatchSimulator, type CourierDispatchSimulator } from '@xinbao/simulators/courier-dispatch';
import { applyPassed } from '../support/apply.js';
import { createTestDatabase, redisUrl, type TestDatabase } from '../support/db.js';
import { eventually } from '../support/eventually.js';
import { removeQueues, startHubProgram } from '../support/hub.js';
import { hubApi, signIn, type Json } from '../support/http.js';
import type { RunningProgram } from '../support/processes.js';

const SECRET = 'e2e-address-pickup-secret';
const ADDRESS = '西安市雁塔区科技路10号3单元502室';
const COURIER = 'EMS-XA-001';

describe('a free courier pickup from the applicant’s address', () => {
  let dir: string;
  let db: TestDatabase;
  let dispatch: CourierDispatchSimulator;
  let hub: { hub: RunningProgram; hubUrl: string; queuePrefix: string };
  const api = hubApi(() => hub.hubUrl);
  const login = (username: string) => signIn(api, username);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xinbao-e2e-address-pickup-'));
    db = await createTestDatabase();
    // The courier of the demo's PDA user covers every district: an address names none.
    dispatch = await startCourierDispatchSimulator({
      secret: SECRET,
      retryDelaysMs: [100, 200, 500],
      couriers: [{ id: COURIER, name: '赵六', districts: ['*'] }],
    });
    hub = await startHubProgram({
      databaseUrl: db.url,
      dir,
      env: { COURIER_DISPATCH_URL: dispatch.url, COURIER_DISPATCH_SECRET: SECRET },
    });
    dispatch.setWebhookUrl(`${hub.hubUrl}/api/courier/webhooks`);
  }, 90_000);

  afterAll(async () => {
    await hub?.hub.stop();
    if (hub) await removeQueues(hub.queuePrefix);
    await dispatch?.stop();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Applies with a courier pickup from ADDRESS, passed; the application as its applicant sees it. */
  async function applyForPickup(token: string): Promise<{ applicationId: string; parcel: Json; view: Json }> {
    const created = await applyPassed(api, token, {
      matterCode: 'business-licence-change',
      dropOff: { channel: 'courier_pickup', address: ADDRESS },
    });
    expect(created.status).toBe(201);
    const applicationId = created.json.application.id as string;
    const view = (await api('GET', `/api/applications/${applicationId}`, token)).json.application as Json;
    const parcels = view.parcels as Json[];
    expect(parcels).toHaveLength(1);
    return { applicationId, parcel: parcels[0]!, view };
  }

  const parcelOf = async (token: string, tn: string) => (await api('GET', `/api/parcels/${tn}`, token)).json;
  const orderFor = (tn: string) => [...dispatch.orders.values()].filter((o) => o.trackingNumber === tn);

  it('orders the courier to the address, moves the documents on the courier’s word, and the hall receives them', async () => {
    const applicant = await login('zhang.san');
    const { applicationId, parcel, view } = await applyForPickup(applicant);
    const tn = parcel.trackingNumber as string;
    expect(parcel).toMatchObject({ direction: 'inbound', siteId: null, compartmentId: null });
    // The pass told the applicant what comes next: a courier at the address, the tracking number on the envelope.
    const passed = (view.prereviewNotices as Json[]).find((n) => n.kind === 'prereview_passed')!;
    expect(passed.parcelId).toBe(parcel.id);
    expect(passed.message).toContain('A courier will come to 西安市雁塔区科技路10号***');
    expect(passed.message).toContain(tn);
    expect(passed.message).not.toContain('3单元502室');
    expect(passed.details).toMatchObject({ channel: 'courier_pickup', trackingNumber: tn });

    // The job sends one order: from the address (the applicant masked), to the hall, no code or compartment.
    await eventually(async () => (await parcelOf(applicant, tn)).parcel.state === 'pickup_ordered', 'pickup_ordered');
    const orders = orderFor(tn);
    expect(orders).toHaveLength(1);
    const order = orders[0]!;
    expect(order).toMatchObject({
      kind: 'pickup',
      origin: { name: '张*', address: ADDRESS, phone: expect.stringMatching(/^尾号\d{4}$/) },
      destination: { address: expect.any(String) },
      courierId: COURIER,
      updates: 0,
    });
    for (const absent of ['site', 'code', 'pin', 'compartment', 'parcels', 'qr'] as const) expect(order[absent]).toBeUndefined();
    // The job's last step records the dispatch system's reference (its `assigned` webhook may have ordered the parcel first).
    const row = await eventually(async () => {
      const r = await db.pool.query(
        `SELECT id, site_id, compartment_id, origin, status, dispatch_ref FROM courier_orders WHERE parcel_id = $1`,
        [parcel.id],
      );
      return r.rows.length === 1 && r.rows[0].dispatch_ref !== null && r.rows;
    }, 'the order dispatched');
    expect(row).toEqual([
      { id: order.orderId, site_id: null, compartment_id: null, origin: ADDRESS, status: 'dispatched', dispatch_ref: order.dispatchRef },
    ]);

    // The `assigned` webhook reached the hub: the courier's PDA lists the pickup at the address, no code.
    const emsCourier = await login('ems.courier');
    const task = await eventually(
      async () => ((await api('GET', '/api/courier/tasks', emsCourier)).json.visits as Json[]).find((t) => t.visitId === order.orderId),
      'the address pickup on the PDA',
    );
    expect(task).toMatchObject({
      kind: 'pickup',
      place: 'address',
      site: { address: ADDRESS },
      code: null,
      pin: null,
      qr: null,
      parcels: [{ trackingNumber: tn, compartment: null, state: 'to_collect', confirmed: null }],
      status: 'dispatched',
    });
    expect(task.contact).toMatch(/^张\* 尾号\d{4}$/);
    // A delivery's step is not a pickup's.
    const wrong = await api('POST', `/api/courier/visits/${order.orderId}/steps`, emsCourier, { trackingNumber: tn, step: 'delivered' });
    expect(wrong).toMatchObject({ status: 409, json: { error: { code: 'step_not_applicable' } } });

    // The courier collects at the door and reports it: the documents are picked_up (the order done), then at the hall.
    dispatch.report(order.orderId, { requestId: randomUUID(), type: 'picked_up', courierId: COURIER });
    await eventually(async () => (await parcelOf(applicant, tn)).parcel.state === 'picked_up', 'picked_up');
    expect((await db.pool.query(`SELECT status FROM courier_orders WHERE id = $1`, [order.orderId])).rows[0].status).toBe('done');
    expect(((await api('GET', '/api/courier/tasks', emsCourier)).json.visits as Json[]).map((t) => t.visitId)).not.toContain(order.orderId);
    dispatch.report(order.orderId, { requestId: randomUUID(), type: 'delivered', courierId: COURIER });
    await eventually(
      () =>
        dispatch.pendingWebhooks === 0 &&
        dispatch.webhookLog.filter((w) => w.orderId === order.orderId && w.outcome === 'delivered').length === 3,
      'the webhooks delivered',
    );
    const staff = await login('hall.staff');
    expect(await api('POST', '/api/intake/scans', staff, { trackingNumber: tn })).toMatchObject({
      status: 201,
      json: { result: 'received' },
    });

    // Every custody event in order, the chain unbroken; the address masked, the courier by id only.
    const trail = await parcelOf(applicant, tn);
    expect(trail.parcel.state).toBe('received_at_hall');
    const events = trail.events as Json[];
    // Ordered before anything else happens to it (by the job, or by the first webhook that proves the order).
    expect(events.map((e) => [e.kind, e.fromState, e.toState])).toEqual([
      ['created', null, 'pickup_requested'],
      ['pickup_ordered', 'pickup_requested', 'pickup_ordered'],
      ['courier_assigned', 'pickup_ordered', 'pickup_ordered'],
      ['picked_up', 'pickup_ordered', 'picked_up'],
      ['courier_delivered', 'picked_up', 'picked_up'],
      ['received_at_hall', 'picked_up', 'received_at_hall'],
    ]);
    expect(events[0]!.evidence.pickupAddress).toBe('西安市雁塔区科技路10号***');
    expect(events.find((e) => e.kind === 'picked_up')).toMatchObject({
      actorKind: 'courier',
      actorId: COURIER,
      evidence: { courier: '赵*' },
    });
    expect(JSON.stringify(events)).not.toContain('3单元502室');
    expect(firstBrokenLink(events.map((e) => ({ ...e, at: new Date(e.at as string) })) as never)).toBe(-1);
    // The applicant was told the documents reached the hall.
    const notices = (await api('GET', `/api/applications/${applicationId}`, applicant)).json.application.notices as Json[];
    expect(notices.map((n) => n.kind)).toContain('received_at_hall');
  });

  it('a pickup the courier could not make opens an exception and tells the applicant', async () => {
    const applicant = await login('li.si');
    const { applicationId, parcel } = await applyForPickup(applicant);
    const tn = parcel.trackingNumber as string;
    await eventually(async () => (await parcelOf(applicant, tn)).parcel.state === 'pickup_ordered', 'pickup_ordered');
    const order = orderFor(tn)[0]!;
    // The courier was assigned (and the hub heard it) before they ring at the door.
    await eventually(
      () => dispatch.webhookLog.some((w) => w.orderId === order.orderId && w.type === 'assigned' && w.outcome === 'delivered'),
      'the assigned webhook delivered',
    );
    dispatch.report(order.orderId, { requestId: randomUUID(), type: 'failed', courierId: COURIER, reason: 'recipient_absent' });

    const staff = await login('hall.staff');
    const exception = await eventually(
      async () =>
        ((await api('GET', '/api/exceptions?kind=courier_failed', staff)).json.items as Json[]).find((e) => e.parcel?.id === parcel.id),
      'the courier_failed exception',
    );
    expect(exception.detail).toMatchObject({
      trackingNumber: tn,
      orderId: order.orderId,
      task: 'address_pickup',
      reason: 'recipient_absent',
    });
    const notices = (await api('GET', `/api/applications/${applicationId}`, applicant)).json.application.notices as Json[];
    const told = notices.filter((n) => n.kind === 'pickup_failed');
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ parcelId: parcel.id, details: { reason: 'recipient_absent', trackingNumber: tn } });
    expect(told[0]!.message).toContain('nobody was home');
    // The documents are still where they were: with the applicant, the order standing.
    const trail = await parcelOf(applicant, tn);
    expect(trail.parcel.state).toBe('pickup_ordered');
    expect((trail.events as Json[]).at(-1)).toMatchObject({ kind: 'courier_failed', evidence: { reason: 'recipient_absent' } });
  });

  it('takes the courier’s step on the PDA: picked_up at the door moves the documents, a failure is told once', async () => {
    const applicant = await login('li.si');
    const emsCourier = await login('ems.courier');
    const pdaTask = async (tn: string) => {
      await eventually(async () => (await parcelOf(applicant, tn)).parcel.state === 'pickup_ordered', 'pickup_ordered');
      const orderId = orderFor(tn)[0]!.orderId;
      await eventually(
        async () => ((await api('GET', '/api/courier/tasks', emsCourier)).json.visits as Json[]).some((t) => t.visitId === orderId),
        'the task on the PDA',
      );
      return orderId;
    };
    const step = (orderId: string, body: Json, token = emsCourier) => api('POST', `/api/courier/visits/${orderId}/steps`, token, body);

    const a = (await applyForPickup(applicant)).parcel;
    const aOrder = await pdaTask(a.trackingNumber as string);
    // Someone else's task is not theirs to confirm.
    expect((await step(aOrder, { trackingNumber: a.trackingNumber, step: 'picked_up' }, await login('hall.staff'))).status).toBe(403);
    expect(await step(aOrder, { trackingNumber: a.trackingNumber, step: 'picked_up' })).toMatchObject({
      status: 200,
      json: { recorded: true, parcelState: 'picked_up' },
    });
    // The same step again writes nothing.
    expect(await step(aOrder, { trackingNumber: a.trackingNumber, step: 'picked_up' })).toMatchObject({
      status: 200,
      json: { recorded: false, parcelState: 'picked_up' },
    });
    const aTrail = (await parcelOf(applicant, a.trackingNumber as string)).events as Json[];
    expect(aTrail.filter((e) => e.kind === 'picked_up')).toEqual([
      expect.objectContaining({ actorKind: 'courier', evidence: expect.objectContaining({ orderId: aOrder, via: 'pda' }) }),
    ]);

    const b = await applyForPickup(applicant);
    const bOrder = await pdaTask(b.parcel.trackingNumber as string);
    expect(await step(bOrder, { trackingNumber: b.parcel.trackingNumber, step: 'failed', reason: 'address_wrong' })).toMatchObject({
      status: 200,
      json: { recorded: true, parcelState: 'pickup_ordered' },
    });
    const notices = (await api('GET', `/api/applications/${b.applicationId}`, applicant)).json.application.notices as Json[];
    expect(notices.filter((n) => n.kind === 'pickup_failed')).toEqual([
      expect.objectContaining({ details: expect.objectContaining({ reason: 'address_wrong' }) }),
    ]);
  });

  it('the simulated courier (the autopilot’s) rings at the address, picks the documents up and delivers them to the hall', async () => {
    const applicant = await login('zhang.san');
    const { parcel } = await applyForPickup(applicant);
    const tn = parcel.trackingNumber as string;
    await eventually(async () => (await parcelOf(applicant, tn)).parcel.state === 'pickup_ordered', 'pickup_ordered');
    const orderId = orderFor(tn)[0]!.orderId;
    const courier = new SimulatedCourier({
      dispatchUrl: dispatch.url,
      courierId: COURIER,
      travelMs: 20,
      handleMs: 0,
      places: {},
      awaitWebhooks: true,
    });
    const rounds = await courier.roundOnce();
    expect(rounds).toContainEqual({ kind: 'pickup', orderId, siteCode: 'address', doors: [], outcome: 'picked_up' });
    expect(dispatch.orders.get(orderId)!.status).toBe('delivered');
    const trail = await parcelOf(applicant, tn);
    expect(trail.parcel.state).toBe('picked_up');
    expect((trail.events as Json[]).slice(-2).map((e) => e.kind)).toEqual(['picked_up', 'courier_delivered']);
  });

  it('the courier sweep orders documents left pickup_requested (their job lost)', async () => {
    const applicant = await login('li.si');
    // The dispatch system is down: the job waits for its next attempt, and is then lost.
    dispatch.failNext(1_000);
    const redis = new Redis(redisUrl(), { maxRetriesPerRequest: null });
    const queue = new Queue('courier', { connection: redis, prefix: hub.queuePrefix });
    try {
      const { parcel } = await applyForPickup(applicant);
      await eventually(async () => {
        const job = await queue.getJob(`pickup-${parcel.id as string}`);
        if (!job || (await job.getState()) !== 'delayed') return false;
        await job.remove();
        return true;
      }, 'the job removed while it waits');
      expect((await parcelOf(applicant, parcel.trackingNumber as string)).parcel.state).toBe('pickup_requested');
      dispatch.failNext(0);
      await eventually(
        async () => (await parcelOf(applicant, parcel.trackingNumber as string)).parcel.state === 'pickup_ordered',
        'pickup_ordered by the sweep',
        20_000,
      );
      expect(orderFor(parcel.trackingNumber as string)).toHaveLength(1);
    } finally {
      dispatch.failNext(0);
      await queue.close();
      redis.disconnect();
    }
  }, 40_000);

  it('sends one order after the dispatch system was down (the job retried, idempotent by order id)', async () => {
    const applicant = await login('zhang.san');
    dispatch.failNext(2);
    const { parcel } = await applyForPickup(applicant);
    const tn = parcel.trackingNumber as string;
    await eventually(
      async () => (await parcelOf(applicant, tn)).parcel.state === 'pickup_ordered',
      'pickup_ordered after the outage',
      30_000,
    );
    expect(orderFor(tn)).toHaveLength(1);
    const rows = (await db.pool.query(`SELECT id FROM courier_orders WHERE parcel_id = $1`, [parcel.id])).rows;
    expect(rows).toEqual([{ id: orderFor(tn)[0]!.orderId }]);
    const ordered = ((await parcelOf(applicant, tn)).events as Json[]).filter((e) => e.kind === 'pickup_ordered');
    expect(ordered).toHaveLength(1);
  }, 45_000);
});
