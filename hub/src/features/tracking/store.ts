// Who follows a parcel: its application's applicant, and the parcel's tracking number.
import type { Db } from '../../store/db.js';

export interface ParcelFollower {
  applicantId: string;
  applicationId: string;
  trackingNumber: string;
  direction: 'inbound' | 'outbound';
}

export async function followerOfParcel(db: Db, parcelId: string): Promise<ParcelFollower | null> {
  const r = await db.query<ParcelFollower>(
    `SELECT a.applicant_id AS "applicantId", p.application_id AS "applicationId", p.tracking_number AS "trackingNumber", p.direction
       FROM parcels p JOIN applications a ON a.id = p.application_id
      WHERE p.id = $1`,
    [parcelId],
  );
  return r.rows[0] ?? null;
}

/** Who follows an application: its applicant. */
export async function applicantOfApplication(db: Db, applicationId: string): Promise<string | null> {
  const r = await db.query<{ applicantId: string }>(`SELECT applicant_id AS "applicantId" FROM applications WHERE id = $1`, [
    applicationId,
  ]);
  return r.rows[0]?.applicantId ?? null;
}
