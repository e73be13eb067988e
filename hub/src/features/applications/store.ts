// The applications slice's SQL: service matters, applications, the sites an applicant chooses and
// the views the applicant follows (parcels by application, the owner of a parcel's application), the
// applicant's open reservations, deposit codes that expired unused, and the notices an applicant is owed.
import type { CompartmentSize } from '../../domain/compartments.js';
import { OPEN_DEPOSIT_STATES } from '../../domain/open-deposits.js';
import type { Db, Tx } from '../../store/db.js';
import type { Parcel } from '../../store/parcels.js';
import type { ChannelIn, ChannelOut, DeclaredMaterial, MaterialSpec, PrereviewMode, PrereviewState } from '../../domain/prereview.js';

export interface Matter {
  id: string;
  code: string;
  name: string;
  nameEn: string | null;
  materials: MaterialSpec[];
  channelsIn: ChannelIn[];
  channelsOut: ChannelOut[];
  paperIn: boolean;
  prereview: PrereviewMode;
  parcelSize: CompartmentSize;
}

const MATTER_COLUMNS = `id, code, name, name_en AS "nameEn", materials, channels_in AS "channelsIn", channels_out AS "channelsOut",
  paper_in AS "paperIn", prereview, parcel_size AS "parcelSize"`;

export async function findMatter(tx: Db | Tx, code: string): Promise<Matter | null> {
  const r = await tx.query<Matter>(`SELECT ${MATTER_COLUMNS} FROM service_matters WHERE code = $1`, [code]);
  return r.rows[0] ?? null;
}

export async function matterById(tx: Db | Tx, id: string): Promise<Matter> {
  const r = await tx.query<Matter>(`SELECT ${MATTER_COLUMNS} FROM service_matters WHERE id = $1`, [id]);
  return r.rows[0]!;
}

export type MatterView = Omit<Matter, 'id'>;

export async function listMatters(db: Db): Promise<MatterView[]> {
  const m = await db.query<Matter>(`SELECT ${MATTER_COLUMNS} FROM service_matters ORDER BY code`);
  return m.rows.map(({ id: _id, ...view }) => view);
}

export interface DropOffSite {
  id: string;
  name: string;
  address: string;
  network: string;
  retired: boolean;
}

/** Whether the applicant asked for an accessible (low) compartment to drop off in (ADR 0033). */
export async function wantsAccessibleDrop(tx: Tx, applicationId: string): Promise<boolean> {
  const r = await tx.query<{ a: boolean }>('SELECT accessible_drop AS a FROM applications WHERE id = $1', [applicationId]);
  return r.rows[0]?.a === true;
}

export async function findDropOffSite(tx: Tx, siteId: string): Promise<DropOffSite | null> {
  const r = await tx.query<DropOffSite>('SELECT id, name, address, network, retired_at IS NOT NULL AS retired FROM sites WHERE id = $1', [
    siteId,
  ]);
  return r.rows[0] ?? null;
}

export async function insertApplication(
  tx: Tx,
  a: {
    id: string;
    applicantId: string;
    matterId: string;
    /** 'none': no paper in (a matter without paper, or materials sent electronically only) */
    channelIn: ChannelIn | 'none';
    channelOut: 'own_kiosk' | 'partner_locker' | 'mail' | 'counter';
    returnSiteId: string | null;
    returnAddress: string | null;
    materials: DeclaredMaterial[];
    /** where the paper goes in once pre-review passes: a kiosk or locker site, or the address a courier calls at */
    dropSiteId: string | null;
    pickupAddress: string | null;
    /** an accessible (low) compartment asked for, to drop off and for the result (ADR 0033) */
    accessibleDrop?: boolean;
    accessibleReturn?: boolean;
    at: Date;
  },
): Promise<void> {
  await tx.query(
    `INSERT INTO applications (id, applicant_id, matter_id, status, channel_in, channel_out, return_site_id, return_address,
       prereview, materials, drop_site_id, pickup_address, submitted_at, created_at, accessible_drop, accessible_return)
     VALUES ($1, $2, $3, 'submitted', $4, $5, $6, $7, 'pending', $8, $9, $10, $11, $11, $12, $13)`,
    [
      a.id,
      a.applicantId,
      a.matterId,
      a.channelIn,
      a.channelOut,
      a.returnSiteId,
      a.returnAddress,
      JSON.stringify(a.materials),
      a.dropSiteId,
      a.pickupAddress,
      a.at,
      a.accessibleDrop ?? false,
      a.accessibleReturn ?? false,
    ],
  );
}

