// POST /api/partner/webhooks: the partner's signed event callbacks. The signature is checked over the
// raw body bytes as received (so this route reads the body itself, before any JSON parser), the
// timestamp must be within PARTNER_MAX_SKEW_MS; a delivery that fails either is answered 401 and
// recorded (reason, claimed ids, body hash, never the body: it may hold a code). A verified event
// goes through the same door as the reconciliation's (stored once by event id, applied with the
// parcel's move), so a duplicate or a late copy is harmless. A 5xx makes the partner try again.
import { createHash } from 'node:crypto';
import express, { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import {
  PARTNER_APP_ID_HEADER,
  PARTNER_EVENT_ID_HEADER,
  PARTNER_EVENT_SIGNATURE_HEADER,
  PARTNER_EVENT_TIMESTAMP_HEADER,
  PARTNER_MAX_SKEW_MS,
  PartnerEvent,
  verifyPartnerWebhook,
} from '@xinbao/protocol';
import type { Db } from '../../store/db.js';
import { handle } from '../../http/middleware.js';
import { PartnerNotConfigured, WEBHOOK_PATH, type PartnerRuntime } from './runtime.js';

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
        await deps.db.query(
          `INSERT INTO partner_webhook_rejections (id, network, reason, status, app_id, event_id, remote_address, body_sha256, body_bytes, received_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
          [
            uuidv7(),
            partner.config.network,
            reason,
            status,
            claimedApp?.slice(0, 100) ?? null,
            claimedEvent?.slice(0, 100) ?? null,
            req.socket.remoteAddress ?? null,
            createHash('sha256').update(raw).digest('hex'),
            raw.length,
            deps.now(),
          ],
        );
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
        return refuse('invalid_event', 400, `the body is not a partner event: ${event.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
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
