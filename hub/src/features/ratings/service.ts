// 好差评 (ADR 0032): an applicant rates their own finished application once; a bad rating opens a
// follow-up for the hall's staff, due a number of working days later, closed by a written reply that
// the applicant reads with their rating and is told of by SMS (notice `rating_replied`, in the
// reply's transaction). Lists mask the applicant's name.
import { publishApplicationStep } from '../../store/application-steps.js';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { maskName } from '../../domain/masking.js';
import { GRADES, isBad, rateable, workingDaysLater, type Grade } from '../../domain/ratings.js';
import { Conflict, NotFound } from '../../errors.js';
import { withTransaction, type Db } from '../../store/db.js';
import type { User } from '../auth/auth.js';
import { recordNotice } from '../notifications/store.js';
import {
  followUps,
  insertFollowUp,
  insertRating,
  applicationForRating,
  lockFollowUp,
  ratingOfApplication,
  replyToFollowUp,
  type RatingRow,
} from './store.js';

export const RateBody = z.strictObject({
  grade: z.number().int().min(1).max(5).describe('5 非常满意 very satisfied … 1 非常不满意 very dissatisfied; 1 and 2 open a follow-up'),
  comment: z.string().trim().max(500).optional(),
});
export type RateBody = z.infer<typeof RateBody>;
export const ReplyBody = z.strictObject({ reply: z.string().trim().min(1).max(1000) });

export interface FollowUpPolicy {
  /** working days staff have to reply to a bad rating (default 5) */
  workingDays: number;
  /** hall calendar days (YYYY-MM-DD) that are not working days */
  holidays: ReadonlySet<string>;
}

export interface RatingView {
  applicationId: string;
  grade: Grade;
  gradeName: { zh: string; en: string };
  comment: string;
  ratedAt: Date;
  followUp: { id: string; dueAt: Date; repliedAt: Date | null; reply: string | null } | null;
}

const view = (r: RatingRow): RatingView => ({
  applicationId: r.applicationId,
  grade: r.grade as Grade,
  gradeName: GRADES[r.grade as Grade],
  comment: r.comment,
  ratedAt: r.ratedAt,
  followUp: r.followUp && { id: r.followUp.id, dueAt: r.followUp.dueAt, repliedAt: r.followUp.repliedAt, reply: r.followUp.reply },
});

/** Someone else's application is not found, so its existence is not told. */
export async function rate(
  db: Db,
  applicant: User,
  applicationId: string,
  body: RateBody,
  policy: FollowUpPolicy,
  now: Date,
): Promise<RatingView> {
  return withTransaction(db, async (tx) => {
    const app = await applicationForRating(tx, applicationId, true);
    if (!app || app.applicantId !== applicant.id) throw new NotFound('application');
    if (!rateable(app, app.resultState === null ? null : { state: app.resultState }))
      throw new Conflict('not_finished', 'an application can be rated once it is finished: rejected, or its result collected or delivered');
    const ratingId = uuidv7();
    const stored = await insertRating(tx, {
      id: ratingId,
      applicationId,
      applicantId: applicant.id,
      grade: body.grade,
      comment: body.comment ?? '',
      at: now,
    });
    if (!stored) throw new Conflict('already_rated', 'this application has been rated already; a rating is given once');
    if (isBad(body.grade as Grade))
      await insertFollowUp(tx, {
        id: uuidv7(),
        ratingId,
        openedAt: now,
        dueAt: workingDaysLater(now, policy.workingDays, policy.holidays),
      });
    return view((await ratingOfApplication(tx, applicationId))!);
  });
}

/** An application's rating, for its applicant or staff; null when not rated yet. */
export async function ratingFor(db: Db, who: User, applicationId: string): Promise<RatingView | null> {
  const r = await ratingOfApplication(db, applicationId);
  if (who.role === 'applicant') {
    const own = await applicationForRating(db, applicationId);
    if (!own || own.applicantId !== who.id) throw new NotFound('application');
  }
  return r && view(r);
}

export async function followUpList(db: Db, now: Date, f: { open: boolean; limit: number }) {
  const rows = await followUps(db, f);
  return {
    items: rows.map((r) => ({
      ...r,
      applicantName: maskName(r.applicantName),
      repliedBy: r.repliedBy === null ? null : maskName(r.repliedBy),
      gradeName: GRADES[r.grade as Grade],
      overdue: r.repliedAt === null && r.dueAt.getTime() < now.getTime(),
    })),
  };
}

export async function replyToRating(db: Db, staff: User, followUpId: string, text: string, now: Date): Promise<RatingView> {
  return withTransaction(db, async (tx) => {
    const f = await lockFollowUp(tx, followUpId);
    if (!f) throw new NotFound('follow-up');
    if (f.repliedAt) throw new Conflict('already_replied', 'this follow-up has its reply already');
    await replyToFollowUp(tx, followUpId, { by: staff.id, text, at: now });
    publishApplicationStep(tx, { id: followUpId, applicationId: f.applicationId, kind: 'rating_replied', at: now });
    // The applicant is told there is a reply, with the reply itself in the app (ADR 0034).
    await recordNotice(tx, {
      parcelId: null,
      applicationId: f.applicationId,
      kind: 'rating_replied',
      details: { matterName: f.matterName, followUpId },
      at: now,
    });
    return view((await ratingOfApplication(tx, f.applicationId))!);
  });
}
