import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  PARTNER_MAX_SKEW_MS,
  PartnerEvent,
  ReserveRequest,
  acceptableSizes,
  partnerRequestHeaders,
  partnerStringToSign,
  partnerWebhookHeaders,
  signPartnerRequest,
  signPartnerWebhook,
  siteFreeBySize,
  verifyPartnerRequest,
  verifyPartnerWebhook,
  type PartnerRequestParts,
} from './partner.js';

// Vectors computed outside this code with coreutils and openssl:
//   printf '%s' "$BODY" | sha256sum
//   printf 'POST\n/v1/reservations\n1700000000000\nnonce-0123456789abcdef\n%s' "$HASH" | openssl dgst -sha256 -hmac app-secret-fixture
//   printf '1700000000000.{"eventId":"evt_1"}' | openssl dgst -sha256 -hmac webhook-secret-fixture
const FIXTURE = {
  secret: 'app-secret-fixture',
  parts: {
    method: 'POST',
    target: '/v1/reservations',
    timestamp: '1700000000000',
    nonce: 'nonce-0123456789abcdef',
    body: '{"requestId":"r-1","deviceId":"XA000001-1","size":"M","durationMinutes":60}',
  } satisfies PartnerRequestParts,
  bodySha256: 'b3193a4b3347487fc8fd8b5c0b45edb2664951319cc26fbc4c144cc7bd486c69',
  signature: '1c5be4887761132641bbbc6daf841bbd812e8f60c9d4e63551ff2de7881dae62',
  webhookSecret: 'webhook-secret-fixture',
  webhookBody: '{"eventId":"evt_1"}',
  webhookSignature: 'a5cec8950cd6beed028fa013900e977e343728923f5c019b54d9ceba289b1fb4',
};
const NOW = 1_700_000_000_000;

const headerReader = (h: Record<string, string>) => (name: string) => h[name];
const secretOf = (appId: string) => (appId === 'app-1' ? FIXTURE.secret : undefined);

