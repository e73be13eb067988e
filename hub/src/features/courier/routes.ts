// The courier slice's HTTP edge. POST /api/courier/webhooks: the courier dispatch system's signed
// events (courierWebhookRoutes, mounted before the JSON parser: the signature covers the raw body).
// GET /api/courier/tasks and POST /api/courier/visits/{visitId}/steps: the courier's PDA, their own
// visits and result orders only (ADR 0029). PUT /api/admin/couriers/{userId}/dispatch-courier: an admin links a courier user to
// the dispatch system's courier id.
//
// A webhook whose signature or timestamp (5 minutes either way) does not hold is a 401; a signed
// body that is not an event a 400; anything else is stored once by its event id and answered 200
// (a duplicate too), so the dispatch system stops retrying. Refusals are bounded as the partner's
// are (ADR 0016): counted per (reason, source address, minute) under the network `courier-dispatch`,
// a sample kept as rows, and an address refused too often in a minute answered 429 before its body
// is read.
import { createHash } from 'node:crypto';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { COURIER_EVENT_ID_HEADER, COURIER_FAILURE_REASONS, CourierEvent, httpRefusalOf } from '@xinbao/protocol';
import { Conflict, NotFound } from '../../errors.js';
import { handle, parse, sendError } from '../../http/middleware.js';
import { requestLog } from '../../http/request-context.js';
import { readSignedEvent } from '../../http/signed-event.js';
import { body, error, op, type ApiPaths } from '../../http/openapi.js';
import { currentUser, requireRole } from '../auth/auth.js';
import { WEBHOOK_REFUSAL_LIMITS, sampledRefusal, type WebhookRefusalLimits } from '../partner/routes.js';
import { countWebhookRefusal, insertWebhookRejection } from '../partner/store.js';
import { courierTasks, receiveCourierEvent, recordStep, type CourierServiceDeps } from './service.js';
import { setDispatchCourier } from './store.js';

export const COURIER_WEBHOOK_PATH = '/api/courier/webhooks';
/** The refusal counters' network name for the courier dispatch system's webhooks. */
export const COURIER_REFUSALS_NETWORK = 'courier-dispatch';

export const StepBody = z
  .object({
    trackingNumber: z.string().trim().toUpperCase().min(1).max(64),
    step: z.enum(['picked_up', 'delivered', 'failed']),
    reason: z.enum(COURIER_FAILURE_REASONS).optional(),
  })
  .strict()
  .refine((s) => s.step !== 'failed' || s.reason !== undefined, { message: 'a failed step needs a reason', path: ['reason'] });

export const DispatchCourierBody = z
  .object({
    dispatchCourierId: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_-]{1,64}$/)
      .nullable(),
  })
  .strict();

const VisitId = z.string().uuid('a visit id');
const UserId = z.string().uuid('a user id');

export const courierApi: ApiPaths = {
  [COURIER_WEBHOOK_PATH]: {
    post: {
      summary: "The courier dispatch system's signed events (assigned, picked_up, delivered, failed); idempotent by event id",
      description:
        'Who may call: the courier dispatch system, proven by x-xinbao-signature = HMAC-SHA256(shared secret, `${x-xinbao-timestamp}.${raw body}`) with the timestamp within 5 minutes. A bad or stale signature is a 401.',
      security: [],
      responses: {
        '200': { description: 'stored (or a duplicate)' },
        '400': error,
        '401': error,
        '413': error,
        '415': error,
        '429': error,
      },
    },
  },
  '/api/courier/tasks': {
    get: op(
      "The caller's own tasks: pickup visits, a result's kiosk orders (delivery, return pickup) and pickups at an applicant's address (place: address, no code) the dispatch system assigned them; site (or the address), map link, masked contact, the code as digits and QR, its parcels with the last step confirmed",
      'courier',
    ),
  },
  '/api/courier/visits/{visitId}/steps': {
    post: op(
      'Confirm a step (a pickup: picked_up; a delivery: delivered) or report a failure with its reason (it opens an exception), for one parcel of your own visit, result order or address pickup (whose documents it moves: picked_up, or the applicant told of the failure)',
      'courier',
      {
        requestBody: body(StepBody),
      },
    ),
  },
  '/api/admin/couriers/{userId}/dispatch-courier': {
    put: op("Link a courier user to the courier dispatch system's courier id (null unlinks)", 'admin', {
      requestBody: body(DispatchCourierBody),
    }),
  },
};

