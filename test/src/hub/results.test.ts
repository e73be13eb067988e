// Results back to the applicant (issue 11, ADR 0024), the hub in-process on real PostgreSQL and
// Redis, the courier dispatch simulator as the courier system and a socket client standing in for
// the kiosk agent: approve and reject; the counter (an identity check, then collected); the mail
// (a mail order with the address, mailed, delivered from the courier system's callback); an own
// kiosk (a compartment reserved, the courier's deliver code, in_locker, a collection code in the
// notices outbox, collected); and the timers by a clock passed in: two reminders, each once, then
// the return to the hall; and an applicant who switches a waiting result to the counter or the mail.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { io, type Socket } from 'socket.io-client';
import { courierWebhookHeaders } from '@xinbao/protocol';
import { firstBrokenLink } from '@xinbao/hub/domain/custody';
import { codeKeysFrom } from '@xinbao/hub/features/codes/service';
import { VISIT_CODE_KEY_INFO } from '@xinbao/hub/features/courier/pickup';
import { OpenCodeCipher } from '@xinbao/hub/features/partner/open-code';
import { markMailDelivered, type OrderToSend } from '@xinbao/hub/features/results/service';
import { sendResultOrder, sweepResults, type ResultJobDeps } from '@xinbao/hub/features/results/jobs';
import { flagNeverReceived } from '@xinbao/hub/features/exceptions/never-received';
import { CourierDispatchError, HttpCourierDispatch } from '@xinbao/hub/integrations/courier-dispatch';
import { withTransaction } from '@xinbao/hub/store/db';
import { custodyLog } from '@xinbao/hub/store/parcels';
import { signedHandshake } from '@xinbao/kiosk-agent/hub-link';
import { startCourierDispatchSimulator, type CourierDispatchSimulator } from '@xinbao/simulators/courier-dispatch';
import { factorOf, signIn, type Json } from '../support/http.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { applyPassed } from '../support/apply.js';

const HOUR = 3_600_000;

