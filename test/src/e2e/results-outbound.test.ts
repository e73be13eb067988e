// Results back to the applicant on real parts, every part its own process: PostgreSQL, Redis, the
// hub (running its workers), the courier dispatch simulator, a kiosk agent and a KR-CU16 board
// simulator on a real pseudo-terminal. (c) A result with no inbound parcel goes by mail: approved,
// the hub's job sends the mail order, mailed, picked up and delivered by the courier system's signed
// webhooks, every custody event in order. And an
// own-kiosk result: the courier's deliver code opens exactly its compartment once, the result goes
// in, the applicant's collection code (from the notices outbox) opens it once, collected.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { firstBrokenLink } from '@xinbao/hub/domain/custody';
import { startCourierRig, unlockHex, type CourierRig } from '../support/courier-rig.js';
import { eventually } from '../support/eventually.js';
import { factorOf, signIn, type Json } from '../support/http.js';
import { applyPassed } from '../support/apply.js';

const SECRET = 'e2e-courier-dispatch-secret';

describe('results back to the applicant, across processes', () => {
  let rig: CourierRig;
  let db: CourierRig['db'];
  let dispatch: CourierRig['dispatch'];
  let siteId = '';

  const api: CourierRig['api'] = (...args) => rig.api(...args);
  /** a keypad code and its second factor (ADR 0018), as the person types them */
  const typeAtKiosk = (code: string, factor: string | undefined) => rig.typeAtKiosk(code, factor);
  const unlockFrames = () => rig.unlockFrames();
  const person = (compartment: number, action: 'item' | 'close', body?: unknown) => rig.person(compartment, action, body);
  const tracked = async (token: string, tn: string) => (await api('GET', `/api/parcels/${tn}`, token)).json;
  const stateOf = async (token: string, tn: string) => (await tracked(token, tn)).parcel.state as string;
  const trail = async (token: string, tn: string) => {
    const { events } = await tracked(token, tn);
    const chain = (events as Json[]).map((e) => ({ ...e, at: new Date(e.at as string) }));
    expect(firstBrokenLink(chain as never)).toBe(-1);
    return (events as Json[]).map((e) => [e.kind, e.toState, e.actorKind]);
  };

  beforeAll(async () => {
    // The dispatch simulator's signed webhooks reach the hub: the mail's delivery comes back that way.
    rig = await startCourierRig({ name: 'results', secret: SECRET, webhooks: true });
    ({ db, dispatch, siteId } = rig);
  }, 90_000);

  afterAll(async () => {
    await rig?.stop();
  });

  it('(c) a result only, no inbound parcel, by mail: approved, mailed, delivered', async () => {
    const zhang = await signIn(api, 'zhang.san');
    const staff = await signIn(api, 'hall.staff');
    const address = '西安市雁塔区科技路10号3单元502室';
    const created = await applyPassed(api, zhang, {
      matterCode: 'business-licence-change',
      dropOff: { channel: 'none' },
      returnChannel: { channel: 'mail', address },
    });
    expect(created).toMatchObject({ status: 201, json: { returnChannel: 'mail' } });
    const applicationId = created.json.application.id as string;

    const approved = await api('POST', `/api/applications/${applicationId}/approve`, staff, { note: '准予变更' });
    expect(approved).toMatchObject({ status: 201, json: { result: { state: 'result_ready', channel: 'mail' } } });
    const tn = approved.json.result.trackingNumber as string;
    const parcelId = approved.json.result.id as string;

    // The hub's worker sends the mail order; the courier system has it, addressed to the applicant.
    await eventually(async () => (await stateOf(zhang, tn)) === 'mailed', 'mailed');
    const orders = [...dispatch.orders.values()].filter((o) => o.trackingNumber === tn);
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({ kind: 'delivery', destination: { name: '张三', address } });
    expect(orders[0]!.code).toBeUndefined();

    // The courier takes it at the hall, then delivers it: the courier system tells the hub by signed webhooks.
    const report = (type: 'picked_up' | 'delivered') =>
      dispatch.report(orders[0]!.orderId, { requestId: randomUUID(), type, courierId: orders[0]!.courierId! });
    report('picked_up');
    await eventually(async () => (await trail(zhang, tn)).length === 3, 'the picked_up webhook in custody');
    report('delivered');
    await eventually(async () => (await stateOf(zhang, tn)) === 'delivered', 'delivered');

    const app = (await api('GET', `/api/applications/${applicationId}`, zhang)).json.application as Json;
    expect((app.parcels as Json[]).map((p) => p.direction)).toEqual(['outbound']);
    expect(await trail(zhang, tn)).toEqual([
      ['created', 'result_ready', 'staff'],
      ['mailed', 'mailed', 'system'],
      ['courier_picked_up', 'mailed', 'courier'],
      ['delivered', 'delivered', 'courier'],
    ]);
    const told = ((await api('GET', '/api/me/notices', zhang)).json.notices as Json[]).filter((n) => n.parcelId === parcelId);
    expect(told.map((n) => n.kind).sort()).toEqual(['result_delivered', 'result_mailed']);
  });

  it('delivers a result into an own kiosk and the applicant collects it: each code opens exactly its compartment, once', async () => {
    const li = await signIn(api, 'li.si');
    const staff = await signIn(api, 'hall.staff');
    const created = await applyPassed(api, li, {
      matterCode: 'customs-declarant-record',
      dropOff: { channel: 'none' },
      returnChannel: { channel: 'own_kiosk', siteId },
    });
    expect(created.status).toBe(201);
    const approved = await api('POST', `/api/applications/${created.json.application.id as string}/approve`, staff, {});
    expect(approved).toMatchObject({ status: 201, json: { result: { state: 'result_ready', channel: 'own_kiosk' } } });
    const tn = approved.json.result.trackingNumber as string;
    const parcelId = approved.json.result.id as string;
    await eventually(async () => (await stateOf(li, tn)) === 'delivery_ordered', 'delivery_ordered');
    const order = [...dispatch.orders.values()].find((o) => o.trackingNumber === tn)!;
    expect(order).toMatchObject({ kind: 'delivery', site: { code: 'own-hall' }, code: expect.stringMatching(/^\d{8}$/) });
    const compartment = order.compartment!;
    const before = await unlockFrames();

    // The courier's deliver code opens exactly the reserved compartment, once.
    expect(await typeAtKiosk(order.code!, order.pin)).toMatchObject({ status: 'opened', compartment, purpose: 'courier_deliver' });
    expect((await unlockFrames()).slice(before.length)).toEqual([unlockHex(compartment)]);
    await person(compartment, 'item', { present: true });
    await person(compartment, 'close');
    await eventually(async () => (await stateOf(li, tn)) === 'in_locker', 'in_locker');
    expect(await typeAtKiosk(order.code!, order.pin)).toMatchObject({ status: 'refused', code: 'code_used' });

    // The applicant's collection code, from the notices outbox, opens it once.
    const notice = ((await api('GET', '/api/me/notices', li)).json.notices as Json[]).find(
      (n) => n.parcelId === parcelId && n.kind === 'result_in_locker',
    )!;
    expect(notice.details).toMatchObject({ compartment, code: expect.stringMatching(/^\d{8}$/), factor: 'phone' });
    const collectFactor = factorOf('li.si');
    expect(await typeAtKiosk(notice.details.code as string, collectFactor)).toMatchObject({
      status: 'opened',
      compartment,
      purpose: 'collect',
    });
    expect((await unlockFrames()).slice(before.length)).toEqual([unlockHex(compartment), unlockHex(compartment)]);
    await person(compartment, 'item', { present: false });
    await person(compartment, 'close');
    await eventually(async () => (await stateOf(li, tn)) === 'collected', 'collected');
    expect(await typeAtKiosk(notice.details.code as string, collectFactor)).toMatchObject({ status: 'refused', code: 'code_used' });
    expect((await unlockFrames()).slice(before.length)).toEqual([unlockHex(compartment), unlockHex(compartment)]);

    expect(await trail(li, tn)).toEqual([
      ['created', 'result_ready', 'staff'],
      ['delivery_ordered', 'delivery_ordered', 'system'],
      ['out_for_delivery', 'out_for_delivery', 'courier'],
      ['in_locker', 'in_locker', 'courier'],
      ['collect_code_used', 'in_locker', 'applicant'],
      ['collected', 'collected', 'applicant'],
    ]);
    const row = await db.pool.query(`SELECT k.state FROM compartments k WHERE k.site_id = $1 AND k.number = $2`, [siteId, compartment]);
    expect(row.rows[0].state).toBe('free');
  });
});
