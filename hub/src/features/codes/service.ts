// Issuing and redeeming access codes. Issued codes leave the hub once, in clear, to their holder;
// the hub keeps the keyed hash, and the offline hash its site's kiosks check it with (ADR 0008). Redeeming locks the code row, judges it, marks it used and grants
// one open command, all in the caller's transaction; a retried request gets the same grant back.
import { randomInt, sign, verify, type KeyObject } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { formatQrToken, KeypadCode, parseQrToken, qrSigningInput, type CodeGrant, type CodePurpose, type CodeRefusal, type QrPayload } from '@xinbao/protocol';
import { expiryFor, hashCode, judgeCode, makeKeypadCode, offlineCodeHash, siteOfflineKey, type CodeLifetimes } from '../../domain/access-codes.js';
import { HubError } from '../../errors.js';
import type { Tx } from '../../store/db.js';

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
  now: Date;
  lifetimes: CodeLifetimes;
}

export interface IssuedCode {
  id: string;
  purpose: CodePurpose;
  code: string;
  qrToken: string;
  expiresAt: Date;
}

/** The code keys out of the hub's configuration. */
export function codeKeysFrom(config: { codeHashKey: Buffer; qrPrivateKey: KeyObject; qrPublicKey: KeyObject; offlineCodeKey: Buffer }): CodeKeys {
  return { hashKey: config.codeHashKey, qrPrivateKey: config.qrPrivateKey, qrPublicKey: config.qrPublicKey, offlineKey: config.offlineCodeKey };
}

const randomUint32 = () => randomInt(0, 0x1_0000_0000 - 1);

export function signQr(keys: CodeKeys, payload: QrPayload): string {
  return formatQrToken(payload, sign(null, Buffer.from(qrSigningInput(payload)), keys.qrPrivateKey));
}

/** Issues a fresh code for a parcel, revoking any earlier live code of the same purpose. */
export async function issueCode(tx: Tx, keys: CodeKeys, req: IssueRequest): Promise<IssuedCode> {
  await tx.query(
    `UPDATE access_codes SET revoked_at = $3
     WHERE parcel_id = $1 AND purpose = $2 AND used_at IS NULL AND revoked_at IS NULL`,
    [req.parcelId, req.purpose, req.now],
  );
  const expiresAt = expiryFor(req.purpose, req.now, req.lifetimes);
  const siteKey = siteOfflineKey(keys.offlineKey, req.siteId);
  for (let attempt = 0; attempt < 8; attempt++) {
    const id = uuidv7();
    const code = makeKeypadCode(randomUint32);
    const r = await tx.query(
      `INSERT INTO access_codes (id, purpose, site_id, compartment_id, parcel_id, code_hash, offline_hash, holder, valid_from, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (site_id, code_hash) WHERE used_at IS NULL AND revoked_at IS NULL DO NOTHING`,
      [
        id,
        req.purpose,
        req.siteId,
        req.compartmentId,
        req.parcelId,
        hashCode(keys.hashKey, req.siteId, code),
        offlineCodeHash(siteKey, req.siteId, code),
        req.holder,
        req.now,
        expiresAt,
      ],
    );
    if (r.rowCount === 1) {
      const qrToken = signQr(keys, { cid: id, sid: req.siteId, p: req.purpose, exp: Math.floor(expiresAt.getTime() / 1000) });
      return { id, purpose: req.purpose, code, qrToken, expiresAt };
    }
  }
  throw new HubError(503, 'code_space_exhausted', 'could not issue a unique code for this site; try again');
}

export class CodeRefused extends HubError {
  constructor(readonly refusal: CodeRefusal, message: string) {
    super(refusal === 'locked_out' ? 429 : 400, refusal, message);
  }
}

export interface RedeemRequest {
  siteId: string;
  deviceId: string;
  requestId: string;
  via: 'keypad' | 'qr';
  code: string;
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

interface CodeRow {
  id: string;
  purpose: CodePurpose;
  siteId: string;
  parcelId: string;
  compartmentId: string;
  compartment: number;
  validFrom: Date;
  expiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
  commandId: string | null;
  usedByDevice: string | null;
  trackingNumber: string;
}

const CODE_SELECT = `SELECT c.id, c.purpose, c.site_id AS "siteId", c.parcel_id AS "parcelId", c.compartment_id AS "compartmentId",
  k.number AS compartment, c.valid_from AS "validFrom", c.expires_at AS "expiresAt", c.used_at AS "usedAt",
  c.revoked_at AS "revokedAt", c.command_id AS "commandId", c.used_by_device AS "usedByDevice",
  p.tracking_number AS "trackingNumber"
  FROM access_codes c JOIN compartments k ON k.id = c.compartment_id JOIN parcels p ON p.id = c.parcel_id`;

async function findCodeForRedeem(tx: Tx, keys: CodeKeys, req: RedeemRequest): Promise<CodeRow | null> {
  if (req.via === 'keypad') {
    if (!KeypadCode.safeParse(req.code).success) throw new CodeRefused('code_invalid', 'an open-code is 8 digits');
    // Live code first; otherwise the most recent one with that hash, to say "used" or "expired".
    const r = await tx.query<CodeRow>(
      `${CODE_SELECT} WHERE c.site_id = $1 AND c.code_hash = $2
       ORDER BY (c.used_at IS NULL AND c.revoked_at IS NULL) DESC, c.created_at DESC LIMIT 1 FOR UPDATE OF c`,
      [req.siteId, hashCode(keys.hashKey, req.siteId, req.code)],
    );
    return r.rows[0] ?? null;
  }
  const parsed = parseQrToken(req.code);
  if (!parsed || !verify(null, Buffer.from(parsed.signingInput), keys.qrPublicKey, parsed.signature)) {
    throw new CodeRefused('code_invalid', 'this QR code is not one of ours');
  }
  if (parsed.payload.sid !== req.siteId) return null;
  const r = await tx.query<CodeRow>(`${CODE_SELECT} WHERE c.id = $1 AND c.site_id = $2 FOR UPDATE OF c`, [
    parsed.payload.cid,
    req.siteId,
  ]);
  return r.rows[0] ?? null;
}

export async function redeemCode(tx: Tx, keys: CodeKeys, req: RedeemRequest): Promise<RedeemedCode> {
  const again = await tx.query<CodeRow>(`${CODE_SELECT} WHERE c.used_request_id = $1`, [req.requestId]);
  const prior = again.rows[0];
  if (prior) {
    if (prior.usedByDevice !== req.deviceId || !prior.commandId) throw new CodeRefused('code_used', 'this code has already been used');
    return {
      grant: { commandId: prior.commandId, compartment: prior.compartment, purpose: prior.purpose, trackingNumber: prior.trackingNumber, codeId: prior.id },
      codeId: prior.id,
      parcelId: prior.parcelId,
      compartmentId: prior.compartmentId,
      repeated: true,
    };
  }
  const row = await findCodeForRedeem(tx, keys, req);
  if (!row) throw new CodeRefused('code_invalid', 'no such code at this locker');
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
  await tx.query(
    `UPDATE access_codes SET used_at = $2, used_by_device = $3, command_id = $4, used_request_id = $5 WHERE id = $1`,
    [row.id, req.now, req.deviceId, commandId, req.requestId],
  );
  return {
    grant: { commandId, compartment: row.compartment, purpose: row.purpose, trackingNumber: row.trackingNumber, codeId: row.id },
    codeId: row.id,
    parcelId: row.parcelId,
    compartmentId: row.compartmentId,
    repeated: false,
  };
}
