// Notifications by SMS (issue 12, ADR 0026), the hub in-process on real PostgreSQL and Redis, the
// SMS gateway simulator as the gateway and the courier dispatch simulator as the courier system:
// every event of an applicant's journey writes one notice in its own transaction (code issued,
// deposited at the kiosk, received at the hall, approved, in the locker with its code); the worker
// sends each notice exactly once, even when it dies after the gateway took a message and before it
// recorded it, or while the gateway is failing; a notice the gateway never takes is given up onto
// the exceptions list; and the gateway's signed delivery receipts are recorded once each.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { io, type Socket } from 'socket.io-client';
import type { Worker } from 'bullmq';
import { smsReceiptHeaders, type SmsReceipt } from '@xinbao/protocol';
import { codeKeysFrom } from '@xinbao/hub/features/codes/service';
import { VISIT_CODE_KEY_INFO } from '@xinbao/hub/features/courier/pickup';
import { sendResultOrder, type ResultJobDeps } from '@xinbao/hub/features/results/jobs';
import { HttpCourierDispatch } from '@xinbao/hub/integrations/courier-dispatch';
import { OpenCodeCipher } from '@xinbao/hub/features/partner/open-code';
import { HttpSmsGateway } from '@xinbao/hub/features/notifications/http-gateway';
import type { SmsGateway } from '@xinbao/hub/features/notifications/gateway';
import { enqueueNotice, startNotificationsWorker, sweepNotices } from '@xinbao/hub/features/notifications/jobs';
import { withTransaction } from '@xinbao/hub/store/db';
import { lockParcel, moveParcel } from '@xinbao/hub/store/parcels';
import { signedHandshake } from '@xinbao/kiosk-agent/hub-link';
import { startCourierDispatchSimulator, type CourierDispatchSimulator } from '@xinbao/simulators/courier-dispatch';
import { startSmsGatewaySimulator, type SmsGatewaySimulator } from '@xinbao/simulators/sms-gateway';
import { DEMO_USERS } from '@xinbao/hub/store/seed';
import { factorOf, signIn, type Json } from '../support/http.js';
import { applyPassed } from '../support/apply.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { redisUrl } from '../support/db.js';
import { eventually } from '../support/eventually.js';

const SMS_SECRET = 'sms-secret-for-notifications';
const DISPATCH_SECRET = 'dispatch-secret-for-notifications';
const phoneOf = (username: string) => DEMO_USERS.find((u) => u.username === username)!.phone;
const log = pino({ level: 'silent' });

