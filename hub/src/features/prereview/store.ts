// The prereview slice's SQL: the queue of applications waiting for pre-review, an application locked
// for a decision, the steps kept (submitted, resubmitted, passed, returned with its one-time
// notice, accepted with materials to follow, materials received), 容缺 commitments and their
// reminders, and the pre-review's notices in the applicant's outbox.
import { publishApplicationStep } from '../../store/application-steps.js';
import { v7 as uuidv7 } from 'uuid';
import type { DeclaredMaterial, NoticeItem, PrereviewState } from '../../domain/prereview.js';
import type { Db, Tx } from '../../store/db.js';

export type PrereviewNoticeKind = 'prereview_passed' | 'prereview_returned' | 'materials_due';

/** Records a notice for the applicant (a returned notice every time; the others once per parcel or application). */
export async function insertPrereviewNotice(
  tx: Tx,
  n: {
    applicantId: string;
    applicationId: string;
    parcelId: string | null;
    kind: PrereviewNoticeKind;
    message: string;
    details: object;
    at: Date;
  },
): Promise<void> {
  await tx.query(
    `INSERT INTO applicant_notices (id, applicant_id, application_id, parcel_id, kind, message, details, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
    [uuidv7(), n.applicantId, n.applicationId, n.parcelId, n.kind, n.message, JSON.stringify(n.details), n.at],
  );
}

export type PrereviewStepKind = 'submitted' | 'resubmitted' | 'passed' | 'returned' | 'accepted_pending' | 'materials_received';

export interface OneTimeNotice {
  number: number;
  items: NoticeItem[];
  note: string | null;
  text: string;
}

export async function insertStep(
  tx: Tx,
  s: {
    applicationId: string;
    step: PrereviewStepKind;
    byRules?: boolean;
    actorId: string | null;
    materials?: DeclaredMaterial[];
    notice?: OneTimeNotice;
    note?: string | null;
    at: Date;
  },
): Promise<void> {
  const id = uuidv7();
  await tx.query(
    `INSERT INTO prereview_steps (id, application_id, step, by_rules, actor_id, materials, notice, note, at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      id,
      s.applicationId,
      s.step,
      s.byRules ?? false,
      s.actorId,
      s.materials ? JSON.stringify(s.materials) : null,
      s.notice ? JSON.stringify(s.notice) : null,
      s.note ?? null,
      s.at,
    ],
  );
  publishApplicationStep(tx, { id, applicationId: s.applicationId, kind: s.step, at: s.at });
}

export interface PrereviewStep {
  step: PrereviewStepKind;
  byRules: boolean;
  actorId: string | null;
  materials: DeclaredMaterial[] | null;
  notice: OneTimeNotice | null;
  note: string | null;
  at: Date;
}

export async function stepsOf(db: Db | Tx, applicationId: string): Promise<PrereviewStep[]> {
  const r = await db.query<PrereviewStep>(
    `SELECT step, by_rules AS "byRules", actor_id AS "actorId", materials, notice, note, at
     FROM prereview_steps WHERE application_id = $1 ORDER BY at, id`,
    [applicationId],
  );
  return r.rows;
}

export interface ApplicationUnderReview {
  id: string;
  applicantId: string;
  matterId: string;
  prereview: PrereviewState;
  channelIn: string;
  dropSiteId: string | null;
  pickupAddress: string | null;
  materials: DeclaredMaterial[];
}

/** The application, locked: one pre-review decision at a time. */
export async function lockForPrereview(tx: Tx, id: string): Promise<ApplicationUnderReview | null> {
  const r = await tx.query<ApplicationUnderReview>(
    `SELECT id, applicant_id AS "applicantId", matter_id AS "matterId", prereview, channel_in AS "channelIn",
       drop_site_id AS "dropSiteId", pickup_address AS "pickupAddress", materials
     FROM applications WHERE id = $1 FOR UPDATE`,
    [id],
  );
  return r.rows[0] ?? null;
}

export async function setPrereview(tx: Tx, id: string, state: PrereviewState, materials?: DeclaredMaterial[]): Promise<void> {
  await tx.query(`UPDATE applications SET prereview = $2, materials = coalesce($3, materials) WHERE id = $1`, [
    id,
    state,
    materials ? JSON.stringify(materials) : null,
  ]);
}

export interface QueuedApplication {
  id: string;
  matterCode: string;
  matterName: string;
  applicantName: string;
  applicantPhone: string | null;
  channelIn: string;
  materials: DeclaredMaterial[];
  submittedAt: Date;
  /** how many times it came back corrected */
  resubmissions: number;
}

