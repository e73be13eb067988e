// Hub ↔ partner parcel-locker network contract (全城通港): the partner's open HTTP API as the hub
// uses it, modelled on real parcel-locker open APIs. Shared by the hub's client and the partner
// network simulator, so both sides sign, verify and parse exactly the same way.
//
// - Every API request is signed: `x-partner-signature` = hex HMAC-SHA256(appSecret, string to sign)
//   over method, path+query, timestamp, nonce and the body's SHA-256 (partnerStringToSign). The
//   partner refuses a timestamp more than PARTNER_MAX_SKEW_MS from its clock and a nonce it has seen.
// - Webhooks (POSTed to a reservation's callbackUrl) carry `x-partner-event-signature` = hex
//   HMAC-SHA256(webhookSecret, `${timestamp}.${rawBody}`); the same event may come twice, late or out
//   of order, so a receiver de-duplicates by eventId and orders by seq.
// - Reservations are idempotent by the caller's requestId; errors are `{ code, message }`.
// See docs/partner-api.md for the tables.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { KeypadCode } from './codes.js';
import { COMPARTMENT_SIZES } from './sizes.js';

// ---------------------------------------------------------------------------------------------
// Request signing

export const PARTNER_APP_ID_HEADER = 'x-partner-app-id';
export const PARTNER_TIMESTAMP_HEADER = 'x-partner-timestamp';
export const PARTNER_NONCE_HEADER = 'x-partner-nonce';
export const PARTNER_SIGNATURE_HEADER = 'x-partner-signature';
/** How far a request's or a webhook's timestamp may be from the receiver's clock. */
export const PARTNER_MAX_SKEW_MS = 5 * 60_000;
export const PARTNER_NONCE_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

export interface PartnerCredentials {
  appId: string;
  appSecret: string;
}

export interface PartnerRequestParts {
  method: string;
  /** path and query exactly as on the request line, percent-encoded (`url.pathname + url.search`) */
  target: string;
  /** milliseconds since the epoch, decimal */
  timestamp: string;
  nonce: string;
  /** the raw body bytes as sent; '' when there is none */
  body: string | Uint8Array;
}

const sha256Hex = (body: string | Uint8Array): string => createHash('sha256').update(body).digest('hex');

/** `METHOD\ntarget\ntimestamp\nnonce\nsha256hex(body)` */
export function partnerStringToSign(p: PartnerRequestParts): string {
  return `${p.method.toUpperCase()}\n${p.target}\n${p.timestamp}\n${p.nonce}\n${sha256Hex(p.body)}`;
}

export function signPartnerRequest(appSecret: string, p: PartnerRequestParts): string {
  return createHmac('sha256', appSecret).update(partnerStringToSign(p)).digest('hex');
}

/** The four headers of a signed request. The nonce is the caller's (randomBytes(16).toString('hex')). */
export function partnerRequestHeaders(
  creds: PartnerCredentials,
  req: { method: string; target: string; body: string | Uint8Array },
  nowMs: number,
  nonce: string,
): Record<string, string> {
  const timestamp = String(Math.trunc(nowMs));
  return {
    [PARTNER_APP_ID_HEADER]: creds.appId,
    [PARTNER_TIMESTAMP_HEADER]: timestamp,
    [PARTNER_NONCE_HEADER]: nonce,
    [PARTNER_SIGNATURE_HEADER]: signPartnerRequest(creds.appSecret, { ...req, timestamp, nonce }),
  };
}

export type PartnerAuthFailure = 'missing_header' | 'unknown_app' | 'bad_nonce' | 'stale_timestamp' | 'bad_signature';
export type PartnerRequestVerdict =
  { ok: true; appId: string; nonce: string; timestampMs: number } | { ok: false; reason: PartnerAuthFailure };

/**
 * Checks a request's signature and timestamp. Nonce replay is the receiver's to check (it needs
 * memory): a verdict that is ok carries the nonce to remember for 2 × maxSkewMs.
 */
