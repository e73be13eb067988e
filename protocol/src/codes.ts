// Access codes (开箱码 / 取件码) as people and kiosks see them: an 8-digit keypad form and a QR form.
// The QR form is a signed token `XB1.<payload>.<signature>` (base64url) that names the code by id;
// the hub signs it with its Ed25519 key so a kiosk can check it without the hub. For keypad codes a
// kiosk checks offline, the hub hands it a per-site key and each live code's HMAC-SHA256 under it
// over `offlineHashInput`. Pure formats only; signing, hashing and verifying use node:crypto at the
// edges.
import { z } from 'zod';

export const CODE_PURPOSES = ['deposit', 'collect', 'courier_pickup', 'courier_deliver'] as const;
export const CodePurpose = z.enum(CODE_PURPOSES);
export type CodePurpose = z.infer<typeof CodePurpose>;

export const KEYPAD_CODE_LENGTH = 8;
export const KeypadCode = z.string().regex(/^\d{8}$/, 'an open-code is 8 digits');

export const QR_TOKEN_PREFIX = 'XB1';

export const QrPayload = z.object({
  /** access code id */
  cid: z.string().uuid(),
  /** site id the code is bound to */
  sid: z.string().uuid(),
  p: CodePurpose,
  /** expiry, seconds since the epoch */
  exp: z.number().int().positive(),
});
export type QrPayload = z.infer<typeof QrPayload>;

const b64url = (b: Uint8Array): string => Buffer.from(b).toString('base64url');

/** The bytes that are signed: the token without its signature part. */
export function qrSigningInput(payload: QrPayload): string {
  return `${QR_TOKEN_PREFIX}.${b64url(Buffer.from(JSON.stringify(payload), 'utf8'))}`;
}

export function formatQrToken(payload: QrPayload, signature: Uint8Array): string {
  return `${qrSigningInput(payload)}.${b64url(signature)}`;
}

export type ParsedQrToken = { payload: QrPayload; signingInput: string; signature: Buffer };

/** Parses a scanned token; returns null for anything that is not a well-formed XB1 token. */
export function parseQrToken(token: string): ParsedQrToken | null {
  const parts = token.trim().split('.');
  if (parts.length !== 3 || parts[0] !== QR_TOKEN_PREFIX) return null;
  const [, body, sig] = parts as [string, string, string];
  if (!/^[A-Za-z0-9_-]+$/.test(body) || !/^[A-Za-z0-9_-]+$/.test(sig)) return null;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const payload = QrPayload.safeParse(json);
  if (!payload.success) return null;
  return { payload: payload.data, signingInput: `${QR_TOKEN_PREFIX}.${body}`, signature: Buffer.from(sig, 'base64url') };
}

/**
 * What a kiosk's offline hash of a keypad code covers: HMAC-SHA256(site offline key, this). The
 * site id is inside as well as in the key, so a hash can never be taken for another site's.
 */
export function offlineHashInput(siteId: string, code: string): string {
  return `xinbao-offline-code|v1|${siteId}|${code}`;
}

// ---- the keypad's second factor (ADR 0018)

export const KEYPAD_FACTOR_LENGTH = 6;
/**
 * What a keypad code is typed with: 6 digits only its holder has: the last 6 digits of the phone
 * number the code was sent to (applicants), or the 6-digit PIN sent with the code (courier codes,
 * and applicants with no phone on file). A code is judged only together with it.
 */
export const KeypadFactor = z.string().regex(/^\d{6}$/, 'the second factor is 6 digits');

/** How the holder knows their second factor: their phone's last 6 digits, or a PIN sent with the code. */
export const FACTOR_KINDS = ['phone', 'pin'] as const;
export type FactorKind = (typeof FACTOR_KINDS)[number];

/** The last 6 digits of a phone number (anything not a digit ignored), or null when it has fewer. */
export function phoneFactor(phone: string | null | undefined): string | null {
  const digits = (phone ?? '').replace(/\D/g, '');
  return digits.length >= KEYPAD_FACTOR_LENGTH ? digits.slice(-KEYPAD_FACTOR_LENGTH) : null;
}

/**
 * What a kiosk's offline hash of a keypad code with its second factor covers: HMAC-SHA256(site
 * offline key, this). The book holds only this for a code that has a factor, so a book and its key
 * taken from a kiosk must be searched over 10^14 pairs, not 10^8 codes, and hold no phone digits.
 */
export function offlineKeypadInput(siteId: string, code: string, factor: string): string {
  return `xinbao-offline-keypad|v1|${siteId}|${code}|${factor}`;
}
