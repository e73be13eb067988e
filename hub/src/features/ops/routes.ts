// The ops slice's HTTP edge: what operators and their tools read, none of it behind a sign-in.
// GET /health: 200 when PostgreSQL and Redis both answer within 2 s, 503 (saying which is down)
// otherwise. GET /metrics: Prometheus text, the process's default metrics and HTTP requests by
// method and status (counted by `countRequests`, mounted before every route). GET /openapi.json:
// the API document app.ts assembles from every feature's paths.
import { Router, type RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import { op, type ApiPaths } from '../../http/openapi.js';
import type { Db } from '../../store/db.js';
import { pingDatabase } from './store.js';

export const opsApi: ApiPaths = {
  '/health': { get: op('200 when PostgreSQL and Redis answer, 503 otherwise', 'anyone') },
};

/** How long /health waits for each of PostgreSQL and Redis. */
export const HEALTH_TIMEOUT_MS = 2_000;

export interface OpsMetrics {
  registry: Registry;
  /** Counts each request by method and status once it is answered; mount it before the routes. */
  countRequests: RequestHandler;
}

/** A metrics registry of this hub's own (default process metrics, HTTP requests by method and status). */
export function opsMetrics(): OpsMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpRequests = new Counter({
    name: 'xinbao_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'status'],
    registers: [registry],
  });
  return {
    registry,
    countRequests: (req, res, next) => {
      res.on('finish', () => httpRequests.inc({ method: req.method, status: String(res.statusCode) }));
      next();
    },
  };
}

export function opsRoutes(deps: { db: Db; redis: Redis; metrics: OpsMetrics; api: object }): Router {
  const r = Router();
  const { db, redis, metrics } = deps;

  r.get('/health', (_req, res) => {
    const timers: NodeJS.Timeout[] = [];
    const timeout = <T>(p: Promise<T>) =>
      Promise.race([p, new Promise<never>((_, rej) => timers.push(setTimeout(() => rej(new Error('timeout')), HEALTH_TIMEOUT_MS)))]);
    Promise.allSettled([timeout(pingDatabase(db)), timeout(redis.ping())]).then(
      ([pg, rd]) => {
        timers.forEach(clearTimeout);
        const body = { postgres: pg.status === 'fulfilled' ? 'ok' : 'down', redis: rd.status === 'fulfilled' ? 'ok' : 'down' };
        res.status(body.postgres === 'ok' && body.redis === 'ok' ? 200 : 503).json(body);
      },
      () => res.status(503).end(),
    );
  });

  r.get('/metrics', (_req, res) => {
    metrics.registry.metrics().then(
      (m) => res.type(metrics.registry.contentType).send(m),
      () => res.status(500).end(),
    );
  });

  r.get('/openapi.json', (_req, res) => res.json(deps.api));

  return r;
}
