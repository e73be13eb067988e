// Applying for a service matter (ADR 0027): the materials being sent and the channels in and out,
// checked against the matter's catalogue entry; the application waits for pre-review (资料预审)
// unless the matter lets the hall's rules pass it (every core material declared), in which case it
// passes in the same transaction. Nothing is reserved and no code exists until it passes: the pass
// starts the drop-off (drop-off.ts). The applicant's view of an application shows its pre-review, its
// one-time notices, a 容缺 commitment and, while it opens the compartment, the deposit code.
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { judgeMaterials, passesByRules, type ChannelIn } from '../../domain/prereview.js';
import { BadRequest, NotFound } from '../../errors.js';
import { withTransaction, type Db, type Tx } from '../../store/db.js';
import { custodyLog, type Parcel } from '../../store/parcels.js';
import type { OpenCodeCipher } from '../partner/open-code.js';
import { PartnerNotConfigured } from '../partner/runtime.js';
import {
  findApplication,
  findDropOffSite,
  findMatter,
  insertApplication,
  noticesOfApplication,
  parcelsOfApplication,
  type ApplicationRow,
  type Matter,
  type NoticeView,
} from './store.js';
import { dropOffSiteFor, refuseOverLimit, startDropOff, type DropOffDeps, type StartedDropOff } from './drop-off.js';
import {
  commitmentOf,
  insertStep,
  passedNoticeOf,
  setPrereview,
  stepsOf,
  type Commitment,
  type PrereviewStep,
} from '../prereview/store.js';
import type { User } from '../auth/auth.js';

/** How the result comes back (ADR 0024); the counter when not said. */
export const ReturnChannelBody = z.discriminatedUnion('channel', [
  /** one of the hall's own kiosks; accessible: an accessible (low) compartment if one is free (ADR 0033) */
  z.strictObject({ channel: z.literal('own_kiosk'), siteId: z.string().uuid(), accessible: z.boolean().optional() }),
  /** a partner locker site of the registry (e.g. from GET /api/sites/nearby): the result is delivered there (ADR 0025) */
  z.strictObject({ channel: z.literal('partner_locker'), siteId: z.string().uuid() }),
  /** free mail (EMS) to this address */
  z.strictObject({ channel: z.literal('mail'), address: z.string().trim().min(5).max(200) }),
  z.strictObject({ channel: z.literal('counter') }),
]);
export type ReturnChannelBody = z.infer<typeof ReturnChannelBody>;

/** The materials an applicant says are in the envelope: each a material code of the matter, once. */
export const DeclaredMaterials = z
  .array(z.strictObject({ code: z.string().min(1).max(64), copies: z.number().int().min(1).max(50).optional() }))
  .max(50);

export const CreateApplicationBody = z.strictObject({
  matterCode: z.string().min(1).max(64),
  /** what is being sent (GET /api/matters lists each matter's materials); none declared is pre-reviewed like any other list */
  materials: DeclaredMaterials.optional(),
  dropOff: z.discriminatedUnion('channel', [
    /** accessible: an accessible (low) compartment if one is free (ADR 0033) */
    z.strictObject({ channel: z.literal('own_kiosk'), siteId: z.string().uuid(), accessible: z.boolean().optional() }),
    /** a partner locker site of the registry (e.g. from GET /api/sites/nearby) */
    z.strictObject({ channel: z.literal('partner_locker'), siteId: z.string().uuid() }),
    /** a free courier pickup from this address */
    z.strictObject({ channel: z.literal('courier_pickup'), address: z.string().trim().min(5).max(200) }),
    /** the applicant brings the paper to the hall's counter */
    z.strictObject({ channel: z.literal('counter') }),
    /** no paper in: a matter without paper, or materials sent electronically only */
    z.strictObject({ channel: z.literal('none') }),
  ]),
  returnChannel: ReturnChannelBody.optional(),
});
export type CreateApplicationBody = z.infer<typeof CreateApplicationBody>;

/** 400 unless every declared material is one of the matter's, each once. */
export function refuseBadMaterials(matter: Matter, declared: z.infer<typeof DeclaredMaterials>): void {
  const j = judgeMaterials(matter.materials, declared);
  if (j.unknown.length > 0)
    throw new BadRequest(`not a material of ${matter.name}: ${j.unknown.join(', ')}`, { unknown: j.unknown }, 'unknown_material');
  if (j.duplicates.length > 0)
    throw new BadRequest(`each material once: ${j.duplicates.join(', ')}`, { duplicates: j.duplicates }, 'duplicate_material');
}

