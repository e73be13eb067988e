// What an applicant may do with a code or a result waiting for them (ADR 0033): send the same live
// code again by SMS (a limited number of times per code), authorise someone else to collect a result
// in an own kiosk (委托代领: a separate collection code whose second factor is the delegate's phone,
// sent to that phone, revocable), and ask for more time to collect (moving the hold and the live
// codes' expiry together). Each change, its custody event and its notice in one transaction; an
// applicant gets 404 for anything not theirs.
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { normalizeMobile, type CodePurpose } from '@xinbao/protocol';
import type { CodeLifetimes } from '../../domain/access-codes.js';
import { maskName, maskPhone } from '../../domain/masking.js';
import { Conflict, HubError, NotFound } from '../../errors.js';
import { withTransaction, type Db, type Tx } from '../../store/db.js';
import { appendCustody, lockParcel, type Actor, type Parcel } from '../../store/parcels.js';
import type { User } from '../auth/auth.js';
import { issueCode, type CodeKeys } from '../codes/service.js';
import { lockLiveCodes, revokeCode, setCodeExpiry, type LiveCode } from '../codes/store.js';
import type { OpenCodeCipher } from '../partner/open-code.js';
import { recordNotice } from '../notifications/store.js';
import { compartmentNumberOf, findReturnSite, ownerOfParcel, parcelOf } from '../results/store.js';
import {
  delegateCodeIds,
  delegatesOf,
  extendHoldUntil,
  holdOf,
  insertDelegate,
  lockApplicantOf,
  lockDelegate,
  lockHold,
  markDelegateRevoked,
  resendsOf,
  sealedCodeNotice,
  type DelegateRow,
} from './store.js';

/** What the applicant may ask for, and how often (hub config: CODE_RESENDS_ALLOWED, RESULT_EXTENSIONS_ALLOWED, RESULT_EXTEND_HOURS). */
export interface CollectPolicy {
  resendsAllowed: number;
  extensionsAllowed: number;
  extendHours: number;
}

export interface CollectDeps {
  db: Db;
  keys: CodeKeys;
  lifetimes: CodeLifetimes;
  cipher: OpenCodeCipher;
  policy: CollectPolicy;
}

export const DelegateBody = z.strictObject({
  name: z.string().trim().min(1).max(40),
  /** a mainland mobile number: the delegate's code goes to it, and its last 6 digits go with the code */
  phone: z
    .string()
    .max(32)
    .transform((p, ctx) => {
      const m = normalizeMobile(p);
      if (!m) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'a mainland mobile number (11 digits)' });
      return m ?? '';
    }),
});
export type DelegateBody = z.infer<typeof DelegateBody>;

/** 429: the code was sent again as often as allowed. */
export class ResendLimit extends HubError {
  constructor(allowed: number, sent: number) {
    super(429, 'resend_limit', `this code was already sent again ${sent} times (at most ${allowed})`, { allowed, sent });
  }
}

const HOUR = 3_600_000;
const applicantActor = (u: User): Actor => ({ kind: 'applicant', id: u.id });

/** The applicant's own result, locked; 404 for anyone else's or for what is not a result. */
async function lockOwnResult(tx: Tx, applicant: User, parcelId: string): Promise<Parcel> {
  const owner = await ownerOfParcel(tx, parcelId);
  if (!owner || owner.applicantId !== applicant.id) throw new NotFound('result');
  const parcel = await lockParcel(tx, parcelId);
  if (parcel.direction !== 'outbound') throw new NotFound('result');
  return parcel;
}

/** The applicant's own live code of this purpose (never a delegate's). */
async function applicantLiveCode(tx: Tx, parcelId: string, purpose: CodePurpose, now: Date): Promise<LiveCode | null> {
  const delegates = await delegateCodeIds(tx, parcelId);
  const live = (await lockLiveCodes(tx, parcelId, purpose, now)).filter((c) => !delegates.has(c.id));
  return live.at(-1) ?? null;
}

// ---- resend

export interface Resent {
  resent: true;
  remaining: number;
}

/** The deposit code of the applicant's application, sent again. */
export async function resendDepositCode(deps: CollectDeps, applicant: User, applicationId: string, now: Date): Promise<Resent> {
  return withTransaction(deps.db, async (tx) => {
    if ((await lockApplicantOf(tx, applicationId)) !== applicant.id) throw new NotFound('application');
    const inbound = await parcelOf(tx, applicationId, 'inbound');
    if (!inbound || inbound.state !== 'awaiting_deposit') throw new Conflict('no_live_code', 'there is no deposit code waiting to be used');
    return resend(tx, deps, applicant, await lockParcel(tx, inbound.id), 'deposit', now);
  });
}

