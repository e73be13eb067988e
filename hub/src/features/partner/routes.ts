// The partner slice's HTTP edge. POST /api/partner/webhooks: the partner's signed event callbacks
// (partnerWebhookRoutes, mounted before the JSON parser). The admin's routes for the partner's site
// registry: POST /api/admin/partner/sites/refresh queues a refresh and answers its job id;
// GET /api/admin/partner/sites/refresh/:jobId says how far it got (state, progress, result).
//
// The webhook's signature is checked over the raw body bytes as received (so this route reads the
// body itself, before any JSON parser), the timestamp must be within PARTNER_MAX_SKEW_MS; a delivery
// that fails either is answered 401 and recorded (reason, claimed ids, body hash, never the body: it
// may hold a code). A verified event goes through the same door as the reconciliation's (stored once
// by event id, applied with the parcel's move), so a duplicate or a late copy is harmless. A 5xx
// makes the partner try again.
import { createHash } from 'node:crypto';
import express, { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import {
  PARTNER_APP_ID_HEADER,
  PARTNER_EVENT_ID_HEADER,
  PARTNER_EVENT_SIGNATURE_HEADER,
  PARTNER_EVENT_TIMESTAMP_HEADER,
  PARTNER_MAX_SKEW_MS,
  PartnerEvent,
  verifyPartnerWebhook,
} from '@xinbao/protocol';
import { NotFound } from '../../errors.js';
import { handle, parse } from '../../http/middleware.js';
import { error, op, type ApiPaths } from '../../http/openapi.js';
import type { Db } from '../../store/db.js';
import { currentUser, requireRole } from '../auth/auth.js';
import { PartnerNotConfigured, WEBHOOK_PATH, type PartnerRuntime } from './runtime.js';
import { insertWebhookRejection } from './store.js';

export const partnerApi: ApiPaths = {
  '/api/partner/webhooks': {
    post: {
      summary:
        "The partner network's signed event callbacks (code_issued, deposited, collected, expired, cancelled); idempotent by event id",
      description:
        'Who may call: the partner network, proven by x-partner-event-signature = HMAC-SHA256(webhook secret, `${timestamp}.${raw body}`) with x-partner-event-timestamp within 5 minutes. A bad or stale signature is refused with 401 and recorded.',
      security: [],
      responses: { '200': { description: 'stored (or a duplicate)' }, '400': error, '401': error, '409': error },
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

export function partnerWebhookRoutes(deps: { db: Db; partner: PartnerRuntime | null; now: () => Date; log: Logger }): Router {
  const r = Router();
  r.post(
    WEBHOOK_PATH,
    express.raw({ type: () => true, limit: '64kb' }),
    handle(async (req: Request, res: Response) => {
      const partner = deps.partner;
      if (!partner) throw new PartnerNotConfigured('partner webhooks');
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const claimedApp = req.header(PARTNER_APP_ID_HEADER);
      const claimedEvent = req.header(PARTNER_EVENT_ID_HEADER);
      const refuse = async (reason: WebhookRefusal, status: 400 | 401, detail?: string) => {
        await insertWebhookRejection(deps.db, {
          id: uuidv7(),
          network: partner.config.network,
          reason,
          status,
          appId: claimedApp?.slice(0, 100) ?? null,
          eventId: claimedEvent?.slice(0, 100) ?? null,
          remoteAddress: req.socket.remoteAddress ?? null,
          bodySha256: createHash('sha256').update(raw).digest('hex'),
          bodyBytes: raw.length,
          receivedAt: deps.now(),
        });
        deps.log.warn({ reason, eventId: claimedEvent?.slice(0, 100), remote: req.socket.remoteAddress }, 'partner webhook refused');
        res.status(status).json({ error: { code: reason, message: detail ?? MESSAGES[reason] } });
      };

      if (!claimedApp) return refuse('missing_header', 401);
      if (claimedApp !== partner.config.appId) return refuse('unknown_app', 401);
      const verdict = verifyPartnerWebhook(
        partner.config.webhookSecret,
        { timestamp: req.header(PARTNER_EVENT_TIMESTAMP_HEADER), signature: req.header(PARTNER_EVENT_SIGNATURE_HEADER) },
        raw,
        deps.now().getTime(),
      );
      if (!verdict.ok) return refuse(verdict.reason, 401);

      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return refuse('invalid_event', 400, 'the body is not JSON');
      }
      const event = PartnerEvent.safeParse(body);
      if (!event.success) {
        return refuse(
          'invalid_event',
          400,
          `the body is not a partner event: ${event.error.issues
            .slice(0, 3)
            .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
            .join('; ')}`,
        );
      }
      if (claimedEvent !== undefined && claimedEvent !== event.data.eventId) {
        return refuse('invalid_event', 400, `${PARTNER_EVENT_ID_HEADER} does not match the body's eventId`);
      }
      const received = await partner.receive(event.data);
      res.json(received);
    }),
  );
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