/** Applications waiting for pre-review, oldest first. */
export async function pendingApplications(db: Db, limit: number, matter?: string): Promise<QueuedApplication[]> {
  const r = await db.query<QueuedApplication>(
    `SELECT a.id, m.code AS "matterCode", m.name AS "matterName", u.display_name AS "applicantName", u.phone AS "applicantPhone",
       a.channel_in AS "channelIn", a.materials, a.submitted_at AS "submittedAt",
       (SELECT count(*)::int FROM prereview_steps s WHERE s.application_id = a.id AND s.step = 'resubmitted') AS resubmissions
     FROM applications a JOIN service_matters m ON m.id = a.matter_id JOIN users u ON u.id = a.applicant_id
     WHERE a.prereview = 'pending' AND ($2::text IS NULL OR m.code = $2)
     ORDER BY a.submitted_at, a.id LIMIT $1`,
    [limit, matter ?? null],
  );
  return r.rows;
}

// ---- 容缺受理: materials to follow under a commitment

export interface Commitment {
  materials: string[];
  commitment: string;
  dueAt: Date;
  acceptedAt: Date;
  remindedAt: Date | null;
  receivedAt: Date | null;
}

export async function insertCommitment(
  tx: Tx,
  c: { applicationId: string; materials: string[]; commitment: string; dueAt: Date; by: string; at: Date },
): Promise<void> {
  await tx.query(
    `INSERT INTO material_commitments (application_id, materials, commitment, due_at, accepted_by, accepted_at) VALUES ($1, $2, $3, $4, $5, $6)`,
    [c.applicationId, JSON.stringify(c.materials), c.commitment, c.dueAt, c.by, c.at],
  );
}

export async function commitmentOf(db: Db | Tx, applicationId: string): Promise<Commitment | null> {
  const r = await db.query<Commitment>(
    `SELECT materials, commitment, due_at AS "dueAt", accepted_at AS "acceptedAt", reminded_at AS "remindedAt", received_at AS "receivedAt"
     FROM material_commitments WHERE application_id = $1`,
    [applicationId],
  );
  return r.rows[0] ?? null;
}

/** The commitment, locked. */
export async function lockCommitment(tx: Tx, applicationId: string): Promise<Commitment | null> {
  const r = await tx.query<Commitment>(
    `SELECT materials, commitment, due_at AS "dueAt", accepted_at AS "acceptedAt", reminded_at AS "remindedAt", received_at AS "receivedAt"
     FROM material_commitments WHERE application_id = $1 FOR UPDATE`,
    [applicationId],
  );
  return r.rows[0] ?? null;
}

export async function markCommitment(tx: Tx, applicationId: string, what: 'reminded_at' | 'received_at', at: Date): Promise<void> {
  await tx.query(`UPDATE material_commitments SET ${what} = $2 WHERE application_id = $1`, [applicationId, at]);
}

/** Commitments whose due date has come, neither reminded nor received. */
export async function dueCommitments(db: Db, now: Date, limit = 200): Promise<string[]> {
  const r = await db.query<{ applicationId: string }>(
    `SELECT application_id AS "applicationId" FROM material_commitments
     WHERE reminded_at IS NULL AND received_at IS NULL AND due_at <= $1 ORDER BY due_at LIMIT $2`,
    [now, limit],
  );
  return r.rows.map((x) => x.applicationId);
}

export interface PassedNotice {
  parcelId: string | null;
  parcelState: string | null;
  /** the parcel’s compartment now (a jammed door may have moved it: code:reassign) */
  compartment: number | null;
  details: Record<string, unknown>;
}

/** The application's pass notice (with the sealed deposit code, for an own kiosk), if any. */
export async function passedNoticeOf(db: Db | Tx, applicationId: string): Promise<PassedNotice | null> {
  const r = await db.query<PassedNotice>(
    `SELECT n.parcel_id AS "parcelId", p.state AS "parcelState", k.number AS compartment, n.details
     FROM applicant_notices n LEFT JOIN parcels p ON p.id = n.parcel_id LEFT JOIN compartments k ON k.id = p.compartment_id
     WHERE n.application_id = $1 AND n.kind = 'prereview_passed' ORDER BY n.created_at DESC LIMIT 1`,
    [applicationId],
  );
  return r.rows[0] ?? null;
}
