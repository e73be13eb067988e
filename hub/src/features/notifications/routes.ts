// The notifications slice's HTTP edge. POST /api/notifications/sms-receipts: the SMS gateway's
// signed delivery receipts (mounted before the JSON parser: the signature covers the raw body),
// refused as the courier webhooks are — a bad or stale signature is a 401, a signed body that is not
// a receipt a 400 — and otherwise stored once by event id and answered 200 (a duplicate too), so the
// gateway stops retrying.
import express, { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { SmsReceipt } from '@xinbao/protocol';
import { handle, sendError } from '../../http/middleware.js';
import { requestLog } from '../../http/request-context.js';
import { readSignedEvent } from '../../http/signed-event.js';
import { error, type ApiPaths } from '../../http/openapi.js';
import type { Db } from '../../store/db.js';
import { receiveReceipt } from './service.js';

export const SMS_RECEIPTS_PATH = '/api/notifications/sms-receipts';

export const notificationsApi: ApiPaths = {
  [SMS_RECEIPTS_PATH]: {
    post: {
      summary: "The SMS gateway's signed delivery receipts (delivered, failed); idempotent by event id",
      description:
        'Who may call: the SMS gateway, proven by x-xinbao-signature = HMAC-SHA256(shared SMS gateway secret, `${x-xinbao-timestamp}.${raw body}`) with the timestamp within 5 minutes. A bad or stale signature is a 401.',
      security: [],
      responses: { '200': { description: 'stored (or a duplicate)' }, '400': error, '401': error, '413': error, '415': error },
    },
  },
};

export function smsReceiptRoutes(deps: { db: Db; now: () => Date; log: Logger; secret: string }): Router {
  const r = Router();
  r.post(
    SMS_RECEIPTS_PATH,
    express.raw({ type: () => true, limit: '16kb' }),
    handle(async (req: Request, res: Response) => {
      const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
      const refuse = (status: number, code: string, message: string) => {
        requestLog(res, deps.log).info({ code, status, remote: req.socket.remoteAddress }, 'SMS receipt refused');
        sendError(res, status, { code, message });
      };
      const receipt = await readSignedEvent(
        req,
        raw,
        SmsReceipt,
        { secret: deps.secret, nowMs: deps.now().getTime(), what: 'a delivery receipt' },
        refuse,
      );
      if (receipt) res.json(await receiveReceipt(deps, receipt));
    }),
  );
  return r;
}
