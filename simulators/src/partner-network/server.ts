// The partner parcel-locker network SIMULATOR (stands in for a real network such as China Post's
// residential lockers reached over its open API). Two surfaces on one HTTP server:
//   /v1/…      the partner API of protocol/src/partner.ts: signed requests (HMAC, clock skew,
//              single-use nonces), per-app rate limits (TOO_FREQUENT per second, LIMIT_REACHED
//              per day), sites and nearest search, reservations idempotent by requestId, pickup
//              codes, the event pull; events go out as signed webhooks with retries.
//   /control/… the simulator's own hands, for tests and the demo (no auth, loopback only): what a
//              person does at a locker (deposit, collect, type a code), expiry now (a reservation,
//              a delivery's holding period), a refused deposit, the doors opened so far, the clock,
//              API faults (500, hang, lost response, 429) and webhook faults (drop, twice,
//              out of order), and the delivery log.
// Two clocks: request signatures, rate limits and webhook signatures use the wall clock (`now`);
// reservations, events and the daily quota use the network's clock = wall clock + clockOffsetMs,
// so a test can jump a day ahead and still talk to it. Everything is in memory.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  EventsQuery,
  ListSitesQuery,
  NearestSitesQuery,
  PARTNER_MAX_SKEW_MS,
  PartnerSize,
  ReservationState,
  ReserveRequest,
  schemaRefusalOf,
  verifyPartnerRequest,
  type PartnerAuthFailure,
  type PartnerError,
} from '@xinbao/protocol';
import { loadSiteDataset, type SiteSeed } from './dataset.js';
import { PartnerFailure, PartnerNetwork } from './network.js';
import { WebhookDispatcher } from './webhooks.js';

export interface PartnerApp {
  appId: string;
  appSecret: string;
  webhookSecret: string;
}

export interface SimulatorConfig {
  /** the network's clock minus the wall clock */
  clockOffsetMs: number;
  /** when set, every new reservation lasts this many seconds whatever it asked for */
  reservationDurationSeconds: number | null;
  ratePerSecond: number;
  dailyQuota: number;
  /** delay before a 'callback' reservation's code_issued event */
  codeDelayMs: number;
}

export interface PartnerSimulatorOptions {
  apps: PartnerApp[];
  /** default: the shipped Xi'an data set */
  sites?: readonly SiteSeed[];
  port?: number;
  host?: string;
  /** the wall clock (tests may drive it) */
  now?: () => number;
  config?: Partial<SimulatorConfig>;
  webhookRetryDelaysMs?: readonly number[];
  webhookTimeoutMs?: number;
  sweepIntervalMs?: number;
  logger?: Logger;
}

export interface RunningPartnerSimulator {
  url: string;
  network: PartnerNetwork;
  webhooks: WebhookDispatcher;
  config: SimulatorConfig;
  stop(): Promise<void>;
}

export const DEFAULT_CONFIG: SimulatorConfig = {
  clockOffsetMs: 0,
  reservationDurationSeconds: null,
  ratePerSecond: 50,
  dailyQuota: 100_000,
  codeDelayMs: 0,
};
export const DEFAULT_WEBHOOK_RETRY_DELAYS_MS = [1_000, 5_000, 30_000, 120_000, 600_000];

const DAY_MS = 86_400_000;
const SHANGHAI_OFFSET_MS = 8 * 3_600_000;

const AUTH_MESSAGES: Record<PartnerAuthFailure | 'replayed_nonce', string> = {
  missing_header: 'x-partner-app-id, x-partner-timestamp, x-partner-nonce and x-partner-signature are all required',
  unknown_app: 'unknown app id',
  bad_nonce: 'the nonce must be 16–64 letters, digits, _ or -',
  stale_timestamp: `the timestamp is more than ${PARTNER_MAX_SKEW_MS / 1000} s from the partner's clock`,
  bad_signature: 'the signature does not match the request',
  replayed_nonce: 'this nonce was already used',
};

/** Per-app admission: a fixed one-second window (wall clock) and a quota per Asia/Shanghai day (network clock). */
class RateLimiter {
  private readonly seconds = new Map<string, { window: number; count: number }>();
  private readonly days = new Map<string, { day: number; count: number }>();

  constructor(private readonly config: SimulatorConfig) {}