export function verifyPartnerRequest(
  secretOf: (appId: string) => string | undefined,
  header: (name: string) => string | undefined,
  req: { method: string; target: string; body: string | Uint8Array },
  nowMs: number,
  maxSkewMs = PARTNER_MAX_SKEW_MS,
): PartnerRequestVerdict {
  const appId = header(PARTNER_APP_ID_HEADER);
  const timestamp = header(PARTNER_TIMESTAMP_HEADER);
  const nonce = header(PARTNER_NONCE_HEADER);
  const signature = header(PARTNER_SIGNATURE_HEADER);
  if (!appId || !timestamp || !nonce || !signature) return { ok: false, reason: 'missing_header' };
  const secret = secretOf(appId);
  if (secret === undefined) return { ok: false, reason: 'unknown_app' };
  if (!PARTNER_NONCE_PATTERN.test(nonce)) return { ok: false, reason: 'bad_nonce' };
  const timestampMs = /^\d{1,16}$/.test(timestamp) ? Number(timestamp) : NaN;
  if (!Number.isSafeInteger(timestampMs) || Math.abs(nowMs - timestampMs) > maxSkewMs) return { ok: false, reason: 'stale_timestamp' };
  const want = signPartnerRequest(secret, { ...req, timestamp, nonce });
  if (!hexEqual(want, signature)) return { ok: false, reason: 'bad_signature' };
  return { ok: true, appId, nonce, timestampMs };
}

// ---------------------------------------------------------------------------------------------
// Webhook signing

export const PARTNER_EVENT_ID_HEADER = 'x-partner-event-id';
export const PARTNER_EVENT_TIMESTAMP_HEADER = 'x-partner-event-timestamp';
export const PARTNER_EVENT_SIGNATURE_HEADER = 'x-partner-event-signature';

