// Access codes in PostgreSQL: issuing (with the unique live hash per site), redeeming (each code row
// locked while it is judged), offline use, the sync snapshot kiosks pull, and the door cycle a used
// code opens (command id, resolved when its door closes or fails).
import type { CodePurpose } from '@xinbao/protocol';
import type { Db, Tx } from '../../store/db.js';

export interface NewCode {
  id: string;
  purpose: CodePurpose;
  siteId: string;
  compartmentId: string;
  parcelId: string;
  codeHash: Buffer;
  offlineHash: Buffer;
  /** HMAC of code and second factor under the code key (ADR 0018) */
  factorHash: Buffer;
  /** HMAC of code and second factor under the site's offline key, for the site's kiosks */
  offlineKeypadHash: Buffer;
  factorKind: 'phone' | 'pin';
  holder: 'applicant' | 'courier';
  validFrom: Date;
  expiresAt: Date;
}

/** Revokes the parcel's live codes of this purpose (a fresh one replaces them). */
export async function revokeLiveCodes(tx: Tx, parcelId: string, purpose: CodePurpose, at: Date): Promise<void> {
  await tx.query(
    `UPDATE access_codes SET revoked_at = $3
     WHERE parcel_id = $1 AND purpose = $2 AND used_at IS NULL AND revoked_at IS NULL`,
    [parcelId, purpose, at],
  );
}

/** Revokes one code if it is still live (the sync trigger tells the site's kiosks); whether it did. */
export async function revokeCode(tx: Tx, codeId: string, at: Date): Promise<boolean> {
  const r = await tx.query('UPDATE access_codes SET revoked_at = $2 WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL', [
    codeId,
    at,
  ]);
  return (r.rowCount ?? 0) > 0;
}

/** Revokes the parcel's live codes of this purpose except one (the one just used); how many. */
export async function revokeOtherLiveCodes(tx: Tx, parcelId: string, purpose: CodePurpose, keepId: string, at: Date): Promise<number> {
  const r = await tx.query(
    `UPDATE access_codes SET revoked_at = $4
     WHERE parcel_id = $1 AND purpose = $2 AND id <> $3 AND used_at IS NULL AND revoked_at IS NULL`,
    [parcelId, purpose, keepId, at],
  );
  return r.rowCount ?? 0;
}

export interface LiveCode {
  id: string;
  siteId: string;
  compartmentId: string;
  expiresAt: Date;
}

/** The parcel's live (unused, unrevoked, unexpired) codes of this purpose, oldest first, locked. */
export async function lockLiveCodes(tx: Tx, parcelId: string, purpose: CodePurpose, now: Date): Promise<LiveCode[]> {
  const r = await tx.query<LiveCode>(
    `SELECT id, site_id AS "siteId", compartment_id AS "compartmentId", expires_at AS "expiresAt" FROM access_codes
     WHERE parcel_id = $1 AND purpose = $2 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $3
     ORDER BY created_at, id FOR UPDATE`,
    [parcelId, purpose, now],
  );
  return r.rows;
}

/** Moves a code's expiry (the sync trigger tells the site's kiosks the new one). */
export async function setCodeExpiry(tx: Tx, codeId: string, expiresAt: Date): Promise<void> {
  await tx.query('UPDATE access_codes SET expires_at = $2 WHERE id = $1', [codeId, expiresAt]);
}

/** Inserts the code unless a live code of its site has the same hash; true when inserted. */
export async function insertCode(tx: Tx, c: NewCode): Promise<boolean> {
  const r = await tx.query(
    `INSERT INTO access_codes (id, purpose, site_id, compartment_id, parcel_id, code_hash, offline_hash, factor_hash, offline_keypad_hash,
       factor_kind, holder, valid_from, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
     ON CONFLICT (site_id, code_hash) WHERE used_at IS NULL AND revoked_at IS NULL DO NOTHING`,
    [
      c.id,
      c.purpose,
      c.siteId,
      c.compartmentId,
      c.parcelId,
      c.codeHash,
      c.offlineHash,
      c.factorHash,
      c.offlineKeypadHash,
      c.factorKind,
      c.holder,
      c.validFrom,
      c.expiresAt,
    ],
  );
  return r.rowCount === 1;
}

