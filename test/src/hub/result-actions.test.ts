// What an applicant may do with a code or a result waiting for them (issue 12, ADR 0033), the hub
// in-process on real PostgreSQL and Redis, the courier dispatch simulator as the courier system and a
// socket client standing in for the kiosk agent: the same live code sent again by SMS (limited, only
// one's own), 委托代领 (a delegate's own code, sent to the delegate's phone, opening the compartment at
// the kiosk and killing the applicant's; revoked at once, also in the kiosks' books), more time to
// collect (once; the timers follow the new end), and accessible (low) compartments when asked for.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { io, type Socket } from 'socket.io-client';
import type { SmsSendRequest } from '@xinbao/protocol';
import { firstBrokenLink } from '@xinbao/hub/domain/custody';
import { codeKeysFrom } from '@xinbao/hub/features/codes/service';
import { VISIT_CODE_KEY_INFO } from '@xinbao/hub/features/courier/pickup';
import { sendNotice } from '@xinbao/hub/features/notifications/service';
import { OpenCodeCipher } from '@xinbao/hub/features/partner/open-code';
import { sendResultOrder, sweepResults, type ResultJobDeps } from '@xinbao/hub/features/results/jobs';
import { resultInPartnerLocker, type OrderToSend } from '@xinbao/hub/features/results/service';
import { withTransaction } from '@xinbao/hub/store/db';
import { HttpCourierDispatch } from '@xinbao/hub/integrations/courier-dispatch';
import { custodyLog, lockParcel } from '@xinbao/hub/store/parcels';
import { DEMO_USERS, KIOSK16_LOW } from '@xinbao/hub/store/seed';
import { signedHandshake } from '@xinbao/kiosk-agent/hub-link';
import { startCourierDispatchSimulator, type CourierDispatchSimulator } from '@xinbao/simulators/courier-dispatch';
import { factorOf, signIn, type Json } from '../support/http.js';
import { JOURNEY_LIMITS, startTestHub, type TestHub } from '../support/hub.js';
import { applyPassed } from '../support/apply.js';

const HOUR = 3_600_000;
const phoneOf = (username: string) => DEMO_USERS.find((u) => u.username === username)!.phone;

