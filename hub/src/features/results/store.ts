// The results slice's SQL: the application as the decision sees it, the decision itself, the
// courier orders that carry a result (delivery to a kiosk, mail to an address, the pickup that
// returns it), results held in lockers (for the timers) and the applicant's notices outbox.
import { v7 as uuidv7 } from 'uuid';
import type { CompartmentSize } from '../../domain/compartments.js';
import type { ReturnChannel } from '../../domain/results.js';
import type { Db, Tx } from '../../store/db.js';
import type { Parcel } from '../../store/parcels.js';

export interface DecidedApplication {
  id: string;
  applicantId: string;
  applicantName: string;
  applicantPhone: string | null;
  status: string;
  /** 资料预审 (ADR 0027): a decision waits for a pass */
  prereview: string;
  channelOut: string;
  returnSiteId: string | null;
  returnAddress: string | null;
  matterCode: string;
  matterName: string;
  parcelSize: CompartmentSize;
  /** an accessible (low) compartment asked for the result (ADR 0033) */
  accessibleReturn: boolean;
}

/** The application, locked: one decision at a time. */
export async function lockApplication(tx: Tx, id: string): Promise<DecidedApplication | null> {
  const r = await tx.query<DecidedApplication>(
    `SELECT a.id, a.applicant_id AS "applicantId", u.display_name AS "applicantName", u.phone AS "applicantPhone", a.status, a.prereview,
       a.channel_out AS "channelOut", a.return_site_id AS "returnSiteId", a.return_address AS "returnAddress",
       m.code AS "matterCode", m.name AS "matterName", m.parcel_size AS "parcelSize",
       a.accessible_return AS "accessibleReturn"
     FROM applications a JOIN service_matters m ON m.id = a.matter_id JOIN users u ON u.id = a.applicant_id
     WHERE a.id = $1 FOR UPDATE OF a`,
    [id],
  );
  return r.rows[0] ?? null;
}

export async function recordDecision(
  tx: Tx,
  d: { applicationId: string; status: 'approved' | 'rejected'; by: string; note: string | null; at: Date },
): Promise<void> {
  await tx.query('UPDATE applications SET status = $2, decided_by = $3, decision_note = $4, decided_at = $5 WHERE id = $1', [
    d.applicationId,
    d.status,
    d.by,
    d.note,
    d.at,
  ]);
}

export async function setReturnChannel(tx: Tx, applicationId: string, channel: ReturnChannel, address: string | null): Promise<void> {
  await tx.query('UPDATE applications SET channel_out = $2, return_address = coalesce($3, return_address) WHERE id = $1', [
    applicationId,
    channel,
    address,
  ]);
}

export async function parcelOf(tx: Tx, applicationId: string, direction: 'inbound' | 'outbound'): Promise<Parcel | null> {
  const r = await tx.query<Parcel>(
    `SELECT id, application_id AS "applicationId", direction, tracking_number AS "trackingNumber", state,
       site_id AS "siteId", compartment_id AS "compartmentId" FROM parcels WHERE application_id = $1 AND direction = $2`,
    [applicationId, direction],
  );
  return r.rows[0] ?? null;
}

export interface ReturnSite {
  id: string;
  code: string;
  name: string;
  address: string;
  district: string;
  lat: number;
  lng: number;
  network: string;
  retired: boolean;
}

export async function findReturnSite(db: Db | Tx, siteId: string): Promise<ReturnSite | null> {
  const r = await db.query<ReturnSite>(
    `SELECT id, code, name, address, district, lat, lng, network, retired_at IS NOT NULL AS retired FROM sites WHERE id = $1`,
    [siteId],
  );
  return r.rows[0] ?? null;
}

// ---- courier orders that carry a result

export type ResultOrderKind = 'delivery' | 'mail' | 'pickup';

export interface ResultOrder {
  id: string;
  kind: ResultOrderKind;
  status: string;
  siteId: string | null;
  compartmentId: string | null;
  destination: string | null;
  /** the code given with the order, sealed (ADR 0029), and when it first went out: a retried send gives the same one */
  codeEnc: Buffer | null;
  codeSentAt: Date | null;
}

