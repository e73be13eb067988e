// The SMS gateway's wire contract (the hub is the client; the SMS gateway simulator, and a real
// gateway behind an adapter, the server). Sending: `POST /api/messages` with `{ to, text,
// idempotencyKey }`, signed like every hub request (signRequest over `timestamp.body`); the same
// idempotency key again answers the first answer and sends nothing. Delivery receipts come back to
// the hub's callback as signed events with their own ids, retried until the hub answers 2xx.
import { z } from 'zod';
import { COURIER_EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signRequest } from './courier.js';

/** A mainland mobile number, 11 digits starting 1[3-9]; a +86 / 0086 prefix, spaces and dashes are dropped. */
export function normalizeMobile(raw: string): string | null {
  const digits = raw.replace(/[\s-]/g, '').replace(/^(\+86|0086)/, '');
  return /^1[3-9]\d{9}$/.test(digits) ? digits : null;
}

export const SmsSendRequest = z.strictObject({
  to: z.string().regex(/^1[3-9]\d{9}$/, 'a mainland mobile number (11 digits)'),
  text: z.string().min(1).max(500),
  /** the sender's id for this message: the same key again is the same message */
  idempotencyKey: z.string().min(8).max(100),
});
export type SmsSendRequest = z.infer<typeof SmsSendRequest>;

export const SmsSendAccepted = z.object({
  messageId: z.string().min(1).max(100),
  /** true: the key was seen before and nothing was sent this time */
  duplicate: z.boolean(),
});
export type SmsSendAccepted = z.infer<typeof SmsSendAccepted>;

export const SMS_RECEIPT_STATUSES = ['delivered', 'failed'] as const;

export const SmsReceipt = z.strictObject({
  eventId: z.string().min(1).max(100),
  messageId: z.string().min(1).max(100),
  idempotencyKey: z.string().min(1).max(100),
  status: z.enum(SMS_RECEIPT_STATUSES),
  /** ISO time on the gateway's clock */
  at: z.string().datetime({ offset: true }),
  /** `failed`: the operator's reason */
  reason: z.string().max(200).optional(),
});
export type SmsReceipt = z.infer<typeof SmsReceipt>;

/** The headers of a signed delivery receipt (the event id header as for courier webhooks). */
export function smsReceiptHeaders(secret: string, eventId: string, body: string, nowMs: number): Record<string, string> {
  return {
    'content-type': 'application/json',
    [COURIER_EVENT_ID_HEADER]: eventId,
    [TIMESTAMP_HEADER]: String(nowMs),
    [SIGNATURE_HEADER]: signRequest(secret, nowMs, body),
  };
}