/** The collection code of the applicant's result, sent again. */
export async function resendResultCode(deps: CollectDeps, applicant: User, parcelId: string, now: Date): Promise<Resent> {
  return withTransaction(deps.db, async (tx) => {
    const parcel = await lockOwnResult(tx, applicant, parcelId);
    if (parcel.state !== 'in_locker') throw new Conflict('no_live_code', `there is no collection code while the result is ${parcel.state}`);
    const site = parcel.siteId ? await findReturnSite(tx, parcel.siteId) : null;
    if (site && site.network !== 'own') return resendPartnerCode(tx, deps, applicant, parcel, now);
    return resend(tx, deps, applicant, parcel, 'collect', now);
  });
}

/**
 * A partner locker's collection code is the partner's (ADR 0025): the hub has it only sealed in the
 * result's notice, live while the result waits there and no return is ordered; counted by that notice.
 */
async function resendPartnerCode(tx: Tx, deps: CollectDeps, applicant: User, parcel: Parcel, now: Date): Promise<Resent> {
  const hold = await holdOf(tx, parcel.id);
  const source = hold && !hold.returnOrderedAt ? await sealedCodeNotice(tx, parcel.id, 'collect') : null;
  if (!hold || !source) throw new Conflict('no_live_code', 'there is no live code to send again');
  return sendAgain(tx, deps, applicant, parcel, { purpose: 'collect', codeId: `partner:${source.id}`, expiresAt: null, source, hold }, now);
}

/**
 * The same live code again (never a new one: the kiosks' books stay right), sealed in a new notice as
 * the first one was, so the SMS sender opens it for the applicant's phone only.
 */
async function resend(
  tx: Tx,
  deps: CollectDeps,
  applicant: User,
  parcel: Parcel,
  purpose: 'deposit' | 'collect',
  now: Date,
): Promise<Resent> {
  const code = await applicantLiveCode(tx, parcel.id, purpose, now);
  const source = code && (await sealedCodeNotice(tx, parcel.id, purpose));
  // A notice naming another code is about a code no longer live (the code is never re-sealed elsewhere).
  if (!code || !source || (typeof source.details.codeId === 'string' && source.details.codeId !== code.id))
    throw new Conflict('no_live_code', 'there is no live code to send again');
  const hold = purpose === 'collect' ? await holdOf(tx, parcel.id) : null;
  return sendAgain(tx, deps, applicant, parcel, { purpose, codeId: code.id, expiresAt: code.expiresAt, source, hold }, now);
}

/** The resend itself: counted per code, a `code_resent` notice with the original's seal, custody `code_resent`. */
async function sendAgain(
  tx: Tx,
  deps: CollectDeps,
  applicant: User,
  parcel: Parcel,
  c: {
    purpose: 'deposit' | 'collect';
    codeId: string;
    expiresAt: Date | null;
    source: { details: Record<string, unknown> };
    hold: { holdUntil: Date } | null;
  },
  now: Date,
): Promise<Resent> {
  const allowed = deps.policy.resendsAllowed;
  const sent = await resendsOf(tx, parcel.id, c.codeId);
  if (sent >= allowed) throw new ResendLimit(allowed, sent);
  const d = c.source.details;
  await recordNotice(tx, {
    parcelId: parcel.id,
    kind: 'code_resent',
    details: {
      purpose: c.purpose,
      codeId: c.codeId,
      sealedCode: d.sealedCode,
      factor: d.factor ?? 'phone',
      ...(d.sealedPin !== undefined && { sealedPin: d.sealedPin }),
      compartment: d.compartment,
      ...(c.expiresAt && { codeExpiresAt: c.expiresAt.toISOString() }),
      ...(c.hold && { holdUntil: c.hold.holdUntil.toISOString() }),
      count: sent + 1,
    },
    at: now,
  });
  await appendCustody(tx, parcel, 'code_resent', parcel.state, parcel.state, {
    actor: applicantActor(applicant),
    at: now,
    siteId: parcel.siteId,
    evidence: { purpose: c.purpose, codeId: c.codeId, count: sent + 1 },
  });
  return { resent: true, remaining: allowed - sent - 1 };
}

// ---- 委托代领