  admit(appId: string, wallMs: number, networkMs: number): PartnerFailure | null {
    const window = Math.floor(wallMs / 1000);
    const s = this.seconds.get(appId);
    const sec = s && s.window === window ? s : { window, count: 0 };
    if (sec.count >= this.config.ratePerSecond)
      return new PartnerFailure('TOO_FREQUENT', `more than ${this.config.ratePerSecond} requests per second`, 1);
    const day = Math.floor((networkMs + SHANGHAI_OFFSET_MS) / DAY_MS);
    const d = this.days.get(appId);
    const today = d && d.day === day ? d : { day, count: 0 };
    if (today.count >= this.config.dailyQuota) {
      const untilTomorrow = Math.ceil(((day + 1) * DAY_MS - SHANGHAI_OFFSET_MS - networkMs) / 1000);
      return new PartnerFailure(
        'LIMIT_REACHED',
        `the daily quota of ${this.config.dailyQuota} requests is used up`,
        Math.max(1, untilTomorrow),
      );
    }
    sec.count++;
    today.count++;
    this.seconds.set(appId, sec);
    this.days.set(appId, today);
    return null;
  }

  reset(): void {
    this.seconds.clear();
    this.days.clear();
  }
}

/** Nonces seen within the signature window, per app; a nonce is refused the second time. */
class NonceLedger {
  private readonly seen = new Map<string, number>();
  private lastPrune = 0;

  /** true the first time, false when replayed */
  remember(key: string, nowMs: number): boolean {
    if (nowMs - this.lastPrune > 10_000) {
      for (const [k, until] of this.seen) if (until < nowMs) this.seen.delete(k);
      this.lastPrune = nowMs;
    }
    const until = this.seen.get(key);
    if (until !== undefined && until >= nowMs) return false;
    this.seen.set(key, nowMs + 2 * PARTNER_MAX_SKEW_MS);
    return true;
  }
}

export const API_FAULT_MODES = ['server_error', 'hang', 'lost_response', 'too_frequent', 'limit_reached'] as const;
type ApiFaultMode = (typeof API_FAULT_MODES)[number];
interface ApiFault {
  mode: ApiFaultMode;
  remaining: number;
  method?: string;
  pathPrefix?: string;
}

const ApiFaultBody = z
  .object({
    mode: z.enum(API_FAULT_MODES),
    count: z.number().int().min(1).max(10_000),
    method: z.string().min(1).optional(),
    pathPrefix: z.string().startsWith('/v1').optional(),
  })
  .strict();
const WebhookFaultBody = z.object({ mode: z.enum(['drop', 'duplicate', 'reorder']), count: z.number().int().min(0).max(10_000) }).strict();
const ConfigBody = z
  .object({
    clockOffsetMs: z.number().int().optional(),
    reservationDurationSeconds: z.number().int().min(1).nullable().optional(),
    ratePerSecond: z.number().int().min(1).optional(),
    dailyQuota: z.number().int().min(1).optional(),
    codeDelayMs: z.number().int().min(0).max(600_000).optional(),
  })
  .strict();
const CodeBody = z
  .object({
    code: z
      .string()
      .regex(/^\d{8}$/)
      .optional(),
  })
  .strict();
const KeypadBody = z.object({ code: z.string().regex(/^\d{8}$/) }).strict();
const ExpireBody = z.object({ reservationId: z.string().min(1).optional() }).strict();
const RefuseDepositBody = z.object({ reason: z.string().min(1).max(200) }).strict();
const DoorsQuery = z.strictObject({ deviceId: z.string().optional(), reservationId: z.string().optional() });
const DeviceBody = z
  .object({
    status: z.enum(['online', 'offline', 'fault']).optional(),
    free: z.partialRecord(PartnerSize, z.number().int().min(0)).optional(),
  })
  .strict();
const DeliveriesQuery = z.strictObject({
  eventId: z.string().optional(),
  reservationId: z.string().optional(),
  appId: z.string().optional(),
});
const ReservationsQuery = z.strictObject({ state: ReservationState.optional() });

/**
 * `data` checked against `schema`. The partner's API (/v1) answers as the partner's contract does:
 * INVALID_REQUEST, naming an unknown field when there is one; the control API is ours, so it
 * answers `unknown_field` for those, as every API of ours does (ADR 0020).
 */
