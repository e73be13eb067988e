// Wires the hub together: Express routes, the /kiosk Socket.IO namespace, the courier queue, the
// partner network's queue (when a partner is configured) and (unless they run in their own process)
// their workers. Everything it holds that another hub process would need lives in PostgreSQL or Redis.
import { createServer, type Server as HttpServer } from 'node:http';
import express from 'express';
import helmet from 'helmet';
import { Server as IoServer } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Queue, Worker } from 'bullmq';
import type { HubConfig } from './config.js';
import type { Db } from './store/db.js';
import { authenticate } from './features/auth/auth.js';
import { codeKeysFrom } from './features/codes/service.js';
import { KioskService } from './features/kiosk/service.js';
import { announceCodeChange, cutDevice, mountKioskNamespace, type KioskServer } from './features/kiosk/namespace.js';
import { mountPeopleNamespace } from './features/tracking/namespace.js';
import { remindCommitments } from './features/prereview/service.js';
import { ratingRoutes, ratingsApi } from './features/ratings/routes.js';
import { searchApi, searchRoutes } from './features/search/routes.js';
import { startTrackingFeed } from './features/tracking/service.js';
import { CODES_CHANGED_CHANNEL, watchKioskNotifications } from './features/kiosk/code-changes.js';
import { DEVICE_CUT_CHANNEL } from './features/kiosk/device-cuts.js';
import { KioskPresence } from './features/kiosk/presence.js';
import { LoginThrottle } from './features/auth/login-throttle.js';
import { createCourierQueue, enqueuePickup, startCourierWorker, VISIT_CODE_KEY_INFO, type CourierJob } from './features/courier/pickup.js';
import { HttpCourierDispatch, type CourierDispatch } from './integrations/courier-dispatch.js';
import { errorMiddleware, refuseUnreadableInput, routeNotFound } from './http/middleware.js';
import { requestIds } from './http/request-context.js';
import { webApp, webAppHelmet } from './http/web-app.js';
import { openApiDocument } from './http/openapi.js';
import { adminApi, adminRoutes } from './features/admin/routes.js';
import { applicationRoutes, applicationsApi } from './features/applications/routes.js';
import { prereviewApi, prereviewRoutes } from './features/prereview/routes.js';
import { authApi, authRoutes } from './features/auth/routes.js';
import { intakeApi, intakeRoutes } from './features/intake/routes.js';
import { exceptionRoutes, exceptionsApi } from './features/exceptions/routes.js';
import { courierQueueRetry } from './features/exceptions/retry.js';
import { startHallTimers, type HallTimers } from './features/exceptions/never-received.js';
import { queueApi, queueRoutes } from './features/queue/routes.js';
import { kioskApi, kioskRoutes } from './features/kiosk/routes.js';
import { opsApi, opsMetrics, opsRoutes } from './features/ops/routes.js';
import { courierApi, courierRoutes, courierWebhookRoutes } from './features/courier/routes.js';
import { loadGazetteer } from './features/sites/gazetteer-file.js';
import { siteRoutes, sitesApi } from './features/sites/routes.js';
import { OpenCodeCipher } from './features/partner/open-code.js';
import { createPartnerRuntime, type PartnerRuntime } from './features/partner/runtime.js';
import { partnerAdminRoutes, partnerApi, partnerWebhookRoutes, type WebhookRefusalLimits } from './features/partner/routes.js';
import type { PartnerNetworkClient } from './integrations/partner-network.js';
import { resultRoutes, resultsApi } from './features/results/routes.js';
import { collectApi, collectRoutes } from './features/collect/routes.js';
import { resultDoorMoved } from './features/results/service.js';
import { createResultsQueue, enqueueOrder, startResultsWorker, type ResultJob } from './features/results/jobs.js';
import { notificationsApi, smsReceiptRoutes } from './features/notifications/routes.js';
import { createNotificationsQueue, startNotificationsWorker, type NotificationJob } from './features/notifications/jobs.js';
import { HttpSmsGateway } from './features/notifications/http-gateway.js';
import type { SmsGateway } from './features/notifications/gateway.js';
import { SmsSignInThrottle } from './features/auth/sms-throttle.js';