export interface SubmittedApplication {
  application: { id: string; status: string; prereview: 'pending' | 'passed'; matterCode: string; matterName: string };
  dropOff: { channel: string; site?: { id: string; name: string; address: string } };
  returnChannel: ReturnChannelBody['channel'];
  /** when the rules passed it at once: what the pass started (the code itself is in the application's view) */
  passed: StartedDropOff | null;
}

export async function submitApplication(
  db: Db,
  deps: DropOffDeps,
  applicant: User,
  body: CreateApplicationBody,
  now: Date,
): Promise<SubmittedApplication> {
  return withTransaction(db, async (tx) => {
    const matter = await findMatter(tx, body.matterCode);
    if (!matter) throw new NotFound(`service matter ${body.matterCode}`);
    const materials = body.materials ?? [];
    refuseBadMaterials(matter, materials);
    const drop = body.dropOff;
    if (drop.channel !== 'none' && !matter.channelsIn.includes(drop.channel)) {
      const how: Record<ChannelIn, string> = {
        own_kiosk: 'at one of the hall’s own kiosks',
        partner_locker: 'at a partner locker',
        courier_pickup: 'by a courier pickup',
        counter: 'at the counter',
      };
      throw new BadRequest(
        matter.paperIn ? `${matter.name} cannot be handed in ${how[drop.channel]}` : `no paper goes in for ${matter.name}`,
        undefined,
        'channel_not_allowed',
      );
    }
    let site: { id: string; name: string; address: string } | undefined;
    if (drop.channel === 'own_kiosk' || drop.channel === 'partner_locker') {
      if (drop.channel === 'partner_locker' && !deps.partnerNetwork) throw new PartnerNotConfigured();
      const s = await dropOffSiteFor(tx, drop.siteId, drop.channel, deps.partnerNetwork);
      // Refused now rather than at the pass: an applicant over the limit is told while applying.
      await refuseOverLimit(tx, applicant.id, s.id, deps.openDeposits);
      site = { id: s.id, name: s.name, address: s.address };
    }
    const choice = await returnChoice(tx, matter, body.returnChannel);
    const id = uuidv7();
    await insertApplication(tx, {
      id,
      applicantId: applicant.id,
      matterId: matter.id,
      channelIn: drop.channel,
      ...choice,
      materials,
      dropSiteId: site?.id ?? null,
      pickupAddress: drop.channel === 'courier_pickup' ? drop.address : null,
      accessibleDrop: drop.channel === 'own_kiosk' && drop.accessible === true,
      accessibleReturn: body.returnChannel?.channel === 'own_kiosk' && body.returnChannel.accessible === true,
      at: now,
    });
    await insertStep(tx, { applicationId: id, step: 'submitted', actorId: applicant.id, materials, at: now });
    const passed = passesByRules(matter.prereview, matter.materials, materials)
      ? await passByRules(
          tx,
          deps,
          {
            id,
            applicantId: applicant.id,
            matter,
            channelIn: drop.channel,
            dropSiteId: site?.id ?? null,
            pickupAddress: drop.channel === 'courier_pickup' ? drop.address : null,
          },
          now,
        )
      : null;
    return {
      application: { id, status: 'submitted', prereview: passed ? 'passed' : 'pending', matterCode: matter.code, matterName: matter.name },
      dropOff: { channel: drop.channel, ...(site && { site }) },
      returnChannel: choice.channelOut,
      passed,
    };
  });
}

/** The hall's rules pass it: recorded as such, and the drop-off starts in the same transaction. */
export async function passByRules(tx: Tx, deps: DropOffDeps, app: Parameters<typeof startDropOff>[2], now: Date): Promise<StartedDropOff> {
  await setPrereview(tx, app.id, 'passed');
  await insertStep(tx, { applicationId: app.id, step: 'passed', byRules: true, actorId: null, at: now });
  return startDropOff(tx, deps, app, { kind: 'system', id: null }, now);
}

/** The deposit code as the applicant uses it (the shape of an issued code, ADR 0018's factor included). */
export interface DepositView {
  id: string;
  purpose: 'deposit';
  code: string;
  qrToken: string | null;
  expiresAt: string;
  factor: { kind: 'phone' } | { kind: 'pin'; pin: string };
  site: unknown;
  compartment: unknown;
}