function parse<S extends z.ZodType>(schema: S, data: unknown, what: string, api: 'partner' | 'control' = 'partner'): z.output<S> {
  const r = schema.safeParse(data);
  if (!r.success) {
    const refusal = schemaRefusalOf(r.error.issues, what);
    throw new PartnerFailure(refusal.code === 'unknown_field' && api === 'control' ? 'unknown_field' : 'INVALID_REQUEST', refusal.message);
  }
  return r.data;
}
const parseControl = <S extends z.ZodType>(schema: S, data: unknown, what: string): z.output<S> => parse(schema, data, what, 'control');

function sendError(res: Response, f: PartnerFailure): void {
  if (f.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(f.retryAfterSeconds));
  send(res, f.status, { code: f.code, message: f.message } satisfies PartnerError);
}

/** Answers, unless a 'lost_response' fault took this request: then the connection just dies. */
function send(res: Response, status: number, body: unknown): void {
  if (res.locals.loseResponse === true) {
    res.socket?.destroy();
    return;
  }
  res.status(status).json(body);
}

const rawBody = (req: Request): Buffer => (Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
const appIdOf = (res: Response): string => res.locals.appId as string;

export async function startPartnerNetworkSimulator(opts: PartnerSimulatorOptions): Promise<RunningPartnerSimulator> {
  if (opts.apps.length === 0) throw new Error('the partner simulator needs at least one app (app id + secrets)');
  const wallNow = opts.now ?? Date.now;
  const config: SimulatorConfig = { ...DEFAULT_CONFIG, ...opts.config };
  const networkNow = () => wallNow() + config.clockOffsetMs;
  const network = new PartnerNetwork(opts.sites ?? loadSiteDataset().sites, networkNow);
  network.durationOverrideMs = config.reservationDurationSeconds === null ? null : config.reservationDurationSeconds * 1000;
  const apps = new Map(opts.apps.map((a) => [a.appId, a]));
  const log = opts.logger;
  const webhooks = new WebhookDispatcher({
    now: wallNow,
    retryDelaysMs: opts.webhookRetryDelaysMs ?? DEFAULT_WEBHOOK_RETRY_DELAYS_MS,
    timeoutMs: opts.webhookTimeoutMs ?? 5_000,
    webhookSecretOf: (appId) => apps.get(appId)?.webhookSecret,
    ...(log && { logger: log }),
  });
  network.onEvent((event, r) => {
    if (r.callbackUrl !== null) webhooks.enqueue(event, r.appId, r.callbackUrl);
  });
  const limiter = new RateLimiter(config);
  const nonces = new NonceLedger();
  const faults: ApiFault[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const app = express();
  app.disable('x-powered-by');
  app.get('/health', (_req, res) => void res.json({ ok: true, simulated: true, sites: network.siteCount }));

  // ---- the partner API -------------------------------------------------------------------
  const v1 = express.Router();
  v1.use(express.raw({ type: () => true, limit: '64kb' }));

  v1.use((req: Request, res: Response, next: NextFunction) => {
    const i = faults.findIndex(
      (f) =>
        f.remaining > 0 &&
        (f.method === undefined || f.method.toUpperCase() === req.method) &&
        (f.pathPrefix === undefined || req.originalUrl.startsWith(f.pathPrefix)),
    );
    if (i < 0) return next();
    const fault = faults[i]!;
    if (--fault.remaining === 0) faults.splice(i, 1);
    log?.info({ mode: fault.mode, method: req.method, path: req.path }, 'injected API fault');
    switch (fault.mode) {
      case 'server_error':
        return sendError(res, new PartnerFailure('INTERNAL', 'simulated partner failure'));
      case 'hang':
        return; // never answered: the caller's timeout decides
      case 'lost_response':
        res.locals.loseResponse = true; // processed as usual, then the connection dies unanswered
        return next();
      case 'too_frequent':
        return sendError(res, new PartnerFailure('TOO_FREQUENT', 'simulated rate limit', 1));
      case 'limit_reached':
        return sendError(res, new PartnerFailure('LIMIT_REACHED', 'simulated daily quota', 3600));
    }
  });

  v1.use((req: Request, res: Response, next: NextFunction) => {
    const wall = wallNow();
    const verdict = verifyPartnerRequest(
      (id) => apps.get(id)?.appSecret,
      (name) => req.header(name),
      { method: req.method, target: req.originalUrl, body: rawBody(req) },
      wall,
    );
    if (!verdict.ok) return sendError(res, new PartnerFailure('BAD_SIGNATURE', AUTH_MESSAGES[verdict.reason]));
    if (!nonces.remember(`${verdict.appId}\u0000${verdict.nonce}`, wall))
      return sendError(res, new PartnerFailure('BAD_SIGNATURE', AUTH_MESSAGES.replayed_nonce));
    const refused = limiter.admit(verdict.appId, wall, networkNow());
    if (refused) return sendError(res, refused);
    res.locals.appId = verdict.appId;
    network.expireDue();
    next();
  });

  v1.get('/sites', (req, res) => send(res, 200, network.listSites(parse(ListSitesQuery, req.query, 'query'))));
  v1.get('/sites/nearest', (req, res) => send(res, 200, { sites: network.nearest(parse(NearestSitesQuery, req.query, 'query')) }));
  v1.get('/sites/:siteId', (req, res) => send(res, 200, network.site(req.params.siteId)));
  v1.get('/devices/:deviceId', (req, res) => send(res, 200, network.device(req.params.deviceId)));
  v1.post('/reservations', (req, res) => {
    const raw = rawBody(req);
    let body: unknown;
    try {
      body = raw.length === 0 ? undefined : JSON.parse(raw.toString('utf8'));
    } catch {
      throw new PartnerFailure('INVALID_REQUEST', 'the body is not JSON');
    }
    const { reservation, created } = network.reserve(appIdOf(res), parse(ReserveRequest, body, 'reservation request'));
    if (created && reservation.codeDelivery === 'callback') {
      const timer = setTimeout(() => {
        timers.delete(timer);
        network.issueCode(reservation.reservationId);
      }, config.codeDelayMs);
      timers.add(timer);
    }
    send(res, created ? 201 : 200, reservation);
  });
  v1.get('/reservations/:id', (req, res) => send(res, 200, network.reservation(appIdOf(res), req.params.id)));
  v1.post('/reservations/:id/cancel', (req, res) => send(res, 200, network.cancel(appIdOf(res), req.params.id)));
  v1.post('/reservations/:id/pickup-code', (req, res) => send(res, 200, network.pickupCode(appIdOf(res), req.params.id)));
  v1.get('/events', (req, res) => {
    const q = parse(EventsQuery, req.query, 'query');
    send(res, 200, network.events(appIdOf(res), Number(q.after ?? '0'), q.limit));
  });
  v1.use((req, res) => sendError(res, new PartnerFailure('NOT_FOUND', `no route ${req.method} ${req.path}`)));
  app.use('/v1', v1);

  // ---- the simulator's control API -------------------------------------------------------
  const control = express.Router();
  control.use(express.json({ limit: '16kb' }));
  control.get('/state', (_req, res) =>
    send(res, 200, {
      config,
      counts: network.counts(),
      apiFaults: faults,
      webhookFaults: webhooks.faultCounts,
      pendingWebhooks: webhooks.pending,
      networkTime: new Date(networkNow()).toISOString(),
    }),
  );
  control.put('/config', (req, res) => {
    const change = parseControl(ConfigBody, req.body, 'config');
    for (const [k, v] of Object.entries(change)) if (v !== undefined) (config as unknown as Record<string, unknown>)[k] = v;
    network.durationOverrideMs = config.reservationDurationSeconds === null ? null : config.reservationDurationSeconds * 1000;
    const expired = network.expireDue();
    send(res, 200, { config, expired });
  });
  control.post('/limits/reset', (_req, res) => {
    limiter.reset();
    send(res, 200, { ok: true });
  });
  control.get('/faults', (_req, res) => send(res, 200, { apiFaults: faults, webhookFaults: webhooks.faultCounts }));
  control.post('/faults', (req, res) => {
    const f = parseControl(ApiFaultBody, req.body, 'fault');
    faults.push({
      mode: f.mode,
      remaining: f.count,
      ...(f.method !== undefined && { method: f.method }),
      ...(f.pathPrefix !== undefined && { pathPrefix: f.pathPrefix }),
    });
    send(res, 201, { apiFaults: faults });
  });
  control.delete('/faults', (_req, res) => {
    faults.length = 0;
    webhooks.clearFaults();
    send(res, 200, { apiFaults: faults, webhookFaults: webhooks.faultCounts });
  });
  control.post('/webhooks/faults', (req, res) => {
    const f = parseControl(WebhookFaultBody, req.body, 'webhook fault');
    webhooks.setFault(f.mode, f.count);
    send(res, 200, { webhookFaults: webhooks.faultCounts });
  });
  control.post('/webhooks/flush', (_req, res) => {
    webhooks.flush();
    send(res, 200, { ok: true });
  });
  control.get('/deliveries', (req, res) => {
    const q = parseControl(DeliveriesQuery, req.query, 'query');
    const deliveries = webhooks.log.filter(
      (d) =>
        (q.eventId === undefined || d.eventId === q.eventId) &&
        (q.reservationId === undefined || d.reservationId === q.reservationId) &&
        (q.appId === undefined || d.appId === q.appId),
    );
    send(res, 200, { deliveries, pending: webhooks.pending });
  });
  control.get('/reservations', (req, res) =>
    send(res, 200, { reservations: network.allReservations(parseControl(ReservationsQuery, req.query, 'query').state) }),
  );
  control.get('/reservations/:id', (req, res) => send(res, 200, network.reservationFull(req.params.id)));
  control.post('/reservations/:id/deposit', (req, res) =>
    send(res, 200, network.deposit(req.params.id, parseControl(CodeBody, req.body ?? {}, 'body').code)),
  );
  control.post('/reservations/:id/collect', (req, res) =>
    send(res, 200, network.collect(req.params.id, parseControl(CodeBody, req.body ?? {}, 'body').code)),
  );
  control.post('/reservations/:id/refuse-deposit', (req, res) =>
    send(res, 200, network.refuseNextDeposit(req.params.id, parseControl(RefuseDepositBody, req.body, 'body').reason)),
  );
  control.post('/reservations/:id/expire-hold', (req, res) => send(res, 200, network.expireHoldNow(req.params.id)));
  control.get('/doors', (req, res) => {
    const q = parseControl(DoorsQuery, req.query, 'query');
    send(res, 200, {
      openings: network.doorOpenings.filter(
        (o) =>
          (q.deviceId === undefined || o.deviceId === q.deviceId) && (q.reservationId === undefined || o.reservationId === q.reservationId),
      ),
    });
  });
  control.post('/devices/:deviceId/keypad', (req, res) =>
    send(res, 200, network.keypad(req.params.deviceId, parseControl(KeypadBody, req.body, 'body').code)),
  );
  control.put('/devices/:deviceId', (req, res) => {
    const change = parseControl(DeviceBody, req.body, 'device change');
    send(
      res,
      200,
      network.setDevice(req.params.deviceId, {
        ...(change.status && { status: change.status }),
        ...(change.free && { free: change.free }),
      }),
    );
  });
  control.post('/expire', (req, res) =>
    send(res, 200, { expired: network.expireNow(parseControl(ExpireBody, req.body ?? {}, 'body').reservationId) }),
  );
  control.use((req, res) => sendError(res, new PartnerFailure('NOT_FOUND', `no route ${req.method} ${req.path}`)));
  app.use('/control', control);

  app.use((req: Request, res: Response) => sendError(res, new PartnerFailure('NOT_FOUND', `no route ${req.method} ${req.path}`)));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof PartnerFailure) return sendError(res, err);
    const status = (err as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return sendError(res, new PartnerFailure('INVALID_REQUEST', err instanceof Error ? err.message : 'bad request'));
    }
    log?.error({ err }, 'partner simulator failed on a request');
    sendError(res, new PartnerFailure('INTERNAL', 'internal error'));
  });

  const sweep = setInterval(() => network.expireDue(), opts.sweepIntervalMs ?? 1_000);
  sweep.unref();
  const server: Server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  log?.info({ port, sites: network.siteCount, apps: [...apps.keys()] }, 'partner network simulator listening');
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    network,
    webhooks,
    config,
    stop: async () => {
      clearInterval(sweep);
      for (const t of timers) clearTimeout(t);
      webhooks.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