export interface DelegateView {
  id: string;
  /** masked (张*) */
  name: string;
  /** masked (尾号5678) */
  phone: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  usedAt: string | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function delegateView(d: DelegateRow): DelegateView {
  return {
    id: d.id,
    name: maskName(d.name),
    phone: maskPhone(d.phone),
    createdAt: d.createdAt.toISOString(),
    expiresAt: d.expiresAt.toISOString(),
    revokedAt: iso(d.revokedAt),
    usedAt: iso(d.usedAt),
  };
}

const isLive = (d: DelegateRow, now: Date) =>
  d.revokedAt === null && d.usedAt === null && d.codeRevokedAt === null && d.expiresAt.getTime() > now.getTime();

/** 409 unless the result waits in one of the hall's own kiosks (partner lockers have their own codes). */
async function refuseUndelegable(tx: Tx, parcel: Parcel): Promise<{ siteId: string; compartmentId: string }> {
  if (parcel.state !== 'in_locker' || !parcel.siteId)
    throw new Conflict('cannot_delegate', `a result that is ${parcel.state} cannot be collected by someone else`, { state: parcel.state });
  const site = await findReturnSite(tx, parcel.siteId);
  if (!site || site.network !== 'own' || !parcel.compartmentId)
    throw new Conflict('delegate_not_supported', 'a result in a partner locker can be collected only with the partner’s own code');
  const hold = await holdOf(tx, parcel.id);
  if (hold?.returnOrderedAt) throw new Conflict('cannot_delegate', 'this result is being taken back to the service hall');
  return { siteId: site.id, compartmentId: parcel.compartmentId };
}

export async function authoriseDelegate(
  deps: CollectDeps,
  applicant: User,
  parcelId: string,
  body: DelegateBody,
  now: Date,
): Promise<DelegateView> {
  return withTransaction(deps.db, async (tx) => {
    const parcel = await lockOwnResult(tx, applicant, parcelId);
    const place = await refuseUndelegable(tx, parcel);
    const existing = (await delegatesOf(tx, parcelId)).find((d) => isLive(d, now));
    if (existing)
      throw new Conflict('delegate_exists', 'someone is already authorised to collect this result; revoke them first', {
        delegateId: existing.id,
      });
    // The delegate's code lives as long as the applicant's: no longer than the result waits.
    const own = await applicantLiveCode(tx, parcelId, 'collect', now);
    if (!own) throw new Conflict('cannot_delegate', 'this result has no live collection code');
    const code = await issueCode(tx, deps.keys, {
      purpose: 'collect',
      siteId: place.siteId,
      compartmentId: place.compartmentId,
      parcelId,
      holder: 'applicant',
      // the delegate's phone: its last 6 digits are this code's second factor (ADR 0018)
      holderPhone: body.phone,
      now,
      lifetimes: deps.lifetimes,
      alongside: true,
      expiresAt: own.expiresAt,
    });
    const id = uuidv7();
    await insertDelegate(tx, { id, parcelId, codeId: code.id, name: body.name, phone: body.phone, createdBy: applicant.id, at: now });
    const masked = { name: maskName(body.name), phone: maskPhone(body.phone) };
    await recordNotice(tx, {
      parcelId,
      kind: 'delegate_code',
      toPhone: body.phone,
      details: {
        delegateId: id,
        delegate: masked,
        compartment: await compartmentNumberOf(tx, place.compartmentId),
        expiresAt: code.expiresAt.toISOString(),
        sealedDelegateCode: deps.cipher.seal(parcelId, code.code).toString('base64'),
      },
      at: now,
    });
    await appendCustody(tx, parcel, 'delegate_authorised', parcel.state, parcel.state, {
      actor: applicantActor(applicant),
      at: now,
      siteId: parcel.siteId,
      evidence: { delegateId: id, ...masked },
    });
    return {
      id,
      ...masked,
      createdAt: now.toISOString(),
      expiresAt: code.expiresAt.toISOString(),
      revokedAt: null,
      usedAt: null,
    };
  });
}

export async function listDelegates(db: Db, applicant: User, parcelId: string): Promise<DelegateView[]> {
  const owner = await ownerOfParcel(db, parcelId);
  if (!owner || owner.applicantId !== applicant.id) throw new NotFound('result');
  return (await delegatesOf(db, parcelId)).map(delegateView);
}

/** Revokes the delegate's code at once (the sync trigger tells the site's kiosks, ADR 0008); again changes nothing. */
export async function revokeDelegate(
  deps: Pick<CollectDeps, 'db'>,
  applicant: User,
  parcelId: string,
  delegateId: string,
  now: Date,
): Promise<void> {
  await withTransaction(deps.db, async (tx) => {
    const parcel = await lockOwnResult(tx, applicant, parcelId);
    const d = await lockDelegate(tx, parcelId, delegateId);
    if (!d) throw new NotFound('delegate');
    if (d.revokedAt) return;
    if (d.usedAt) throw new Conflict('delegate_used', 'the delegate already used their code');
    await markDelegateRevoked(tx, d.id, now);
    await revokeCode(tx, d.codeId, now);
    await appendCustody(tx, parcel, 'delegate_revoked', parcel.state, parcel.state, {
      actor: applicantActor(applicant),
      at: now,
      siteId: parcel.siteId,
      evidence: { delegateId: d.id, name: maskName(d.name), phone: maskPhone(d.phone) },
    });
  });
}

// ---- more time to collect

export async function extendHold(deps: CollectDeps, applicant: User, parcelId: string, now: Date): Promise<{ holdUntil: string }> {
  return withTransaction(deps.db, async (tx) => {
    const parcel = await lockOwnResult(tx, applicant, parcelId);
    const hold = parcel.state === 'in_locker' ? await lockHold(tx, parcelId) : null;
    if (!hold || hold.returnOrderedAt)
      throw new Conflict('cannot_extend', `only a result waiting in a locker can wait longer (this one is ${parcel.state})`, {
        state: parcel.state,
      });
    const allowed = deps.policy.extensionsAllowed;
    if (hold.extensions >= allowed)
      throw new Conflict('already_extended', `the time to collect was already extended ${hold.extensions} times (at most ${allowed})`, {
        allowed,
        extensions: hold.extensions,
      });
    const by = deps.policy.extendHours * HOUR;
    const until = new Date(hold.holdUntil.getTime() + by);
    await extendHoldUntil(tx, parcelId, until);
    // The live collection codes (the applicant's and a delegate's) live as much longer; the kiosks' books learn it.
    for (const c of await lockLiveCodes(tx, parcelId, 'collect', now)) await setCodeExpiry(tx, c.id, new Date(c.expiresAt.getTime() + by));
    await recordNotice(tx, { parcelId, kind: 'hold_extended', details: { holdUntil: until.toISOString() }, at: now });
    await appendCustody(tx, parcel, 'hold_extended', parcel.state, parcel.state, {
      actor: applicantActor(applicant),
      at: now,
      siteId: parcel.siteId,
      evidence: { until: until.toISOString() },
    });
    return { holdUntil: until.toISOString() };
  });
}

// ---- what the application's page shows

export interface ResultActions {
  parcelId: string;
  state: string;
  /** until when the locker holds it; null when it is not (or no longer) held */
  holdUntil: string | null;
  extensionsLeft: number;
  /** how many more times the applicant's collection code may be sent again (0 without a live code) */
  resendsLeft: number;
  /** the live (or last) delegate, masked; null when none */
  delegate: DelegateView | null;
  /** whether a delegate may be authorised at all (an own kiosk) */
  delegateSupported: boolean;
}

export async function resultActionsOf(
  db: Db,
  policy: CollectPolicy,
  parcel: Pick<Parcel, 'id' | 'state' | 'siteId' | 'compartmentId'>,
  now: Date,
): Promise<ResultActions> {
  return withTransaction(db, async (tx) => {
    const hold = await holdOf(tx, parcel.id);
    const waiting = parcel.state === 'in_locker' && hold !== null && hold.returnOrderedAt === null;
    const site = parcel.siteId ? await findReturnSite(tx, parcel.siteId) : null;
    const partner = site !== null && site.network !== 'own';
    // The code a resend would send: the applicant's own, or (a partner locker) the partner's sealed in its notice.
    const partnerSource = waiting && partner ? await sealedCodeNotice(tx, parcel.id, 'collect') : null;
    const own = waiting && !partner ? await applicantLiveCode(tx, parcel.id, 'collect', now) : null;
    const codeKey = own ? own.id : partnerSource ? `partner:${partnerSource.id}` : null;
    const delegates = await delegatesOf(tx, parcel.id);
    const live = delegates.find((d) => isLive(d, now)) ?? null;
    return {
      parcelId: parcel.id,
      state: parcel.state,
      holdUntil: waiting ? hold.holdUntil.toISOString() : null,
      extensionsLeft: waiting ? Math.max(0, policy.extensionsAllowed - hold.extensions) : 0,
      resendsLeft: codeKey ? Math.max(0, policy.resendsAllowed - (await resendsOf(tx, parcel.id, codeKey))) : 0,
      delegate: live ? delegateView(live) : ((delegates.at(-1) && delegateView(delegates.at(-1)!)) ?? null),
      delegateSupported: site?.network === 'own' && parcel.compartmentId !== null,
    };
  });
}

/** How many more times the application's deposit code may be sent again (0 without a live one). */
export async function depositResendsLeft(db: Db, policy: CollectPolicy, parcelId: string, now: Date): Promise<number> {
  return withTransaction(db, async (tx) => {
    const own = await applicantLiveCode(tx, parcelId, 'deposit', now);
    return own ? Math.max(0, policy.resendsAllowed - (await resendsOf(tx, parcelId, own.id))) : 0;
  });
}
