// The partner slice's HTTP edge. POST /api/partner/webhooks: the partner's signed event callbacks
// (partnerWebhookRoutes, mounted before the JSON parser). The admin's routes for the partner's site
// registry: POST /api/admin/partner/sites/refresh queues a refresh and answers its job id;
// GET /api/admin/partner/sites/refresh/:jobId says how far it got (state, progress, result).
//
// The webhook's signature is checked over the raw body bytes as received (so this route reads the
// body itself, before any JSON parser), the timestamp must be within PARTNER_MAX_SKEW_MS; a delivery
// that fails either is answered 401. A verified event goes through the same door as the
// reconciliation's (stored once by event id, applied with the parcel's move), so a duplicate or a
// late copy is harmless. A 5xx makes the partner try again, so a body that cannot even be read is a
// 4xx too.
//
// Refusals are bounded (ADR 0016): each is counted per (reason, source address, minute), and only a
// sample is kept as a row (reason, claimed ids, body hash, never the body: it may hold a code) — the
// first `sampleFirst` of each counter and every `sampleEvery`th after. A source address refused more
// than `perMinute` times within a minute is answered 429 with Retry-After, before its body is read,
// until the minute is over; a valid signed event costs nothing, so a partner that only sends those
// is never slowed.
import { createHash } from 'node:crypto';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import {
  PARTNER_APP_ID_HEADER,
  PARTNER_EVENT_ID_HEADER,
  PARTNER_EVENT_SIGNATURE_HEADER,
  PARTNER_EVENT_TIMESTAMP_HEADER,
  PARTNER_MAX_SKEW_MS,
  PartnerEvent,
  badTextIn,
  httpRefusalOf,
  verifyPartnerWebhook,
} from '@xinbao/protocol';
import { NotFound } from '../../errors.js';
import { handle, noBody, parse, sendError } from '../../http/middleware.js';
import { requestLog } from '../../http/request-context.js';
import { error, op, type ApiPaths } from '../../http/openapi.js';
import type { Db } from '../../store/db.js';
import { currentUser, requireRole } from '../auth/auth.js';
import { PartnerNotConfigured, WEBHOOK_PATH, type PartnerRuntime } from './runtime.js';
import { countWebhookRefusal, insertWebhookRejection } from './store.js';

export const partnerApi: ApiPaths = {
  '/api/partner/webhooks': {
    post: {
      summary:
        "The partner network's signed event callbacks (code_issued, deposited, collected, expired, cancelled); idempotent by event id",
      description:
        'Who may call: the partner network, proven by x-partner-event-signature = HMAC-SHA256(webhook secret, `${timestamp}.${raw body}`) with x-partner-event-timestamp within 5 minutes. A bad or stale signature is refused with 401 and counted (a sample recorded); an address refused too often in a minute is answered 429 with Retry-After.',
      security: [],
      responses: {
        '200': { description: 'stored (or a duplicate)' },
        '400': error,
        '401': error,
        '409': error,
        '413': error,
        '415': error,
        '429': error,
      },
    },
  },
  '/api/admin/partner/sites/refresh': {
    post: op("Queue a refresh of the partner's sites into the site registry; answers 202 with the job id", 'admin', {
      responses: { '202': { description: 'queued' }, '401': error, '403': error, '409': error },
    }),
  },
  '/api/admin/partner/sites/refresh/{jobId}': {
    get: op('A site refresh job: state, attempts, progress (pages fetched, sites imported) and, once done, its counts', 'admin'),
  },
};

export type WebhookRefusal = 'missing_header' | 'unknown_app' | 'stale_timestamp' | 'bad_signature' | 'invalid_event';

const MESSAGES: Record<WebhookRefusal, string> = {
  missing_header: `${PARTNER_APP_ID_HEADER}, ${PARTNER_EVENT_TIMESTAMP_HEADER} and ${PARTNER_EVENT_SIGNATURE_HEADER} are all required`,
  unknown_app: 'this hub does not take events for that app id',
  stale_timestamp: `the timestamp is more than ${PARTNER_MAX_SKEW_MS / 1000} s from the hub's clock`,
  bad_signature: 'the signature does not match the body',
  invalid_event: 'the body is not a partner event',
};

export interface WebhookRefusalLimits {
  /** refusals per source address and minute before it is answered 429 */
  perMinute: number;
  /** rows kept of each (reason, address, minute) counter: the first ones … */
  sampleFirst: number;
  /** … and then every Nth */
  sampleEvery: number;
}

export const WEBHOOK_REFUSAL_LIMITS: WebhookRefusalLimits = { perMinute: 30, sampleFirst: 10, sampleEvery: 100 };

/** Whether the `count`th refusal of a counter is kept as a row. */
export const sampledRefusal = (count: number, l: Pick<WebhookRefusalLimits, 'sampleFirst' | 'sampleEvery'>): boolean =>
  count <= l.sampleFirst || count % l.sampleEvery === 0;

