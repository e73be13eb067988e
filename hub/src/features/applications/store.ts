// The applications slice's SQL: service matters, applications, the sites an applicant chooses and
// the views the applicant follows (parcels by application, the owner of a parcel's application).
import type { CompartmentSize } from '../../domain/compartments.js';
import type { Db, Tx } from '../../store/db.js';
import type { Parcel } from '../../store/parcels.js';

export interface Matter {
  id: string;
  name: string;
  channels: string[];
  parcelSize: CompartmentSize;
}

export async function findMatter(tx: Tx, code: string): Promise<Matter | null> {
  const r = await tx.query<Matter>(`SELECT id, name, channels, parcel_size AS "parcelSize" FROM service_matters WHERE code = $1`, [code]);
  return r.rows[0] ?? null;
}

export interface MatterView {
  code: string;
  name: string;
  materials: Array<{ name: string; core: boolean }>;
  channels: string[];
  parcelSize: CompartmentSize;
}

export async function listMatters(db: Db): Promise<MatterView[]> {
  const m = await db.query<MatterView>(
    `SELECT code, name, materials, channels, parcel_size AS "parcelSize" FROM service_matters ORDER BY code`,
  );
  return m.rows;
}

export interface DropOffSite {
  id: string;
  name: string;
  address: string;
  network: string;
  retired: boolean;
}

export async function findDropOffSite(tx: Tx, siteId: string): Promise<DropOffSite | null> {
  const r = await tx.query<DropOffSite>('SELECT id, name, address, network, retired_at IS NOT NULL AS retired FROM sites WHERE id = $1', [
    siteId,
  ]);
  return r.rows[0] ?? null;
}

export async function insertApplication(
  tx: Tx,
  a: { id: string; applicantId: string; matterId: string; channelIn: 'own_kiosk' | 'partner_locker'; at: Date },
): Promise<void> {
  await tx.query(
    `INSERT INTO applications (id, applicant_id, matter_id, status, channel_in, channel_out, created_at)
     VALUES ($1, $2, $3, 'submitted', $4, 'counter', $5)`,
    [a.id, a.applicantId, a.matterId, a.channelIn, a.at],
  );
}

export interface ApplicationRow {
  id: string;
  applicantId: string;
  status: string;
  channelIn: string;
  matterCode: string;
  createdAt: Date;
}

export async function findApplication(db: Db, id: string): Promise<ApplicationRow | null> {
  const r = await db.query<ApplicationRow>(
    `SELECT a.id, a.applicant_id AS "applicantId", a.status, a.channel_in AS "channelIn", m.code AS "matterCode", a.created_at AS "createdAt"
     FROM applications a JOIN service_matters m ON m.id = a.matter_id WHERE a.id = $1`,
    [id],
  );
  return r.rows[0] ?? null;
}

export async function parcelsOfApplication(db: Db, applicationId: string): Promise<Parcel[]> {
  const r = await db.query<Parcel>(
    `SELECT id, application_id AS "applicationId", direction, tracking_number AS "trackingNumber", state,
       site_id AS "siteId", compartment_id AS "compartmentId" FROM parcels WHERE application_id = $1 ORDER BY created_at`,
    [applicationId],
  );
  return r.rows;
}

export async function applicantOf(db: Db, applicationId: string): Promise<string | null> {
  const r = await db.query<{ applicantId: string }>('SELECT applicant_id AS "applicantId" FROM applications WHERE id = $1', [
    applicationId,
  ]);
  return r.rows[0]?.applicantId ?? null;
}