describe('hub: results back to the applicant', () => {
  let hub: TestHub;
  let dispatch: CourierDispatchSimulator;
  let jobs: ResultJobDeps;
  const sites = new Map<string, string>();
  const sockets: Socket[] = [];
  const secret = 'dispatch-secret-for-results';
  let staff = '';
  let zhang = '';
  let li = '';

  beforeAll(async () => {
    dispatch = await startCourierDispatchSimulator({ secret });
    hub = await startTestHub({ env: { COURIER_DISPATCH_URL: dispatch.url, COURIER_DISPATCH_SECRET: secret } });
    const admin = await signIn(hub.api, 'ops.admin');
    for (const s of (await hub.api('GET', '/api/sites', admin)).json.sites as Json[]) sites.set(s.code as string, s.id as string);
    staff = await signIn(hub.api, 'hall.staff');
    zhang = await signIn(hub.api, 'zhang.san');
    li = await signIn(hub.api, 'li.si');
    jobs = {
      db: hub.db.pool,
      keys: codeKeysFrom(hub.config),
      lifetimes: hub.config.codeLifetimesHours,
      timers: hub.config.resultTimers,
      dispatch: new HttpCourierDispatch(dispatch.url, secret),
      orderCodes: new OpenCodeCipher(hub.config.codeHashKey, VISIT_CODE_KEY_INFO),
      now: () => new Date(),
      log: pino({ level: 'silent' }),
    };
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await hub?.stop();
    await dispatch?.stop();
  });

  // ---- helpers

  const apply = async (token: string, body: Json) => {
    const r = await applyPassed(hub.api, token, {
      matterCode: 'business-licence-change',
      dropOff: { channel: 'none' },
      ...body,
    });
    expect(r.status).toBe(201);
    return r.json.application.id as string;
  };
  const approve = (applicationId: string, body: Json = {}) => hub.api('POST', `/api/applications/${applicationId}/approve`, staff, body);
  const resultOf = async (applicationId: string) =>
    (
      await hub.db.pool.query(
        `SELECT p.id, p.state, p.tracking_number AS "trackingNumber", k.number AS compartment, k.state AS "compartmentState"
         FROM parcels p LEFT JOIN compartments k ON k.id = p.compartment_id WHERE p.application_id = $1 AND p.direction = 'outbound'`,
        [applicationId],
      )
    ).rows[0] as Json;
  const kinds = async (parcelId: string) => (await custodyLog(hub.db.pool, parcelId)).map((e) => `${e.kind}:${e.toState}`);
  const notices = async (token: string) => (await hub.api('GET', '/api/me/notices', token)).json.notices as Json[];
  const orderFor = (trackingNumber: string, kind: string) =>
    [...dispatch.orders.values()].filter((o) => o.trackingNumber === trackingNumber && o.kind === kind);
  const compartmentState = async (siteId: string, number: number) =>
    (await hub.db.pool.query(`SELECT state FROM compartments WHERE site_id = $1 AND number = $2`, [siteId, number])).rows[0]!
      .state as string;

  const connectKiosk = async (siteCode: string) => {
    const siteId = sites.get(siteCode)!;
    const keys = generateKeyPairSync('ed25519');
    const r = await hub.api('POST', '/api/admin/kiosks', await signIn(hub.api, 'ops.admin'), {
      siteId,
      label: 'results kiosk',
      publicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }),
    });
    const deviceId = r.json.deviceId as string;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = io(`${hub.url}/kiosk`, {
        transports: ['websocket'],
        auth: signedHandshake(deviceId, keys.privateKey, Date.now()),
        reconnection: false,
      });
      sockets.push(s);
      s.on('hello', () => resolve(s));
      s.on('connect_error', reject);
    });
    const ask = (event: string, body: unknown) => socket.timeout(5_000).emitWithAck(event, body) as Promise<Json>;
    return {
      siteId,
      /** a keypad code with its second factor (ADR 0018) */
      submit: (code: string, factor: string | undefined) => ask('code:submit', { requestId: randomUUID(), via: 'keypad', code, factor }),
      doorClosed: (compartment: number, itemPresent: boolean | null, at = new Date()) =>
        ask('kiosk:event', { eventId: randomUUID(), at: at.toISOString(), type: 'door_closed', compartment, itemPresent }),
    };
  };
  type Kiosk = Awaited<ReturnType<typeof connectKiosk>>;
  let kiosk: Kiosk;

  /** An approved own-kiosk result, delivered by the courier into the locker at `at`; its ids and code. */
  const intoLocker = async (token: string, at: Date, username: string) => {
    const applicationId = await apply(token, { returnChannel: { channel: 'own_kiosk', siteId: kiosk.siteId } });
    const approved = await approve(applicationId);
    expect(approved).toMatchObject({ status: 201, json: { result: { state: 'result_ready', channel: 'own_kiosk' } } });
    const result = await resultOf(applicationId);
    expect(result.compartmentState).toBe('reserved');
    expect(await sendResultOrder(jobs, result.id as string, 'delivery')).toBe('sent');
    const [order] = orderFor(result.trackingNumber as string, 'delivery');
    expect(order).toMatchObject({ compartment: result.compartment, code: expect.stringMatching(/^\d{8}$/) });
    expect(await kiosk.submit(order!.code!, order!.pin)).toMatchObject({
      status: 'ok',
      data: { compartment: result.compartment, purpose: 'courier_deliver' },
    });
    expect((await resultOf(applicationId)).state).toBe('out_for_delivery');
    expect(await kiosk.doorClosed(result.compartment as number, true, at)).toMatchObject({ status: 'ok' });
    const inLocker = await resultOf(applicationId);
    expect(inLocker).toMatchObject({ state: 'in_locker', compartmentState: 'occupied' });
    const notice = (await notices(token)).find((n) => n.parcelId === result.id && n.kind === 'result_in_locker');
    expect(notice?.details.code).toMatch(/^\d{8}$/);
    return {
      applicationId,
      parcelId: result.id as string,
      trackingNumber: result.trackingNumber as string,
      compartment: result.compartment as number,
      deliverCode: order!.code!,
      deliverPin: order!.pin,
      collectCode: notice!.details.code as string,
      // the applicant's phone digits, or the PIN the notice carries when there is no phone (ADR 0018)
      collectFactor: (notice!.details.pin as string | undefined) ?? factorOf(username),
    };
  };

  // ---- approve, reject and the counter

  it('approves a result-only application for the counter: at_counter, told once, handed over after an identity check', async () => {
    const applicationId = await apply(zhang, {});
    const r = await approve(applicationId, { note: 'all in order' });
    expect(r).toMatchObject({
      status: 201,
      json: { application: { id: applicationId, status: 'approved' }, result: { state: 'at_counter', channel: 'counter' } },
    });
    const parcelId = r.json.result.id as string;
    expect((await approve(applicationId)).json.error.code).toBe('already_decided');
    expect((await hub.api('POST', `/api/applications/${applicationId}/reject`, staff, { reason: 'late' })).json.error.code).toBe(
      'already_decided',
    );

    expect((await notices(zhang)).filter((n) => n.parcelId === parcelId).map((n) => n.kind)).toEqual(['result_at_counter']);
    expect((await notices(li)).some((n) => n.parcelId === parcelId)).toBe(false);

    // Only staff, only with the identity checked.
    expect((await hub.api('POST', `/api/results/${parcelId}/handover`, zhang, { idChecked: true })).status).toBe(403);
    expect((await hub.api('POST', `/api/results/${parcelId}/handover`, staff, {})).status).toBe(400);
    expect((await hub.api('POST', `/api/results/${parcelId}/handover`, staff, { idChecked: false })).status).toBe(400);
    const handed = await hub.api('POST', `/api/results/${parcelId}/handover`, staff, { idChecked: true, note: '身份证核验' });
    expect(handed).toMatchObject({ status: 200, json: { result: { id: parcelId, state: 'collected' } } });
    expect((await hub.api('POST', `/api/results/${parcelId}/handover`, staff, { idChecked: true })).json.error.code).toBe(
      'illegal_transition',
    );

    const events = await custodyLog(hub.db.pool, parcelId);
    expect(events.map((e) => `${e.kind}:${e.toState}`)).toEqual(['created:result_ready', 'at_counter:at_counter', 'collected:collected']);
    expect(events[2]).toMatchObject({ actorKind: 'staff', evidence: { idChecked: true, where: 'counter', note: '身份证核验' } });
    expect(firstBrokenLink(events)).toBe(-1);
  });

  it('rejects with a reason the applicant is told; only staff decide, and only about an existing application', async () => {
    const applicationId = await apply(li, {});
    expect((await hub.api('POST', `/api/applications/${applicationId}/approve`, li, {})).status).toBe(403);
    expect((await hub.api('POST', `/api/applications/${randomUUID()}/approve`, staff, {})).status).toBe(404);
    expect((await hub.api('POST', `/api/applications/${applicationId}/reject`, staff, {})).status).toBe(400);
    const r = await hub.api('POST', `/api/applications/${applicationId}/reject`, staff, { reason: '材料不齐：缺少股东会决议' });
    expect(r).toMatchObject({ status: 200, json: { application: { status: 'rejected' } } });
    expect((await approve(applicationId)).json.error.code).toBe('already_decided');
    const told = (await notices(li)).filter((n) => n.applicationId === applicationId);
    expect(told).toEqual([
      expect.objectContaining({ kind: 'application_rejected', parcelId: null, message: expect.stringContaining('缺少股东会决议') }),
    ]);
    expect(await resultOf(applicationId)).toBeUndefined();
  });

  it('does not approve while the documents handed in are not accepted at the hall', async () => {
    const applicationId = await apply(li, { dropOff: { channel: 'own_kiosk', siteId: sites.get('own-silk-road') } });
    const r = await approve(applicationId);
    expect(r).toMatchObject({ status: 409, json: { error: { code: 'not_accepted', details: { state: 'awaiting_deposit' } } } });
    expect(await resultOf(applicationId)).toBeUndefined();
  });

  it('refuses a return channel the matter does not offer, and a return to a site that is not an own kiosk', async () => {
    const r = await hub.api('POST', '/api/applications', zhang, {
      matterCode: 'construction-permit',
      dropOff: { channel: 'none' },
      returnChannel: { channel: 'mail', address: '西安市雁塔区科技路10号' },
    });
    expect(r).toMatchObject({ status: 400, json: { error: { code: 'channel_not_allowed' } } });
    const partnerSite = [...sites.entries()].find(([code]) => !code.startsWith('own-'));
    if (partnerSite) {
      const p = await hub.api('POST', '/api/applications', zhang, {
        matterCode: 'business-licence-change',
        dropOff: { channel: 'none' },
        returnChannel: { channel: 'own_kiosk', siteId: partnerSite[1] },
      });
      expect(p).toMatchObject({ status: 400, json: { error: { code: 'wrong_network' } } });
    }
  });

  // ---- mail

  it('mails a result to the applicant’s address: a delivery order to the address, mailed, delivered from the courier callback', async () => {
    const address = '西安市雁塔区科技路10号3单元502室';
    const applicationId = await apply(zhang, { returnChannel: { channel: 'mail', address } });
    const r = await approve(applicationId);
    expect(r).toMatchObject({ status: 201, json: { result: { state: 'result_ready', channel: 'mail' } } });
    const parcelId = r.json.result.id as string;
    const tn = r.json.result.trackingNumber as string;

    // The courier system is away once: the job fails and is retried; nothing moved meanwhile.
    dispatch.failNext(1);
    await expect(sendResultOrder(jobs, parcelId, 'mail')).rejects.toThrow(/503/);
    expect((await resultOf(applicationId)).state).toBe('result_ready');
    expect(await sendResultOrder(jobs, parcelId, 'mail')).toBe('sent');
    expect(await sendResultOrder(jobs, parcelId, 'mail')).toBe('not_needed');
    const orders = orderFor(tn, 'delivery');
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({ destination: { name: '张三', address }, site: { code: 'hall-counter' } });
    expect(orders[0]!.code).toBeUndefined();
    expect(orders[0]!.compartment).toBeUndefined();
    expect((await resultOf(applicationId)).state).toBe('mailed');

    const at = new Date();
    expect(await withTransaction(hub.db.pool, (tx) => markMailDelivered(tx, parcelId, { at, evidence: { eventId: 'E-1' } }))).toBe(
      'delivered',
    );
    expect(await withTransaction(hub.db.pool, (tx) => markMailDelivered(tx, parcelId, { at, evidence: { eventId: 'E-1' } }))).toBe(
      'already_delivered',
    );
    expect(await kinds(parcelId)).toEqual(['created:result_ready', 'mailed:mailed', 'delivered:delivered']);
    const told = (await notices(zhang)).filter((n) => n.parcelId === parcelId).map((n) => n.kind);
    expect(told.sort()).toEqual(['result_delivered', 'result_mailed']);
    // The courier order is done; a parcel that was never mailed cannot be delivered.
    expect(
      (await hub.db.pool.query(`SELECT status FROM courier_orders WHERE parcel_id = $1 AND kind = 'mail'`, [parcelId])).rows[0].status,
    ).toBe('done');
    const counter = (await approve(await apply(zhang, {}))).json.result.id as string;
    await expect(withTransaction(hub.db.pool, (tx) => markMailDelivered(tx, counter, { at }))).rejects.toMatchObject({
      code: 'illegal_transition',
    });
  });

  // ---- own kiosk

  it('delivers a result into an own kiosk and the applicant collects it: each code opens its compartment once', async () => {
    kiosk = await connectKiosk('own-hall');
    const r = await intoLocker(zhang, new Date(), 'zhang.san');
    expect(dispatch.orders.size).toBeGreaterThan(0);
    // The deliver code is spent; another applicant cannot see the collection code.
    expect(await kiosk.submit(r.deliverCode, r.deliverPin)).toMatchObject({ status: 'error', error: { code: 'code_used' } });
    expect((await notices(li)).some((n) => n.parcelId === r.parcelId)).toBe(false);
    // The application's own view (its applicant, staff) lists the notice without the sealed code.
    const view = await hub.api('GET', `/api/applications/${r.applicationId}`, staff);
    expect((view.json.application.notices as Json[]).map((n) => n.kind)).toContain('result_in_locker');
    expect(JSON.stringify(view.json)).not.toContain('sealedCode');
    expect(
      (await hub.db.pool.query(`SELECT status FROM courier_orders WHERE parcel_id = $1 AND kind = 'delivery'`, [r.parcelId])).rows[0]
        .status,
    ).toBe('done');

    expect(await kiosk.submit(r.collectCode, r.collectFactor)).toMatchObject({
      status: 'ok',
      data: { compartment: r.compartment, purpose: 'collect' },
    });
    expect(await kiosk.doorClosed(r.compartment, false)).toMatchObject({ status: 'ok' });
    expect(await resultOf(r.applicationId)).toMatchObject({ state: 'collected' });
    expect(await compartmentState(kiosk.siteId, r.compartment)).toBe('free');
    expect(await kiosk.submit(r.collectCode, r.collectFactor)).toMatchObject({ status: 'error', error: { code: 'code_used' } });
    // Once collected, the notice no longer shows the code.
    const notice = (await notices(zhang)).find((n) => n.parcelId === r.parcelId && n.kind === 'result_in_locker');
    expect(notice?.details.code).toBeUndefined();
    expect(JSON.stringify(notice)).not.toContain(r.collectCode);

    const events = await custodyLog(hub.db.pool, r.parcelId);
    expect(events.map((e) => `${e.kind}:${e.toState}`)).toEqual([
      'created:result_ready',
      'delivery_ordered:delivery_ordered',
      'out_for_delivery:out_for_delivery',
      'in_locker:in_locker',
      'collect_code_used:in_locker',
      'collected:collected',
    ]);
    expect(events.slice(2, 4).map((e) => e.actorKind)).toEqual(['courier', 'courier']);
    expect(firstBrokenLink(events)).toBe(-1);
  });

  it('refuses to approve for a kiosk with no free compartment, and leaves the application undecided', async () => {
    const siteId = sites.get('own-bonded')!;
    await hub.db.pool.query(`UPDATE compartments SET state = 'faulty' WHERE site_id = $1 AND state = 'free'`, [siteId]);
    const applicationId = await apply(li, { returnChannel: { channel: 'own_kiosk', siteId } });
    expect(await approve(applicationId)).toMatchObject({ status: 409, json: { error: { code: 'no_free_compartment' } } });
    expect(await resultOf(applicationId)).toBeUndefined();
    expect((await hub.db.pool.query('SELECT status FROM applications WHERE id = $1', [applicationId])).rows[0].status).toBe('submitted');
  });

  // ---- the timers

  it('reminds 24 h after in_locker and 24 h before the holding period ends, each once; then a courier takes the result back', async () => {
    const T0 = new Date(Date.now() - 1_000);
    const r = await intoLocker(li, T0, 'li.si');
    const at = (h: number) => new Date(T0.getTime() + h * HOUR);
    const sent: OrderToSend[] = [];
    const sweep = (h: number) => sweepResults({ ...jobs, now: () => at(h) }, async (o) => void sent.push(o));
    const mine = async () => (await notices(li)).filter((n) => n.parcelId === r.parcelId).map((n) => n.kind);

    expect(await sweep(23.9)).toMatchObject({ reminded: 0, returning: 0 });
    expect(await sweep(24)).toMatchObject({ reminded: 1 });
    expect(await sweep(30)).toMatchObject({ reminded: 0 });
    expect(await mine()).toEqual(['result_reminder_collect', 'result_in_locker']);
    expect(await sweep(143.9)).toMatchObject({ reminded: 0 });
    expect(await sweep(144)).toMatchObject({ reminded: 1 });
    expect(await sweep(150)).toMatchObject({ reminded: 0, returning: 0 });
    expect(sent).toEqual([]);

    // Holding period over: the collection code stops working and a return pickup is ordered.
    expect(await sweep(168)).toMatchObject({ returning: 1 });
    // (the sweep also queues again any order left unsent — this one too, by its clock; the job's id makes that harmless)
    expect(new Set(sent.filter((o) => o.parcelId === r.parcelId).map((o) => o.kind))).toEqual(new Set(['pickup']));
    expect(await sweep(169)).toMatchObject({ returning: 0, reminded: 0 });
    expect(await mine()).toEqual(['result_returning', 'result_reminder_return', 'result_reminder_collect', 'result_in_locker']);
    // withdrawn as its holding period ran out: the holder is told it expired
    expect(await kiosk.submit(r.collectCode, r.collectFactor)).toMatchObject({ status: 'error', error: { code: 'code_expired' } });
    expect((await resultOf(r.applicationId)).state).toBe('in_locker');

    expect(await sendResultOrder(jobs, r.parcelId, 'pickup')).toBe('sent');
    const [back] = orderFor(r.trackingNumber, 'pickup');
    expect(back).toMatchObject({ compartment: r.compartment, destination: { name: expect.stringContaining('service hall') } });
    expect(await kiosk.submit(back!.code!, back!.pin)).toMatchObject({
      status: 'ok',
      data: { compartment: r.compartment, purpose: 'courier_pickup' },
    });
    expect(await kiosk.doorClosed(r.compartment, false)).toMatchObject({ status: 'ok' });
    // The courier has it, on the way back: not at the hall until the hall scans it in.
    expect(await resultOf(r.applicationId)).toMatchObject({ state: 'returning' });
    expect(await compartmentState(kiosk.siteId, r.compartment)).toBe('free');
    // Picked up and never scanned back in: flagged like an inbound parcel that never arrived.
    const neverReceived = (hours: number) =>
      flagNeverReceived({ db: hub.db.pool, now: () => new Date(Date.now() + hours * HOUR), log: pino({ level: 'silent' }), afterHours: 4 });
    expect(await neverReceived(3.9)).toBe(0);
    expect(await neverReceived(4.1)).toBe(1);
    const flagged = await hub.db.pool.query(`SELECT kind, occurrences FROM exceptions WHERE parcel_id = $1`, [r.parcelId]);
    expect(flagged.rows).toEqual([{ kind: 'never_received', occurrences: 1 }]);
    // The hall's intake desk scans it: returned_to_hall; a second scan writes nothing.
    const scan = () => hub.api('POST', '/api/intake/scans', staff, { trackingNumber: r.trackingNumber });
    expect(await scan()).toMatchObject({
      status: 201,
      json: { result: 'received', recorded: true, parcel: { state: 'returned_to_hall' } },
    });
    expect(await scan()).toMatchObject({ status: 200, json: { result: 'already_received', recorded: false } });
    expect(await resultOf(r.applicationId)).toMatchObject({ state: 'returned_to_hall' });
    expect(await neverReceived(8)).toBe(0);

    // Back at the hall, the applicant chooses the counter.
    const sw = await hub.api('POST', `/api/results/${r.parcelId}/switch`, li, { channel: 'counter' });
    expect(sw).toMatchObject({ status: 200, json: { result: { state: 'at_counter', channel: 'counter' } } });
    expect(await kinds(r.parcelId)).toEqual([
      'created:result_ready',
      'delivery_ordered:delivery_ordered',
      'out_for_delivery:out_for_delivery',
      'in_locker:in_locker',
      'return_ordered:in_locker',
      'courier_pickup_code_used:in_locker',
      'returning:returning',
      'returned_to_hall:returned_to_hall',
      'channel_switched:returned_to_hall',
      'at_counter:at_counter',
    ]);
  });

  it('lets the applicant switch a waiting result to the mail: the courier takes it back, then it is mailed', async () => {
    const r = await intoLocker(zhang, new Date(), 'zhang.san');
    // Not someone else's, not with a channel it cannot take.
    expect((await hub.api('POST', `/api/results/${r.parcelId}/switch`, li, { channel: 'counter' })).status).toBe(404);
    expect((await hub.api('POST', `/api/results/${r.parcelId}/switch`, zhang, { channel: 'own_kiosk' })).status).toBe(400);
    expect((await hub.api('POST', `/api/results/${r.parcelId}/switch`, zhang, { channel: 'mail' })).json.error.code).toBe(
      'address_required',
    );

    const address = '西安市未央区凤城八路100号2单元1201室';
    const sw = await hub.api('POST', `/api/results/${r.parcelId}/switch`, zhang, { channel: 'mail', address });
    expect(sw).toMatchObject({ status: 200, json: { result: { state: 'in_locker', channel: 'mail' } } });
    expect(await kiosk.submit(r.collectCode, r.collectFactor)).toMatchObject({ status: 'error', error: { code: 'code_invalid' } });
    expect(await sendResultOrder(jobs, r.parcelId, 'pickup')).toBe('sent');
    const [back] = orderFor(r.trackingNumber, 'pickup');
    expect(await kiosk.submit(back!.code!, back!.pin)).toMatchObject({ status: 'ok', data: { purpose: 'courier_pickup' } });
    expect(await kiosk.doorClosed(r.compartment, false)).toMatchObject({ status: 'ok' });
    expect((await resultOf(r.applicationId)).state).toBe('returning');
    // Not mailed from the courier's hands: only once the hall has scanned it in.
    expect(await sendResultOrder(jobs, r.parcelId, 'mail')).toBe('not_needed');
    const scanned = await hub.api('POST', '/api/intake/scans', staff, { trackingNumber: r.trackingNumber });
    expect(scanned).toMatchObject({ status: 201, json: { result: 'received', parcel: { state: 'returned_to_hall' } } });
    expect((await resultOf(r.applicationId)).state).toBe('returned_to_hall');
    expect(await sendResultOrder(jobs, r.parcelId, 'mail')).toBe('sent');
    expect((await resultOf(r.applicationId)).state).toBe('mailed');
    expect(orderFor(r.trackingNumber, 'delivery').map((o) => o.destination.address)).toContain(address);
    const switched = (await custodyLog(hub.db.pool, r.parcelId)).find((e) => e.kind === 'channel_switched');
    expect(switched?.evidence).toEqual({ channel: 'mail', address: '西安市未央区凤城八路100号***' });
    // Once mailed, it cannot switch again.
    expect((await hub.api('POST', `/api/results/${r.parcelId}/switch`, zhang, { channel: 'counter' })).json.error.code).toBe(
      'cannot_switch',
    );
  });

  // ---- a delivery order whose answer is lost: the courier system has it, the hub does not know yet

  /** The courier system takes the order, and its answer never reaches the hub (a reply lost on the way back). */
  const answerLost: ResultJobDeps['dispatch'] = {
    createOrder: async (order) => {
      await jobs.dispatch.createOrder(order);
      throw new CourierDispatchError('the answer was lost on the way back', true);
    },
  };
  const resultForKiosk = async () => {
    const applicationId = await apply(zhang, { returnChannel: { channel: 'own_kiosk', siteId: kiosk.siteId } });
    expect((await approve(applicationId)).status).toBe(201);
    const result = await resultOf(applicationId);
    await expect(sendResultOrder({ ...jobs, dispatch: answerLost }, result.id as string, 'delivery')).rejects.toThrow(/lost/);
    expect((await resultOf(applicationId)).state).toBe('result_ready');
    const [order] = orderFor(result.trackingNumber as string, 'delivery');
    return { applicationId, result, order: order! };
  };
  const deliverCodes = async (parcelId: string) =>
    (await hub.db.pool.query(`SELECT revoked_at FROM access_codes WHERE parcel_id = $1 AND purpose = 'courier_deliver'`, [parcelId])).rows;

  it('sends the same deliver code again when the courier system’s answer was lost, never a second one', async () => {
    const { applicationId, result, order } = await resultForKiosk();
    expect(await sendResultOrder(jobs, result.id as string, 'delivery')).toBe('sent');
    expect((await resultOf(applicationId)).state).toBe('delivery_ordered');
    expect(await deliverCodes(result.id as string)).toHaveLength(1);
    expect(orderFor(result.trackingNumber as string, 'delivery')).toHaveLength(1);
    expect(await kiosk.submit(order.code!, order.pin)).toMatchObject({ status: 'ok', data: { purpose: 'courier_deliver' } });
    expect(await kiosk.doorClosed(result.compartment as number, true)).toMatchObject({ status: 'ok' });
    expect(await kinds(result.id as string)).toEqual([
      'created:result_ready',
      'delivery_ordered:delivery_ordered',
      'out_for_delivery:out_for_delivery',
      'in_locker:in_locker',
    ]);
  });

  it('takes the courier system’s webhook as proof of the order when it outruns the job: delivery_ordered, then the retry has nothing to do', async () => {
    const { applicationId, result, order } = await resultForKiosk();
    const event = {
      eventId: randomUUID(),
      orderId: order.orderId,
      type: 'assigned',
      at: new Date().toISOString(),
      courierId: 'EMS-XA-001',
    };
    const body = JSON.stringify(event);
    const res = await fetch(`${hub.url}/api/courier/webhooks`, {
      method: 'POST',
      headers: courierWebhookHeaders(secret, event.eventId, body, Date.now()),
      body,
    });
    expect(res.status).toBe(200);
    expect((await resultOf(applicationId)).state).toBe('delivery_ordered');
    expect(await sendResultOrder(jobs, result.id as string, 'delivery')).toBe('not_needed');
    expect(await kiosk.submit(order.code!, order.pin)).toMatchObject({ status: 'ok', data: { purpose: 'courier_deliver' } });
    expect(await kiosk.doorClosed(result.compartment as number, true)).toMatchObject({ status: 'ok' });
    expect((await resultOf(applicationId)).state).toBe('in_locker');
    const trail = await custodyLog(hub.db.pool, result.id as string);
    expect(trail.map((e) => `${e.kind}:${e.toState}`)).toEqual([
      'created:result_ready',
      'delivery_ordered:delivery_ordered',
      'out_for_delivery:out_for_delivery',
      'in_locker:in_locker',
    ]);
    expect(trail[1]!.evidence).toMatchObject({ orderId: order.orderId, eventId: event.eventId });
  });

  it('takes the courier’s deliver code as proof of the order when nothing else has reached the hub yet', async () => {
    const { applicationId, result, order } = await resultForKiosk();
    expect(await kiosk.submit(order.code!, order.pin)).toMatchObject({ status: 'ok', data: { purpose: 'courier_deliver' } });
    expect((await resultOf(applicationId)).state).toBe('out_for_delivery');
    expect(await kiosk.doorClosed(result.compartment as number, true)).toMatchObject({ status: 'ok' });
    expect((await resultOf(applicationId)).state).toBe('in_locker');
    expect(await sendResultOrder(jobs, result.id as string, 'delivery')).toBe('not_needed');
    expect(await kinds(result.id as string)).toEqual([
      'created:result_ready',
      'delivery_ordered:delivery_ordered',
      'out_for_delivery:out_for_delivery',
      'in_locker:in_locker',
    ]);
  });
});
