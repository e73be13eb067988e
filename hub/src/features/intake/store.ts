// SQL of the intake desk: the scans that wrote something (migration 011), the first receipt of a
// parcel, and the parcel as the desk shows it (matter, masked applicant).
import { v7 as uuidv7 } from 'uuid';
import type { EnvelopeCondition } from '../../domain/intake-scan.js';
import type { Db, Tx } from '../../store/db.js';

export interface IntakeScanRow {
  trackingNumber: string;
  parcelId: string | null;
  result: 'received' | 'unannounced';
  condition: EnvelopeCondition;
  note: string | null;
  staffId: string;
  scannedAt: Date;
  parcelState: string | null;
  flagged: boolean;
}

/** Writes the scan, or nothing when its parcel already has a receipt / its number an unannounced record. */
export async function insertScan(tx: Tx, s: IntakeScanRow): Promise<boolean> {
  const r = await tx.query(
    `INSERT INTO intake_scans (id, tracking_number, parcel_id, result, condition, note, staff_id, scanned_at, parcel_state, flagged)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT DO NOTHING`,
    [uuidv7(), s.trackingNumber, s.parcelId, s.result, s.condition, s.note, s.staffId, s.scannedAt, s.parcelState, s.flagged],
  );
  return r.rowCount === 1;
}

export interface FirstScan {
  at: Date;
  staffName: string;
}

/** When and by whom the parcel was received at the hall (its custody event, whichever route wrote it; a result: back from its locker). */
export async function firstReceipt(db: Db | Tx, parcelId: string): Promise<FirstScan | null> {
  const r = await db.query<FirstScan>(
    `SELECT c.at, coalesce(u.display_name, '') AS "staffName"
     FROM custody_events c LEFT JOIN users u ON u.id::text = c.actor_id
     WHERE c.parcel_id = $1 AND c.kind IN ('received_at_hall', 'returned_to_hall') ORDER BY c.seq LIMIT 1`,
    [parcelId],
  );
  return r.rows[0] ?? null;
}

export async function unannouncedRecord(db: Db | Tx, trackingNumber: string): Promise<FirstScan | null> {
  const r = await db.query<FirstScan>(
    `SELECT s.scanned_at AS at, u.display_name AS "staffName"
     FROM intake_scans s JOIN users u ON u.id = s.staff_id
     WHERE s.tracking_number = $1 AND s.result = 'unannounced'`,
    [trackingNumber],
  );
  return r.rows[0] ?? null;
}

export interface DeskParcelFacts {
  matterCode: string;
  matterName: string;
  applicantName: string;
}

export async function deskParcelFacts(db: Db | Tx, applicationId: string): Promise<DeskParcelFacts> {
  const r = await db.query<DeskParcelFacts>(
    `SELECT m.code AS "matterCode", m.name AS "matterName", u.display_name AS "applicantName"
     FROM applications a JOIN service_matters m ON m.id = a.matter_id JOIN users u ON u.id = a.applicant_id
     WHERE a.id = $1`,
    [applicationId],
  );
  if (!r.rows[0]) throw new Error(`application ${applicationId} has no matter or applicant`);
  return r.rows[0];
}
