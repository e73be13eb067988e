// Pre-review (资料预审, ADR 0027): staff look at what an applicant says is in the envelope before
// anything is dropped off, and decide — pass (the drop-off starts: the compartment is reserved and
// the deposit code issued); return with a one-time notice (一次性告知) that lists every problem at
// once, kept with the application and sent to the applicant, who corrects and resubmits; or accept
// with non-core materials to follow under a written commitment (容缺受理), reminded once when due.
// Each decision, its step and its notice in one transaction, under the application's row lock.
import type { Logger } from 'pino';
import {
  commitmentDue,
  judgeMaterials,
  noticeRefusal,
  noticeText,
  passesByRules,
  type DeclaredMaterial,
  type NoticeItem,
} from '../../domain/prereview.js';
import { maskName, maskPhone } from '../../domain/masking.js';
import { BadRequest, Conflict, NotFound } from '../../errors.js';
import { withTransaction, type Db, type Tx } from '../../store/db.js';
import type { User } from '../auth/auth.js';
import { startDropOff, type DropOffDeps, type StartedDropOff } from '../applications/drop-off.js';
import { refuseBadMaterials, passByRules } from '../applications/service.js';
import { matterById, type Matter } from '../applications/store.js';
import {
  dueCommitments,
  insertCommitment,
  insertPrereviewNotice,
  insertStep,
  lockCommitment,
  lockForPrereview,
  markCommitment,
  pendingApplications,
  setPrereview,
  stepsOf,
  type ApplicationUnderReview,
  type OneTimeNotice,
} from './store.js';

const DAY = 86_400_000;
/** A 容缺 commitment is due within this many days at most. */
export const MAX_COMMITMENT_DAYS = 60;

async function locked(tx: Tx, id: string): Promise<{ app: ApplicationUnderReview; matter: Matter }> {
  const app = await lockForPrereview(tx, id);
  if (!app) throw new NotFound('application');
  return { app, matter: await matterById(tx, app.matterId) };
}

function refuseUnlessPending(app: ApplicationUnderReview): void {
  if (app.prereview !== 'pending')
    throw new Conflict('not_pending', `this application is not waiting for pre-review (it is ${app.prereview})`, {
      prereview: app.prereview,
    });
}

const toStart = (app: ApplicationUnderReview, matter: Matter) => ({
  id: app.id,
  applicantId: app.applicantId,
  matter,
  channelIn: app.channelIn,
  dropSiteId: app.dropSiteId,
  pickupAddress: app.pickupAddress,
});

export interface Decided {
  application: { id: string; prereview: string };
  /** what the pass started; the deposit code itself goes only to the applicant */
  dropOff: StartedDropOff | null;
}

export async function passApplication(
  db: Db,
  deps: DropOffDeps,
  id: string,
  staff: User,
  note: string | null,
  now: Date,
): Promise<Decided> {
  return withTransaction(db, async (tx) => {
    const { app, matter } = await locked(tx, id);
    refuseUnlessPending(app);
    await setPrereview(tx, id, 'passed');
    await insertStep(tx, { applicationId: id, step: 'passed', actorId: staff.id, note, at: now });
    const dropOff = await startDropOff(tx, deps, toStart(app, matter), { kind: 'staff', id: staff.id }, now);
    return { application: { id, prereview: 'passed' }, dropOff };
  });
}

export async function returnApplication(
  db: Db,
  id: string,
  staff: User,
  body: { items: NoticeItem[]; note?: string | undefined },
  now: Date,
): Promise<{ application: { id: string; prereview: 'returned' }; notice: OneTimeNotice }> {
  return withTransaction(db, async (tx) => {
    const { app, matter } = await locked(tx, id);
    refuseUnlessPending(app);
    const refusal = noticeRefusal(matter.materials, app.materials, body.items);
    if (refusal) throw new BadRequest(refusal.message, refusal.details, refusal.code);
    const number = (await stepsOf(tx, id)).filter((s) => s.step === 'returned').length + 1;
    const note = body.note ?? null;
    const text = noticeText({
      number,
      applicationId: id,
      matterName: matter.name,
      issuedAt: now,
      items: body.items,
      specs: matter.materials,
      note,
    });
    const notice: OneTimeNotice = { number, items: body.items, note, text };
    await setPrereview(tx, id, 'returned');
    await insertStep(tx, { applicationId: id, step: 'returned', actorId: staff.id, notice, note, at: now });
    await insertPrereviewNotice(tx, {
      applicantId: app.applicantId,
      applicationId: id,
      parcelId: null,
      kind: 'prereview_returned',
      message: text,
      details: { number, items: body.items },
      at: now,
    });
    return { application: { id, prereview: 'returned' as const }, notice };
  });
}