/** The parcel's order of this kind, opened now (or the standing one, pointed at the new place); its id. */
export async function openResultOrder(
  tx: Tx,
  o: { parcelId: string; kind: ResultOrderKind; siteId: string | null; compartmentId: string | null; destination: string | null },
): Promise<string> {
  const r = await tx.query<{ id: string }>(
    `INSERT INTO courier_orders (id, parcel_id, kind, site_id, compartment_id, status, destination)
     VALUES ($1, $2, $3, $4, $5, 'creating', $6)
     ON CONFLICT (parcel_id, kind) DO UPDATE SET site_id = $4, compartment_id = $5, destination = $6, status = 'creating',
       dispatch_ref = NULL, code_id = NULL, code_enc = NULL, code_sent_at = NULL, updated_at = now()
     RETURNING id`,
    [uuidv7(), o.parcelId, o.kind, o.siteId, o.compartmentId, o.destination],
  );
  return r.rows[0]!.id;
}

const RESULT_ORDER = `SELECT id, kind, status, site_id AS "siteId", compartment_id AS "compartmentId", destination,
    code_enc AS "codeEnc", code_sent_at AS "codeSentAt"
  FROM courier_orders WHERE parcel_id = $1 AND kind = $2`;

export async function findResultOrder(db: Db | Tx, parcelId: string, kind: ResultOrderKind): Promise<ResultOrder | null> {
  return (await db.query<ResultOrder>(RESULT_ORDER, [parcelId, kind])).rows[0] ?? null;
}

/** The parcel's order of this kind, its row locked (taken before the parcel's, as every courier path does). */
export async function lockResultOrder(tx: Tx, parcelId: string, kind: ResultOrderKind): Promise<ResultOrder | null> {
  return (await tx.query<ResultOrder>(`${RESULT_ORDER} FOR UPDATE`, [parcelId, kind])).rows[0] ?? null;
}

export async function markResultOrderDone(tx: Tx, parcelId: string, kind: ResultOrderKind, at: Date): Promise<void> {
  await tx.query(`UPDATE courier_orders SET status = 'done', updated_at = $3, code_enc = NULL WHERE parcel_id = $1 AND kind = $2`, [
    parcelId,
    kind,
    at,
  ]);
}

/** Result orders opened but not yet with the courier system (a crash between commit and enqueue): the sweep queues them again. */
export async function creatingResultOrders(db: Db, before: Date, limit = 200): Promise<Array<{ parcelId: string; kind: ResultOrderKind }>> {
  const r = await db.query<{ parcelId: string; kind: ResultOrderKind }>(
    `SELECT o.parcel_id AS "parcelId", o.kind FROM courier_orders o JOIN parcels p ON p.id = o.parcel_id
     WHERE p.direction = 'outbound' AND o.status = 'creating' AND o.updated_at < $1 ORDER BY o.updated_at LIMIT $2`,
    [before, limit],
  );
  return r.rows;
}

// ---- results held in lockers

export interface ResultHold {
  parcelId: string;
  siteId: string;
  /** null in a partner locker (partnerCompartmentNo says which) */
  compartmentId: string | null;
  partnerCompartmentNo?: number | null;
  inLockerAt: Date;
  holdUntil: Date;
  returnReason: 'holding_period_over' | 'switched' | null;
}

const HOLD_COLUMNS = `parcel_id AS "parcelId", site_id AS "siteId", compartment_id AS "compartmentId", in_locker_at AS "inLockerAt",
  hold_until AS "holdUntil", return_reason AS "returnReason"`;

export async function insertHold(tx: Tx, h: Omit<ResultHold, 'returnReason'>): Promise<void> {
  await tx.query(
    `INSERT INTO result_holds (parcel_id, site_id, compartment_id, partner_compartment_no, in_locker_at, hold_until)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (parcel_id) DO NOTHING`,
    [h.parcelId, h.siteId, h.compartmentId, h.partnerCompartmentNo ?? null, h.inLockerAt, h.holdUntil],
  );
}

export async function findHold(db: Db | Tx, parcelId: string): Promise<ResultHold | null> {
  const r = await db.query<ResultHold>(`SELECT ${HOLD_COLUMNS} FROM result_holds WHERE parcel_id = $1`, [parcelId]);
  return r.rows[0] ?? null;
}

export async function markReturnOrdered(tx: Tx, parcelId: string, reason: 'holding_period_over' | 'switched', at: Date): Promise<void> {
  await tx.query('UPDATE result_holds SET return_reason = $2, return_ordered_at = $3 WHERE parcel_id = $1', [parcelId, reason, at]);
}

/**
 * Held results (no return ordered yet) that something may be due for at `now`: past the first
 * reminder without it, near the end without the second, or past the end.
 */
