// Courier dispatch system simulator (stands in for EMS 揽派): a SIMULATED peer of the hub. Accepts
// signed, idempotent pickup (at a site, or from a person at an address: ADR 0037) and delivery orders (`POST /api/orders`: the same order id again updates
// the order, e.g. a visit that grew), assigns each new order to a simulated courier whose area
// (district) covers the order's site, and tells the hub what happens to it by signed webhooks with
// event ids (`assigned`, `picked_up`, `delivered`, `failed` with a reason), each retried with
// backoff until the hub answers 2xx. A courier's PDA (a person, a test, or the simulated couriers in
// couriers.ts) reads its own orders (`GET /api/couriers/{id}/orders`) and reports each step
// (`POST /api/orders/{id}/events`, idempotent by its requestId). State is in memory: it is a simulator.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import express from 'express';
import { z } from 'zod';
import {
  COURIER_EVENT_TYPES,
  COURIER_FAILURE_REASONS,
  CourierOrderRequest,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  courierWebhookHeaders,
  httpRefusalOf,
  schemaRefusalOf,
  verifyRequest,
  type CourierEvent,
  type CourierOrderRequest as Order,
} from '@xinbao/protocol';

export interface DispatchedOrder extends Order {
  dispatchRef: string;
  receivedAt: string;
  updates: number;
  /** the simulated courier it was given to (null: nobody covers its district) */
  courierId: string | null;
  status: 'assigned' | 'unassigned' | 'picked_up' | 'delivered' | 'failed';
}

/** A simulated courier and the districts (areas) they cover; '*' covers every district. */
export interface SimulatedCourierProfile {
  id: string;
  name: string;
  districts: string[];
}

export const DEFAULT_COURIERS: SimulatedCourierProfile[] = [
  { id: 'EMS-XA-001', name: '赵六', districts: ['国际港务区'] },
  { id: 'EMS-XA-002', name: '钱七', districts: ['*'] },
];

/** One attempt to deliver a webhook to the hub. */
export interface WebhookAttempt {
  eventId: string;
  orderId: string;
  type: CourierEvent['type'];
  attempt: number;
  at: string;
  outcome: 'delivered' | 'failed';
  status?: number;
  error?: string;
}

const EventReport = z
  .object({
    /** the PDA's id for this report: the same id again is the same report */
    requestId: z.string().min(8).max(100),
    type: z.enum(COURIER_EVENT_TYPES).exclude(['assigned']),
    courierId: z.string().min(1).max(64),
    trackingNumber: z.string().max(64).optional(),
    reason: z.enum(COURIER_FAILURE_REASONS).optional(),
    note: z.string().max(500).optional(),
  })
  .strict();
export type EventReport = z.infer<typeof EventReport>;

export interface CourierDispatchSimulator {
  url: string;
  orders: Map<string, DispatchedOrder>;
  /** every webhook delivery attempt, in order */
  webhookLog: readonly WebhookAttempt[];
  /** webhooks not yet answered 2xx (in flight or waiting to be retried) */
  readonly pendingWebhooks: number;
  /** where the webhooks go (the hub's `/api/courier/webhooks`); null: kept until one is set */
  setWebhookUrl(url: string | null): void;
  /** what a courier's PDA reports (as `POST /api/orders/{id}/events`) */
  report(orderId: string, r: EventReport): { eventId: string; duplicate: boolean };
  /** how many of the next requests to answer with 503 (fault injection) */
  failNext(n: number): void;
  stop(): Promise<void>;
}