describe('hub: notifications by SMS', () => {
  let hub: TestHub;
  let sms: SmsGatewaySimulator;
  let dispatch: CourierDispatchSimulator;
  let connection: Redis;
  const workers: Worker[] = [];
  const sockets: Socket[] = [];
  const sites = new Map<string, string>();
  let staff = '';

  beforeAll(async () => {
    sms = await startSmsGatewaySimulator({ secret: SMS_SECRET, receiptDelayMs: 5, retryDelaysMs: [50, 100] });
    dispatch = await startCourierDispatchSimulator({ secret: DISPATCH_SECRET });
    hub = await startTestHub({
      env: {
        SMS_GATEWAY_URL: sms.url,
        SMS_GATEWAY_SECRET: SMS_SECRET,
        COURIER_DISPATCH_URL: dispatch.url,
        COURIER_DISPATCH_SECRET: DISPATCH_SECRET,
      },
    });
    sms.setCallbackUrl(`${hub.url}/api/notifications/sms-receipts`);
    connection = new Redis(redisUrl(), { maxRetriesPerRequest: null });
    const admin = await signIn(hub.api, 'ops.admin');
    for (const s of (await hub.api('GET', '/api/sites', admin)).json.sites as Json[]) sites.set(s.code as string, s.id as string);
    staff = await signIn(hub.api, 'hall.staff');
  });

  afterAll(async () => {
    for (const w of workers) await w.close();
    for (const s of sockets) s.disconnect();
    connection?.disconnect();
    await hub?.stop();
    await sms?.stop();
    await dispatch?.stop();
  });

  // ---- helpers

  const deps = (gateway: SmsGateway = new HttpSmsGateway(sms.url, SMS_SECRET)) => ({
    db: hub.db.pool,
    gateway,
    cipher: new OpenCodeCipher(hub.config.codeHashKey),
    now: () => new Date(),
    log,
  });
  /** A notifications worker on the hub's own queue, as a hub process with RUN_WORKERS runs it. */
  const startWorker = (gateway?: SmsGateway, retry = { attempts: 4, baseDelayMs: 20 }) => {
    const w = startNotificationsWorker({ ...deps(gateway), retry }, hub.hub.notificationsQueue, connection, hub.queuePrefix);
    workers.push(w);
    return w;
  };
  const stopWorker = async (w: Worker) => {
    await w.close();
    workers.splice(workers.indexOf(w), 1);
  };
  const noticesOf = async (applicationId: string) =>
    (
      await hub.db.pool.query(
        `SELECT id, kind, parcel_id AS "parcelId", sent_at AS "sentAt", send_failed_at AS "sendFailedAt", gateway_message_id AS "messageId",
           delivery_status AS "deliveryStatus"
         FROM applicant_notices WHERE application_id = $1 ORDER BY created_at, id`,
        [applicationId],
      )
    ).rows as Json[];
  const noticeRow = async (id: string) =>
    (
      await hub.db.pool.query(
        `SELECT sent_at AS "sentAt", send_failed_at AS "sendFailedAt", send_failure AS "sendFailure", gateway_message_id AS "messageId",
           delivery_status AS "deliveryStatus", delivered_at AS "deliveredAt"
         FROM applicant_notices WHERE id = $1`,
        [id],
      )
    ).rows[0] as Json;
  const messagesFor = (noticeId: string) => sms.messages.filter((m) => m.idempotencyKey === noticeId);

  /** The one way this file applies (the lead may switch it when applications change). */
  const apply = async (username: string, body: Json) => {
    const token = await signIn(hub.api, username);
    const r = await applyPassed(hub.api, token, { matterCode: 'business-licence-change', ...body });
    expect(r.status).toBe(201);
    return r.json;
  };
  /** A notice owed to li.si, written as the results slice writes a rejection's (no parcel). */
  const freshNotice = async () => {
    const a = await apply('li.si', { dropOff: { channel: 'none' } });
    const id = randomUUID();
    await withTransaction(hub.db.pool, (tx) =>
      tx.query(
        `INSERT INTO applicant_notices (id, applicant_id, application_id, parcel_id, kind, message, details, created_at)
         SELECT $1, applicant_id, id, NULL, 'application_rejected', 'not approved', '{"reason":"材料不全"}', now() FROM applications WHERE id = $2`,
        [id, a.application.id],
      ),
    );
    return id;
  };

  const connectKiosk = async (siteCode: string) => {
    const siteId = sites.get(siteCode)!;
    const keys = generateKeyPairSync('ed25519');
    const r = await hub.api('POST', '/api/admin/kiosks', await signIn(hub.api, 'ops.admin'), {
      siteId,
      label: 'notifications kiosk',
      publicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }),
    });
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = io(`${hub.url}/kiosk`, {
        transports: ['websocket'],
        auth: signedHandshake(r.json.deviceId as string, keys.privateKey, Date.now()),
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
      doorClosed: (compartment: number, itemPresent: boolean | null) =>
        ask('kiosk:event', { eventId: randomUUID(), at: new Date().toISOString(), type: 'door_closed', compartment, itemPresent }),
    };
  };

  // ---- the journey

  it('writes one notice for each event of a journey and sends each exactly once; the collection code in the SMS opens the locker', async () => {
    const kiosk = await connectKiosk('own-hall');
    const phone = phoneOf('zhang.san');
    const a = await apply('zhang.san', {
      dropOff: { channel: 'own_kiosk', siteId: kiosk.siteId },
      returnChannel: { channel: 'own_kiosk', siteId: kiosk.siteId },
    });
    const applicationId = a.application.id as string;
    const parcelId = a.parcel.id as string;
    expect((await noticesOf(applicationId)).map((n) => n.kind)).toEqual(['prereview_passed']);

    // Deposited at the kiosk: the door closes on an item.
    expect(await kiosk.submit(a.deposit.code as string, factorOf('zhang.san'))).toMatchObject({ status: 'ok' });
    expect(await kiosk.doorClosed(a.compartment as number, true)).toMatchObject({ status: 'ok' });
    // The courier takes it to the hall (as the visit would), the hall scans it in and accepts it.
    await withTransaction(hub.db.pool, async (tx) => {
      let p = await lockParcel(tx, parcelId);
      for (const move of ['pickup_ordered', 'picked_up'] as const)
        p = await moveParcel(tx, p, move, { actor: { kind: 'system', id: null }, at: new Date() });
    });
    expect((await hub.api('POST', '/api/intake/scans', staff, { trackingNumber: a.parcel.trackingNumber })).status).toBe(201);
    expect((await hub.api('POST', `/api/applications/${applicationId}/accept`, staff)).status).toBe(200);
    const approved = await hub.api('POST', `/api/applications/${applicationId}/approve`, staff, {});
    expect(approved.status).toBe(201);
    // The result goes into the locker: the courier's deliver code, the door closes on it.
    const resultId = approved.json.result.id as string;
    const jobs: ResultJobDeps = {
      db: hub.db.pool,
      keys: codeKeysFrom(hub.config),
      lifetimes: hub.config.codeLifetimesHours,
      timers: hub.config.resultTimers,
      dispatch: new HttpCourierDispatch(dispatch.url, DISPATCH_SECRET),
      orderCodes: new OpenCodeCipher(hub.config.codeHashKey, VISIT_CODE_KEY_INFO),
      now: () => new Date(),
      log,
    };
    expect(await sendResultOrder(jobs, resultId, 'delivery')).toBe('sent');
    const order = [...dispatch.orders.values()].find((o) => o.trackingNumber === approved.json.result.trackingNumber)!;
    expect(await kiosk.submit(order.code!, order.pin)).toMatchObject({ status: 'ok', data: { purpose: 'courier_deliver' } });
    expect(await kiosk.doorClosed(order.compartment!, true)).toMatchObject({ status: 'ok' });

    const written = await noticesOf(applicationId);
    expect(written.map((n) => n.kind)).toEqual([
      'prereview_passed',
      'deposit_received',
      'received_at_hall',
      'application_approved',
      'result_in_locker',
    ]);
    expect(written.every((n) => n.sentAt === null)).toBe(true);

    // The worker sends what the sweep finds; a second sweep and a second worker send nothing more.
    const pair = [startWorker(), startWorker()];
    const enqueue = (id: string) => enqueueNotice(hub.hub.notificationsQueue, id);
    expect(await sweepNotices(deps(), enqueue)).toBeGreaterThanOrEqual(5);
    await sweepNotices(deps(), enqueue);
    await eventually(async () => (await noticesOf(applicationId)).every((n) => n.sentAt !== null), 'every notice sent');
    await sweepNotices(deps(), enqueue);
    for (const n of written) {
      const sent = messagesFor(n.id as string);
      expect({ kind: n.kind, sent: sent.length, to: sent[0]?.to }).toEqual({ kind: n.kind, sent: 1, to: phone });
      expect(sent[0]!.text).toContain('张*');
      expect(sent[0]!.text).not.toContain('张三');
      expect(sent[0]!.text).not.toContain(a.deposit.code as string);
      expect((await noticeRow(n.id as string)).messageId).toBe(sent[0]!.messageId);
    }
    expect(messagesFor(written[1]!.id as string)[0]!.text).toContain(a.parcel.trackingNumber as string);
    expect(messagesFor(written[0]!.id as string)[0]!.text).toMatch(/已通过资料预审/);

    // The collection code is in the in-locker SMS, in clear, and opens the result's compartment.
    const inLocker = messagesFor(written[4]!.id as string)[0]!;
    const code = /取件码 (\d{8})/.exec(inLocker.text)?.[1];
    expect(code).toBeDefined();
    expect(await kiosk.submit(code!, factorOf('zhang.san'))).toMatchObject({
      status: 'ok',
      data: { purpose: 'collect', compartment: order.compartment },
    });

    // Delivery receipts come back signed and are recorded on each notice.
    await eventually(async () => (await noticesOf(applicationId)).every((n) => n.deliveryStatus === 'delivered'), 'every notice delivered');
    for (const w of pair) await stopWorker(w);
  });

  // ---- exactly once

  it('sends one message when the worker dies after the gateway took it and before it was recorded', async () => {
    const noticeId = await freshNotice();
    const real = new HttpSmsGateway(sms.url, SMS_SECRET);
    let sends = 0;
    // The first attempt reaches the gateway and then the process "dies": nothing is recorded.
    const crashing: SmsGateway = {
      send: async (m) => {
        sends++;
        const answer = await real.send(m);
        if (sends === 1) throw new Error('worker killed after the gateway took the message');
        return answer;
      },
    };
    const before = sms.sendRequests;
    const w = startWorker(crashing);
    await enqueueNotice(hub.hub.notificationsQueue, noticeId, { attempts: 4, baseDelayMs: 20 });
    await eventually(async () => (await noticeRow(noticeId)).sentAt !== null, 'the notice recorded as sent');
    expect(sends).toBe(2);
    expect(sms.sendRequests - before).toBe(2);
    const sent = messagesFor(noticeId);
    expect(sent).toHaveLength(1);
    expect((await noticeRow(noticeId)).messageId).toBe(sent[0]!.messageId);
    await stopWorker(w);
  });

  it('sends one message when a new worker picks up the notice of a worker that was stopped mid-send', async () => {
    const noticeId = await freshNotice();
    // Sent by a worker that is gone before it recorded anything (the send itself, without the mark).
    await new HttpSmsGateway(sms.url, SMS_SECRET).send({ to: phoneOf('li.si'), text: 'first try', idempotencyKey: noticeId });
    expect(messagesFor(noticeId)).toHaveLength(1);
    expect((await noticeRow(noticeId)).sentAt).toBeNull();
    // The restarted worker finds it unsent in the outbox and sends it: the gateway sends nothing new.
    const w = startWorker();
    await sweepNotices(deps(), (id) => enqueueNotice(hub.hub.notificationsQueue, id));
    await eventually(async () => (await noticeRow(noticeId)).sentAt !== null, 'the notice recorded as sent');
    expect(messagesFor(noticeId)).toHaveLength(1);
    expect(messagesFor(noticeId)[0]!.text).toBe('first try');
    await stopWorker(w);
  });

  it('retries while the gateway fails, then sends once', async () => {
    const noticeId = await freshNotice();
    sms.setFaults({ failNext: 2 });
    const before = sms.sendRequests;
    const w = startWorker();
    await enqueueNotice(hub.hub.notificationsQueue, noticeId, { attempts: 4, baseDelayMs: 20 });
    await eventually(async () => (await noticeRow(noticeId)).sentAt !== null, 'the notice sent after the outage');
    expect(sms.sendRequests - before).toBe(3);
    expect(messagesFor(noticeId)).toHaveLength(1);
    await stopWorker(w);
  });

  it('gives a notice up after its retries: marked, and an exception record for staff', async () => {
    const noticeId = await freshNotice();
    sms.setFaults({ failNext: 3 });
    const w = startWorker(undefined, { attempts: 3, baseDelayMs: 10 });
    await enqueueNotice(hub.hub.notificationsQueue, noticeId, { attempts: 3, baseDelayMs: 10 });
    await eventually(async () => (await noticeRow(noticeId)).sendFailedAt !== null, 'the notice given up');
    expect(await noticeRow(noticeId)).toMatchObject({ sentAt: null, sendFailure: expect.stringContaining('503') });
    const ex = await hub.db.pool.query(`SELECT kind, closed_at, detail FROM exceptions WHERE subject = $1`, [`notice:${noticeId}`]);
    expect(ex.rows).toEqual([{ kind: 'notice_undeliverable', closed_at: null, detail: expect.objectContaining({ noticeId }) }]);
    expect(messagesFor(noticeId)).toHaveLength(0);
    // Given up is given up: a later sweep does not send it.
    sms.setFaults({ failNext: 0 });
    await sweepNotices(deps(), (id) => enqueueNotice(hub.hub.notificationsQueue, id));
    await new Promise((r) => setTimeout(r, 200));
    expect(messagesFor(noticeId)).toHaveLength(0);
    await stopWorker(w);
  });

  // ---- receipts

  const postReceipt = (r: SmsReceipt, secret = SMS_SECRET, at = Date.now()) => {
    const body = JSON.stringify(r);
    return fetch(`${hub.url}/api/notifications/sms-receipts`, {
      method: 'POST',
      headers: smsReceiptHeaders(secret, r.eventId, body, at),
      body,
    });
  };

  it('records a receipt once by its event id; a failed delivery goes on the exceptions list', async () => {
    const noticeId = await freshNotice();
    const receipt: SmsReceipt = {
      eventId: `sr_${randomUUID()}`,
      messageId: 'SM-elsewhere',
      idempotencyKey: noticeId,
      status: 'failed',
      at: new Date().toISOString(),
      reason: 'subscriber unreachable',
    };
    const first = await postReceipt(receipt);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ eventId: receipt.eventId, duplicate: false, outcome: 'recorded' });
    expect(await noticeRow(noticeId)).toMatchObject({ deliveryStatus: 'failed', deliveredAt: null });
    const again = await postReceipt({ ...receipt, status: 'delivered' });
    expect(await again.json()).toMatchObject({ duplicate: true });
    expect((await noticeRow(noticeId)).deliveryStatus).toBe('failed');
    const ex = await hub.db.pool.query(`SELECT kind FROM exceptions WHERE subject = $1`, [`notice:${noticeId}`]);
    expect(ex.rows).toEqual([{ kind: 'notice_undeliverable' }]);
    // A receipt for a message the hub does not know is kept and answered (so it is not retried forever).
    const stranger = await postReceipt({ ...receipt, eventId: `sr_${randomUUID()}`, idempotencyKey: 'not-a-notice' });
    expect(await stranger.json()).toMatchObject({ duplicate: false, outcome: 'unknown_message' });
  });

  it('refuses a receipt with a bad or stale signature, or a signed body that is not a receipt', async () => {
    const receipt: SmsReceipt = {
      eventId: `sr_${randomUUID()}`,
      messageId: 'SM1',
      idempotencyKey: randomUUID(),
      status: 'delivered',
      at: new Date().toISOString(),
    };
    const wrong = await postReceipt(receipt, 'another-secret-of-some-length');
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as Json).error.code).toBe('bad_signature');
    expect((await postReceipt(receipt, SMS_SECRET, Date.now() - 6 * 60_000)).status).toBe(401);
    const notReceipt = JSON.stringify({ hello: 'world' });
    const r = await fetch(`${hub.url}/api/notifications/sms-receipts`, {
      method: 'POST',
      headers: smsReceiptHeaders(SMS_SECRET, 'x', notReceipt, Date.now()),
      body: notReceipt,
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as Json).error.code).toBe('invalid_event');
    expect((await hub.db.pool.query('SELECT 1 FROM sms_receipts WHERE event_id = $1', [receipt.eventId])).rowCount).toBe(0);
  });
});
