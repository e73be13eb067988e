// Ratings (好差评) and their follow-ups: the rows of migration 019 (ratings).
import type { Db, Tx } from '../../store/db.js';

export interface RatedApplication {
  id: string;
  applicantId: string;
  status: string;
  /** the result's state, if the application has a result parcel */
  resultState: string | null;
}

/** The application with its result's state; locked with `lock` (inside a transaction). */
export async function applicationForRating(db: Db | Tx, applicationId: string, lock = false): Promise<RatedApplication | null> {
  const r = await db.query<RatedApplication>(
    `SELECT a.id, a.applicant_id AS "applicantId", a.status,
            (SELECT p.state FROM parcels p WHERE p.application_id = a.id AND p.direction = 'outbound' ORDER BY p.created_at DESC LIMIT 1) AS "resultState"
       FROM applications a WHERE a.id = $1${lock ? ' FOR UPDATE OF a' : ''}`,
    [applicationId],
  );
  return r.rows[0] ?? null;
}

export async function insertRating(
  tx: Tx,
  r: { id: string; applicationId: string; applicantId: string; grade: number; comment: string; at: Date },
): Promise<boolean> {
  const res = await tx.query(
    `INSERT INTO ratings (id, application_id, applicant_id, grade, comment, rated_at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (application_id) DO NOTHING`,
    [r.id, r.applicationId, r.applicantId, r.grade, r.comment, r.at],
  );
  return res.rowCount === 1;
}

export async function insertFollowUp(tx: Tx, f: { id: string; ratingId: string; openedAt: Date; dueAt: Date }): Promise<void> {
  await tx.query(`INSERT INTO rating_follow_ups (id, rating_id, opened_at, due_at) VALUES ($1, $2, $3, $4)`, [
    f.id,
    f.ratingId,
    f.openedAt,
    f.dueAt,
  ]);
}

export interface RatingRow {
  id: string;
  applicationId: string;
  applicantId: string;
  grade: number;
  comment: string;
  ratedAt: Date;
  followUp: { id: string; openedAt: Date; dueAt: Date; repliedAt: Date | null; reply: string | null } | null;
}

export async function ratingOfApplication(db: Db | Tx, applicationId: string): Promise<RatingRow | null> {
  const r = await db.query<
    Omit<RatingRow, 'followUp'> & { fId: string | null; openedAt: Date; dueAt: Date; repliedAt: Date | null; reply: string | null }
  >(
    `SELECT r.id, r.application_id AS "applicationId", r.applicant_id AS "applicantId", r.grade, r.comment, r.rated_at AS "ratedAt",
            f.id AS "fId", f.opened_at AS "openedAt", f.due_at AS "dueAt", f.replied_at AS "repliedAt", f.reply
       FROM ratings r LEFT JOIN rating_follow_ups f ON f.rating_id = r.id
      WHERE r.application_id = $1`,
    [applicationId],
  );
  const row = r.rows[0];
  if (!row) return null;
  const { fId, openedAt, dueAt, repliedAt, reply, ...rating } = row;
  return { ...rating, followUp: fId === null ? null : { id: fId, openedAt, dueAt, repliedAt, reply } };
}

export interface FollowUpRow {
  id: string;
  applicationId: string;
  matterName: string;
  applicantName: string;
  grade: number;
  comment: string;
  ratedAt: Date;
  openedAt: Date;
  dueAt: Date;
  repliedAt: Date | null;
  repliedBy: string | null;
  reply: string | null;
}

/** Follow-ups, the soonest due first; `open` only those not yet replied to. */
export async function followUps(db: Db, f: { open: boolean; limit: number }): Promise<FollowUpRow[]> {
  const r = await db.query<FollowUpRow>(
    `SELECT f.id, r.application_id AS "applicationId", m.name AS "matterName", u.display_name AS "applicantName", r.grade, r.comment,
            r.rated_at AS "ratedAt", f.opened_at AS "openedAt", f.due_at AS "dueAt", f.replied_at AS "repliedAt",
            s.display_name AS "repliedBy", f.reply
       FROM rating_follow_ups f
       JOIN ratings r ON r.id = f.rating_id
       JOIN applications a ON a.id = r.application_id
       JOIN service_matters m ON m.id = a.matter_id
       JOIN users u ON u.id = r.applicant_id
       LEFT JOIN users s ON s.id = f.replied_by
      WHERE ($1::boolean IS FALSE OR f.replied_at IS NULL)
      ORDER BY f.due_at, f.id LIMIT $2`,
    [f.open, f.limit],
  );
  return r.rows;
}

export interface LockedFollowUp {
  id: string;
  repliedAt: Date | null;
  applicationId: string;
  /** the rated application's matter, for the applicant's notice */
  matterName: string;
}

export async function lockFollowUp(tx: Tx, id: string): Promise<LockedFollowUp | null> {
  const r = await tx.query<LockedFollowUp>(
    `SELECT f.id, f.replied_at AS "repliedAt", r.application_id AS "applicationId", m.name AS "matterName"
       FROM rating_follow_ups f JOIN ratings r ON r.id = f.rating_id
       JOIN applications a ON a.id = r.application_id JOIN service_matters m ON m.id = a.matter_id
      WHERE f.id = $1 FOR UPDATE OF f`,
    [id],
  );
  return r.rows[0] ?? null;
}

export async function replyToFollowUp(tx: Tx, id: string, reply: { by: string; text: string; at: Date }): Promise<void> {
  await tx.query(`UPDATE rating_follow_ups SET replied_at = $2, replied_by = $3, reply = $4 WHERE id = $1`, [
    id,
    reply.at,
    reply.by,
    reply.text,
  ]);
}
