// The exceptions slice's SQL: the list with each exception's parcel, site and actions, the parcels'
// custody trails with their actors' names (masked by the service), one exception locked for an
// action, its close, and the parcels the never-received timer looks at. Opening an exception is the
// shared store's (hub/src/store/exceptions.ts), since every slice does it.
import type { Db, Tx } from '../../store/db.js';

export interface ExceptionRow {
  id: string;
  kind: string;
  subject: string;
  parcelId: string | null;
  trackingNumber: string | null;
  parcelState: string | null;
  applicationId: string | null;
  siteId: string | null;
  siteCode: string | null;
  siteName: string | null;
  detail: Record<string, unknown>;
  openedAt: Date;
  lastSeenAt: Date;
  occurrences: number;
  closedAt: Date | null;
  closedByName: string | null;
  note: string | null;
}

export async function listExceptions(
  db: Db,
  f: { open: boolean | undefined; kind: string | undefined; limit: number; id?: string | undefined },
): Promise<ExceptionRow[]> {
  const r = await db.query<ExceptionRow>(
    `SELECT e.id, e.kind, e.subject, e.parcel_id AS "parcelId", p.tracking_number AS "trackingNumber", p.state AS "parcelState",
       e.application_id AS "applicationId", e.site_id AS "siteId", s.code AS "siteCode", s.name AS "siteName", e.detail,
       e.opened_at AS "openedAt", e.last_seen_at AS "lastSeenAt", e.occurrences, e.closed_at AS "closedAt",
       u.display_name AS "closedByName", e.note
     FROM exceptions e
     LEFT JOIN parcels p ON p.id = e.parcel_id
     LEFT JOIN sites s ON s.id = e.site_id
     LEFT JOIN users u ON u.id = e.closed_by
     WHERE ($1::boolean IS NULL OR (e.closed_at IS NULL) = $1) AND ($2::text IS NULL OR e.kind = $2) AND ($4::uuid IS NULL OR e.id = $4)
     ORDER BY e.opened_at, e.id
     LIMIT $3`,
    [f.open ?? null, f.kind ?? null, f.limit, f.id ?? null],
  );
  return r.rows;
}

export interface ActionRow {
  exceptionId: string;
  action: string;
  actorKind: string;
  actorName: string | null;
  note: string | null;
  result: Record<string, unknown>;
  at: Date;
}

export async function actionsOf(db: Db | Tx, exceptionIds: string[]): Promise<ActionRow[]> {
  if (exceptionIds.length === 0) return [];
  const r = await db.query<ActionRow>(
    `SELECT a.exception_id AS "exceptionId", a.action, a.actor_kind AS "actorKind", u.display_name AS "actorName", a.note, a.result, a.at
     FROM exception_actions a LEFT JOIN users u ON u.id = a.actor_id
     WHERE a.exception_id = ANY($1::uuid[]) ORDER BY a.at, a.id`,
    [exceptionIds],
  );
  return r.rows;
}

export interface TrailRow {
  parcelId: string;
  kind: string;
  fromState: string | null;
  toState: string;
  actorKind: string;
  actorId: string | null;
  /** the person's display name, when the actor is a person */
  actorName: string | null;
  siteCode: string | null;
  compartment: number | null;
  at: Date;
}

/** The custody trails of these parcels, each in its order. */
export async function custodyTrails(db: Db | Tx, parcelIds: string[]): Promise<TrailRow[]> {
  if (parcelIds.length === 0) return [];
  const r = await db.query<TrailRow>(
    `SELECT c.parcel_id AS "parcelId", c.kind, c.from_state AS "fromState", c.to_state AS "toState", c.actor_kind AS "actorKind",
       c.actor_id AS "actorId", u.display_name AS "actorName", s.code AS "siteCode", c.compartment, c.at
     FROM custody_events c
     LEFT JOIN users u ON c.actor_kind IN ('applicant', 'courier', 'staff', 'admin') AND u.id::text = c.actor_id
     LEFT JOIN sites s ON s.id = c.site_id
     WHERE c.parcel_id = ANY($1::uuid[]) ORDER BY c.parcel_id, c.seq`,
    [parcelIds],
  );
  return r.rows;
}

export interface LockedException {
  id: string;
  kind: string;
  parcelId: string | null;
  siteId: string | null;
  detail: Record<string, unknown>;
  closed: boolean;
}

export async function lockException(tx: Tx, id: string): Promise<LockedException | null> {
  const r = await tx.query<LockedException>(
    `SELECT id, kind, parcel_id AS "parcelId", site_id AS "siteId", detail, closed_at IS NOT NULL AS closed
     FROM exceptions WHERE id = $1 FOR UPDATE`,
    [id],
  );
  return r.rows[0] ?? null;
}

export async function closeException(tx: Tx, id: string, userId: string, note: string, at: Date): Promise<void> {
  await tx.query('UPDATE exceptions SET closed_at = $2, closed_by = $3, note = $4 WHERE id = $1', [id, at, userId, note]);
}

/**
 * Parcels `picked_up` (or results `returning`) since before `before` (when the custody event of that move says) with no
 * never_received exception yet: the timer's work, oldest first.
 */
export async function pickedUpBefore(db: Db, before: Date, limit = 500): Promise<Array<{ parcelId: string; pickedUpAt: Date }>> {
  const r = await db.query<{ parcelId: string; pickedUpAt: Date }>(
    `SELECT p.id AS "parcelId", c.at AS "pickedUpAt"
     FROM parcels p
     JOIN LATERAL (SELECT at FROM custody_events WHERE parcel_id = p.id AND to_state = p.state AND from_state IS DISTINCT FROM p.state
                   ORDER BY seq DESC LIMIT 1) c ON true
     WHERE p.state IN ('picked_up', 'returning') AND c.at <= $1
       AND NOT EXISTS (SELECT 1 FROM exceptions e WHERE e.kind = 'never_received' AND e.subject = 'parcel:' || p.id::text)
     ORDER BY c.at LIMIT ${limit}`,
    [before],
  );
  return r.rows;
}
