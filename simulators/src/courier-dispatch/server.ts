// Courier dispatch system simulator (stands in for EMS 揽派). Accepts signed, idempotent orders from
// the hub and hands them to simulated courier PDAs: `GET /api/orders` is what a PDA in the area
// would show (site, address, compartment and the pickup code). State is in memory: it is a simulator.
import { createServer, type Server } from 'node:http';
import express from 'express';
import {
  CourierOrderRequest,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  httpRefusalOf,
  schemaRefusalOf,
  verifyRequest,
  type CourierOrderRequest as Order,
} from '@xinbao/protocol';

export interface DispatchedOrder extends Order {
  dispatchRef: string;
  receivedAt: string;
  updates: number;
}

export interface CourierDispatchSimulator {
  url: string;
  orders: Map<string, DispatchedOrder>;
  /** how many of the next requests to answer with 503 (fault injection) */
  failNext(n: number): void;
  stop(): Promise<void>;
}

export async function startCourierDispatchSimulator(opts: {
  secret: string;
  port?: number;
  host?: string;
}): Promise<CourierDispatchSimulator> {
  const orders = new Map<string, DispatchedOrder>();
  let failures = 0;
  let seq = 0;
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
    if (!verifyRequest(opts.secret, ts, raw, req.header(SIGNATURE_HEADER) ?? '', Date.now())) {
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
    const order: DispatchedOrder = {
      ...parsed.data,
      dispatchRef: prior?.dispatchRef ?? `EMS${String(++seq).padStart(8, '0')}`,
      receivedAt: prior?.receivedAt ?? new Date().toISOString(),
      updates: (prior?.updates ?? -1) + 1,
    };
    orders.set(order.orderId, order);
    res.status(prior ? 200 : 201).json({ orderId: order.orderId, dispatchRef: order.dispatchRef });
  });
  app.get('/api/orders', (_req, res) => res.json({ orders: [...orders.values()] }));
  app.get('/api/orders/:id', (req, res) => {
    const o = orders.get(req.params.id);
    if (!o) res.status(404).json({ error: { code: 'not_found', message: 'no such order' } });
    else res.json(o);
  });

  app.use((req, res) => {
    res.status(404).json({ error: { code: 'not_found', message: `no route ${req.method} ${req.path}` } });
  });
  // Bodies and paths that cannot be read are the caller's fault: a 4xx, never the default HTML page.
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
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
    failNext: (n) => {
      failures = n;
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