describe('partner request signing', () => {
  it('signs the documented string (fixture computed with openssl)', () => {
    expect(partnerStringToSign(FIXTURE.parts)).toBe(`POST\n/v1/reservations\n1700000000000\nnonce-0123456789abcdef\n${FIXTURE.bodySha256}`);
    expect(signPartnerRequest(FIXTURE.secret, FIXTURE.parts)).toBe(FIXTURE.signature);
  });

  it('hashes an absent body as the empty string and upper-cases the method', () => {
    const s = partnerStringToSign({ ...FIXTURE.parts, method: 'get', body: '' });
    expect(s.split('\n')[0]).toBe('GET');
    expect(s.split('\n')[4]).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('verifies the headers it makes, and says why a request fails', () => {
    const req = { method: 'POST', target: FIXTURE.parts.target, body: FIXTURE.parts.body };
    const h = partnerRequestHeaders({ appId: 'app-1', appSecret: FIXTURE.secret }, req, NOW, FIXTURE.parts.nonce);
    expect(h['x-partner-signature']).toBe(FIXTURE.signature);
    expect(verifyPartnerRequest(secretOf, headerReader(h), req, NOW)).toEqual({
      ok: true,
      appId: 'app-1',
      nonce: FIXTURE.parts.nonce,
      timestampMs: NOW,
    });

    const without = { ...h };
    delete without['x-partner-nonce'];
    expect(verifyPartnerRequest(secretOf, headerReader(without), req, NOW)).toEqual({ ok: false, reason: 'missing_header' });
    expect(verifyPartnerRequest(secretOf, headerReader({ ...h, 'x-partner-app-id': 'app-2' }), req, NOW)).toEqual({
      ok: false,
      reason: 'unknown_app',
    });
    expect(verifyPartnerRequest(secretOf, headerReader({ ...h, 'x-partner-nonce': 'short' }), req, NOW)).toEqual({
      ok: false,
      reason: 'bad_nonce',
    });
    expect(verifyPartnerRequest(secretOf, headerReader(h), req, NOW + PARTNER_MAX_SKEW_MS + 1)).toEqual({
      ok: false,
      reason: 'stale_timestamp',
    });
    expect(verifyPartnerRequest(secretOf, headerReader(h), req, NOW - PARTNER_MAX_SKEW_MS - 1)).toEqual({
      ok: false,
      reason: 'stale_timestamp',
    });
    expect(verifyPartnerRequest(secretOf, headerReader(h), req, NOW + PARTNER_MAX_SKEW_MS).ok).toBe(true);
    expect(verifyPartnerRequest(secretOf, headerReader({ ...h, 'x-partner-timestamp': '1.7e12' }), req, NOW)).toEqual({
      ok: false,
      reason: 'stale_timestamp',
    });
    expect(verifyPartnerRequest(secretOf, headerReader({ ...h, 'x-partner-signature': 'zz' }), req, NOW)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(
      verifyPartnerRequest(secretOf, headerReader({ ...h, 'x-partner-signature': FIXTURE.signature.toUpperCase() }), req, NOW).ok,
    ).toBe(true);
  });

  const parts = fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
    target: fc.webPath().map((p) => `/${p.replace(/^\/+/, '')}`),
    timestamp: fc.integer({ min: NOW - 1000, max: NOW + 1000 }).map(String),
    nonce: fc.stringMatching(/^[A-Za-z0-9_-]{16,64}$/),
    body: fc.string(),
  });

  it('fails after any change to what was signed (property)', () => {
    fc.assert(
      fc.property(parts, fc.string({ minLength: 1 }), fc.nat(), (p, secret, pick) => {
        const sig = signPartnerRequest(secret, p);
        const h = { 'x-partner-app-id': 'a', 'x-partner-timestamp': p.timestamp, 'x-partner-nonce': p.nonce, 'x-partner-signature': sig };
        const verify = (hdr: Record<string, string>, req: typeof p, sec = secret) =>
          verifyPartnerRequest(() => sec, headerReader(hdr), req, NOW).ok;
        expect(verify(h, p)).toBe(true);
        const tampered: Array<() => boolean> = [
          () => verify(h, { ...p, method: p.method === 'GET' ? 'POST' : 'GET' }),
          () => verify(h, { ...p, target: `${p.target}x` }),
          () => verify(h, { ...p, body: `${p.body} ` }),
          () => verify({ ...h, 'x-partner-timestamp': String(Number(p.timestamp) + 1) }, p),
          () => verify({ ...h, 'x-partner-nonce': `${p.nonce.startsWith('A') ? 'B' : 'A'}${p.nonce.slice(1)}` }, p),
          () => verify(h, p, `${secret}x`),
          () => verify({ ...h, 'x-partner-signature': flipHexDigit(sig, pick % sig.length) }, p),
        ];
        for (const t of tampered) expect(t()).toBe(false);
      }),
    );
  });

  it('never throws on arbitrary headers', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom('x-partner-app-id', 'x-partner-timestamp', 'x-partner-nonce', 'x-partner-signature'), fc.string()),
        (h) => {
          verifyPartnerRequest(() => 's', headerReader(h), { method: 'GET', target: '/', body: '' }, NOW);
        },
      ),
    );
  });
});

describe('partner webhook signing', () => {
  it('signs `${timestamp}.${body}` (fixture computed with openssl) and verifies', () => {
    expect(signPartnerWebhook(FIXTURE.webhookSecret, '1700000000000', FIXTURE.webhookBody)).toBe(FIXTURE.webhookSignature);
    expect(signPartnerWebhook(FIXTURE.webhookSecret, '1700000000000', Buffer.from(FIXTURE.webhookBody))).toBe(FIXTURE.webhookSignature);
    const h = partnerWebhookHeaders('app-1', FIXTURE.webhookSecret, 'evt_1', FIXTURE.webhookBody, NOW);
    expect(h['x-partner-event-signature']).toBe(FIXTURE.webhookSignature);
    expect(h['x-partner-event-id']).toBe('evt_1');
    const sig = { timestamp: h['x-partner-event-timestamp'], signature: h['x-partner-event-signature'] };
    expect(verifyPartnerWebhook(FIXTURE.webhookSecret, sig, FIXTURE.webhookBody, NOW)).toEqual({ ok: true });
    expect(verifyPartnerWebhook(FIXTURE.webhookSecret, sig, FIXTURE.webhookBody, NOW + PARTNER_MAX_SKEW_MS + 1)).toEqual({
      ok: false,
      reason: 'stale_timestamp',
    });
    expect(verifyPartnerWebhook(FIXTURE.webhookSecret, { ...sig, signature: undefined }, FIXTURE.webhookBody, NOW)).toEqual({
      ok: false,
      reason: 'missing_header',
    });
  });

  it('fails after any change to body, timestamp, secret or signature (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.uint8Array({ minLength: 0, maxLength: 200 }),
        fc.integer({ min: NOW - 1000, max: NOW + 1000 }),
        fc.nat(),
        (secret, body, ts, pick) => {
          const timestamp = String(ts);
          const signature = signPartnerWebhook(secret, timestamp, body);
          const ok = (s: string, t: string, b: Uint8Array, sig: string) =>
            verifyPartnerWebhook(s, { timestamp: t, signature: sig }, b, NOW).ok;
          expect(ok(secret, timestamp, body, signature)).toBe(true);
          const changed = Uint8Array.from(body.length > 0 ? body.map((x, i) => (i === pick % body.length ? x ^ 1 : x)) : [0]);
          expect(ok(secret, timestamp, changed, signature)).toBe(false);
          expect(ok(secret, String(ts + 1), body, signature)).toBe(false);
          expect(ok(`${secret}!`, timestamp, body, signature)).toBe(false);
          expect(ok(secret, timestamp, body, flipHexDigit(signature, pick % 64))).toBe(false);
        },
      ),
    );
  });
});