export interface HubDeps {
  config: HubConfig;
  db: Db;
  redis: Redis;
  log: Logger;
  now?: () => Date;
  dispatch?: CourierDispatch;
  /** instead of the HTTP client of config.partner (tests) */
  partnerClient?: PartnerNetworkClient;
  /** how refused partner webhooks are sampled and slowed down (defaults in features/partner/routes.ts) */
  webhookRefusals?: Partial<WebhookRefusalLimits>;
  /** instead of the HTTP client of config.sms (tests) */
  smsGateway?: SmsGateway;
}

export interface Hub {
  server: HttpServer;
  io: KioskServer;
  queue: Queue<CourierJob>;
  worker: Worker<CourierJob> | null;
  /** the results slice's queue (result orders, the reminder and return timers) */
  resultsQueue: Queue<ResultJob>;
  /** the notifications slice's queue (sending the notices outbox by SMS) */
  notificationsQueue: Queue<NotificationJob>;
  /** null when no partner network is configured */
  partner: PartnerRuntime | null;
  listen(): Promise<number>;
  close(): Promise<void>;
}

export async function createHub(deps: HubDeps): Promise<Hub> {
  const { config, db, redis, log } = deps;
  const now = deps.now ?? (() => new Date());
  const keys = codeKeysFrom(config);
  const lifetimes = config.codeLifetimesHours;
  const connection = redis.duplicate({ maxRetriesPerRequest: null });
  const queue = createCourierQueue(connection, config.queuePrefix);
  const openCodes = new OpenCodeCipher(config.codeHashKey);
  const resultsQueue = createResultsQueue(connection, config.queuePrefix);
  const results = { db, keys, lifetimes, cipher: openCodes, timers: config.resultTimers, partnerNetwork: config.partner?.network ?? null };
  const visitCodes = new OpenCodeCipher(config.codeHashKey, VISIT_CODE_KEY_INFO);
  const smsGateway =
    deps.smsGateway ?? (config.sms.gatewayUrl ? new HttpSmsGateway(config.sms.gatewayUrl, config.sms.gatewaySecret) : null);
  if (!smsGateway) log.info('no SMS gateway configured (SMS_GATEWAY_URL): notices wait in the outbox, SMS sign-in is off');
  const notificationsQueue = createNotificationsQueue(connection, config.queuePrefix);
  const partner = config.partner
    ? createPartnerRuntime({
        config: config.partner,
        db,
        log,
        now,
        cipher: openCodes,
        connection,
        prefix: config.queuePrefix,
        sweepIntervalMs: config.sweepIntervalMs,
        onDeposited: (parcelId) => enqueuePickup(queue, parcelId),
        ...(deps.partnerClient && { client: deps.partnerClient }),
        results: { keys, lifetimes, timers: config.resultTimers, onOrder: (o) => enqueueOrder(resultsQueue, o) },
      })
    : null;
  if (!partner) log.info('no partner network configured (PARTNER_API_URL …): partner lockers are off');

  const metrics = opsMetrics();
  const app = express();
  app.disable('x-powered-by');
  // First the request id (every later log line and error answer carries it), then the headers.
  app.use(requestIds(log));
  app.use(helmet(webAppHelmet(config.webMap.tileUrl)));
  // Before the JSON parser: the webhook's signature covers the raw body bytes.
  app.use(
    partnerWebhookRoutes({
      db,
      redis,
      partner,
      now,
      log,
      keyPrefix: `${config.queuePrefix}:webhook-refusals`,
      ...(deps.webhookRefusals && { limits: deps.webhookRefusals }),
    }),
  );
  const courier = { db, keys, visitCodes, now, log };
  app.use(
    courierWebhookRoutes({
      ...courier,
      secret: config.courierDispatchSecret,
      redis,
      keyPrefix: `${config.queuePrefix}:courier-webhook-refusals`,
      ...(deps.webhookRefusals && { limits: deps.webhookRefusals }),
    }),
  );
  app.use(smsReceiptRoutes({ db, now, log, secret: config.sms.gatewaySecret }));
  // Every JSON route's body: 64 KB at most (413), UTF-8 only (415), no NUL or lone surrogate (400).
  app.use(express.json({ limit: '64kb' }));
  app.use(refuseUnreadableInput);
  app.use(metrics.countRequests);
  // Every feature describes its own routes; the document is assembled here, once.
  const api = openApiDocument({
    ...opsApi,
    ...authApi,
    ...applicationsApi,
    ...prereviewApi,
    ...sitesApi,
    ...partnerApi,
    ...intakeApi,
    ...queueApi,
    ...exceptionsApi,
    ...adminApi,
    ...kioskApi,
    ...resultsApi,
    ...collectApi,
    ...courierApi,
    ...ratingsApi,
    ...searchApi,
    ...notificationsApi,
  });
  app.use(opsRoutes({ db, redis, metrics, api }));
  const gazetteer = loadGazetteer(config.gazetteerFile);
  const applications = {
    db,
    keys,
    lifetimes,
    now,
    partner,
    openCodes,
    log,
    openDeposits: config.openDeposits,
    collect: config.collect,
    orderAddressPickup: (parcelId: string) => enqueuePickup(queue, parcelId),
  };
  app.use(
    '/api',
    authenticate(db, now),
    authRoutes({
      db,
      now,
      sessionTtlHours: config.sessionTtlHours,
      throttle: new LoginThrottle(redis, config.queuePrefix, config.login),
      sms: {
        db,
        now,
        gateway: smsGateway,
        throttle: new SmsSignInThrottle(redis, config.queuePrefix, config.smsSignIn),
        limits: config.smsSignIn,
        codeHashKey: config.codeHashKey,
        sessionTtlHours: config.sessionTtlHours,
      },
    }),
    applicationRoutes(applications),
    prereviewRoutes(applications),
    siteRoutes({ db, gazetteer, nearbyRadiusM: config.nearbyRadiusM, webMap: config.webMap }),
    partnerAdminRoutes({ partner }),
    intakeRoutes({ db, now, send: (o) => enqueueOrder(resultsQueue, o) }),
    queueRoutes({ db, now }),
    exceptionRoutes({ db, now, log, retryPickup: courierQueueRetry(queue) }),
    adminRoutes({ db, now }),
    kioskRoutes({ db, now }),
    resultRoutes({ ...results, now, send: (o) => enqueueOrder(resultsQueue, o) }),
    collectRoutes({ db, keys, lifetimes, cipher: openCodes, policy: config.collect, now }),
    courierRoutes(courier),
    ratingRoutes({ db, now, policy: config.ratingFollowUp }),
    searchRoutes({ db, log }),
    routeNotFound,
  );
  app.use(webApp());
  app.use(routeNotFound);
  app.use(errorMiddleware(log));

  const server = createServer(app);
  // What Node's HTTP parser refuses before Express sees it (headers over 16 KB, a malformed request
  // line) gets the envelope too, not a bare status line.
  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
    const head = err.rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ';
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const body = JSON.stringify({
      error:
        status === 431
          ? { code: 'headers_too_large', message: 'the request line and headers are too large' }
          : { code: 'bad_request', message: 'the request is not valid HTTP' },
    });
    socket.end(
      `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\n` +
        `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${head ? '' : body}`,
    );
  });
  const io: KioskServer = new IoServer(server, { serveClient: false });
  // Rooms span every hub process: an emit to a room reaches the sockets other processes hold.
  const adapterPub = redis.duplicate();
  const adapterSub = redis.duplicate();
  io.adapter(createAdapter(adapterPub, adapterSub, { key: `${config.queuePrefix}:socket.io` }));
  const people = mountPeopleNamespace(io, { db, now, log, recheckMs: config.peopleSocketRecheckMs });
  const tracking = startTrackingFeed(db, people.sink, log);
  const kiosk = new KioskService({
    db,
    redis,
    keys,
    log,
    now,
    keypadLimits: config.keypadLimits,
    onDeposited: (parcelId) => enqueuePickup(queue, parcelId),
    onResultDoor: async (tx, parcelId, move, at) => {
      await resultDoorMoved(tx, results, parcelId, move, at);
    },
  });
  const presence = new KioskPresence({ db, log, now, intervalMs: config.kioskPresenceIntervalMs });
  const kioskNs = mountKioskNamespace(io, kiosk, log, now, presence);
  // One listening connection per hub process for both: codes changed at a site, a device to cut off.
  const notifications = await watchKioskNotifications(db, log, {
    [CODES_CHANGED_CHANNEL]: (siteId) => announceCodeChange(kioskNs, siteId),
    [DEVICE_CUT_CHANNEL]: (deviceId) => {
      cutDevice(kioskNs, db, deviceId, log).catch((err: unknown) => log.error({ err, deviceId }, 'could not cut a kiosk device off'));
    },
  });
  presence.start();

  let worker: Worker<CourierJob> | null = null;
  let hallTimers: HallTimers | null = null;
  let resultsWorker: Worker<ResultJob> | null = null;
  let notificationsWorker: Worker<NotificationJob> | null = null;
  if (config.runWorkers) {
    const dispatch =
      deps.dispatch ??
      (config.courierDispatchUrl ? new HttpCourierDispatch(config.courierDispatchUrl, config.courierDispatchSecret) : undefined);
    if (!dispatch) throw new Error('COURIER_DISPATCH_URL is required when this hub runs the workers (RUN_WORKERS=true)');
    worker = startCourierWorker(
      {
        db,
        keys,
        lifetimes,
        dispatch,
        now,
        log,
        partner: partner?.client,
        visitCodes,
        alsoOnSweep: [() => remindCommitments({ db, now, log })],
      },
      queue,
      connection,
      config.queuePrefix,
    );
    await queue.upsertJobScheduler('sweep', { every: config.sweepIntervalMs }, { name: 'sweep', data: { kind: 'sweep' } });
    resultsWorker = startResultsWorker(
      { ...results, dispatch, now, log, partner: partner?.resultCodes, orderCodes: visitCodes },
      resultsQueue,
      connection,
      config.queuePrefix,
    );
    await resultsQueue.upsertJobScheduler('sweep', { every: config.sweepIntervalMs }, { name: 'sweep', data: { kind: 'sweep' } });
    await partner?.startWorker();
    if (smsGateway) {
      notificationsWorker = startNotificationsWorker(
        { db, gateway: smsGateway, cipher: openCodes, now, log, retry: config.sms.retry },
        notificationsQueue,
        connection,
        config.queuePrefix,
      );
      await notificationsQueue.upsertJobScheduler('sweep', { every: config.sweepIntervalMs }, { name: 'sweep', data: { kind: 'sweep' } });
    }
    hallTimers = await startHallTimers(
      { db, now, log, afterHours: config.neverReceivedAfterHours },
      connection,
      config.queuePrefix,
      config.sweepIntervalMs,
    );
  }

  return {
    server,
    io,
    queue,
    worker,
    resultsQueue,
    notificationsQueue,
    partner,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          const a = server.address();
          const port = typeof a === 'object' && a ? a.port : config.port;
          const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
          partner?.useOwnAddress(`http://${host.includes(':') ? `[${host}]` : host}:${port}`);
          resolve(port);
        });
      }),
    close: async () => {
      await tracking.stop();
      await notifications.close();
      await io.close();
      // After the adapter's own unsubscribes (quit waits for the replies of what was sent before it).
      await Promise.allSettled([adapterSub.quit(), adapterPub.quit()]);
      await presence.close();
      await worker?.close();
      await hallTimers?.close();
      await resultsWorker?.close();
      await resultsQueue.close();
      await notificationsWorker?.close();
      await notificationsQueue.close();
      await partner?.close();
      await queue.close();
      connection.disconnect();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