export function courierWebhookRoutes(
  deps: CourierServiceDeps & {
    secret: string;
    log: Logger;
    redis: Redis;
    /** Redis key prefix of the per-address refusal counts */
    keyPrefix: string;
    limits?: Partial<WebhookRefusalLimits>;
  },
): Router {
  const limits = { ...WEBHOOK_REFUSAL_LIMITS, ...deps.limits };
  const limiter = new RateLimiterRedis({ storeClient: deps.redis, keyPrefix: deps.keyPrefix, points: limits.perMinute, duration: 60 });
  const sourceOf = (req: Request) => req.socket.remoteAddress ?? 'unknown';
  const r = Router();
  r.post(
    COURIER_WEBHOOK_PATH,
    (req, res, next) => {
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
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const raw = body.toString('utf8');
      const refuse = async (status: number, code: 'bad_signature' | 'invalid_event', message: string) => {
        const source = sourceOf(req);
        const receivedAt = deps.now();
        await limiter.penalty(source);
        const count = await countWebhookRefusal(deps.db, {
          network: COURIER_REFUSALS_NETWORK,
          reason: code,
          remoteAddress: source,
          at: receivedAt,
        });
        if (sampledRefusal(count, limits)) {
          await insertWebhookRejection(deps.db, {
            id: uuidv7(),
            network: COURIER_REFUSALS_NETWORK,
            reason: code,
            status,
            appId: null,
            eventId: req.header(COURIER_EVENT_ID_HEADER)?.slice(0, 100) ?? null,
            remoteAddress: source,
            bodySha256: createHash('sha256').update(body).digest('hex'),
            bodyBytes: body.length,
            receivedAt,
          });
          requestLog(res, deps.log).info({ code, status, refusals: count, remote: source }, 'courier webhook refused');
        }
        sendError(res, status, { code, message });
      };
      const event = await readSignedEvent(
        req,
        raw,
        CourierEvent,
        { secret: deps.secret, nowMs: deps.now().getTime(), what: 'a courier event' },
        refuse,
      );
      if (event) res.json(await receiveCourierEvent(deps, event));
    }),
  );
  // A body that cannot be read is the sender's fault: a 4xx (a 5xx would be retried forever).
  r.use(COURIER_WEBHOOK_PATH, (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const refusal = httpRefusalOf(err);
    if (!refusal || res.headersSent) return next(err);
    sendError(res, refusal.status, { code: refusal.code, message: refusal.message });
  });
  return r;
}

export function courierRoutes(deps: CourierServiceDeps): Router {
  const r = Router();
  r.get(
    '/courier/tasks',
    requireRole('courier'),
    handle(async (req, res) => {
      res.json({ visits: await courierTasks(deps, currentUser(req).id) });
    }),
  );
  r.post(
    '/courier/visits/:visitId/steps',
    requireRole('courier'),
    handle(async (req, res) => {
      const visitId = parse(VisitId, req.params.visitId, 'visit id');
      const step = parse(StepBody, req.body);
      res.json(await recordStep(deps, currentUser(req).id, visitId, step));
    }),
  );
  r.put(
    '/admin/couriers/:userId/dispatch-courier',
    requireRole('admin'),
    handle(async (req, res) => {
      const userId = parse(UserId, req.params.userId, 'user id');
      const { dispatchCourierId } = parse(DispatchCourierBody, req.body);
      const linked = await setDispatchCourier(deps.db, userId, dispatchCourierId);
      if (linked === 'no_user') throw new NotFound(`courier user ${userId}`);
      if (linked === 'taken')
        throw new Conflict('dispatch_courier_taken', `dispatch courier ${dispatchCourierId} is linked to another user`);
      res.json({ userId, dispatchCourierId });
    }),
  );
  return r;
}