export async function acceptPending(
  db: Db,
  deps: DropOffDeps,
  id: string,
  staff: User,
  body: { materials: string[]; commitment: string; dueAt: Date },
  now: Date,
): Promise<Decided & { commitment: { materials: string[]; dueAt: Date } }> {
  return withTransaction(db, async (tx) => {
    const { app, matter } = await locked(tx, id);
    refuseUnlessPending(app);
    const j = judgeMaterials(matter.materials, app.materials);
    if (j.missingCore.length > 0)
      throw new Conflict(
        'core_missing',
        `core materials cannot follow later: ${j.missingCore.join(', ')}; return it with a one-time notice`,
        {
          missing: j.missingCore,
        },
      );
    const wrong = body.materials.filter((m) => !j.missingOther.includes(m));
    if (wrong.length > 0)
      throw new BadRequest(
        `only non-core materials not sent may follow: ${wrong.join(', ')}`,
        { wrong, mayFollow: j.missingOther },
        'cannot_follow',
      );
    const left = j.missingOther.filter((m) => !body.materials.includes(m));
    if (left.length > 0)
      throw new BadRequest(`every material not sent must be in the commitment: ${left.join(', ')}`, { left }, 'commitment_incomplete');
    if (body.materials.length === 0) throw new BadRequest('nothing is missing: pass it instead', undefined, 'nothing_to_follow');
    if (body.dueAt.getTime() <= now.getTime() || body.dueAt.getTime() > now.getTime() + MAX_COMMITMENT_DAYS * DAY)
      throw new BadRequest(`the due date must be in the next ${MAX_COMMITMENT_DAYS} days`, undefined, 'bad_due_date');
    await setPrereview(tx, id, 'accepted_pending');
    await insertStep(tx, { applicationId: id, step: 'accepted_pending', actorId: staff.id, note: body.commitment, at: now });
    await insertCommitment(tx, {
      applicationId: id,
      materials: body.materials,
      commitment: body.commitment,
      dueAt: body.dueAt,
      by: staff.id,
      at: now,
    });
    const dropOff = await startDropOff(tx, deps, toStart(app, matter), { kind: 'staff', id: staff.id }, now);
    return { application: { id, prereview: 'accepted_pending' }, dropOff, commitment: { materials: body.materials, dueAt: body.dueAt } };
  });
}

/** Staff record that the materials under a 容缺 commitment arrived. */
export async function materialsReceived(
  db: Db,
  id: string,
  staff: User,
  now: Date,
): Promise<{ application: { id: string }; receivedAt: Date }> {
  return withTransaction(db, async (tx) => {
    await locked(tx, id);
    const c = await lockCommitment(tx, id);
    if (!c) throw new Conflict('no_commitment', 'this application has no materials to follow');
    if (c.receivedAt) throw new Conflict('already_received', 'the materials to follow were already received', { receivedAt: c.receivedAt });
    await markCommitment(tx, id, 'received_at', now);
    await insertStep(tx, { applicationId: id, step: 'materials_received', actorId: staff.id, at: now });
    return { application: { id }, receivedAt: now };
  });
}

