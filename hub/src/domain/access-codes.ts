// Code policy: how open-codes are made, stored and judged. Codes are 8 random digits, stored only as
// HMAC-SHA256 under a server key and bound to one site, so a database dump reveals no usable code and
// a code typed at another site matches nothing. Pure functions: the clock and randomness come in.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { offlineHashInput, offlineKeypadInput, type CodePurpose } from '@xinbao/protocol';

/** Uniform 8-digit code from a source of random 32-bit integers (rejection sampling: no modulo bias). */
export function makeKeypadCode(randomUint32: () => number): string {
  const limit = Math.floor(0x1_0000_0000 / 100_000_000) * 100_000_000;
  for (;;) {
    const n = randomUint32();
    if (n < limit) return String(n % 100_000_000).padStart(8, '0');
  }
}

export function hashCode(key: Buffer, siteId: string, code: string): Buffer {
  return createHmac('sha256', key).update(`${siteId}\u0000${code}`).digest();
}

/**
 * The key a site's kiosks check keypad codes with when the hub is out of reach (ADR 0008). Derived
 * per site, so a key taken from one kiosk says nothing about another site's codes or the hub's key.
 */
export function siteOfflineKey(offlineCodeKey: Buffer, siteId: string): Buffer {
  return createHmac('sha256', offlineCodeKey).update(`offline-site|${siteId}`).digest();
}

/** What a kiosk compares a typed code against: HMAC under its site's offline key. */
export function offlineCodeHash(siteKey: Buffer, siteId: string, code: string): Buffer {
  return createHmac('sha256', siteKey).update(offlineHashInput(siteId, code)).digest();
}

/**
 * What the hub judges a keypad entry by (ADR 0018): the code and its second factor under the code
 * key, bound to the site. Neither the code nor the factor is stored; this hash names the pair.
 */
export function factorHash(key: Buffer, siteId: string, code: string, factor: string): Buffer {
  return createHmac('sha256', key).update(`keypad-factor|v1|${siteId}\u0000${code}\u0000${factor}`).digest();
}

/** What a kiosk judges a keypad entry by offline: the code and its factor under its site's offline key. */
export function offlineKeypadHash(siteKey: Buffer, siteId: string, code: string, factor: string): Buffer {
  return createHmac('sha256', siteKey)
    .update(offlineKeypadInput(siteId, code, factor))
    .digest();
}

/** A uniform 6-digit PIN (the second factor of a code whose holder has no phone on file, or a courier's). */
export function makeFactorPin(randomBelow: (n: number) => number): string {
  return String(randomBelow(1_000_000)).padStart(6, '0');
}

export function sameHash(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface CodeRecord {
  purpose: CodePurpose;
  validFrom: Date;
  expiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
}

export type CodeVerdict = 'usable' | 'used' | 'expired' | 'revoked' | 'not_yet_valid';

export function judgeCode(code: CodeRecord, now: Date): CodeVerdict {
  // A code withdrawn because it ran out (the deposit-expiry sweep) is told as expired, not replaced.
  if (code.revokedAt) return code.revokedAt.getTime() >= code.expiresAt.getTime() ? 'expired' : 'revoked';
  if (code.usedAt) return 'used';
  if (now.getTime() >= code.expiresAt.getTime()) return 'expired';
  if (now.getTime() < code.validFrom.getTime()) return 'not_yet_valid';
  return 'usable';
}

/** How long each kind of code lives, in hours. */
export interface CodeLifetimes {
  deposit: number;
  collect: number;
  courier_pickup: number;
  courier_deliver: number;
}

export function expiryFor(purpose: CodePurpose, now: Date, lifetimes: CodeLifetimes): Date {
  return new Date(now.getTime() + lifetimes[purpose] * 3_600_000);
}