export interface ApplicationView extends ApplicationRow {
  parcels: Array<Parcel & { events: Awaited<ReturnType<typeof custodyLog>> }>;
  /** what the applicant was told (e.g. that a deposit code expired, and how to get a new one) */
  notices: NoticeView[];
  /** what the pre-review told the applicant: passed (where and how to hand in), each one-time notice, a 容缺 reminder */
  prereviewNotices: NoticeView[];
  /** every pre-review step, with each one-time notice kept as it was issued */
  prereviewSteps: PrereviewStep[];
  /** 容缺受理: the materials to follow, the commitment and its due date */
  commitment: Commitment | null;
}

export async function getApplication(db: Db, id: string): Promise<ApplicationView | null> {
  const a = await findApplication(db, id);
  if (!a) return null;
  const parcels = await parcelsOfApplication(db, id);
  return {
    ...a,
    parcels: await Promise.all(parcels.map(async (p) => ({ ...p, events: await custodyLog(db, p.id) }))),
    notices: await noticesOfApplication(db, id),
    prereviewNotices: await noticesOfApplication(db, id, true),
    prereviewSteps: await stepsOf(db, id),
    commitment: await commitmentOf(db, id),
  };
}

/**
 * The deposit code of a passed own-kiosk application, opened for its applicant only, and only while it
 * opens the compartment (the parcel still awaits its deposit and the code has not run out).
 */
export async function depositCodeOf(db: Db, cipher: OpenCodeCipher, applicationId: string, now: Date): Promise<DepositView | null> {
  const n = await passedNoticeOf(db, applicationId);
  if (!n?.parcelId || n.parcelState !== 'awaiting_deposit') return null;
  const d = n.details as {
    codeId?: string;
    sealedCode?: string;
    sealedQr?: string;
    sealedPin?: string;
    factor?: string;
    codeExpiresAt?: string;
    site?: unknown;
    compartment?: unknown;
  };
  if (!d.sealedCode || !d.codeId || !d.codeExpiresAt || Date.parse(d.codeExpiresAt) <= now.getTime()) return null;
  const open = (sealed: string | undefined) => (sealed ? cipher.open(n.parcelId!, Buffer.from(sealed, 'base64')) : null);
  const code = open(d.sealedCode);
  if (!code) return null;
  const pin = open(d.sealedPin);
  return {
    id: d.codeId,
    purpose: 'deposit',
    code,
    qrToken: open(d.sealedQr),
    expiresAt: d.codeExpiresAt,
    factor: d.factor === 'pin' && pin ? { kind: 'pin', pin } : { kind: 'phone' },
    site: d.site,
    compartment: n.compartment ?? d.compartment,
  };
}

interface ReturnChoice {
  channelOut: ReturnChannelBody['channel'];
  returnSiteId: string | null;
  returnAddress: string | null;
}

/** The return channel, checked against the matter and (for a kiosk) the site. */
async function returnChoice(tx: Tx, matter: Matter, rc: ReturnChannelBody | undefined): Promise<ReturnChoice> {
  const chosen = rc ?? { channel: 'counter' as const };
  if (chosen.channel !== 'counter' && !matter.channelsOut.includes(chosen.channel))
    throw new BadRequest(
      `the result of ${matter.name} cannot come back by ${chosen.channel.replace('_', ' ')}`,
      undefined,
      'channel_not_allowed',
    );
  if (chosen.channel === 'own_kiosk') {
    const site = await findDropOffSite(tx, chosen.siteId);
    if (!site || site.retired) throw new NotFound('return site');
    if (site.network !== 'own') throw new BadRequest('results come back only to the hall’s own kiosks', undefined, 'wrong_network');
    return { channelOut: 'own_kiosk', returnSiteId: site.id, returnAddress: null };
  }
  if (chosen.channel === 'partner_locker') {
    const site = await findDropOffSite(tx, chosen.siteId);
    if (!site || site.retired) throw new NotFound('return site');
    if (site.network === 'own')
      throw new BadRequest('this site is one of the hall’s own kiosks: choose the return channel own_kiosk', undefined, 'wrong_network');
    return { channelOut: 'partner_locker', returnSiteId: site.id, returnAddress: null };
  }
  if (chosen.channel === 'mail') return { channelOut: 'mail', returnSiteId: null, returnAddress: chosen.address };
  return { channelOut: 'counter', returnSiteId: null, returnAddress: null };
}