describe('hub: resend, 委托代领, more time to collect, accessible compartments', () => {
  let hub: TestHub;
  let dispatch: CourierDispatchSimulator;
  let jobs: ResultJobDeps;
  const sites = new Map<string, string>();
  const sockets: Socket[] = [];
  const secret = 'dispatch-secret-for-result-actions';
  /** what the SMS gateway was given, in order */
  const inbox: SmsSendRequest[] = [];
  let staff = '';
  let zhang = '';
  let li = '';

  beforeAll(async () => {
    dispatch = await startCourierDispatchSimulator({ secret });
    hub = await startTestHub({
      env: { COURIER_DISPATCH_URL: dispatch.url, COURIER_DISPATCH_SECRET: secret, ...JOURNEY_LIMITS, CODE_MAX_FAILURES: '20' },
    });
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
    kiosk = await connectKiosk('own-hall');
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await hub?.stop();
    await dispatch?.stop();
  });

  // ---- helpers

  const notifications = () => ({
    db: hub.db.pool,
    gateway: {
      send: async (m: SmsSendRequest) => {
        inbox.push(m);
        return { messageId: `m-${inbox.length}`, duplicate: false };
      },
    },
    cipher: new OpenCodeCipher(hub.config.codeHashKey),
    now: () => new Date(),
    log: pino({ level: 'silent' }),
  });
  /** Sends (through the notifications slice's sender) every unsent notice of this kind about the parcel; the SMS it sent. */
  const smsOf = async (parcelId: string, kind: string) => {
    const ids = await hub.db.pool.query<{ id: string }>(
      `SELECT id FROM applicant_notices WHERE parcel_id = $1 AND kind = $2 AND sent_at IS NULL ORDER BY created_at, id`,
      [parcelId, kind],
    );
    const sent: SmsSendRequest[] = [];
    for (const { id } of ids.rows) {
      expect(await sendNotice(notifications(), id)).toBe('sent');
      sent.push(inbox.find((m) => m.idempotencyKey === id)!);
    }
    return sent;
  };
  const codeIn = (text: string) => /\b(\d{8})\b/.exec(text)?.[1];

  const apply = async (token: string, body: Json) => {
    const r = await applyPassed(hub.api, token, { matterCode: 'business-licence-change', dropOff: { channel: 'none' }, ...body });
    expect(r.status).toBe(201);
    return r;
  };
  const approve = (applicationId: string) => hub.api('POST', `/api/applications/${applicationId}/approve`, staff, {});
  const resultOf = async (applicationId: string) =>
    (
      await hub.db.pool.query(
        `SELECT p.id, p.state, p.tracking_number AS "trackingNumber", k.number AS compartment, k.accessible
         FROM parcels p LEFT JOIN compartments k ON k.id = p.compartment_id WHERE p.application_id = $1 AND p.direction = 'outbound'`,
        [applicationId],
      )
    ).rows[0] as Json;
  const notices = async (token: string) => (await hub.api('GET', '/api/me/notices', token)).json.notices as Json[];
  const orderFor = (trackingNumber: string, kind: string) =>
    [...dispatch.orders.values()].filter((o) => o.trackingNumber === trackingNumber && o.kind === kind);

  const connectKiosk = async (siteCode: string) => {
    const siteId = sites.get(siteCode)!;
    const keys = generateKeyPairSync('ed25519');
    const r = await hub.api('POST', '/api/admin/kiosks', await signIn(hub.api, 'ops.admin'), {
      siteId,
      label: 'result actions kiosk',
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
      submit: (code: string, factor: string | undefined) => ask('code:submit', { requestId: randomUUID(), via: 'keypad', code, factor }),
      /** the site's whole code book, as a kiosk pulls it for offline use (ADR 0008) */
      sync: () => ask('codes:sync', { cursor: null }),
      doorClosed: (compartment: number, itemPresent: boolean | null, at = new Date()) =>
        ask('kiosk:event', { eventId: randomUUID(), at: at.toISOString(), type: 'door_closed', compartment, itemPresent }),
    };
  };
  let kiosk: Awaited<ReturnType<typeof connectKiosk>>;

  /** An approved own-kiosk result, delivered by the courier into the locker at `at`; its ids and code. */
  const intoLocker = async (token: string, at: Date, username: string) => {
    const applicationId = (await apply(token, { returnChannel: { channel: 'own_kiosk', siteId: kiosk.siteId } })).json.application
      .id as string;
    expect((await approve(applicationId)).status).toBe(201);
    const result = await resultOf(applicationId);
    expect(await sendResultOrder(jobs, result.id as string, 'delivery')).toBe('sent');
    const [order] = orderFor(result.trackingNumber as string, 'delivery');
    expect(await kiosk.submit(order!.code!, order!.pin)).toMatchObject({ status: 'ok', data: { purpose: 'courier_deliver' } });
    expect(await kiosk.doorClosed(result.compartment as number, true, at)).toMatchObject({ status: 'ok' });
    expect((await resultOf(applicationId)).state).toBe('in_locker');
    const notice = (await notices(token)).find((n) => n.parcelId === result.id && n.kind === 'result_in_locker');
    expect(notice?.details.code).toMatch(/^\d{8}$/);
    return {
      applicationId,
      parcelId: result.id as string,
      compartment: result.compartment as number,
      collectCode: notice!.details.code as string,
      collectFactor: factorOf(username),
    };
  };

  // ---- resend

  it('sends the same live collection code again by SMS, at most CODE_RESENDS_ALLOWED times, only to its own applicant', async () => {
    const r = await intoLocker(zhang, new Date(), 'zhang.san');
    const resend = (token: string, id = r.parcelId) => hub.api('POST', `/api/results/${id}/code/resend`, token);
    expect(await resend(li)).toMatchObject({ status: 404 });
    expect(await resend(zhang, randomUUID())).toMatchObject({ status: 404 });
    expect(await hub.api('POST', `/api/results/${r.parcelId}/code/resend`, zhang, { again: true })).toMatchObject({ status: 400 });

    expect(await resend(zhang)).toMatchObject({ status: 200, json: { resent: true, remaining: 2 } });
    const [sms] = await smsOf(r.parcelId, 'code_resent');
    // The same code, to the applicant's phone; the code is the only thing in clear.
    expect(sms).toMatchObject({ to: phoneOf('zhang.san') });
    expect(codeIn(sms!.text)).toBe(r.collectCode);
    expect(sms!.text).not.toContain('张三');
    expect(await resend(zhang)).toMatchObject({ status: 200, json: { remaining: 1 } });
    expect(await resend(zhang)).toMatchObject({ status: 200, json: { remaining: 0 } });
    expect(await resend(zhang)).toMatchObject({ status: 429, json: { error: { code: 'resend_limit', details: { allowed: 3, sent: 3 } } } });
    expect((await smsOf(r.parcelId, 'code_resent')).map((m) => codeIn(m.text))).toEqual([r.collectCode, r.collectCode]);

    const view = await hub.api('GET', `/api/applications/${r.applicationId}`, zhang);
    expect(view.json.application.result).toMatchObject({ parcelId: r.parcelId, resendsLeft: 0, extensionsLeft: 1, delegate: null });
    // The code never changed: it still opens the compartment.
    expect(await kiosk.submit(r.collectCode, r.collectFactor)).toMatchObject({ status: 'ok', data: { purpose: 'collect' } });
    expect(await kiosk.doorClosed(r.compartment, false)).toMatchObject({ status: 'ok' });
    expect((await resultOf(r.applicationId)).state).toBe('collected');
    expect(await resend(zhang)).toMatchObject({ status: 409, json: { error: { code: 'no_live_code' } } });
    const events = await custodyLog(hub.db.pool, r.parcelId);
    expect(events.filter((e) => e.kind === 'code_resent').map((e) => e.evidence.count)).toEqual([1, 2, 3]);
    expect(firstBrokenLink(events)).toBe(-1);
  });

  it('sends the deposit code again; none without a live one; not for someone else', async () => {
    const r = await apply(li, { dropOff: { channel: 'own_kiosk', siteId: sites.get('own-silk-road') } });
    const id = r.json.application.id as string;
    const code = r.json.deposit.code as string;
    const resend = (token: string) => hub.api('POST', `/api/applications/${id}/deposit-code/resend`, token);
    expect(await resend(zhang)).toMatchObject({ status: 404 });
    expect(await resend(li)).toMatchObject({ status: 200, json: { resent: true, remaining: 2 } });
    const [sms] = await smsOf(r.json.parcel.id as string, 'code_resent');
    expect(sms).toMatchObject({ to: phoneOf('li.si') });
    expect(codeIn(sms!.text)).toBe(code);
    expect((await hub.api('GET', `/api/applications/${id}`, li)).json.application.deposit).toMatchObject({ code, resendsLeft: 2 });
    // An application with nothing to deposit has no code to send.
    const none = (await apply(li, {})).json.application.id as string;
    expect(await hub.api('POST', `/api/applications/${none}/deposit-code/resend`, li)).toMatchObject({
      status: 409,
      json: { error: { code: 'no_live_code' } },
    });
  });

  // ---- 委托代领

  it('authorises a delegate whose own code, sent to their phone, collects the result; the applicant’s code dies with it', async () => {
    const r = await intoLocker(zhang, new Date(), 'zhang.san');
    const path = `/api/results/${r.parcelId}/delegates`;
    const wang = { name: '王五', phone: '139 1234 5678' };
    expect(await hub.api('POST', path, li, wang)).toMatchObject({ status: 404 });
    expect(await hub.api('POST', path, zhang, { name: '王五', phone: '12345' })).toMatchObject({ status: 400 });
    expect(await hub.api('POST', path, zhang, { name: '', phone: '13912345678' })).toMatchObject({ status: 400 });

    const first = await hub.api('POST', path, zhang, wang);
    expect(first).toMatchObject({ status: 201, json: { delegate: { name: '王*', phone: '尾号5678', expiresAt: expect.any(String) } } });
    expect(await hub.api('POST', path, zhang, { name: '赵六', phone: '13700001111' })).toMatchObject({
      status: 409,
      json: { error: { code: 'delegate_exists' } },
    });
    // The delegate's SMS goes to the delegate's phone, with their own code, naming the applicant masked.
    const [toWang] = await smsOf(r.parcelId, 'delegate_code');
    expect(toWang).toMatchObject({ to: '13912345678' });
    expect(toWang!.text).toContain('张*');
    expect(toWang!.text).not.toContain('张三');
    const wangCode = codeIn(toWang!.text)!;
    expect(wangCode).toMatch(/^\d{8}$/);
    expect(wangCode).not.toBe(r.collectCode);
    // The applicant never sees it.
    expect(JSON.stringify(await notices(zhang))).not.toContain(wangCode);
    expect(JSON.stringify(await hub.api('GET', `/api/applications/${r.applicationId}`, zhang))).not.toContain(wangCode);
    expect(JSON.stringify(first.json)).not.toContain(wangCode);

    // Revoked: refused at once, and gone from the site's code book the kiosks sync.
    const wangId = first.json.delegate.id as string;
    const book = async () => ((await kiosk.sync()).data.codes as Json[]).length;
    const before = await book();
    expect(await hub.api('DELETE', `${path}/${wangId}`, li)).toMatchObject({ status: 404 });
    expect(await hub.api('DELETE', `${path}/${wangId}`, zhang)).toMatchObject({ status: 204 });
    expect(await hub.api('DELETE', `${path}/${wangId}`, zhang)).toMatchObject({ status: 204 });
    expect(await book()).toBe(before - 1);
    expect(await kiosk.submit(wangCode, '345678')).toMatchObject({ status: 'error', error: { code: 'code_invalid' } });

    // Another delegate: their code opens the compartment and collects; the applicant's code is dead.
    const second = await hub.api('POST', path, zhang, { name: '赵六', phone: '13700001111' });
    expect(second).toMatchObject({ status: 201, json: { delegate: { name: '赵*', phone: '尾号1111' } } });
    const [toZhao] = await smsOf(r.parcelId, 'delegate_code');
    expect(toZhao).toMatchObject({ to: '13700001111' });
    const zhaoCode = codeIn(toZhao!.text)!;
    // The delegate's code goes with the delegate's phone, not the applicant's.
    expect(await kiosk.submit(zhaoCode, r.collectFactor)).toMatchObject({ status: 'error', error: { code: 'code_invalid' } });
    expect(await kiosk.submit(zhaoCode, '001111')).toMatchObject({
      status: 'ok',
      data: { compartment: r.compartment, purpose: 'collect' },
    });
    expect(await kiosk.doorClosed(r.compartment, false)).toMatchObject({ status: 'ok' });
    expect((await resultOf(r.applicationId)).state).toBe('collected');
    expect(await kiosk.submit(r.collectCode, r.collectFactor)).toMatchObject({ status: 'error', error: { code: 'code_invalid' } });

    const listed = await hub.api('GET', path, zhang);
    expect(listed.json.delegates).toEqual([
      expect.objectContaining({ id: wangId, name: '王*', revokedAt: expect.any(String), usedAt: null }),
      expect.objectContaining({ name: '赵*', phone: '尾号1111', revokedAt: null, usedAt: expect.any(String) }),
    ]);
    expect(await hub.api('GET', path, li)).toMatchObject({ status: 404 });
    const events = await custodyLog(hub.db.pool, r.parcelId);
    expect(events.map((e) => e.kind).filter((k) => k.startsWith('delegate') || k === 'collected')).toEqual([
      'delegate_authorised',
      'delegate_revoked',
      'delegate_authorised',
      'collected',
    ]);
    expect(events.find((e) => e.kind === 'collected')?.evidence).toMatchObject({ by: 'delegate', name: '赵*' });
    expect(JSON.stringify(events)).not.toContain('13700001111');
    expect(firstBrokenLink(events)).toBe(-1);
    // Collected: no delegate any more.
    expect(await hub.api('POST', path, zhang, wang)).toMatchObject({ status: 409, json: { error: { code: 'cannot_delegate' } } });
  });

  it('refuses a delegate for a result in a partner locker or not in a locker at all; resends the partner’s code and extends there', async () => {
    const counter = (await approve((await apply(zhang, {})).json.application.id as string)).json.result.id as string;
    expect(await hub.api('POST', `/api/results/${counter}/delegates`, zhang, { name: '王五', phone: '13912345678' })).toMatchObject({
      status: 409,
      json: { error: { code: 'cannot_delegate' } },
    });
    expect(await hub.api('POST', `/api/results/${counter}/extend`, zhang)).toMatchObject({
      status: 409,
      json: { error: { code: 'cannot_extend' } },
    });
    // A result in a partner's locker (placed there as the partner's deposited event does it).
    const partnerSite = randomUUID();
    await hub.db.pool.query(
      `INSERT INTO sites (id, network, code, external_id, name, address, district, lat, lng, online)
       VALUES ($1, 'cainiao', 'cainiao:ra-1', 'ra-1', '菜鸟驿站 港务大道店', '港务大道 9 号', '国际港务区', 34.37, 109.05, true)`,
      [partnerSite],
    );
    const app = (await apply(zhang, {})).json.application.id as string;
    const parcelId = (await approve(app)).json.result.id as string;
    const T0 = new Date();
    await hub.db.pool.query(`UPDATE parcels SET state = 'in_locker', site_id = $2 WHERE id = $1`, [parcelId, partnerSite]);
    const deps = { cipher: new OpenCodeCipher(hub.config.codeHashKey), timers: hub.config.resultTimers };
    await withTransaction(hub.db.pool, async (tx) =>
      resultInPartnerLocker(tx, deps, await lockParcel(tx, parcelId), { compartmentNo: 7, collectionCode: '55667788', at: T0 }),
    );
    // The partner's code is sent again as it is (it has no second factor).
    expect(await hub.api('POST', `/api/results/${parcelId}/code/resend`, zhang)).toMatchObject({ status: 200, json: { remaining: 2 } });
    const [again] = await smsOf(parcelId, 'code_resent');
    expect(codeIn(again!.text)).toBe('55667788');
    expect(again!.text).not.toContain('6 位');
    expect(await hub.api('POST', `/api/results/${parcelId}/delegates`, zhang, { name: '王五', phone: '13912345678' })).toMatchObject({
      status: 409,
      json: { error: { code: 'delegate_not_supported' } },
    });
    expect(await hub.api('POST', `/api/results/${parcelId}/extend`, zhang)).toMatchObject({
      status: 200,
      json: { holdUntil: new Date(T0.getTime() + 240 * HOUR).toISOString() },
    });
    expect((await hub.api('GET', `/api/applications/${app}`, zhang)).json.application.result).toMatchObject({
      extensionsLeft: 0,
      resendsLeft: 2,
      delegateSupported: false,
    });
  });

  // ---- more time to collect

  it('gives more time to collect once: the hold and the code move, the timers follow; a second time is refused', async () => {
    const T0 = new Date(Date.now() - 1_000);
    const r = await intoLocker(li, T0, 'li.si');
    const codeExpiry = async () =>
      (
        await hub.db.pool.query<{ e: Date }>(
          `SELECT expires_at AS e FROM access_codes WHERE parcel_id = $1 AND purpose = 'collect' AND revoked_at IS NULL AND used_at IS NULL`,
          [r.parcelId],
        )
      ).rows.map((x) => x.e.getTime());
    const [before] = await codeExpiry();
    expect(await hub.api('POST', `/api/results/${r.parcelId}/extend`, zhang)).toMatchObject({ status: 404 });
    const ext = await hub.api('POST', `/api/results/${r.parcelId}/extend`, li);
    const until = new Date(T0.getTime() + (168 + 72) * HOUR).toISOString();
    expect(ext).toMatchObject({ status: 200, json: { holdUntil: until } });
    expect(await codeExpiry()).toEqual([before! + 72 * HOUR]);
    expect(await hub.api('POST', `/api/results/${r.parcelId}/extend`, li)).toMatchObject({
      status: 409,
      json: { error: { code: 'already_extended', details: { allowed: 1, extensions: 1 } } },
    });
    const view = (await hub.api('GET', `/api/applications/${r.applicationId}`, li)).json.application.result;
    expect(view).toMatchObject({ holdUntil: until, extensionsLeft: 0, resendsLeft: 3 });
    const [told] = await smsOf(r.parcelId, 'hold_extended');
    expect(told).toMatchObject({ to: phoneOf('li.si') });
    expect((await custodyLog(hub.db.pool, r.parcelId)).find((e) => e.kind === 'hold_extended')?.evidence).toEqual({ until });

    // The old end passes and nothing goes back; the new end returns it.
    const sent: OrderToSend[] = [];
    const sweep = (h: number) => sweepResults({ ...jobs, now: () => new Date(T0.getTime() + h * HOUR) }, async (o) => void sent.push(o));
    const returning = async () =>
      (await hub.db.pool.query(`SELECT return_reason AS r FROM result_holds WHERE parcel_id = $1`, [r.parcelId])).rows[0].r as
        string | null;
    await sweep(168.5);
    await sweep(239.9);
    expect(await returning()).toBeNull();
    expect(sent.some((o) => o.parcelId === r.parcelId)).toBe(false);
    await sweep(240);
    expect(await returning()).toBe('holding_period_over');
    expect(sent).toContainEqual({ parcelId: r.parcelId, kind: 'pickup' });
  });

  // ---- accessible compartments

  it('reserves an accessible compartment when asked, and says so when none is free', async () => {
    const siteId = sites.get('own-finance-town')!;
    const admin = await signIn(hub.api, 'ops.admin');
    const accessibleFree = async () =>
      ((await hub.api('GET', '/api/sites', admin)).json.sites as Json[]).find((s) => s.id === siteId)!.accessibleFree as number;
    const startFree = await accessibleFree();
    expect(startFree).toBe(KIOSK16_LOW.length);
    const nearby = await hub.api('GET', '/api/sites/nearby?lat=34.3654&lng=109.0681&radiusM=500', zhang);
    expect((nearby.json.sites as Json[]).find((s) => s.id === siteId)).toMatchObject({ accessibleFree: startFree });

    const low = await apply(zhang, { dropOff: { channel: 'own_kiosk', siteId, accessible: true } });
    expect(low.json).toMatchObject({ accessible: true });
    expect(KIOSK16_LOW).toContain(low.json.compartment);
    expect(await accessibleFree()).toBe(startFree - 1);
    // Not asked: the usual compartment, and nothing said.
    const usual = await apply(zhang, { dropOff: { channel: 'own_kiosk', siteId } });
    expect(usual.json.accessible).toBeUndefined();
    expect(KIOSK16_LOW).not.toContain(usual.json.compartment);

    // No accessible one free: the usual one, and the answer says it is not accessible.
    await hub.db.pool.query(`UPDATE compartments SET state = 'faulty' WHERE site_id = $1 AND accessible AND state = 'free'`, [siteId]);
    expect(await accessibleFree()).toBe(0);
    const fallback = await apply(zhang, { dropOff: { channel: 'own_kiosk', siteId, accessible: true } });
    expect(fallback.json).toMatchObject({ accessible: false });
    expect(KIOSK16_LOW).not.toContain(fallback.json.compartment);

    // The result too: an accessible compartment at the return kiosk.
    const back = (await apply(li, { returnChannel: { channel: 'own_kiosk', siteId: sites.get('own-huanancheng'), accessible: true } })).json
      .application.id as string;
    expect(await approve(back)).toMatchObject({ status: 201, json: { result: { accessible: true } } });
    expect(await resultOf(back)).toMatchObject({ accessible: true });
  });
});
