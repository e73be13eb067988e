// One visit, one code (ADR 0023), across processes: PostgreSQL, Redis, the hub program, a kiosk agent
// and a KR-CU16 board simulator on a real pseudo-terminal, with the courier dispatch simulator (a real
// peer: it assigns the order by district and tells the hub by signed webhooks) and a simulated
// courier who travels and uses the visit's one code at the kiosk as a person would. Parcels waiting
// at one site go into one visit with one code; the code opens exactly those doors, one at a time,
// one unlock frame each; a parcel that is not there is missing_at_pickup and the others proceed.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { firstBrokenLink } from '@xinbao/hub/domain/custody';
import { startCourierRig, unlockHex, type CourierRig } from '../support/courier-rig.js';
import { eventually } from '../support/eventually.js';
import { factorOf, signIn, type Json } from '../support/http.js';
import { applyPassed } from '../support/apply.js';

const SECRET = 'e2e-courier-visit-secret';

describe('one visit, one code: the courier collects every parcel waiting at a kiosk', () => {
  let rig: CourierRig;
  let db: CourierRig['db'];
  let dispatch: CourierRig['dispatch'];

  const api: CourierRig['api'] = (...args) => rig.api(...args);
  const login = (username: string) => signIn(api, username);
  /** a keypad code with its second factor (ADR 0018), as a person types them */
  const typeAtKiosk = (code: string, factor: string | null | undefined) => rig.typeAtKiosk(code, factor);
  const unlockFrames = () => rig.unlockFrames();
  const person = (compartment: number, action: 'item' | 'close', body?: unknown) => rig.person(compartment, action, body);
  const parcelView = async (token: string, tn: string) => (await api('GET', `/api/parcels/${tn}`, token)).json;
  const courier = () => rig.courier({ courierId: 'EMS-XA-001', travelMs: 50, handleMs: 300 });

  /** An applicant hands in one parcel at the kiosk: code typed, envelope in, door closed. */
  async function deposit(applicant: string, username: string): Promise<{ tn: string; compartment: number; parcelId: string }> {
    const created = await applyPassed(api, applicant, {
      matterCode: 'business-licence-change',
      dropOff: { channel: 'own_kiosk', siteId: rig.siteId },
    });
    expect(created.status).toBe(201);
    const compartment = created.json.compartment as number;
    expect(await typeAtKiosk(created.json.deposit.code as string, factorOf(username))).toMatchObject({ status: 'opened', compartment });
    await person(compartment, 'item', { present: true });
    await person(compartment, 'close');
    return { tn: created.json.parcel.trackingNumber as string, compartment, parcelId: created.json.parcel.id as string };
  }

  beforeAll(async () => {
    rig = await startCourierRig({ name: 'visit', secret: SECRET, webhooks: true, retryDelaysMs: [100, 200, 500] });
    ({ db, dispatch } = rig);
  }, 90_000);

  afterAll(async () => {
    await rig?.stop();
  });

  it('puts two parcels into one visit with one code, which opens both doors one at a time, once each', async () => {
    const username = 'zhang.san';
    const applicant = await login(username);
    const a = await deposit(applicant, username);
    const b = await deposit(applicant, username);
    await eventually(
      async () =>
        (await parcelView(applicant, a.tn)).parcel.state === 'pickup_ordered' &&
        (await parcelView(applicant, b.tn)).parcel.state === 'pickup_ordered',
      'both parcels pickup_ordered',
    );

    // One order at the dispatch system for the site (sent again as the visit grew), one code for both.
    await eventually(async () => [...dispatch.orders.values()].some((o) => o.parcels?.length === 2), 'the visit order with both parcels');
    const orders = [...dispatch.orders.values()].filter((o) => o.kind === 'pickup' && o.site?.code === 'own-hall');
    expect(orders).toHaveLength(1);
    const order = orders[0]!;
    expect(order.parcels).toEqual([
      { trackingNumber: a.tn, compartment: a.compartment },
      { trackingNumber: b.tn, compartment: b.compartment },
    ]);
    expect(order.courierId).toBe('EMS-XA-001');
    const codes = await db.pool.query(`SELECT id, visit_id FROM access_codes WHERE purpose = 'courier_pickup'`);
    expect(codes.rows).toHaveLength(1);
    expect(codes.rows[0].visit_id).toBe(order.orderId);

    // The `assigned` webhook reached the hub: the courier's PDA lists the visit with its code and QR.
    const emsCourier = await login('ems.courier');
    await eventually(async () => ((await api('GET', '/api/courier/tasks', emsCourier)).json.visits as Json[]).length === 1, 'the task');
    const task = ((await api('GET', '/api/courier/tasks', emsCourier)).json.visits as Json[])[0]!;
    expect(task).toMatchObject({
      visitId: order.orderId,
      kind: 'pickup',
      site: { code: 'own-hall' },
      code: order.code,
      pin: order.pin,
      qr: order.qr,
      parcels: [
        { trackingNumber: a.tn, compartment: a.compartment, state: 'to_collect' },
        { trackingNumber: b.tn, compartment: b.compartment, state: 'to_collect' },
      ],
      status: 'dispatched',
    });
    expect(task.contact).toMatch(/^张\*+ 尾号\d{4}$/);
    expect(task.site.mapUrl).toMatch(/^https:\/\//);
    // The staff cannot read the PDA's tasks.
    expect((await api('GET', '/api/courier/tasks', await login('hall.staff'))).status).toBe(403);

    // The courier travels there and types the one code: door a opens, then (once a is closed) door b.
    const before = await unlockFrames();
    const sim = courier();
    const rounds = await sim.roundOnce();
    expect(rounds).toEqual([
      {
        kind: 'pickup',
        orderId: order.orderId,
        siteCode: 'own-hall',
        outcome: 'picked_up',
        doors: [
          { compartment: a.compartment, trackingNumber: a.tn, took: true },
          { compartment: b.compartment, trackingNumber: b.tn, took: true },
        ],
      },
    ]);
    expect((await unlockFrames()).slice(before.length)).toEqual([unlockHex(a.compartment), unlockHex(b.compartment)]);
    for (const p of [a, b])
      await eventually(async () => (await parcelView(applicant, p.tn)).parcel.state === 'picked_up', `${p.tn} picked_up`);

    // Used up, the code opens nothing more.
    expect(await typeAtKiosk(order.code!, order.pin)).toMatchObject({ status: 'refused' });
    expect((await unlockFrames()).slice(before.length)).toHaveLength(2);

    for (const p of [a, b]) {
      const { events } = await parcelView(applicant, p.tn);
      expect((events as Json[]).map((e) => [e.kind, e.toState, e.actorKind])).toEqual([
        ['created', 'awaiting_deposit', 'applicant'],
        ['deposit_code_used', 'awaiting_deposit', 'applicant'],
        ['deposited', 'deposited', 'applicant'],
        ['pickup_ordered', 'pickup_ordered', 'system'],
        ['courier_pickup_code_used', 'pickup_ordered', 'courier'],
        ['picked_up', 'picked_up', 'courier'],
      ]);
      expect((events as Json[])[3]!.evidence).toMatchObject({ visitId: order.orderId });
      expect(firstBrokenLink((events as Json[]).map((e) => ({ ...e, at: new Date(e.at as string) })) as never)).toBe(-1);
    }
    // Both compartments are free again; the visit is done and its code no longer shown.
    const free = await db.pool.query(
      `SELECT k.number, k.state FROM compartments k JOIN sites s ON s.id = k.site_id WHERE s.code = 'own-hall' AND k.number = ANY($1) ORDER BY k.number`,
      [[a.compartment, b.compartment]],
    );
    expect(free.rows.map((r) => r.state)).toEqual(['free', 'free']);
    const visit = (await db.pool.query(`SELECT status, code_enc FROM courier_visits WHERE id = $1`, [order.orderId])).rows[0];
    expect(visit).toEqual({ status: 'done', code_enc: null });
    expect((await api('GET', '/api/courier/tasks', emsCourier)).json.visits).toEqual([]);

    // On the PDA the courier confirms a's pickup: recorded once (custody too), asked again nothing new;
    // a failure needs a reason; a parcel not in the visit is not theirs to report.
    const step = (body: unknown) => api('POST', `/api/courier/visits/${order.orderId}/steps`, emsCourier, body);
    expect(await step({ trackingNumber: a.tn, step: 'picked_up' })).toMatchObject({
      status: 200,
      json: { recorded: true, parcelState: 'picked_up', step: 'picked_up' },
    });
    expect(await step({ trackingNumber: a.tn, step: 'picked_up' })).toMatchObject({ status: 200, json: { recorded: false } });
    expect((await step({ trackingNumber: b.tn, step: 'failed' })).status).toBe(400);
    expect((await step({ trackingNumber: 'XB000000000000', step: 'picked_up' })).status).toBe(404);
    expect(((await parcelView(applicant, a.tn)).events as Json[]).at(-1)).toMatchObject({
      kind: 'courier_step_picked_up',
      actorKind: 'courier',
    });

    // The dispatch system told the hub assigned → picked_up → delivered, each event stored once.
    await eventually(
      async () => dispatch.pendingWebhooks === 0 && dispatch.webhookLog.filter((w) => w.outcome === 'delivered').length === 3,
      'webhooks',
    );
    const events = await db.pool.query(`SELECT type, outcome FROM courier_events WHERE order_id = $1 ORDER BY at, received_at`, [
      order.orderId,
    ]);
    expect(events.rows).toEqual([
      { type: 'assigned', outcome: 'applied' },
      { type: 'picked_up', outcome: 'recorded' },
      { type: 'delivered', outcome: 'recorded' },
    ]);
  });

  it('reports a parcel that is not there missing_at_pickup, and the others of the visit proceed', async () => {
    const username = 'li.si';
    const applicant = await login(username);
    const a = await deposit(applicant, username);
    const b = await deposit(applicant, username);
    const c = await deposit(applicant, username);
    for (const p of [a, b, c])
      await eventually(async () => (await parcelView(applicant, p.tn)).parcel.state === 'pickup_ordered', `${p.tn} ordered`);
    await eventually(async () => [...dispatch.orders.values()].some((o) => o.parcels?.length === 3), 'the visit order with three parcels');
    const order = [...dispatch.orders.values()].find((o) => o.parcels?.length === 3)!;

    // b's envelope is gone before the courier comes (the sensor sees it go while the door is shut).
    const emptied = async () =>
      (
        await db.pool.query(
          `SELECT 1 FROM kiosk_events WHERE type = 'item_changed' AND compartment = $1 AND payload->>'itemPresent' = 'false'`,
          [b.compartment],
        )
      ).rowCount ?? 0;
    const earlier = await emptied();
    await person(b.compartment, 'item', { present: false });
    await eventually(async () => (await emptied()) === earlier + 1, 'the kiosk to report the empty compartment');

    const before = await unlockFrames();
    const rounds = await courier().roundOnce();
    expect(rounds.map((r) => r.doors)).toEqual([
      [
        { compartment: a.compartment, trackingNumber: a.tn, took: true },
        { compartment: b.compartment, trackingNumber: b.tn, took: false },
        { compartment: c.compartment, trackingNumber: c.tn, took: true },
      ],
    ]);
    // Exactly one unlock per door, in the visit's order.
    expect((await unlockFrames()).slice(before.length)).toEqual([
      unlockHex(a.compartment),
      unlockHex(b.compartment),
      unlockHex(c.compartment),
    ]);
    await eventually(async () => (await parcelView(applicant, c.tn)).parcel.state === 'picked_up', 'c picked_up');
    expect((await parcelView(applicant, a.tn)).parcel.state).toBe('picked_up');
    const missing = await parcelView(applicant, b.tn);
    expect(missing.parcel.state).toBe('missing_at_pickup');
    expect((missing.events as Json[]).slice(-2).map((e) => [e.kind, e.toState, e.actorKind])).toEqual([
      ['courier_pickup_code_used', 'pickup_ordered', 'courier'],
      ['missing_at_pickup', 'missing_at_pickup', 'courier'],
    ]);
    // On the hall's exceptions list, once, in the move's transaction (ADR 0022).
    const listed = await db.pool.query(`SELECT kind FROM exceptions WHERE parcel_id = $1 AND kind = 'missing_at_pickup'`, [b.parcelId]);
    expect(listed.rows).toEqual([{ kind: 'missing_at_pickup' }]);
    const doors = await db.pool.query(`SELECT position, state FROM courier_visit_doors WHERE visit_id = $1 ORDER BY position`, [
      order.orderId,
    ]);
    expect(doors.rows).toEqual([
      { position: 1, state: 'picked_up' },
      { position: 2, state: 'missing' },
      { position: 3, state: 'picked_up' },
    ]);
    // The courier also said so to the dispatch system, which told the hub (a failed event with its reason).
    await eventually(
      async () =>
        (
          await db.pool.query(
            `SELECT 1 FROM courier_events WHERE order_id = $1 AND type = 'failed' AND reason = 'parcel_not_found' AND tracking_number = $2`,
            [order.orderId, b.tn],
          )
        ).rowCount === 1,
      'the failed webhook',
    );
  });
});