export interface CodeRow {
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
  /** used at a kiosk without the hub (learnt from its replayed journal) */
  usedOffline: boolean;
  /** when the door cycle its use opened was closed and accounted for */
  resolvedAt: Date | null;
  trackingNumber: string;
}

const CODE_SELECT = `SELECT c.id, c.purpose, c.site_id AS "siteId", c.parcel_id AS "parcelId", c.compartment_id AS "compartmentId",
  k.number AS compartment, c.valid_from AS "validFrom", c.expires_at AS "expiresAt", c.used_at AS "usedAt",
  c.revoked_at AS "revokedAt", c.command_id AS "commandId", c.used_by_device AS "usedByDevice",
  c.used_offline AS "usedOffline", c.resolved_at AS "resolvedAt", p.tracking_number AS "trackingNumber"
  FROM access_codes c JOIN compartments k ON k.id = c.compartment_id JOIN parcels p ON p.id = c.parcel_id`;

/** The code a redeem request already used, if it did (a retried request). */
export async function findCodeUsedByRequest(tx: Tx, requestId: string): Promise<CodeRow | null> {
  const r = await tx.query<CodeRow>(`${CODE_SELECT} WHERE c.used_request_id = $1`, [requestId]);
  return r.rows[0] ?? null;
}

/**
 * The site's live code with this code hash and this code+factor hash, or else the most recent one
 * (to say "used" or "expired"); locked. A code without a factor hash (issued before ADR 0018) is
 * never found here: it opens by its QR form only.
 */
export async function lockCodeByKeypad(tx: Tx, siteId: string, pair: { codeHash: Buffer; factorHash: Buffer }): Promise<CodeRow | null> {
  const r = await tx.query<CodeRow>(
    `${CODE_SELECT} WHERE c.site_id = $1 AND c.code_hash = $2 AND c.factor_hash = $3
     ORDER BY (c.used_at IS NULL AND c.revoked_at IS NULL) DESC, c.created_at DESC LIMIT 1 FOR UPDATE OF c`,
    [siteId, pair.codeHash, pair.factorHash],
  );
  return r.rows[0] ?? null;
}

export async function lockCodeById(tx: Tx, siteId: string, codeId: string): Promise<CodeRow | null> {
  const r = await tx.query<CodeRow>(`${CODE_SELECT} WHERE c.id = $1 AND c.site_id = $2 FOR UPDATE OF c`, [codeId, siteId]);
  return r.rows[0] ?? null;
}

export async function markCodeUsed(
  tx: Tx,
  codeId: string,
  u: { at: Date; deviceId: string; commandId: string; requestId: string },
): Promise<void> {
  await tx.query(`UPDATE access_codes SET used_at = $2, used_by_device = $3, command_id = $4, used_request_id = $5 WHERE id = $1`, [
    codeId,
    u.at,
    u.deviceId,
    u.commandId,
    u.requestId,
  ]);
}

// ---- offline codes (ADR 0008)

export interface SyncRow {
  codeId: string;
  offlineHash: Buffer | null;
  offlineKeypadHash: Buffer | null;
  compartment: number;
  purpose: CodePurpose;
  trackingNumber: string;
  validFrom: Date;
  expiresAt: Date;
  live: boolean;
}

export async function siteCodeVersion(db: Db | Tx, siteId: string): Promise<number> {
  const v = await db.query<{ version: string }>('SELECT version FROM site_code_versions WHERE site_id = $1', [siteId]);
  return Number(v.rows[0]?.version ?? 0);
}

/** The site's live codes (since null), or every code changed after the version `since`; never a courier visit's code (ADR 0023: a visit needs the hub). */
export async function codesForSync(db: Db | Tx, siteId: string, now: Date, since: number | null): Promise<SyncRow[]> {
  const rows = await db.query<SyncRow>(
    `SELECT c.id AS "codeId", c.offline_hash AS "offlineHash", c.offline_keypad_hash AS "offlineKeypadHash", k.number AS compartment, c.purpose,
       p.tracking_number AS "trackingNumber", c.valid_from AS "validFrom", c.expires_at AS "expiresAt",
       (c.used_at IS NULL AND c.revoked_at IS NULL AND c.expires_at > $2) AS live
     FROM access_codes c JOIN compartments k ON k.id = c.compartment_id JOIN parcels p ON p.id = c.parcel_id
     WHERE c.site_id = $1 AND c.visit_id IS NULL AND ${since === null ? 'c.used_at IS NULL AND c.revoked_at IS NULL AND c.expires_at > $2' : 'c.sync_version > $3'}
     ORDER BY c.sync_version`,
    since === null ? [siteId, now] : [siteId, now, since],
  );
  return rows.rows;
}