export function signPartnerWebhook(webhookSecret: string, timestamp: string, rawBody: string | Uint8Array): string {
  return createHmac('sha256', webhookSecret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/** Headers of one webhook delivery attempt (each attempt is signed afresh with its own timestamp). */
export function partnerWebhookHeaders(
  appId: string,
  webhookSecret: string,
  eventId: string,
  rawBody: string,
  nowMs: number,
): Record<string, string> {
  const timestamp = String(Math.trunc(nowMs));
  return {
    'content-type': 'application/json',
    [PARTNER_APP_ID_HEADER]: appId,
    [PARTNER_EVENT_ID_HEADER]: eventId,
    [PARTNER_EVENT_TIMESTAMP_HEADER]: timestamp,
    [PARTNER_EVENT_SIGNATURE_HEADER]: signPartnerWebhook(webhookSecret, timestamp, rawBody),
  };
}

export type PartnerWebhookVerdict = { ok: true } | { ok: false; reason: 'missing_header' | 'stale_timestamp' | 'bad_signature' };

/** Verifies a webhook against the raw body bytes as received (not a re-serialised object). */
export function verifyPartnerWebhook(
  webhookSecret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  rawBody: string | Uint8Array,
  nowMs: number,
  maxSkewMs = PARTNER_MAX_SKEW_MS,
): PartnerWebhookVerdict {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature) return { ok: false, reason: 'missing_header' };
  const ts = /^\d{1,16}$/.test(timestamp) ? Number(timestamp) : NaN;
  if (!Number.isSafeInteger(ts) || Math.abs(nowMs - ts) > maxSkewMs) return { ok: false, reason: 'stale_timestamp' };
  return hexEqual(signPartnerWebhook(webhookSecret, timestamp, rawBody), signature) ? { ok: true } : { ok: false, reason: 'bad_signature' };
}

/** Constant-time comparison of two lower/upper-case hex SHA-256 digests. */
function hexEqual(want: string, got: string): boolean {
  if (!/^[0-9a-fA-F]{64}$/.test(got)) return false;
  return timingSafeEqual(Buffer.from(want, 'hex'), Buffer.from(got, 'hex'));
}

// ---------------------------------------------------------------------------------------------
// Sites, devices, compartments

/** A partner's lockers come in every compartment size. */
export const PARTNER_SIZES = COMPARTMENT_SIZES;
export const PartnerSize = z.enum(PARTNER_SIZES);
export type PartnerSize = z.infer<typeof PartnerSize>;

/** Inner dimensions of a compartment of each size, in millimetres (what fits). */
export const PARTNER_SIZE_DIMENSIONS_MM: Readonly<Record<PartnerSize, { width: number; height: number; depth: number }>> = {
  S: { width: 420, height: 90, depth: 550 },
  M: { width: 420, height: 190, depth: 550 },
  L: { width: 420, height: 300, depth: 550 },
  XL: { width: 420, height: 460, depth: 550 },
};

/** The sizes a reservation of `size` may take: just it, or with allowLarger it and every larger one, smallest first. */
export function acceptableSizes(size: PartnerSize, allowLarger: boolean): PartnerSize[] {
  return allowLarger ? PARTNER_SIZES.slice(PARTNER_SIZES.indexOf(size)) : [size];
}

export const SizeStock = z.object({ total: z.number().int().min(0), free: z.number().int().min(0) });
export type SizeStock = z.infer<typeof SizeStock>;
export const SizeStocks = z.object({ S: SizeStock, M: SizeStock, L: SizeStock, XL: SizeStock });
export type SizeStocks = z.infer<typeof SizeStocks>;

export const PartnerDevice = z.object({
  deviceId: z.string(),
  status: z.enum(['online', 'offline', 'fault']),
  compartments: SizeStocks,
});
export type PartnerDevice = z.infer<typeof PartnerDevice>;

export const PartnerSite = z.object({
  siteId: z.string(),
  name: z.string(),
  address: z.string(),
  district: z.string(),
  /** WGS84 */
  lat: z.number(),
  lng: z.number(),
  /** online when at least one device is online */
  status: z.enum(['online', 'offline']),
  devices: z.array(PartnerDevice),
  /** changes with any device's status or free counts */
  updatedAt: z.iso.datetime(),
});
export type PartnerSite = z.infer<typeof PartnerSite>;

/** Free compartments per size over a site's online devices. */
export function siteFreeBySize(site: Pick<PartnerSite, 'devices'>): Record<PartnerSize, number> {
  const free = { S: 0, M: 0, L: 0, XL: 0 };
  for (const d of site.devices) if (d.status === 'online') for (const s of PARTNER_SIZES) free[s] += d.compartments[s].free;
  return free;
}

export const ListSitesQuery = z.strictObject({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(500).default(100),
  /** only sites whose updatedAt is at or after this instant */
  updatedSince: z.iso.datetime().optional(),
  district: z.string().min(1).optional(),
});
export type ListSitesQuery = z.infer<typeof ListSitesQuery>;

export const SitePage = z.object({
  sites: z.array(PartnerSite),
  page: z.number().int(),
  pageSize: z.number().int(),
  total: z.number().int(),
});
export type SitePage = z.infer<typeof SitePage>;

export const NearestSitesQuery = z.strictObject({
  lat: z.coerce.number().min(-90).max(90),
  lng: z.coerce.number().min(-180).max(180),
  /** metres */
  radius: z.coerce.number().int().min(1).max(50_000).default(5_000),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** only sites with a free compartment of this size on an online device */
  size: PartnerSize.optional(),
});
export type NearestSitesQuery = z.infer<typeof NearestSitesQuery>;

export const NearestSite = PartnerSite.extend({ distanceMeters: z.number().int().min(0) });
export type NearestSite = z.infer<typeof NearestSite>;
export const NearestSites = z.object({ sites: z.array(NearestSite) });
export type NearestSites = z.infer<typeof NearestSites>;

// ---------------------------------------------------------------------------------------------
// Reservations

/** Caller-chosen ids (requestId, reference): printable, no spaces. */
const CallerId = z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, '1–64 letters, digits or . _ : -');