/** The applicant sends the corrected list after a return; it waits for pre-review again (or the rules pass it). */
export async function resubmit(
  db: Db,
  deps: DropOffDeps,
  id: string,
  applicant: User,
  materials: DeclaredMaterial[],
  now: Date,
): Promise<Decided> {
  return withTransaction(db, async (tx) => {
    const { app, matter } = await locked(tx, id);
    if (app.applicantId !== applicant.id) throw new NotFound('application');
    if (app.prereview !== 'returned')
      throw new Conflict('not_returned', `only a returned application is resubmitted (this one is ${app.prereview})`, {
        prereview: app.prereview,
      });
    refuseBadMaterials(matter, materials);
    await setPrereview(tx, id, 'pending', materials);
    await insertStep(tx, { applicationId: id, step: 'resubmitted', actorId: applicant.id, materials, at: now });
    if (passesByRules(matter.prereview, matter.materials, materials)) {
      const dropOff = await passByRules(tx, deps, toStart(app, matter), now);
      return { application: { id, prereview: 'passed' }, dropOff };
    }
    return { application: { id, prereview: 'pending' }, dropOff: null };
  });
}

/** The staff queue: what waits for pre-review, oldest first, with what each lacks (names and phones masked). */
export async function prereviewQueue(db: Db, now: Date, q: { limit: number; matter?: string | undefined }) {
  const rows = await pendingApplications(db, q.limit, q.matter);
  const matters = new Map<string, Matter>();
  const items = [];
  for (const r of rows) {
    const specs = matters.get(r.matterCode) ?? (await matterOfCode(db, r.matterCode));
    matters.set(r.matterCode, specs);
    const j = judgeMaterials(specs.materials, r.materials);
    items.push({
      applicationId: r.id,
      matter: { code: r.matterCode, name: r.matterName, prereview: specs.prereview },
      applicant: { name: maskName(r.applicantName), phone: maskPhone(r.applicantPhone) },
      channelIn: r.channelIn,
      materials: r.materials,
      missingCore: j.missingCore,
      missingOther: j.missingOther,
      resubmissions: r.resubmissions,
      submittedAt: r.submittedAt,
      waitedMinutes: Math.max(0, Math.floor((now.getTime() - new Date(r.submittedAt).getTime()) / 60_000)),
    });
  }
  return { items };
}

async function matterOfCode(db: Db, code: string): Promise<Matter> {
  const r = await db.query<{ id: string }>('SELECT id FROM service_matters WHERE code = $1', [code]);
  return matterById(db, r.rows[0]!.id);
}

/** One of an application's one-time notices, as it was issued (null if there is no such number). */
export async function oneTimeNotice(db: Db, id: string, number: number): Promise<OneTimeNotice | null> {
  const steps = await stepsOf(db, id);
  return steps.find((s) => s.step === 'returned' && s.notice?.number === number)?.notice ?? null;
}

/**
 * 容缺 commitments whose due date has come without the materials: the applicant is reminded through
 * the notices outbox, once (safe to run twice or on two hub processes: the commitment's row lock and
 * reminded_at decide). How many were reminded.
 */
export async function remindCommitments(deps: { db: Db; now: () => Date; log: Logger }): Promise<number> {
  let reminded = 0;
  for (const applicationId of await dueCommitments(deps.db, deps.now())) {
    const done = await withTransaction(deps.db, async (tx) => {
      const at = deps.now();
      const c = await lockCommitment(tx, applicationId);
      if (!c || !commitmentDue(c, at)) return false;
      const app = (await lockForPrereview(tx, applicationId))!;
      const matter = await matterById(tx, app.matterId);
      const names = c.materials.map((code) => matter.materials.find((m) => m.code === code)?.name ?? code);
      await markCommitment(tx, applicationId, 'reminded_at', at);
      await insertPrereviewNotice(tx, {
        applicantId: app.applicantId,
        applicationId,
        parcelId: null,
        kind: 'materials_due',
        message: `容缺受理补交提醒 / Reminder: the materials you committed to send for ${matter.name} were due ${c.dueAt.toISOString()}: ${names.join('、')}. Please send them now.`,
        details: { materials: c.materials, dueAt: c.dueAt.toISOString() },
        at,
      });
      return true;
    });
    if (done) reminded += 1;
  }
  if (reminded > 0) deps.log.info({ reminded }, '容缺 commitments reminded');
  return reminded;
}
