// Round trip (a) of issue 11 across processes — the hub program, the courier dispatch simulator with
// a simulated courier, a kiosk agent on a KR-CU16 board simulator on a real pseudo-terminal, and
// PostgreSQL and Redis: an applicant applies (return to an own kiosk) and hands the documents in at
// the kiosk; the courier collects them with another applicant's in one visit with one code; the
// hall scans them in, accepts and approves; the hub orders the result's delivery; the courier takes
// it at the hall and puts it into a compartment with the deliver code; the applicant collects it
// with the collection code and the second factor. Every custody event of both parcels, in order,
// and every unlock frame the board received: each code opened exactly its compartments, once.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { firstBrokenLink } from '@xinbao/hub/domain/custody';
import { startCourierRig, unlockHex, type CourierRig } from '../support/courier-rig.js';
import { eventually } from '../support/eventually.js';
import { factorOf, signIn, type Json } from '../support/http.js';
import { applyPassed } from '../support/apply.js';

const SECRET = 'e2e-round-trip-secret';

describe('round trip (a): own kiosk in → one visit → intake → approve → delivery into an own kiosk → collected', () => {
  let rig: CourierRig;

  beforeAll(async () => {
    rig = await startCourierRig({ name: 'round-trip', secret: SECRET, webhooks: true, retryDelaysMs: [100, 200, 500], autopilot: true });
  }, 120_000);

  afterAll(async () => {
    await rig?.stop();
  });

  /** The one place this file applies: documents in at the own-hall kiosk, the result back into one of its compartments. */
  const apply = async (token: string) => {
    const created = await applyPassed(rig.api, token, {
      matterCode: 'business-licence-change',
      dropOff: { channel: 'own_kiosk', siteId: rig.siteId },
      returnChannel: { channel: 'own_kiosk', siteId: rig.siteId },
    });
    expect(created.status).toBe(201);
    return {
      applicationId: created.json.application.id as string,
      tn: created.json.parcel.trackingNumber as string,
      compartment: created.json.compartment as number,
      code: created.json.deposit.code as string,
    };
  };
  const tracked = async (token: string, tn: string) => (await rig.api('GET', `/api/parcels/${tn}`, token)).json;
  const stateOf = async (token: string, tn: string) => (await tracked(token, tn)).parcel.state as string;
  /** the parcel's custody chain, checked unbroken, as [kind, state after, actor] */
  const trail = async (token: string, tn: string) => {
    const { events } = await tracked(token, tn);
    const chain = (events as Json[]).map((e) => ({ ...e, at: new Date(e.at as string) }));
    expect(firstBrokenLink(chain as never)).toBe(-1);
    return (events as Json[]).map((e) => [e.kind, e.toState, e.actorKind]);
  };
  const compartmentState = async (n: number) =>
    (await rig.db.pool.query(`SELECT state FROM compartments WHERE site_id = $1 AND number = $2`, [rig.siteId, n])).rows[0]!
      .state as string;

  it('walks the whole journey; each code opens exactly its compartments, once; custody tells it in order', async () => {
    const zhang = await signIn(rig.api, 'zhang.san');
    const li = await signIn(rig.api, 'li.si');
    const staff = await signIn(rig.api, 'hall.staff');
    const frames0 = (await rig.unlockFrames()).length;
    const framesSince = async () => (await rig.unlockFrames()).slice(frames0);

    // 1. Two applicants hand their documents in at the kiosk: code and second factor, envelope in, door shut.
    const mine = await apply(zhang);
    const other = await apply(li);
    for (const [a, username] of [
      [mine, 'zhang.san'],
      [other, 'li.si'],
    ] as const) {
      expect(await rig.typeAtKiosk(a.code, factorOf(username))).toMatchObject({ status: 'opened', compartment: a.compartment });
      await rig.person(a.compartment, 'item', { present: true });
      await rig.person(a.compartment, 'close');
    }
    await eventually(
      async () => (await stateOf(zhang, mine.tn)) === 'pickup_ordered' && (await stateOf(li, other.tn)) === 'pickup_ordered',
      'both pickup_ordered',
    );

    // 2. One visit, one code for both; the simulated courier collects them door by door.
    await eventually(async () => [...rig.dispatch.orders.values()].some((o) => o.parcels?.length === 2), 'one visit with both parcels');
    const visits = [...rig.dispatch.orders.values()].filter((o) => o.kind === 'pickup');
    expect(visits).toHaveLength(1);
    const visit = visits[0]!;
    await eventually(
      async () =>
        (await rig.db.pool.query(`SELECT 1 FROM courier_visits WHERE id = $1 AND courier_id IS NOT NULL`, [visit.orderId])).rowCount === 1,
      'the assigned webhook',
    );
    const courier = rig.courier({ awaitWebhooks: true });
    expect(await courier.roundOnce()).toEqual([
      {
        kind: 'pickup',
        orderId: visit.orderId,
        siteCode: 'own-hall',
        outcome: 'picked_up',
        doors: [
          { compartment: mine.compartment, trackingNumber: mine.tn, took: true },
          { compartment: other.compartment, trackingNumber: other.tn, took: true },
        ],
      },
    ]);
    for (const [token, tn] of [
      [zhang, mine.tn],
      [li, other.tn],
    ] as const)
      await eventually(async () => (await stateOf(token, tn)) === 'picked_up', `${tn} picked_up`);

    // 3. The hall's intake desk scans both envelopes in; staff accept and approve zhang.san's.
    for (const tn of [mine.tn, other.tn]) {
      expect(await rig.api('POST', '/api/intake/scans', staff, { trackingNumber: tn })).toMatchObject({
        status: 201,
        json: { result: 'received', recorded: true, parcel: { state: 'received_at_hall' } },
      });
    }
    const queued = (await rig.api('GET', '/api/intake/queue', staff)).json.items as Json[];
    expect(queued.map((q) => q.trackingNumber)).toEqual([mine.tn, other.tn]);
    expect(await rig.api('POST', `/api/applications/${mine.applicationId}/accept`, staff)).toMatchObject({
      status: 200,
      json: { status: 'accepted', parcel: { state: 'accepted' } },
    });
    const approved = await rig.api('POST', `/api/applications/${mine.applicationId}/approve`, staff, { note: '准予变更' });
    expect(approved).toMatchObject({
      status: 201,
      json: { application: { status: 'approved' }, result: { state: 'result_ready', channel: 'own_kiosk' } },
    });
    const result = approved.json.result.trackingNumber as string;
    const resultId = approved.json.result.id as string;
    expect(((await rig.api('GET', '/api/intake/queue', staff)).json.items as Json[]).map((q) => q.trackingNumber)).toEqual([other.tn]);

    // 4. The hub's worker orders the delivery; the courier takes the result at the hall and puts it in.
    await eventually(async () => (await stateOf(zhang, result)) === 'delivery_ordered', 'delivery_ordered');
    const delivery = [...rig.dispatch.orders.values()].find((o) => o.trackingNumber === result)!;
    expect(delivery).toMatchObject({ kind: 'delivery', site: { code: 'own-hall' }, courierId: 'EMS-XA-001' });
    const target = delivery.compartment!;
    expect(await compartmentState(target)).toBe('reserved');
    await eventually(
      async () =>
        (await rig.db.pool.query(`SELECT 1 FROM courier_events WHERE order_id = $1 AND type = 'assigned'`, [delivery.orderId])).rowCount ===
        1,
      'the delivery order assigned',
    );
    expect(await courier.roundOnce()).toEqual([
      {
        kind: 'delivery',
        orderId: delivery.orderId,
        siteCode: 'own-hall',
        outcome: 'delivered',
        doors: [{ compartment: target, trackingNumber: result, took: false, left: true }],
      },
    ]);
    await eventually(async () => (await stateOf(zhang, result)) === 'in_locker', 'in_locker');
    expect(await compartmentState(target)).toBe('occupied');

    // 5. The applicant collects it with the collection code from the notices outbox and the phone digits.
    const notice = ((await rig.api('GET', '/api/me/notices', zhang)).json.notices as Json[]).find(
      (n) => n.parcelId === resultId && n.kind === 'result_in_locker',
    )!;
    expect(notice.details).toMatchObject({ compartment: target, code: expect.stringMatching(/^\d{8}$/), factor: 'phone' });
    const collectCode = notice.details.code as string;
    expect(await rig.typeAtKiosk(collectCode, factorOf('zhang.san'))).toMatchObject({
      status: 'opened',
      compartment: target,
      purpose: 'collect',
    });
    await rig.person(target, 'item', { present: false });
    await rig.person(target, 'close');
    await eventually(async () => (await stateOf(zhang, result)) === 'collected', 'collected');

    // Every code is spent: the deposit code, the visit's code, the deliver code and the collection code open nothing more.
    expect(await rig.typeAtKiosk(mine.code, factorOf('zhang.san'))).toMatchObject({ status: 'refused' });
    expect(await rig.typeAtKiosk(visit.code!, visit.pin)).toMatchObject({ status: 'refused' });
    expect(await rig.typeAtKiosk(delivery.code!, delivery.pin)).toMatchObject({ status: 'refused', code: 'code_used' });
    expect(await rig.typeAtKiosk(collectCode, factorOf('zhang.san'))).toMatchObject({ status: 'refused', code: 'code_used' });

    // Each code opened exactly its compartments, once, in this order — and nothing else was opened.
    expect(await framesSince()).toEqual([
      unlockHex(mine.compartment), // zhang.san's deposit code
      unlockHex(other.compartment), // li.si's deposit code
      unlockHex(mine.compartment), // the visit's one code, first door …
      unlockHex(other.compartment), // … and the next
      unlockHex(target), // the courier's deliver code
      unlockHex(target), // zhang.san's collection code
    ]);

    // Every custody event of both parcels, in order, the chains unbroken.
    expect(await trail(zhang, mine.tn)).toEqual([
      ['created', 'awaiting_deposit', 'applicant'],
      ['deposit_code_used', 'awaiting_deposit', 'applicant'],
      ['deposited', 'deposited', 'applicant'],
      ['pickup_ordered', 'pickup_ordered', 'system'],
      ['courier_pickup_code_used', 'pickup_ordered', 'courier'],
      ['picked_up', 'picked_up', 'courier'],
      ['received_at_hall', 'received_at_hall', 'staff'],
      ['accepted', 'accepted', 'staff'],
    ]);
    expect(await trail(zhang, result)).toEqual([
      ['created', 'result_ready', 'staff'],
      ['delivery_ordered', 'delivery_ordered', 'system'],
      ['courier_picked_up', 'delivery_ordered', 'courier'],
      ['out_for_delivery', 'out_for_delivery', 'courier'],
      ['in_locker', 'in_locker', 'courier'],
      ['collect_code_used', 'in_locker', 'applicant'],
      ['collected', 'collected', 'applicant'],
    ]);

    // The journey is closed: decided, the documents accepted, the result collected, the compartments free.
    const app = (await rig.api('GET', `/api/applications/${mine.applicationId}`, zhang)).json.application as Json;
    expect(app.status).toBe('approved');
    expect((app.parcels as Json[]).map((p) => [p.direction, p.state])).toEqual([
      ['inbound', 'accepted'],
      ['outbound', 'collected'],
    ]);
    for (const n of [mine.compartment, other.compartment, target]) expect(await compartmentState(n)).toBe('free');
    await eventually(
      async () =>
        rig.dispatch.pendingWebhooks === 0 &&
        (await rig.db.pool.query(`SELECT type FROM courier_events WHERE order_id = $1`, [delivery.orderId])).rowCount === 3,
      'the delivery order webhooks',
    );
    const events = await rig.db.pool.query(`SELECT type FROM courier_events WHERE order_id = $1 ORDER BY at, received_at`, [
      delivery.orderId,
    ]);
    expect(events.rows.map((r) => r.type)).toEqual(['assigned', 'picked_up', 'delivered']);
  }, 120_000);

  it('the simulated couriers, switched on through the dispatch simulator’s control API, do the rounds by themselves', async () => {
    const zhang = await signIn(rig.api, 'zhang.san');
    const staff = await signIn(rig.api, 'hall.staff');
    const control = async (body?: unknown) => {
      const res = await fetch(`${rig.dispatch.url}/control/couriers`, {
        method: body === undefined ? 'GET' : 'PUT',
        ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      return { status: res.status, json: (await res.json()) as Json };
    };
    // Off by default: a person plays the courier on the PDA.
    expect((await control()).json).toMatchObject({ on: false, couriers: ['EMS-XA-001', 'EMS-XA-002'] });
    expect((await control({ on: 'yes' })).status).toBe(400);

    const a = await apply(zhang);
    expect(await rig.typeAtKiosk(a.code, factorOf('zhang.san'))).toMatchObject({ status: 'opened', compartment: a.compartment });
    await rig.person(a.compartment, 'item', { present: true });
    await rig.person(a.compartment, 'close');
    await eventually(async () => (await stateOf(zhang, a.tn)) === 'pickup_ordered', 'pickup_ordered');
    const frames0 = (await rig.unlockFrames()).length;

    const place = { kind: 'own', kioskUrl: rig.kioskUrl, controlUrl: rig.controlUrl, board: 0, firstLock: 0 };
    expect(await control({ on: true, places: { 'own-hall': place } })).toMatchObject({
      status: 200,
      json: { on: true, places: ['own-hall'] },
    });
    await eventually(async () => (await stateOf(zhang, a.tn)) === 'picked_up', 'picked up by a simulated courier', {
      timeoutMs: 30_000,
    }).catch(async (e: unknown) => {
      console.log(
        JSON.stringify((await control()).json),
        JSON.stringify([...rig.dispatch.orders.values()].map((o) => [o.kind, o.status, o.courierId, o.site?.code])),
      );
      throw e;
    });
    expect(await rig.api('POST', '/api/intake/scans', staff, { trackingNumber: a.tn })).toMatchObject({ status: 201 });
    expect((await rig.api('POST', `/api/applications/${a.applicationId}/accept`, staff)).status).toBe(200);
    const approved = await rig.api('POST', `/api/applications/${a.applicationId}/approve`, staff, {});
    expect(approved.status).toBe(201);
    const result = approved.json.result.trackingNumber as string;
    await eventually(async () => (await stateOf(zhang, result)) === 'in_locker', 'delivered by a simulated courier', {
      timeoutMs: 30_000,
    }).catch(async (e: unknown) => {
      console.log(
        JSON.stringify((await control()).json),
        JSON.stringify([...rig.dispatch.orders.values()].map((o) => [o.kind, o.status, o.courierId, o.site?.code])),
        JSON.stringify(await trail(zhang, result)),
        rig.logs().hub.slice(-80).join('\n'),
      );
      throw e;
    });

    const notice = ((await rig.api('GET', '/api/me/notices', zhang)).json.notices as Json[]).find(
      (n) => n.parcelId === approved.json.result.id && n.kind === 'result_in_locker',
    )!;
    const target = notice.details.compartment as number;
    expect(await rig.typeAtKiosk(notice.details.code as string, factorOf('zhang.san'))).toMatchObject({
      status: 'opened',
      compartment: target,
    });
    await rig.person(target, 'item', { present: false });
    await rig.person(target, 'close');
    await eventually(async () => (await stateOf(zhang, result)) === 'collected', 'collected');

    // The couriers' rounds: the visit collected at the kiosk, the result put in; one unlock each, then the applicant's.
    const { json: state } = await control({ on: false });
    expect(state.on).toBe(false);
    const rounds = state.rounds as Json[];
    expect(rounds.filter((r) => r.kind === 'pickup').map((r) => [r.outcome, r.doors])).toEqual([
      ['picked_up', [{ compartment: a.compartment, trackingNumber: a.tn, took: true }]],
    ]);
    expect(rounds.filter((r) => r.kind === 'delivery').map((r) => [r.outcome, r.doors])).toEqual([
      ['delivered', [{ compartment: target, trackingNumber: result, took: false, left: true }]],
    ]);
    expect((await rig.unlockFrames()).slice(frames0)).toEqual([unlockHex(a.compartment), unlockHex(target), unlockHex(target)]);
    expect(await trail(zhang, result)).toEqual([
      ['created', 'result_ready', 'staff'],
      ['delivery_ordered', 'delivery_ordered', 'system'],
      ['courier_picked_up', 'delivery_ordered', 'courier'],
      ['out_for_delivery', 'out_for_delivery', 'courier'],
      ['in_locker', 'in_locker', 'courier'],
      ['collect_code_used', 'in_locker', 'applicant'],
      ['collected', 'collected', 'applicant'],
    ]);
  }, 120_000);
});
