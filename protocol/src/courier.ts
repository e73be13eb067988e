// Hub → courier dispatch system (EMS 揽派) contract: create a pickup or delivery order. Requests
// are signed (HMAC-SHA256 over `timestamp.body` with a shared secret) and idempotent by order id:
// sending the same order again updates it (e.g. a re-issued code) and never creates a second one.
// A pickup is either at a site (a locker, the hall's counter: `site`) or from a person at an address
// (`origin`, ADR 0037: no code, no compartment, the courier meets the applicant).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { KeypadCode, KeypadFactor } from './codes.js';

/** Where a courier collects documents from a person (ADR 0037); the person's name and phone masked. */
export const CourierOrderOrigin = z.strictObject({
  /** masked (张*) */
  name: z.string().max(100),
  address: z.string().min(1).max(200),
  /** masked (尾号5678) */
  phone: z.string().max(32),
});
export type CourierOrderOrigin = z.infer<typeof CourierOrderOrigin>;

const Site = z.strictObject({
  code: z.string(),
  name: z.string(),
  address: z.string(),
  district: z.string(),
  lat: z.number().min(-90).max(90),
  lng: z.number().min(-180).max(180),
});

const OrderFields = z.strictObject({
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
  /** where the courier collects (a locker's site, the hall's counter); absent on an address pickup */
  site: Site.optional(),
  /** an address pickup (ADR 0037): the person the courier collects from, instead of a site */
  origin: CourierOrderOrigin.optional(),
  /** absent on a mail order, like the code */
  compartment: z.number().int().min(1).max(2_147_483_647).optional(),
  destination: z.strictObject({ name: z.string(), address: z.string() }),
  /**
   * A pickup visit (ADR 0023): every parcel the one code opens at the site, door by door in this
   * order (the first is `trackingNumber`/`compartment` above). Absent on a single-parcel order. The
   * same order id sent again with more parcels updates the order; the code stays the same.
   */
  parcels: z
    .array(z.object({ trackingNumber: z.string(), compartment: z.number().int().min(1).max(2_147_483_647) }))
    .min(1)
    .max(64)
    .optional(),
  /** The QR form of `code` (a signed token the kiosk's scanner reads), when the hub issued the code. */
  qr: z.string().max(512).optional(),
});

/** An order is at a site or, for a pickup only, from an address: never both, never neither; an address pickup carries no code. */
export const CourierOrderRequest = OrderFields.superRefine((o, ctx) => {
  if (o.origin === undefined) {
    if (o.site === undefined)
      ctx.addIssue({ code: 'custom', path: ['site'], message: 'an order needs a site (or, for a pickup, an origin)' });
    return;
  }
  if (o.kind !== 'pickup') ctx.addIssue({ code: 'custom', path: ['origin'], message: 'only a pickup comes from an address' });
  for (const k of ['site', 'code', 'pin', 'compartment', 'parcels', 'qr'] as const)
    if (o[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: `an address pickup has no ${k}` });
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

// ---------------------------------------------------------------------------------------------
// Courier dispatch system → hub: signed webhooks (`POST /api/courier/webhooks`), each event with its
// own id, signed like the hub's requests (signRequest over `timestamp.body`, the same shared secret)
// and retried with backoff until the hub answers 2xx. The hub stores each event once by its id.

export const COURIER_EVENT_ID_HEADER = 'x-xinbao-event-id';
export const COURIER_EVENT_TYPES = ['assigned', 'picked_up', 'delivered', 'failed'] as const;
/** Why an order (or one parcel of it) failed, as the courier reports it. */
export const COURIER_FAILURE_REASONS = [
  'cannot_open',
  'parcel_not_found',
  'locker_full',
  'recipient_absent',
  'address_wrong',
  'other',
] as const;

export const CourierEvent = z.object({
  eventId: z.string().min(1).max(100),
  orderId: z.string().uuid(),
  type: z.enum(COURIER_EVENT_TYPES),
  /** ISO time on the dispatch system's clock */
  at: z.string().datetime({ offset: true }),
  /** the dispatch system's courier (set from `assigned` on) */
  courierId: z.string().min(1).max(64).optional(),
  courierName: z.string().max(100).optional(),
  /** for an event about one parcel of a multi-parcel order */
  trackingNumber: z.string().max(64).optional(),
  /** `failed`: why */
  reason: z.enum(COURIER_FAILURE_REASONS).optional(),
  note: z.string().max(500).optional(),
});
export type CourierEvent = z.infer<typeof CourierEvent>;

/** The headers of a signed courier webhook. */
export function courierWebhookHeaders(secret: string, eventId: string, body: string, nowMs: number): Record<string, string> {
  return {
    'content-type': 'application/json',
    [COURIER_EVENT_ID_HEADER]: eventId,
    [TIMESTAMP_HEADER]: String(nowMs),
    [SIGNATURE_HEADER]: signRequest(secret, nowMs, body),
  };
}
