// The collect slice's SQL (ADR 0033): the delegates (委托代领) of a result and their codes, the notice
// that sealed a code for its applicant (what a resend sends again), how often a code was sent again,
// and the extensions of a result's hold.
import type { CodePurpose } from '@xinbao/protocol';
import type { Db, Tx } from '../../store/db.js';

export interface DelegateRow {
  id: string;
  parcelId: string;
  codeId: string;
  name: string;
  phone: string;
  createdAt: Date;
  revokedAt: Date | null;
  /** the delegate's code: when it expires, when it was used, when it died (revoked, or the other code collected) */
  expiresAt: Date;
  usedAt: Date | null;
  codeRevokedAt: Date | null;
}

const DELEGATE_SELECT = `SELECT d.id, d.parcel_id AS "parcelId", d.code_id AS "codeId", d.name, d.phone, d.created_at AS "createdAt",
  d.revoked_at AS "revokedAt", c.expires_at AS "expiresAt", c.used_at AS "usedAt", c.revoked_at AS "codeRevokedAt"
  FROM result_delegates d JOIN access_codes c ON c.id = d.code_id`;

export async function insertDelegate(
  tx: Tx,
  d: { id: string; parcelId: string; codeId: string; name: string; phone: string; createdBy: string; at: Date },
): Promise<void> {
  await tx.query(
    `INSERT INTO result_delegates (id, parcel_id, code_id, name, phone, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [d.id, d.parcelId, d.codeId, d.name, d.phone, d.createdBy, d.at],
  );
}

export async function delegatesOf(db: Db | Tx, parcelId: string): Promise<DelegateRow[]> {
  const r = await db.query<DelegateRow>(`${DELEGATE_SELECT} WHERE d.parcel_id = $1 ORDER BY d.created_at, d.id`, [parcelId]);
  return r.rows;
}

export async function lockDelegate(tx: Tx, parcelId: string, id: string): Promise<DelegateRow | null> {
  const r = await tx.query<DelegateRow>(`${DELEGATE_SELECT} WHERE d.parcel_id = $1 AND d.id = $2 FOR UPDATE OF d`, [parcelId, id]);
  return r.rows[0] ?? null;
}

export async function markDelegateRevoked(tx: Tx, id: string, at: Date): Promise<void> {
  await tx.query('UPDATE result_delegates SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [id, at]);
}

/** The delegate whose code this is, if it is a delegate's (the collection's evidence names them, masked). */
export async function delegateOfCode(db: Db | Tx, codeId: string): Promise<{ id: string; name: string } | null> {
  const r = await db.query<{ id: string; name: string }>('SELECT id, name FROM result_delegates WHERE code_id = $1', [codeId]);
  return r.rows[0] ?? null;
}

/** The ids of the parcel's delegate codes (not the applicant's own). */
export async function delegateCodeIds(db: Db | Tx, parcelId: string): Promise<Set<string>> {
  const r = await db.query<{ codeId: string }>('SELECT code_id AS "codeId" FROM result_delegates WHERE parcel_id = $1', [parcelId]);
  return new Set(r.rows.map((x) => x.codeId));
}

/** The notice that carried the applicant's code of this purpose, sealed (the pass's, or the locker's). */
export async function sealedCodeNotice(
  db: Db | Tx,
  parcelId: string,
  purpose: Extract<CodePurpose, 'deposit' | 'collect'>,
): Promise<{ id: string; details: Record<string, unknown> } | null> {
  const r = await db.query<{ id: string; details: Record<string, unknown> }>(
    `SELECT id, details FROM applicant_notices WHERE parcel_id = $1 AND kind = $2 AND details ? 'sealedCode'
     ORDER BY created_at DESC, id DESC LIMIT 1`,
    [parcelId, purpose === 'deposit' ? 'prereview_passed' : 'result_in_locker'],
  );
  return r.rows[0] ?? null;
}

/** How many times this code was sent again. */
export async function resendsOf(db: Db | Tx, parcelId: string, codeId: string): Promise<number> {
  const r = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM applicant_notices WHERE parcel_id = $1 AND kind = 'code_resent' AND details->>'codeId' = $2`,
    [parcelId, codeId],
  );
  return Number(r.rows[0]!.n);
}

export interface HoldRow {
  parcelId: string;
  siteId: string;
  compartmentId: string | null;
  holdUntil: Date;
  extensions: number;
  returnOrderedAt: Date | null;
}

const HOLD_SELECT = `SELECT parcel_id AS "parcelId", site_id AS "siteId", compartment_id AS "compartmentId", hold_until AS "holdUntil",
  extensions, return_ordered_at AS "returnOrderedAt" FROM result_holds`;

export async function lockHold(tx: Tx, parcelId: string): Promise<HoldRow | null> {
  const r = await tx.query<HoldRow>(`${HOLD_SELECT} WHERE parcel_id = $1 FOR UPDATE`, [parcelId]);
  return r.rows[0] ?? null;
}

export async function holdOf(db: Db | Tx, parcelId: string): Promise<HoldRow | null> {
  const r = await db.query<HoldRow>(`${HOLD_SELECT} WHERE parcel_id = $1`, [parcelId]);
  return r.rows[0] ?? null;
}

export async function extendHoldUntil(tx: Tx, parcelId: string, until: Date): Promise<void> {
  await tx.query('UPDATE result_holds SET hold_until = $2, extensions = extensions + 1 WHERE parcel_id = $1', [parcelId, until]);
}

/** The application's applicant (null: no such application), locked: one resend at a time. */
export async function lockApplicantOf(tx: Tx, applicationId: string): Promise<string | null> {
  const r = await tx.query<{ applicantId: string }>('SELECT applicant_id AS "applicantId" FROM applications WHERE id = $1 FOR UPDATE', [
    applicationId,
  ]);
  return r.rows[0]?.applicantId ?? null;
}
