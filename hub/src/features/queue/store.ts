// The processing queue's SQL: applications whose inbound parcel the hall has received and that
// await a decision (no result parcel yet), in the order they arrived (the `received_at_hall`
// custody event), and an application's inbound parcel for acceptance.
import type { Db, Tx } from '../../store/db.js';

export interface QueueRow {
  applicationId: string;
  parcelId: string;
  trackingNumber: string;
  matterCode: string;
  matterName: string;
  applicantName: string;
  receivedAt: Date;
  state: string;
}

export async function processingQueue(db: Db, f: { matter: string | undefined; limit: number }): Promise<QueueRow[]> {
  const r = await db.query<QueueRow>(
    `SELECT a.id AS "applicationId", p.id AS "parcelId", p.tracking_number AS "trackingNumber", m.code AS "matterCode",
       m.name AS "matterName", u.display_name AS "applicantName", rc.at AS "receivedAt", p.state
     FROM parcels p
     JOIN applications a ON a.id = p.application_id
     JOIN service_matters m ON m.id = a.matter_id
     JOIN users u ON u.id = a.applicant_id
     JOIN LATERAL (SELECT at FROM custody_events WHERE parcel_id = p.id AND kind = 'received_at_hall' ORDER BY seq DESC LIMIT 1) rc ON true
     WHERE p.direction = 'inbound' AND p.state IN ('received_at_hall', 'accepted')
       AND a.status IN ('submitted', 'accepted')
       AND NOT EXISTS (SELECT 1 FROM parcels o WHERE o.application_id = a.id AND o.direction = 'outbound')
       AND ($1::text IS NULL OR m.code = $1)
     ORDER BY rc.at, p.tracking_number
     LIMIT $2`,
    [f.matter ?? null, f.limit],
  );
  return r.rows;
}

/** The application's status, its row locked (the decision's order: the application, then its parcel); null when there is none. */
export async function lockApplicationStatus(tx: Tx, applicationId: string): Promise<string | null> {
  const r = await tx.query<{ status: string }>('SELECT status FROM applications WHERE id = $1 FOR UPDATE', [applicationId]);
  return r.rows[0]?.status ?? null;
}

/** Accepted (受理): the application's own status follows its inbound parcel, in the same transaction. */
export async function markApplicationAccepted(tx: Tx, applicationId: string): Promise<void> {
  await tx.query(`UPDATE applications SET status = 'accepted' WHERE id = $1`, [applicationId]);
}

export async function inboundParcelId(tx: Tx, applicationId: string): Promise<string | null> {
  const r = await tx.query<{ id: string }>(`SELECT id FROM parcels WHERE application_id = $1 AND direction = 'inbound'`, [applicationId]);
  return r.rows[0]?.id ?? null;
}

/** When, and by whom (display name), the parcel was accepted; null when it was not. */
export async function acceptance(tx: Tx, parcelId: string): Promise<{ at: Date; byName: string | null } | null> {
  const r = await tx.query<{ at: Date; byName: string | null }>(
    `SELECT c.at, u.display_name AS "byName" FROM custody_events c
     LEFT JOIN users u ON c.actor_kind IN ('staff', 'admin') AND u.id::text = c.actor_id
     WHERE c.parcel_id = $1 AND c.kind = 'accepted' ORDER BY c.seq DESC LIMIT 1`,
    [parcelId],
  );
  return r.rows[0] ?? null;
}
