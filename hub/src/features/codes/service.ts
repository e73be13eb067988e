// Issuing and redeeming access codes. Issued codes leave the hub once, in clear, to their holder;
// the hub keeps the keyed hash, and the offline hash its site's kiosks check it with (ADR 0008); a
// keypad code opens only with its second factor, of which the hub keeps keyed hashes only (ADR 0018). Redeeming locks the code row, judges it, marks it used and grants
// one open command, all in the caller's transaction; a retried request gets the same grant back.
import { randomInt, sign, verify, type KeyObject } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import {
  formatQrToken,
  KeypadCode,
  KeypadFactor,
  parseQrToken,
  phoneFactor,
  type FactorKind,
  qrSigningInput,
  type CodeGrant,
  type CodePurpose,
  type CodeRefusal,
  type QrPayload,
} from '@xinbao/protocol';
import {
  expiryFor,
  factorHash,
  hashCode,
  judgeCode,
  makeFactorPin,
  makeKeypadCode,
  offlineCodeHash,
  offlineKeypadHash,
  siteOfflineKey,
  type CodeLifetimes,
} from '../../domain/access-codes.js';
import { HubError } from '../../errors.js';
import type { Tx } from '../../store/db.js';
import { findCodeUsedByRequest, insertCode, lockCodeByKeypad, lockCodeById, markCodeUsed, revokeLiveCodes, type CodeRow } from './store.js';

export interface CodeKeys {
  hashKey: Buffer;
  qrPrivateKey: KeyObject;
  qrPublicKey: KeyObject;
  /** the hub's offline code key; each site's key is derived from it */
  offlineKey: Buffer;
}

export interface IssueRequest {
  purpose: CodePurpose;
  siteId: string;
  compartmentId: string;
  parcelId: string;
  holder: 'applicant' | 'courier';
  /**
   * The phone number the code is sent to (ADR 0018): its last 6 digits are the code's second factor.
   * null (a courier company's order, an applicant with no phone on file): a random PIN is, sent with the code.
   */
  holderPhone: string | null;
  now: Date;
  lifetimes: CodeLifetimes;
  /**
   * Issued beside the parcel's live codes of this purpose, which stay live (a delegate's collection
   * code next to the applicant's, ADR 0033); by default a fresh code replaces them.
   */
  alongside?: boolean;
  /** when it expires, if not after the purpose's lifetime */
  expiresAt?: Date;
}

/** How the holder knows the second factor: the last 6 digits of their phone, or the PIN given here with the code. */
export type IssuedFactor = { kind: Extract<FactorKind, 'phone'> } | { kind: Extract<FactorKind, 'pin'>; pin: string };

export interface IssuedCode {
  id: string;
  purpose: CodePurpose;
  code: string;
  qrToken: string;
  expiresAt: Date;
  /** what the keypad asks after the code (a signed QR needs nothing more) */
  factor: IssuedFactor;
}

/** The code keys out of the hub's configuration. */
export function codeKeysFrom(config: {
  codeHashKey: Buffer;
  qrPrivateKey: KeyObject;
  qrPublicKey: KeyObject;
  offlineCodeKey: Buffer;
}): CodeKeys {
  return {
    hashKey: config.codeHashKey,
    qrPrivateKey: config.qrPrivateKey,
    qrPublicKey: config.qrPublicKey,
    offlineKey: config.offlineCodeKey,
  };
}

const randomUint32 = () => randomInt(0, 0x1_0000_0000 - 1);
const randomBelow = (n: number) => randomInt(0, n);

export function signQr(keys: CodeKeys, payload: QrPayload): string {
  return formatQrToken(payload, sign(null, Buffer.from(qrSigningInput(payload)), keys.qrPrivateKey));
}

/** Issues a fresh code for a parcel, revoking any earlier live code of the same purpose. */
export async function issueCode(tx: Tx, keys: CodeKeys, req: IssueRequest): Promise<IssuedCode> {
  if (!req.alongside) await revokeLiveCodes(tx, req.parcelId, req.purpose, req.now);
  const expiresAt = req.expiresAt ?? expiryFor(req.purpose, req.now, req.lifetimes);
  const siteKey = siteOfflineKey(keys.offlineKey, req.siteId);
  const phoneDigits = phoneFactor(req.holderPhone);
  const factor: IssuedFactor = phoneDigits === null ? { kind: 'pin', pin: makeFactorPin(randomBelow) } : { kind: 'phone' };
  const factorDigits = factor.kind === 'pin' ? factor.pin : phoneDigits!;
  for (let attempt = 0; attempt < 8; attempt++) {
    const id = uuidv7();
    const code = makeKeypadCode(randomUint32);
    const inserted = await insertCode(tx, {
      id,
      purpose: req.purpose,
      siteId: req.siteId,
      compartmentId: req.compartmentId,
      parcelId: req.parcelId,
      codeHash: hashCode(keys.hashKey, req.siteId, code),
      offlineHash: offlineCodeHash(siteKey, req.siteId, code),
      factorHash: factorHash(keys.hashKey, req.siteId, code, factorDigits),
      offlineKeypadHash: offlineKeypadHash(siteKey, req.siteId, code, factorDigits),
      factorKind: factor.kind,
      holder: req.holder,
      validFrom: req.now,
      expiresAt,
    });
    if (inserted) {
      const qrToken = signQr(keys, { cid: id, sid: req.siteId, p: req.purpose, exp: Math.floor(expiresAt.getTime() / 1000) });
      return { id, purpose: req.purpose, code, qrToken, expiresAt, factor };
    }
  }
  throw new HubError(503, 'code_space_exhausted', 'could not issue a unique code for this site; try again');
}