export const ReserveRequest = z
  .object({
    /** the caller's idempotency key: the same requestId always answers the same reservation */
    requestId: CallerId,
    /** exactly one of deviceId (this device) or siteId (any online device at the site that has room) */
    deviceId: z.string().min(1).optional(),
    siteId: z.string().min(1).optional(),
    size: PartnerSize,
    /** take the next larger free size when the requested one is full */
    allowLarger: z.boolean().default(false),
    durationMinutes: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60),
    /** 'sync': the open-code is in the response; 'callback': it comes in a code_issued webhook */
    codeDelivery: z.enum(['sync', 'callback']).default('sync'),
    callbackUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** the caller's own reference (e.g. a tracking number), echoed in every event */
    reference: CallerId.optional(),
    /**
     * 'drop_off' (default): someone deposits with the open-code, a courier collects with the pickup
     * code. 'delivery': a courier deposits with the open-code (the deliver code), and the partner
     * then issues the recipient's collection code (in the `deposited` event) and holds the parcel
     * for holdMinutes; a courier takes it back with the pickup code (the return code).
     */
    purpose: z.enum(['drop_off', 'delivery']).default('drop_off'),
    /** delivery: how long the partner holds a deposited parcel for its recipient (default 7 days) */
    holdMinutes: z
      .number()
      .int()
      .min(1)
      .max(30 * 24 * 60)
      .optional(),
  })
  .strict()
  .refine((r) => (r.deviceId === undefined) !== (r.siteId === undefined), {
    message: 'give exactly one of deviceId or siteId',
    path: ['deviceId'],
  })
  .refine((r) => r.codeDelivery === 'sync' || r.callbackUrl !== undefined, {
    message: "codeDelivery 'callback' needs a callbackUrl",
    path: ['callbackUrl'],
  })
  .refine((r) => r.purpose === 'delivery' || r.holdMinutes === undefined, {
    message: 'holdMinutes is for a delivery reservation',
    path: ['holdMinutes'],
  });
export type ReserveRequest = z.input<typeof ReserveRequest>;
export type ReserveRequestParsed = z.output<typeof ReserveRequest>;

export const ReservationState = z.enum(['reserved', 'deposited', 'collected', 'expired', 'cancelled']);
export type ReservationState = z.infer<typeof ReservationState>;

const Instant = z.iso.datetime();

export const Reservation = z.object({
  reservationId: z.string(),
  requestId: z.string(),
  reference: z.string().nullable(),
  siteId: z.string(),
  deviceId: z.string(),
  compartmentNo: z.number().int().positive().max(2_147_483_647),
  requestedSize: PartnerSize,
  /** the size actually reserved (larger than requestedSize only with allowLarger) */
  size: PartnerSize,
  allowLarger: z.boolean(),
  durationMinutes: z.number().int(),
  codeDelivery: z.enum(['sync', 'callback']),
  callbackUrl: z.string().nullable(),
  state: ReservationState,
  /** the deposit open-code: only to the app that reserved, only while `reserved` and once issued */
  openCode: KeypadCode.optional(),
  /** the collection code (the courier's pickup code): only to the owner, only while `deposited` and once issued */
  pickupCode: KeypadCode.optional(),
  /** 'delivery': a courier deposits, the recipient collects (absent: 'drop_off') */
  purpose: z.enum(['drop_off', 'delivery']).optional(),
  /** delivery: the recipient's collection code, only to the owner, while deposited and it still works */
  collectionCode: KeypadCode.optional(),
  /** delivery, once deposited: until when the partner holds it for the recipient */
  holdUntil: Instant.nullable().optional(),
  createdAt: Instant,
  expiresAt: Instant,
  depositedAt: Instant.nullable(),
  collectedAt: Instant.nullable(),
  expiredAt: Instant.nullable(),
  cancelledAt: Instant.nullable(),
});
export type Reservation = z.infer<typeof Reservation>;

export const PickupCode = z.object({ reservationId: z.string(), pickupCode: KeypadCode, issuedAt: Instant });
export type PickupCode = z.infer<typeof PickupCode>;

// ---------------------------------------------------------------------------------------------
// Events (webhooks and the pull endpoint carry the same objects)

export const PARTNER_EVENT_TYPES = [
  'code_issued',
  'deposited',
  'collected',
  'expired',
  'cancelled',
  'deposit_refused',
  'hold_expired',
] as const;
export type PartnerEventType = (typeof PARTNER_EVENT_TYPES)[number];

/** A partner compartment number as the hub stores it (a 32-bit integer column). */
const CompartmentNo = z.number().int().min(0).max(2_147_483_647);

const EventBase = z.object({
  /** stable across webhook retries, duplicates and the pull endpoint: de-duplicate by it */
  eventId: z.string(),
  /** strictly increasing over the partner's whole event log: order by it */
  seq: z.number().int().positive(),
  reservationId: z.string(),
  requestId: z.string(),
  reference: z.string().nullable(),
  siteId: z.string(),
  deviceId: z.string(),
  /** when it happened, on the partner's clock */
  at: Instant,
});