describe('partner records', () => {
  it('allowLarger widens the acceptable sizes upwards, smallest first', () => {
    expect(acceptableSizes('M', false)).toEqual(['M']);
    expect(acceptableSizes('M', true)).toEqual(['M', 'L', 'XL']);
    expect(acceptableSizes('XL', true)).toEqual(['XL']);
  });

  it('a reservation request needs exactly one of device or site, and a callback URL for callback delivery', () => {
    const base = { requestId: 'r-1', size: 'S', durationMinutes: 60 };
    expect(ReserveRequest.safeParse({ ...base, deviceId: 'd' }).success).toBe(true);
    expect(ReserveRequest.safeParse({ ...base, siteId: 's' }).success).toBe(true);
    expect(ReserveRequest.safeParse(base).success).toBe(false);
    expect(ReserveRequest.safeParse({ ...base, deviceId: 'd', siteId: 's' }).success).toBe(false);
    expect(ReserveRequest.safeParse({ ...base, deviceId: 'd', codeDelivery: 'callback' }).success).toBe(false);
    expect(
      ReserveRequest.safeParse({ ...base, deviceId: 'd', codeDelivery: 'callback', callbackUrl: 'http://127.0.0.1:9/hook' }).success,
    ).toBe(true);
    expect(ReserveRequest.safeParse({ ...base, deviceId: 'd', callbackUrl: 'file:///etc/passwd' }).success).toBe(false);
    expect(ReserveRequest.safeParse({ ...base, deviceId: 'd', requestId: 'has space' }).success).toBe(false);
    expect(ReserveRequest.safeParse({ ...base, deviceId: 'd', extra: 1 }).success).toBe(false);
  });

  it('events are a union by type with typed data', () => {
    const base = {
      eventId: 'evt_1',
      seq: 1,
      reservationId: 'r',
      requestId: 'q',
      reference: null,
      siteId: 's',
      deviceId: 'd',
      at: '2025-01-01T00:00:00.000Z',
    };
    expect(PartnerEvent.safeParse({ ...base, type: 'deposited', data: { compartmentNo: 3, size: 'M' } }).success).toBe(true);
    expect(PartnerEvent.safeParse({ ...base, type: 'code_issued', data: { compartmentNo: 3, size: 'M' } }).success).toBe(false);
    expect(PartnerEvent.safeParse({ ...base, type: 'opened', data: {} }).success).toBe(false);
  });

  it('counts free compartments over online devices only', () => {
    const stock = (free: number) => ({ total: 10, free });
    const dev = (status: 'online' | 'offline', f: number) => ({
      deviceId: 'd',
      status,
      compartments: { S: stock(f), M: stock(1), L: stock(0), XL: stock(0) },
    });
    expect(siteFreeBySize({ devices: [dev('online', 2), dev('offline', 5), dev('online', 3)] })).toEqual({ S: 5, M: 2, L: 0, XL: 0 });
  });
});

function flipHexDigit(hex: string, at: number): string {
  const c = hex[at]!;
  const other = c === '0' ? '1' : '0';
  return `${hex.slice(0, at)}${other}${hex.slice(at + 1)}`;
}