export interface UsedCodeRow {
  id: string;
  purpose: CodePurpose;
  parcelId: string;
  compartment: number;
  validFrom: Date;
  expiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
  usedByDevice: string | null;
  commandId: string | null;
  resolvedAt: Date | null;
}

export async function lockCodeForOfflineUse(tx: Tx, codeId: string, siteId: string): Promise<UsedCodeRow | null> {
  const r = await tx.query<UsedCodeRow>(
    `SELECT c.id, c.purpose, c.parcel_id AS "parcelId", k.number AS compartment, c.valid_from AS "validFrom",
       c.expires_at AS "expiresAt", c.used_at AS "usedAt", c.revoked_at AS "revokedAt", c.used_by_device AS "usedByDevice",
       c.command_id AS "commandId", c.resolved_at AS "resolvedAt"
     FROM access_codes c JOIN compartments k ON k.id = c.compartment_id
     WHERE c.id = $1 AND c.site_id = $2 FOR UPDATE OF c`,
    [codeId, siteId],
  );
  return r.rows[0] ?? null;
}

export async function markCodeUsedOffline(tx: Tx, codeId: string, u: { at: Date; deviceId: string; commandId: string }): Promise<void> {
  await tx.query('UPDATE access_codes SET used_at = $2, used_by_device = $3, command_id = $4, used_offline = true WHERE id = $1', [
    codeId,
    u.at,
    u.deviceId,
    u.commandId,
  ]);
}

/** The kiosk's own offline command is the one that ran: door events are matched to it. */
export async function rebindCommandOffline(tx: Tx, codeId: string, commandId: string): Promise<void> {
  await tx.query('UPDATE access_codes SET command_id = $2, used_offline = true WHERE id = $1', [codeId, commandId]);
}

// ---- door cycles

export async function lockCodeByCommand(tx: Tx, commandId: string): Promise<{ id: string; parcelId: string } | null> {
  const r = await tx.query<{ id: string; parcelId: string }>(
    'SELECT id, parcel_id AS "parcelId" FROM access_codes WHERE command_id = $1 FOR UPDATE',
    [commandId],
  );
  return r.rows[0] ?? null;
}

/** The used code whose door cycle at this compartment is still open (the latest), locked. */
export async function lockOpenDoorCycle(
  tx: Tx,
  compartmentId: string,
): Promise<{ id: string; purpose: CodePurpose; parcelId: string; number: number; commandId: string | null } | null> {
  const r = await tx.query<{ id: string; purpose: CodePurpose; parcelId: string; number: number; commandId: string | null }>(
    `SELECT c.id, c.purpose, c.parcel_id AS "parcelId", k.number, c.command_id AS "commandId" FROM access_codes c JOIN compartments k ON k.id = c.compartment_id
     WHERE c.compartment_id = $1 AND c.used_at IS NOT NULL AND c.resolved_at IS NULL
     ORDER BY c.used_at DESC LIMIT 1 FOR UPDATE OF c`,
    [compartmentId],
  );
  return r.rows[0] ?? null;
}

export async function resolveDoorCycle(tx: Tx, codeId: string, at: Date): Promise<void> {
  await tx.query('UPDATE access_codes SET resolved_at = $2 WHERE id = $1', [codeId, at]);
}

/** A new door cycle at another compartment: the old cycle's resolution no longer closes this code. */
export async function moveCodeToCompartment(tx: Tx, codeId: string, compartmentId: string, commandId: string): Promise<void> {
  await tx.query('UPDATE access_codes SET compartment_id = $2, command_id = $3, resolved_at = NULL WHERE id = $1', [
    codeId,
    compartmentId,
    commandId,
  ]);
}

// ---- giving a code back (ADR 0014)

export interface SpentCode {
  id: string;
  purpose: CodePurpose;
  siteId: string;
  parcelId: string;
  compartmentId: string;
  holder: 'applicant' | 'courier';
  usedAt: Date | null;
  revokedAt: Date | null;
  commandId: string | null;
  usedByDevice: string | null;
}