export const PartnerEvent = z.discriminatedUnion('type', [
  EventBase.extend({
    type: z.literal('code_issued'),
    data: z.object({ openCode: KeypadCode, compartmentNo: CompartmentNo, size: PartnerSize, expiresAt: Instant }),
  }),
  EventBase.extend({
    type: z.literal('deposited'),
    data: z.object({
      compartmentNo: CompartmentNo,
      size: PartnerSize,
      /** a delivery reservation: the recipient's collection code, issued as the courier deposited */
      collectionCode: KeypadCode.optional(),
      holdUntil: Instant.optional(),
    }),
  }),
  EventBase.extend({
    type: z.literal('collected'),
    /** by: the recipient (with the collection code) or a courier (with the pickup code); absent on older events */
    data: z.object({ compartmentNo: CompartmentNo, by: z.enum(['recipient', 'courier']).optional() }),
  }),
  EventBase.extend({ type: z.literal('expired'), data: z.object({ compartmentNo: CompartmentNo }) }),
  EventBase.extend({ type: z.literal('cancelled'), data: z.object({ compartmentNo: CompartmentNo }) }),
  /** a delivery: the locker refused the courier's deposit (the door would not open, the parcel did not fit …) */
  EventBase.extend({ type: z.literal('deposit_refused'), data: z.object({ compartmentNo: CompartmentNo, reason: z.string().max(200) }) }),
  /** a delivery: the recipient did not collect within the holding period; the collection code no longer works */
  EventBase.extend({ type: z.literal('hold_expired'), data: z.object({ compartmentNo: CompartmentNo }) }),
]);
export type PartnerEvent = z.infer<typeof PartnerEvent>;

export const EventsQuery = z.strictObject({
  /** the cursor of the last page read (nextCursor); absent: from the beginning */
  after: z
    .string()
    .regex(/^\d{1,16}$/, 'a cursor from nextCursor')
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type EventsQuery = z.infer<typeof EventsQuery>;

export const EventsPage = z.object({
  events: z.array(PartnerEvent),
  /** pass as `after` next time; equal to the cursor given when there was nothing new */
  nextCursor: z.string(),
  hasMore: z.boolean(),
});
export type EventsPage = z.infer<typeof EventsPage>;

// ---------------------------------------------------------------------------------------------
// Paths and errors

export const PARTNER_PATHS = {
  sites: '/v1/sites',
  nearestSites: '/v1/sites/nearest',
  site: (siteId: string) => `/v1/sites/${encodeURIComponent(siteId)}`,
  device: (deviceId: string) => `/v1/devices/${encodeURIComponent(deviceId)}`,
  reservations: '/v1/reservations',
  reservation: (id: string) => `/v1/reservations/${encodeURIComponent(id)}`,
  cancel: (id: string) => `/v1/reservations/${encodeURIComponent(id)}/cancel`,
  pickupCode: (id: string) => `/v1/reservations/${encodeURIComponent(id)}/pickup-code`,
  events: '/v1/events',
} as const;

/** Every error code of the API, its HTTP status, and whether sending the same request later can succeed. */
export const PARTNER_ERRORS = {
  INVALID_REQUEST: { status: 400, retryable: false },
  BAD_SIGNATURE: { status: 401, retryable: false },
  NOT_FOUND: { status: 404, retryable: false },
  NO_COMPARTMENT: { status: 409, retryable: false },
  DEVICE_OFFLINE: { status: 409, retryable: false },
  INVALID_STATE: { status: 409, retryable: false },
  REQUEST_ID_CONFLICT: { status: 409, retryable: false },
  /** more requests per second than the app's rate: retry after Retry-After seconds */
  TOO_FREQUENT: { status: 429, retryable: true },
  /** the app's daily quota is used up: Retry-After says when the partner's day turns */
  LIMIT_REACHED: { status: 429, retryable: true },
  INTERNAL: { status: 500, retryable: true },
} as const satisfies Record<string, { status: number; retryable: boolean }>;
export type PartnerErrorCode = keyof typeof PARTNER_ERRORS;

/** The body of every error answer. `code` is a string so that a code added later still parses. */
export const PartnerError = z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() });
export type PartnerError = z.infer<typeof PartnerError>;

/** Whether a failed call may be tried again: timeouts/network errors (status undefined), 5xx and 429. */
export function isRetryablePartnerFailure(status: number | undefined): boolean {
  return status === undefined || status >= 500 || status === 429;
}