export function partnerWebhookRoutes(deps: {
  db: Db;
  redis: Redis;
  partner: PartnerRuntime | null;
  now: () => Date;
  log: Logger;
  /** Redis key prefix of the per-address refusal counts */
  keyPrefix: string;
  limits?: Partial<WebhookRefusalLimits>;
}): Router {
  const limits = { ...WEBHOOK_REFUSAL_LIMITS, ...deps.limits };
  const limiter = new RateLimiterRedis({ storeClient: deps.redis, keyPrefix: deps.keyPrefix, points: limits.perMinute, duration: 60 });
  const sourceOf = (req: Request) => req.socket.remoteAddress ?? 'unknown';

  const refuse = async (req: Request, res: Response, raw: Buffer, reason: WebhookRefusal, status: number, detail?: string) => {
    const partner = deps.partner!;
    const source = sourceOf(req);
    const receivedAt = deps.now();
    const claimedApp = req.header(PARTNER_APP_ID_HEADER);
    const claimedEvent = req.header(PARTNER_EVENT_ID_HEADER);
    await limiter.penalty(source);
    const count = await countWebhookRefusal(deps.db, { network: partner.config.network, reason, remoteAddress: source, at: receivedAt });
    if (sampledRefusal(count, limits)) {
      await insertWebhookRejection(deps.db, {
        id: uuidv7(),
        network: partner.config.network,
        reason,
        status,
        appId: claimedApp?.slice(0, 100) ?? null,
        eventId: claimedEvent?.slice(0, 100) ?? null,
        remoteAddress: source,
        bodySha256: createHash('sha256').update(raw).digest('hex'),
        bodyBytes: raw.length,
        receivedAt,
      });
      requestLog(res, deps.log).info({ reason, status, refusals: count, remote: source }, 'partner webhook refused');
    }
    sendError(res, status, { code: reason, message: detail ?? MESSAGES[reason] });
  };

  const r = Router();
  r.post(
    WEBHOOK_PATH,
    (req, res, next) => {
      if (!deps.partner) return next(new PartnerNotConfigured('partner webhooks'));
      // Before the body is read: an address over its share costs one Redis read, nothing more.
      limiter.get(sourceOf(req)).then((seen) => {
        if (!seen || seen.consumedPoints < limits.perMinute) return next();
        const retryAfter = Math.max(1, Math.ceil(seen.msBeforeNext / 1000));
        res.setHeader('retry-after', String(retryAfter));
        sendError(res, 429, {
          code: 'too_many_refusals',
          message: `this address sent ${seen.consumedPoints} refused webhooks within a minute; try again in ${retryAfter} s`,
        });
      }, next);
    },
    express.raw({ type: () => true, limit: '64kb' }),
    handle(async (req: Request, res: Response) => {
      const partner = deps.partner!;
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const claimedApp = req.header(PARTNER_APP_ID_HEADER);
      const claimedEvent = req.header(PARTNER_EVENT_ID_HEADER);

      if (!claimedApp) return refuse(req, res, raw, 'missing_header', 401);
      if (claimedApp !== partner.config.appId) return refuse(req, res, raw, 'unknown_app', 401);
      const verdict = verifyPartnerWebhook(
        partner.config.webhookSecret,
        { timestamp: req.header(PARTNER_EVENT_TIMESTAMP_HEADER), signature: req.header(PARTNER_EVENT_SIGNATURE_HEADER) },
        raw,
        deps.now().getTime(),
      );
      if (!verdict.ok) return refuse(req, res, raw, verdict.reason, 401);

      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return refuse(req, res, raw, 'invalid_event', 400, 'the body is not JSON');
      }
      const badText = badTextIn(body, 'body');
      if (badText !== null) return refuse(req, res, raw, 'invalid_event', 400, `${badText} holds a NUL or a lone surrogate`);
      const event = PartnerEvent.safeParse(body);
      if (!event.success) {
        return refuse(
          req,
          res,
          raw,
          'invalid_event',
          400,
          `the body is not a partner event: ${event.error.issues
            .slice(0, 3)
            .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
            .join('; ')}`,
        );
      }
      if (claimedEvent !== undefined && claimedEvent !== event.data.eventId) {
        return refuse(req, res, raw, 'invalid_event', 400, `${PARTNER_EVENT_ID_HEADER} does not match the body's eventId`);
      }
      const received = await partner.receive(event.data);
      res.json(received);
    }),
  );
  // A body that cannot be read (unknown content-encoding, a gzip body that is not, over 64 KB) is
  // refused like any other garbage: counted, and a 4xx, never a 5xx that the partner would retry.
  r.use(WEBHOOK_PATH, (err: unknown, req: Request, res: Response, next: NextFunction) => {
    const refusal = httpRefusalOf(err);
    if (!refusal || !deps.partner || res.headersSent) return next(err);
    refuse(req, res, Buffer.alloc(0), 'invalid_event', refusal.status, refusal.message).catch(next);
  });
  return r;
}

const JobIdParam = z.string().regex(/^refresh-[0-9a-f-]{36}$/, 'a job id from POST /api/admin/partner/sites/refresh');

export function partnerAdminRoutes(deps: { partner: PartnerRuntime | null }): Router {
  const r = Router();
  const runtime = (): PartnerRuntime => {
    if (!deps.partner) throw new PartnerNotConfigured('partner site refreshes');
    return deps.partner;
  };

  r.post(
    '/admin/partner/sites/refresh',
    requireRole('admin'),
    noBody,
    handle(async (req, res) => {
      const jobId = await runtime().enqueueRefresh('admin', currentUser(req).id);
      res.status(202).json({ jobId, status: `/api/admin/partner/sites/refresh/${jobId}` });
    }),
  );

  r.get(
    '/admin/partner/sites/refresh/:jobId',
    requireRole('admin'),
    handle(async (req, res) => {
      const jobId = parse(JobIdParam, req.params.jobId, 'job id');
      const queue = runtime().queue;
      // The state first: the job read after it is at least as far along (a job read first could
      // complete before its state is asked, and show `completed` without its result).
      const state = await queue.getJobState(jobId);
      const job = await queue.getJob(jobId);
      if (!job || job.data.kind !== 'refresh') throw new NotFound(`refresh job ${jobId}`);
      res.json({
        jobId,
        state,
        attemptsMade: job.attemptsMade,
        progress: job.progress,
        ...(state === 'completed' && { result: job.returnvalue as unknown }),
        ...(job.failedReason && { failedReason: job.failedReason }),
      });
    }),
  );

  return r;
}
