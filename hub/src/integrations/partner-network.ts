// Client of the partner parcel-locker network (全城通港), per protocol/src/partner.ts: every request
// signed (HMAC over method, target, timestamp, nonce and body hash), cut off after a timeout, and
// every answer validated with the contract's zod schemas. A failure is one PartnerApiError that
// says whether trying again can help (timeouts, network errors, 5xx, TOO_FREQUENT / LIMIT_REACHED
// with their Retry-After) or not (INVALID_REQUEST, NO_COMPARTMENT, …), so the jobs above decide
// between a retry with backoff and a clear failure. Behind a small interface, with the partner
// network simulator as its test peer.
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import {
  EventsPage,
  PARTNER_PATHS,
  PartnerError,
  PickupCode,
  Reservation,
  SitePage,
  isRetryablePartnerFailure,
  partnerRequestHeaders,
  type PartnerCredentials,
  type ReserveRequest,
} from '@xinbao/protocol';
import type { PartnerFailureKind } from '../domain/partner-locker.js';

export interface PartnerNetworkClient {
  listSites(q: { page: number; pageSize: number }): Promise<SitePage>;
  reserve(req: ReserveRequest): Promise<Reservation>;
  reservation(reservationId: string): Promise<Reservation>;
  cancel(reservationId: string): Promise<Reservation>;
  pickupCode(reservationId: string): Promise<PickupCode>;
  events(q: { after?: string | undefined; limit: number }): Promise<EventsPage>;
}

export class PartnerApiError extends Error {
  constructor(
    readonly kind: PartnerFailureKind,
    message: string,
    /** the HTTP status, when there was an answer */
    readonly status?: number,
    /** the partner's error code (NO_COMPARTMENT, TOO_FREQUENT, …), when it gave one */
    readonly code?: string,
    /** the partner's Retry-After, in milliseconds */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'PartnerApiError';
  }

  /** Whether sending the same request later can succeed. */
  get retryable(): boolean {
    return this.kind !== 'refused';
  }
}

export interface HttpPartnerNetworkOptions extends PartnerCredentials {
  baseUrl: string;
  timeoutMs: number;
  now?: () => number;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

export class HttpPartnerNetwork implements PartnerNetworkClient {
  private readonly now: () => number;

  constructor(private readonly opts: HttpPartnerNetworkOptions) {
    this.now = opts.now ?? Date.now;
  }

  listSites(q: { page: number; pageSize: number }): Promise<SitePage> {
    return this.call('GET', `${PARTNER_PATHS.sites}?page=${q.page}&pageSize=${q.pageSize}`, undefined, SitePage);
  }

  reserve(req: ReserveRequest): Promise<Reservation> {
    return this.call('POST', PARTNER_PATHS.reservations, req, Reservation);
  }

  reservation(reservationId: string): Promise<Reservation> {
    return this.call('GET', PARTNER_PATHS.reservation(reservationId), undefined, Reservation);
  }

  cancel(reservationId: string): Promise<Reservation> {
    return this.call('POST', PARTNER_PATHS.cancel(reservationId), undefined, Reservation);
  }

  pickupCode(reservationId: string): Promise<PickupCode> {
    return this.call('POST', PARTNER_PATHS.pickupCode(reservationId), undefined, PickupCode);
  }

  events(q: { after?: string | undefined; limit: number }): Promise<EventsPage> {
    const after = q.after === undefined ? '' : `after=${encodeURIComponent(q.after)}&`;
    return this.call('GET', `${PARTNER_PATHS.events}?${after}limit=${q.limit}`, undefined, EventsPage);
  }

  private async call<S extends z.ZodType>(method: 'GET' | 'POST', pathAndQuery: string, body: unknown, schema: S): Promise<z.output<S>> {
    const base = new URL(this.opts.baseUrl);
    const url = new URL(`${base.pathname.replace(/\/$/, '')}${pathAndQuery}`, base);
    const raw = body === undefined ? '' : JSON.stringify(body);
    const headers: Record<string, string> = partnerRequestHeaders(
      this.opts,
      { method, target: url.pathname + url.search, body: raw },
      this.now(),
      randomBytes(16).toString('hex'),
    );
    if (raw !== '') headers['content-type'] = 'application/json';
    const what = `${method} ${url.pathname}`;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.opts.timeoutMs);
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const res = await fetch(url, { method, headers, signal: abort.signal, ...(raw !== '' && { body: raw }) });
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      text = await res.text();
    } catch (e) {
      if (abort.signal.aborted) throw new PartnerApiError('timeout', `${what}: no answer within ${this.opts.timeoutMs} ms`);
      const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
      throw new PartnerApiError('network', `${what}: ${e instanceof Error ? e.message : String(e)}${cause}`);
    } finally {
      clearTimeout(timer);
    }
    if (text.length > MAX_BODY_BYTES)
      throw new PartnerApiError('bad_response', `${what}: the answer is larger than ${MAX_BODY_BYTES} bytes`, status);
    const json = parseJson(text);
    if (status >= 200 && status < 300) {
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        const why = parsed.error.issues
          .slice(0, 3)
          .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
          .join('; ');
        throw new PartnerApiError('bad_response', `${what}: unexpected answer (${why})`, status);
      }
      return parsed.data;
    }
    const error = PartnerError.safeParse(json);
    const code = error.success ? error.data.code : undefined;
    const message = `${what} answered ${status}${code ? ` ${code}` : ''}${error.success ? `: ${error.data.message}` : ''}`;
    if (!isRetryablePartnerFailure(status)) throw new PartnerApiError('refused', message, status, code);
    const retryAfterMs = parseRetryAfter(retryAfter, this.now());
    const kind: PartnerFailureKind = status === 429 ? (code === 'LIMIT_REACHED' ? 'quota' : 'rate_limited') : 'server';
    throw new PartnerApiError(kind, message, status, code, retryAfterMs);
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