export class CodeRefused extends HubError {
  constructor(
    readonly refusal: CodeRefusal,
    message: string,
  ) {
    super(refusal === 'locked_out' ? 429 : 400, refusal, message);
  }
}

export interface RedeemRequest {
  siteId: string;
  deviceId: string;
  requestId: string;
  via: 'keypad' | 'qr';
  code: string;
  /** keypad: the code's second factor (ADR 0018) */
  factor?: string | undefined;
  now: Date;
}

export interface RedeemedCode {
  grant: CodeGrant;
  codeId: string;
  parcelId: string;
  compartmentId: string;
  /** true when this request had already redeemed the code (a retry): nothing new was written */
  repeated: boolean;
}

async function findCodeForRedeem(tx: Tx, keys: CodeKeys, req: RedeemRequest): Promise<CodeRow | null> {
  if (req.via === 'keypad') {
    if (!KeypadCode.safeParse(req.code).success) throw new CodeRefused('code_invalid', 'an open-code is 8 digits');
    if (!KeypadFactor.safeParse(req.factor).success)
      throw new CodeRefused('code_invalid', 'an open-code is typed with the 6 digits that go with it');
    // Judged as a pair (ADR 0018): a right code with a wrong factor finds nothing, exactly like a
    // wrong code, so a guess never tells which part was wrong. Live code first; otherwise the most
    // recent one with that pair, to say "used" or "expired" (only to whoever has both parts).
    const pair = {
      codeHash: hashCode(keys.hashKey, req.siteId, req.code),
      factorHash: factorHash(keys.hashKey, req.siteId, req.code, req.factor!),
    };
    return lockCodeByKeypad(tx, req.siteId, pair);
  }
  const parsed = parseQrToken(req.code);
  if (!parsed || !verify(null, Buffer.from(parsed.signingInput), keys.qrPublicKey, parsed.signature)) {
    throw new CodeRefused('code_invalid', 'this QR code is not one of ours');
  }
  if (parsed.payload.sid !== req.siteId) return null;
  return lockCodeById(tx, req.siteId, parsed.payload.cid);
}

/**
 * A code submitted again at the same kiosk within this long after the hub granted it there (and
 * before its door cycle closed) gets the same grant.
 */
export const REPEAT_WINDOW_MS = 10_000;

function isRepeat(row: CodeRow, req: RedeemRequest): boolean {
  return (
    row.usedAt !== null &&
    !row.usedOffline &&
    row.resolvedAt === null &&
    row.revokedAt === null &&
    row.commandId !== null &&
    row.usedByDevice === req.deviceId &&
    req.now.getTime() - row.usedAt.getTime() <= REPEAT_WINDOW_MS
  );
}

export async function redeemCode(tx: Tx, keys: CodeKeys, req: RedeemRequest): Promise<RedeemedCode> {
  const prior = await findCodeUsedByRequest(tx, req.requestId);
  if (prior) {
    if (prior.usedByDevice !== req.deviceId || !prior.commandId) throw new CodeRefused('code_used', 'this code has already been used');
    return {
      grant: {
        commandId: prior.commandId,
        compartment: prior.compartment,
        purpose: prior.purpose,
        trackingNumber: prior.trackingNumber,
        codeId: prior.id,
      },
      codeId: prior.id,
      parcelId: prior.parcelId,
      compartmentId: prior.compartmentId,
      repeated: true,
    };
  }
  const row = await findCodeForRedeem(tx, keys, req);
  if (!row) throw new CodeRefused('code_invalid', 'no such code at this locker');
  if (isRepeat(row, req)) {
    // The same code again at the same kiosk just after it was granted there (a double tap, a second
    // scan): the same answer, not a failure (ADR 0015). Its command opens at most once at the kiosk.
    return {
      grant: {
        commandId: row.commandId!,
        compartment: row.compartment,
        purpose: row.purpose,
        trackingNumber: row.trackingNumber,
        codeId: row.id,
      },
      codeId: row.id,
      parcelId: row.parcelId,
      compartmentId: row.compartmentId,
      repeated: true,
    };
  }
  switch (judgeCode(row, req.now)) {
    case 'usable':
      break;
    case 'used':
      throw new CodeRefused('code_used', 'this code has already been used');
    case 'expired':
      throw new CodeRefused('code_expired', 'this code has expired');
    case 'revoked':
      throw new CodeRefused('code_invalid', 'this code has been replaced by a newer one');
    case 'not_yet_valid':
      throw new CodeRefused('code_invalid', 'this code is not valid yet');
  }
  const commandId = uuidv7();
  await markCodeUsed(tx, row.id, { at: req.now, deviceId: req.deviceId, commandId, requestId: req.requestId });
  return {
    grant: { commandId, compartment: row.compartment, purpose: row.purpose, trackingNumber: row.trackingNumber, codeId: row.id },
    codeId: row.id,
    parcelId: row.parcelId,
    compartmentId: row.compartmentId,
    repeated: false,
  };
}
