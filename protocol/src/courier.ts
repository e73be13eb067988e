// Hub → courier dispatch system (EMS 揽派) contract: create a pickup or delivery order. Requests
// are signed (HMAC-SHA256 over `timestamp.body` with a shared secret) and idempotent by order id:
// sending the same order again updates it (e.g. a re-issued code) and never creates a second one.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { KeypadCode, KeypadFactor } from './codes.js';

export const CourierOrderRequest = z.strictObject({
  orderId: z.string().uuid(),
  kind: z.enum(['pickup', 'delivery']),
  trackingNumber: z.string(),
  /**
   * the code that opens the compartment for the courier; absent on a mail order (a delivery whose
   * destination is the applicant's address: the courier collects the result at the hall's counter)
   */
  code: KeypadCode.optional(),
  /** the code's second factor (ADR 0018), typed after it on the kiosk's keypad; absent for a partner locker's code */
  pin: KeypadFactor.optional(),
  site: z.strictObject({
    code: z.string(),
    name: z.string(),
    address: z.string(),
    district: z.string(),
    lat: z.number().min(-90).max(90),
    lng: z.number().min(-180).max(180),
  }),
  /** absent on a mail order, like the code */
  compartment: z.number().int().min(1).max(2_147_483_647).optional(),
  destination: z.strictObject({ name: z.string(), address: z.string() }),
});
export type CourierOrderRequest = z.infer<typeof CourierOrderRequest>;

export const CourierOrderAccepted = z.object({ orderId: z.string().uuid(), dispatchRef: z.string() });
export type CourierOrderAccepted = z.infer<typeof CourierOrderAccepted>;

export const SIGNATURE_HEADER = 'x-xinbao-signature';
export const TIMESTAMP_HEADER = 'x-xinbao-timestamp';
export const SIGNATURE_MAX_AGE_MS = 5 * 60_000;

export function signRequest(secret: string, timestampMs: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampMs}.${body}`).digest('hex');
}

export function verifyRequest(secret: string, timestampMs: number, body: string, signature: string, nowMs: number): boolean {
  if (!Number.isFinite(timestampMs) || Math.abs(nowMs - timestampMs) > SIGNATURE_MAX_AGE_MS) return false;
  const want = Buffer.from(signRequest(secret, timestampMs, body), 'hex');
  const got = Buffer.from(signature, 'hex');
  return want.length === got.length && timingSafeEqual(want, got);
}