export async function lockSpentCode(tx: Tx, codeId: string): Promise<SpentCode | null> {
  const r = await tx.query<SpentCode>(
    `SELECT id, purpose, site_id AS "siteId", parcel_id AS "parcelId", compartment_id AS "compartmentId", holder,
       used_at AS "usedAt", revoked_at AS "revokedAt", command_id AS "commandId", used_by_device AS "usedByDevice"
     FROM access_codes WHERE id = $1 FOR UPDATE`,
    [codeId],
  );
  return r.rows[0] ?? null;
}

/**
 * Makes a spent code live again, as it was before its grant (the sync trigger tells the site's
 * kiosks). False, changing nothing, when another live code of its site has the same hash now (one
 * issued since the code was spent), so that the code cannot be given back as it is.
 */
export async function restoreCode(tx: Tx, codeId: string): Promise<boolean> {
  const r = await tx.query(
    `UPDATE access_codes c SET used_at = NULL, used_by_device = NULL, command_id = NULL, used_request_id = NULL,
       resolved_at = NULL, used_offline = false
     WHERE c.id = $1 AND c.used_at IS NOT NULL AND NOT EXISTS (
       SELECT 1 FROM access_codes o WHERE o.site_id = c.site_id AND o.code_hash = c.code_hash AND o.id <> c.id
         AND o.used_at IS NULL AND o.revoked_at IS NULL)`,
    [codeId],
  );
  return r.rowCount === 1;
}

/** Spends a given-back code again for the command that (late evidence says) did open its door. */
export async function spendCodeAgain(tx: Tx, codeId: string, u: { at: Date; deviceId: string; commandId: string }): Promise<void> {
  await tx.query(
    `UPDATE access_codes SET used_at = $2, used_by_device = $3, command_id = $4, resolved_at = NULL
     WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL`,
    [codeId, u.at, u.deviceId, u.commandId],
  );
}

// ---- keypad brute-force alarms (ADR 0015)

export interface CodeBurstAlarm {
  id: string;
  siteId: string;
  deviceId: string;
  siteFailures: number;
  deviceFailures: number;
  waitMs: number;
  at: Date;
}

export async function insertCodeBurstAlarm(db: Db | Tx, a: CodeBurstAlarm): Promise<void> {
  await db.query(
    `INSERT INTO code_attempt_alarms (id, site_id, device_id, site_failures, device_failures, wait_ms, at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [a.id, a.siteId, a.deviceId, a.siteFailures, a.deviceFailures, a.waitMs, a.at],
  );
}

// ---- courier visit codes (ADR 0023): one code row per visit, moved from door to door

export async function setCodeVisit(tx: Tx, codeId: string, visitId: string): Promise<void> {
  await tx.query('UPDATE access_codes SET visit_id = $2 WHERE id = $1', [codeId, visitId]);
}

export async function codeVisit(tx: Tx, codeId: string): Promise<string | null> {
  const r = await tx.query<{ visitId: string | null }>('SELECT visit_id AS "visitId" FROM access_codes WHERE id = $1', [codeId]);
  return r.rows[0]?.visitId ?? null;
}

/**
 * The visit's code opens its next door: the row now names that door's compartment and parcel and the
 * new command (spent by this kiosk now; its door cycle open again).
 */
export async function moveCodeToDoor(
  tx: Tx,
  codeId: string,
  d: { compartmentId: string; parcelId: string; commandId: string; deviceId: string; at: Date },
): Promise<void> {
  await tx.query(
    `UPDATE access_codes SET compartment_id = $2, parcel_id = $3, command_id = $4, used_by_device = $5, used_at = coalesce(used_at, $6),
       resolved_at = NULL WHERE id = $1`,
    [codeId, d.compartmentId, d.parcelId, d.commandId, d.deviceId, d.at],
  );
}

/** What a code's QR token signs (its id, site, purpose and expiry); never the code. */
export async function codeForQr(db: Db | Tx, codeId: string): Promise<{ siteId: string; purpose: CodePurpose; expiresAt: Date } | null> {
  const r = await db.query<{ siteId: string; purpose: CodePurpose; expiresAt: Date }>(
    'SELECT site_id AS "siteId", purpose, expires_at AS "expiresAt" FROM access_codes WHERE id = $1',
    [codeId],
  );
  return r.rows[0] ?? null;
}