export interface ApplicationRow {
  id: string;
  applicantId: string;
  status: string;
  channelIn: string;
  /** the return channel: own_kiosk, mail or counter */
  channelOut: string;
  matterCode: string;
  /** 资料预审: pending, returned, passed or accepted_pending (容缺受理) */
  prereview: PrereviewState;
  /** the materials the applicant declared sending */
  materials: DeclaredMaterial[];
  createdAt: Date;
}

export async function findApplication(db: Db, id: string): Promise<ApplicationRow | null> {
  const r = await db.query<ApplicationRow>(
    `SELECT a.id, a.applicant_id AS "applicantId", a.status, a.channel_in AS "channelIn", a.channel_out AS "channelOut", m.code AS "matterCode",
       a.prereview, a.materials, a.created_at AS "createdAt"
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

export async function applicantOf(db: Db | Tx, applicationId: string): Promise<string | null> {
  const r = await db.query<{ applicantId: string }>('SELECT applicant_id AS "applicantId" FROM applications WHERE id = $1', [
    applicationId,
  ]);
  return r.rows[0]?.applicantId ?? null;
}

// ---- open reservations per applicant (ADR 0017)

/** Holds the applicant's row until the transaction ends: one applicant's applications are counted one at a time. */
/** Locks the applicant's row; returns the phone on file (the deposit code's second factor, ADR 0018). */
export async function lockApplicant(tx: Tx, applicantId: string): Promise<{ phone: string | null }> {
  const r = await tx.query<{ phone: string | null }>('SELECT phone FROM users WHERE id = $1 FOR NO KEY UPDATE', [applicantId]);
  return { phone: r.rows[0]?.phone ?? null };
}

/** The applicant's inbound parcels still holding a reservation, at the site and overall. */
export async function countOpenDeposits(tx: Tx, applicantId: string, siteId: string): Promise<{ atSite: number; overall: number }> {
  const r = await tx.query<{ atSite: number; overall: number }>(
    `SELECT count(*) FILTER (WHERE p.site_id = $2)::int AS "atSite", count(*)::int AS overall
     FROM parcels p JOIN applications a ON a.id = p.application_id
     WHERE a.applicant_id = $1 AND p.direction = 'inbound' AND p.state = ANY($3::text[])`,
    [applicantId, siteId, [...OPEN_DEPOSIT_STATES]],
  );
  return r.rows[0]!;
}

// ---- deposit codes that expired unused

export interface ExpiredDeposit {
  parcelId: string;
  codeId: string;
}

/** Own-kiosk deposit codes past their expiry, unused and not revoked, whose parcel still awaits its deposit. */
export async function expiredDepositCodes(db: Db, now: Date, limit = 200): Promise<ExpiredDeposit[]> {
  const r = await db.query<ExpiredDeposit>(
    `SELECT c.parcel_id AS "parcelId", c.id AS "codeId"
     FROM access_codes c JOIN parcels p ON p.id = c.parcel_id JOIN sites s ON s.id = c.site_id
     WHERE c.purpose = 'deposit' AND c.used_at IS NULL AND c.revoked_at IS NULL AND c.expires_at <= $1
       AND p.state = 'awaiting_deposit' AND s.network = 'own'
     ORDER BY c.expires_at LIMIT $2`,
    [now, limit],
  );
  return r.rows;
}

/** The code, locked, if it is still unused and unrevoked (another sweep may have handled it). */
export async function lockLiveDepositCode(
  tx: Tx,
  codeId: string,
): Promise<{ compartmentId: string; number: number; siteId: string; expiresAt: Date } | null> {
  const r = await tx.query<{ compartmentId: string; number: number; siteId: string; expiresAt: Date }>(
    `SELECT c.compartment_id AS "compartmentId", k.number, c.site_id AS "siteId", c.expires_at AS "expiresAt"
     FROM access_codes c JOIN compartments k ON k.id = c.compartment_id
     WHERE c.id = $1 AND c.used_at IS NULL AND c.revoked_at IS NULL FOR UPDATE OF c`,
    [codeId],
  );
  return r.rows[0] ?? null;
}

export async function revokeCode(tx: Tx, codeId: string, at: Date): Promise<void> {
  await tx.query('UPDATE access_codes SET revoked_at = $2 WHERE id = $1', [codeId, at]);
}

export interface NoticeView {
  id: string;
  kind: string;
  parcelId: string;
  message: string;
  details: Record<string, unknown>;
  createdAt: Date;
  sentAt: Date | null;
}

/** Records a notice unless the parcel has one of its kind already. */
export async function insertNotice(
  tx: Tx,
  n: {
    id: string;
    applicantId: string;
    applicationId: string;
    parcelId: string;
    kind: 'deposit_code_expired';
    message: string;
    details: object;
    at: Date;
  },
): Promise<void> {
  await tx.query(
    `INSERT INTO applicant_notices (id, applicant_id, application_id, parcel_id, kind, message, details, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (parcel_id, kind) WHERE kind NOT IN ('code_resent', 'delegate_code', 'hold_extended') DO NOTHING`,
    [n.id, n.applicantId, n.applicationId, n.parcelId, n.kind, n.message, JSON.stringify(n.details), n.at],
  );
}

/** The pre-review's notices (ADR 0027), shown apart from the parcels' on an application. */
export const PREREVIEW_NOTICE_KINDS = ['prereview_passed', 'prereview_returned', 'materials_due'];

/** The application's notices: its parcels' and results' (`prereview` false), or its pre-review's (true); sealed codes left out. */
export async function noticesOfApplication(db: Db, applicationId: string, prereview = false): Promise<NoticeView[]> {
  const r = await db.query<NoticeView>(
    `SELECT id, kind, parcel_id AS "parcelId", message, details - 'sealedCode' - 'sealedPin' - 'sealedQr' - 'sealedDelegateCode' AS details, created_at AS "createdAt", sent_at AS "sentAt"
     FROM applicant_notices WHERE application_id = $1 AND (kind = ANY($2::text[])) = $3 ORDER BY created_at, id`,
    [applicationId, PREREVIEW_NOTICE_KINDS, prereview],
  );
  return r.rows;
}

// ---- the applicant's own applications (GET /api/me/applications)

export interface MyApplication {
  id: string;
  matter: { code: string; name: string; nameEn: string | null };
  status: string;
  prereview: PrereviewState;
  createdAt: Date;
  parcels: Array<{ trackingNumber: string; direction: 'inbound' | 'outbound'; state: string }>;
}

/**
 * The applicant's applications, newest first, `limit` of them before the application `before` (its id:
 * a page starts after the last one of the page before); null when `before` is not one of theirs.
 */
export async function applicationsOf(
  db: Db,
  applicantId: string,
  page: { before: string | null; limit: number },
): Promise<MyApplication[] | null> {
  let cursor: { createdAt: Date; id: string } | null = null;
  if (page.before) {
    const c = await db.query<{ createdAt: Date; id: string }>(
      'SELECT created_at AS "createdAt", id FROM applications WHERE id = $1 AND applicant_id = $2',
      [page.before, applicantId],
    );
    cursor = c.rows[0] ?? null;
    if (!cursor) return null;
  }
  const r = await db.query<MyApplication>(
    `SELECT a.id, json_build_object('code', m.code, 'name', m.name, 'nameEn', m.name_en) AS matter, a.status, a.prereview,
       a.created_at AS "createdAt",
       coalesce((SELECT json_agg(json_build_object('trackingNumber', p.tracking_number, 'direction', p.direction, 'state', p.state)
                  ORDER BY p.created_at, p.id)
                 FROM parcels p WHERE p.application_id = a.id), '[]'::json) AS parcels
     FROM applications a JOIN service_matters m ON m.id = a.matter_id
     WHERE a.applicant_id = $1 AND ($2::timestamptz IS NULL OR (a.created_at, a.id) < ($2::timestamptz, $3::uuid))
     ORDER BY a.created_at DESC, a.id DESC LIMIT $4`,
    [applicantId, cursor?.createdAt ?? null, cursor?.id ?? null, page.limit],
  );
  return r.rows;
}