export async function holdsToLookAt(
  db: Db,
  now: Date,
  t: { remindAfterHours: number; remindBeforeHours: number },
  limit = 500,
): Promise<ResultHold[]> {
  const r = await db.query<ResultHold>(
    `SELECT ${HOLD_COLUMNS} FROM result_holds h
     WHERE h.return_ordered_at IS NULL AND (
       h.hold_until <= $1
       OR (h.in_locker_at + make_interval(secs => $2) <= $1
           AND NOT EXISTS (SELECT 1 FROM applicant_notices n WHERE n.parcel_id = h.parcel_id AND n.kind = 'result_reminder_collect'))
       OR (h.hold_until - make_interval(secs => $3) <= $1
           AND NOT EXISTS (SELECT 1 FROM applicant_notices n WHERE n.parcel_id = h.parcel_id AND n.kind = 'result_reminder_return')))
     ORDER BY h.hold_until LIMIT $4`,
    [now, t.remindAfterHours * 3600, t.remindBeforeHours * 3600, limit],
  );
  return r.rows;
}

// ---- the notices outbox

export type ResultNoticeKind =
  | 'application_rejected'
  | 'result_at_counter'
  | 'result_mailed'
  | 'result_delivered'
  | 'result_in_locker'
  | 'result_reminder_collect'
  | 'result_reminder_return'
  | 'result_returning'
  | 'result_collected';

/** Records a notice unless the parcel (or, without a parcel, the application) has one of its kind already; whether it did. */
export async function insertResultNotice(
  tx: Tx,
  n: {
    applicantId: string;
    applicationId: string;
    parcelId: string | null;
    kind: ResultNoticeKind;
    message: string;
    details: object;
    at: Date;
  },
): Promise<boolean> {
  const r = await tx.query(
    `INSERT INTO applicant_notices (id, applicant_id, application_id, parcel_id, kind, message, details, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
    [uuidv7(), n.applicantId, n.applicationId, n.parcelId, n.kind, n.message, JSON.stringify(n.details), n.at],
  );
  return (r.rowCount ?? 0) > 0;
}

export interface ApplicantNotice {
  id: string;
  kind: string;
  applicationId: string;
  parcelId: string | null;
  trackingNumber: string | null;
  parcelState: string | null;
  message: string;
  details: Record<string, unknown>;
  createdAt: Date;
  sentAt: Date | null;
}

export async function noticesOfApplicant(db: Db, applicantId: string, limit = 200): Promise<ApplicantNotice[]> {
  const r = await db.query<ApplicantNotice>(
    `SELECT n.id, n.kind, n.application_id AS "applicationId", n.parcel_id AS "parcelId", p.tracking_number AS "trackingNumber",
       p.state AS "parcelState", n.message, n.details, n.created_at AS "createdAt", n.sent_at AS "sentAt"
     FROM applicant_notices n LEFT JOIN parcels p ON p.id = n.parcel_id
     WHERE n.applicant_id = $1 ORDER BY n.created_at DESC, n.id DESC LIMIT $2`,
    [applicantId, limit],
  );
  return r.rows;
}

/** The applicant of the application a parcel belongs to, and the application's return channel. */
export interface ResultOwner {
  applicantId: string;
  applicationId: string;
  channelOut: string;
  returnAddress: string | null;
  applicantName: string;
  /** the phone the applicant's codes are tied to (their second factor, ADR 0018), if any */
  applicantPhone: string | null;
  matterName: string;
}

export async function ownerOfParcel(db: Db | Tx, parcelId: string): Promise<ResultOwner | null> {
  const r = await db.query<ResultOwner>(
    `SELECT a.applicant_id AS "applicantId", a.id AS "applicationId", a.channel_out AS "channelOut", a.return_address AS "returnAddress",
       u.display_name AS "applicantName", u.phone AS "applicantPhone", m.name AS "matterName"
     FROM parcels p JOIN applications a ON a.id = p.application_id JOIN users u ON u.id = a.applicant_id
       JOIN service_matters m ON m.id = a.matter_id
     WHERE p.id = $1`,
    [parcelId],
  );
  return r.rows[0] ?? null;
}

/** The parcel's place at a site (a result reserved a compartment there). */
export async function placeResult(tx: Tx, parcelId: string, siteId: string, compartmentId: string | null): Promise<void> {
  await tx.query('UPDATE parcels SET site_id = $2, compartment_id = $3 WHERE id = $1', [parcelId, siteId, compartmentId]);
}

export async function compartmentNumberOf(tx: Tx, compartmentId: string): Promise<number> {
  return (await tx.query<{ number: number }>('SELECT number FROM compartments WHERE id = $1', [compartmentId])).rows[0]!.number;
}