export async function startCourierDispatchSimulator(opts: {
  secret: string;
  port?: number;
  host?: string;
  /** the hub's webhook URL */
  webhookUrl?: string;
  couriers?: SimulatedCourierProfile[];
  /** waits between webhook attempts; the last one repeats until the hub answers 2xx */
  retryDelaysMs?: number[];
  now?: () => number;
  /** more routes on the simulator's app (the couriers' autopilot control, autopilot.ts) */
  routes?: (app: express.Express) => void;
}): Promise<CourierDispatchSimulator> {
  const now = opts.now ?? Date.now;
  const couriers = opts.couriers ?? DEFAULT_COURIERS;
  const delays = opts.retryDelaysMs ?? [200, 500, 1_000, 2_000, 5_000];
  const orders = new Map<string, DispatchedOrder>();
  const reports = new Map<string, string>();
  const log: WebhookAttempt[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const waiting: Array<{ event: CourierEvent; attempt: number }> = [];
  let inFlight = 0;
  let webhookUrl = opts.webhookUrl ?? null;
  let stopped = false;
  let failures = 0;
  let seq = 0;

  const attempt = async (event: CourierEvent, n: number): Promise<void> => {
    if (stopped) return;
    if (webhookUrl === null) {
      waiting.push({ event, attempt: n });
      return;
    }
    const body = JSON.stringify(event);
    let failure: { status?: number; error?: string } | null = null;
    inFlight++;
    try {
      const res = await fetch(webhookUrl, {
        method: 'POST',
        headers: courierWebhookHeaders(opts.secret, event.eventId, body, now()),
        body,
        signal: AbortSignal.timeout(5_000),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) failure = { status: res.status };
      else
        log.push({
          eventId: event.eventId,
          orderId: event.orderId,
          type: event.type,
          attempt: n,
          at: new Date(now()).toISOString(),
          outcome: 'delivered',
          status: res.status,
        });
    } catch (e) {
      failure = { error: e instanceof Error ? e.message : String(e) };
    } finally {
      inFlight--;
    }
    if (!failure || stopped) return;
    log.push({
      eventId: event.eventId,
      orderId: event.orderId,
      type: event.type,
      attempt: n,
      at: new Date(now()).toISOString(),
      outcome: 'failed',
      ...failure,
    });
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        void attempt(event, n + 1);
      },
      delays[Math.min(n - 1, delays.length - 1)],
    );
    timers.add(timer);
  };

  const emit = (order: DispatchedOrder, type: CourierEvent['type'], extra: Partial<CourierEvent> = {}): string => {
    const event: CourierEvent = {
      eventId: `ce_${randomBytes(8).toString('hex')}`,
      orderId: order.orderId,
      type,
      at: new Date(now()).toISOString(),
      ...(order.courierId && { courierId: order.courierId, courierName: couriers.find((c) => c.id === order.courierId)?.name ?? '' }),
      ...extra,
    };
    void attempt(event, 1);
    return event.eventId;
  };

  /** The least busy courier covering the district (then any courier covering '*'). */
  const assign = (district: string): string | null => {
    const load = (id: string) => [...orders.values()].filter((o) => o.courierId === id && o.status === 'assigned').length;
    for (const covers of [
      (c: SimulatedCourierProfile) => c.districts.includes(district),
      (c: SimulatedCourierProfile) => c.districts.includes('*'),
    ]) {
      const fit = couriers.filter(covers).sort((a, b) => load(a.id) - load(b.id) || a.id.localeCompare(b.id));
      if (fit[0]) return fit[0].id;
    }
    return null;
  };

  const report = (orderId: string, r: EventReport): { eventId: string; duplicate: boolean } => {
    const earlier = reports.get(r.requestId);
    if (earlier) return { eventId: earlier, duplicate: true };
    const order = orders.get(orderId);
    if (!order) throw new SimError(404, 'not_found', 'no such order');
    if (order.courierId !== r.courierId) throw new SimError(403, 'not_yours', 'this order is not assigned to that courier');
    if (r.type === 'failed' && !r.reason) throw new SimError(400, 'bad_request', 'a failure needs a reason');
    if (!r.trackingNumber) order.status = r.type;
    const eventId = emit(order, r.type, {
      ...(r.trackingNumber && { trackingNumber: r.trackingNumber }),
      ...(r.reason && { reason: r.reason }),
      ...(r.note && { note: r.note }),
    });
    reports.set(r.requestId, eventId);
    return { eventId, duplicate: false };
  };

  const app = express();
  app.use(
    express.json({ limit: '64kb', verify: (req, _res, buf) => ((req as unknown as { rawBody: string }).rawBody = buf.toString('utf8')) }),
  );

  app.post('/api/orders', (req, res) => {
    if (failures > 0) {
      failures--;
      res.status(503).json({ error: { code: 'unavailable', message: 'simulated outage' } });
      return;
    }
    const raw = (req as unknown as { rawBody?: string }).rawBody ?? '';
    const ts = Number(req.header(TIMESTAMP_HEADER));
    if (!verifyRequest(opts.secret, ts, raw, req.header(SIGNATURE_HEADER) ?? '', now())) {
      res.status(401).json({ error: { code: 'bad_signature', message: 'request signature or timestamp is invalid' } });
      return;
    }
    const parsed = CourierOrderRequest.safeParse(req.body);
    if (!parsed.success) {
      const refusal = schemaRefusalOf(parsed.error.issues, 'order');
      res.status(400).json({ error: { code: refusal.code, message: refusal.message } });
      return;
    }
    const prior = orders.get(parsed.data.orderId);
    // An address pickup names no district: it goes to a courier who covers every district.
    const courierId = prior ? prior.courierId : assign(parsed.data.site?.district ?? '');
    const order: DispatchedOrder = {
      ...parsed.data,
      dispatchRef: prior?.dispatchRef ?? `EMS${String(++seq).padStart(8, '0')}`,
      receivedAt: prior?.receivedAt ?? new Date(now()).toISOString(),
      updates: (prior?.updates ?? -1) + 1,
      courierId,
      status: prior?.status ?? (courierId ? 'assigned' : 'unassigned'),
    };
    orders.set(order.orderId, order);
    if (!prior && courierId) emit(order, 'assigned');
    res.status(prior ? 200 : 201).json({ orderId: order.orderId, dispatchRef: order.dispatchRef });
  });
  app.get('/api/orders', (_req, res) => res.json({ orders: [...orders.values()] }));
  app.get('/api/orders/:id', (req, res) => {
    const o = orders.get(req.params.id);
    if (!o) res.status(404).json({ error: { code: 'not_found', message: 'no such order' } });
    else res.json(o);
  });
  // A courier's PDA: their own orders still to do.
  app.get('/api/couriers/:id/orders', (req, res) => {
    res.json({ orders: [...orders.values()].filter((o) => o.courierId === req.params.id && o.status === 'assigned') });
  });
  app.post('/api/orders/:id/events', (req, res) => {
    const r = EventReport.safeParse(req.body);
    if (!r.success) {
      res
        .status(400)
        .json({ error: { code: 'bad_request', message: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') } });
      return;
    }
    const done = report(req.params.id, r.data);
    res.status(done.duplicate ? 200 : 201).json(done);
  });
  app.get('/api/webhooks', (_req, res) => res.json({ attempts: log, pending: inFlight + timers.size + waiting.length }));
  opts.routes?.(app);

  app.use((req, res) => {
    res.status(404).json({ error: { code: 'not_found', message: `no route ${req.method} ${req.path}` } });
  });
  // Bodies and paths that cannot be read are the caller's fault: a 4xx, never the default HTML page.
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    if (err instanceof SimError) {
      res.status(err.status).json({ error: { code: err.code, message: err.message } });
      return;
    }
    const refusal = httpRefusalOf(err);
    if (refusal) res.status(refusal.status).json({ error: { code: refusal.code, message: refusal.message } });
    else res.status(500).json({ error: { code: 'internal', message: 'simulator error' } });
  });

  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    orders,
    webhookLog: log,
    get pendingWebhooks() {
      return inFlight + timers.size + waiting.length;
    },
    setWebhookUrl: (url) => {
      webhookUrl = url;
      if (url !== null) for (const w of waiting.splice(0)) void attempt(w.event, w.attempt);
    },
    report,
    failNext: (n) => {
      failures = n;
    },
    stop: () => {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

class SimError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
