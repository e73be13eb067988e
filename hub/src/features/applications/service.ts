// Applications and their inbound parcel: choosing an own kiosk reserves a fitting compartment and
// issues the deposit code, all in one transaction; choosing a partner locker creates the parcel
// `reserving` with the hub's reservation record, and the reservation itself is made at the partner
// by a job after the commit. An applicant holds only so many open reservations at once, per site and
// overall (domain/open-deposits.ts). The tracking view is drawn from the custody log and the notices.
import { randomInt } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { chooseCompartment } from '../../domain/compartments.js';
import { judgeNewDeposit, type OpenDepositLimits } from '../../domain/open-deposits.js';
import { makeTrackingNumber } from '../../domain/tracking-number.js';
import type { CodeLifetimes } from '../../domain/access-codes.js';
import { BadRequest, Conflict, NotFound } from '../../errors.js';
import { withTransaction, type Db, type Tx } from '../../store/db.js';
import { insertReservation } from '../partner/store.js';
import { lockFreeCompartments, setCompartmentState } from '../../store/compartments.js';
import { appendCustody, custodyLog, insertParcel, type Parcel } from '../../store/parcels.js';
import {
  countOpenDeposits,
  findApplication,
  findDropOffSite,
  findMatter,
  insertApplication,
  lockApplicant,
  noticesOfApplication,
  parcelsOfApplication,
  type ApplicationRow,
  type Matter,
  type NoticeView,
} from './store.js';
import { issueCode, type CodeKeys, type IssuedCode } from '../codes/service.js';
import { recordNotice } from '../notifications/store.js';
import type { User } from '../auth/auth.js';

/** How the result comes back (ADR 0024); the counter when not said. */
export const ReturnChannelBody = z.discriminatedUnion('channel', [
  /** one of the hall's own kiosks */
  z.strictObject({ channel: z.literal('own_kiosk'), siteId: z.string().uuid() }),
  /** a partner locker site of the registry (e.g. from GET /api/sites/nearby): the result is delivered there (ADR 0025) */
  z.strictObject({ channel: z.literal('partner_locker'), siteId: z.string().uuid() }),
  /** free mail (EMS) to this address */
  z.strictObject({ channel: z.literal('mail'), address: z.string().trim().min(5).max(200) }),
  z.strictObject({ channel: z.literal('counter') }),
]);
export type ReturnChannelBody = z.infer<typeof ReturnChannelBody>;

export const CreateApplicationBody = z.strictObject({
  matterCode: z.string().min(1).max(64),
  dropOff: z.discriminatedUnion('channel', [
    z.strictObject({ channel: z.literal('own_kiosk'), siteId: z.string().uuid() }),
    /** a partner locker site of the registry (e.g. from GET /api/sites/nearby) */
    z.strictObject({ channel: z.literal('partner_locker'), siteId: z.string().uuid() }),
    /** no paper in: the application has only a result */
    z.strictObject({ channel: z.literal('none') }),
  ]),
  returnChannel: ReturnChannelBody.optional(),
});
export type CreateApplicationBody = z.infer<typeof CreateApplicationBody>;

interface ReturnChoice {
  channelOut: ReturnChannelBody['channel'];
  returnSiteId: string | null;
  returnAddress: string | null;
}

/** The return channel, checked against the matter and (for a kiosk) the site. */
async function returnChoice(tx: Tx, matter: Matter, rc: ReturnChannelBody | undefined): Promise<ReturnChoice> {
  const chosen = rc ?? { channel: 'counter' as const };
  if (chosen.channel !== 'counter' && !matter.channels.includes(chosen.channel))
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

export interface CreatedResultOnlyApplication {
  application: { id: string; status: string; matterCode: string; matterName: string };
  returnChannel: ReturnChannelBody['channel'];
}

/** An application with no paper in: only a result will travel, back by the chosen channel. */
export async function createResultOnlyApplication(
  db: Db,
  applicant: User,
  body: CreateApplicationBody & { dropOff: { channel: 'none' } },
  now: Date,
): Promise<CreatedResultOnlyApplication> {
  return withTransaction(db, async (tx) => {
    const matter = await findMatter(tx, body.matterCode);
    if (!matter) throw new NotFound(`service matter ${body.matterCode}`);
    const choice = await returnChoice(tx, matter, body.returnChannel);
    const id = uuidv7();
    await insertApplication(tx, { id, applicantId: applicant.id, matterId: matter.id, channelIn: 'none', ...choice, at: now });
    return {
      application: { id, status: 'submitted', matterCode: body.matterCode, matterName: matter.name },
      returnChannel: choice.channelOut,
    };
  });
}

export interface CreatedApplication {
  application: { id: string; status: string; matterCode: string; matterName: string };
  parcel: Pick<Parcel, 'id' | 'trackingNumber' | 'state'>;
  site: { id: string; name: string; address: string };
  compartment: number;
  deposit: IssuedCode;
}

export async function createApplication(
  db: Db,
  keys: CodeKeys,
  lifetimes: CodeLifetimes,
  applicant: User,
  body: CreateApplicationBody & { dropOff: { channel: 'own_kiosk' } },
  now: Date,
  limits: OpenDepositLimits,
): Promise<CreatedApplication> {
  return withTransaction(db, async (tx) => {
    const matter = await matterFor(tx, body.matterCode, 'own_kiosk');
    const site = await findDropOffSite(tx, body.dropOff.siteId);
    if (!site) throw new NotFound('site');
    if (site.network !== 'own') throw new BadRequest('this site is not one of the hall’s own kiosks', undefined, 'wrong_network');
    const { phone } = await refuseOverLimit(tx, applicant.id, site.id, limits);
    // Two applicants reserving at once never get the same compartment and never wait on each other.
    const compartment = chooseCompartment(await lockFreeCompartments(tx, site.id), matter.parcelSize);
    if (!compartment)
      throw new Conflict(
        'no_free_compartment',
        `no free compartment of size ${matter.parcelSize} or larger at ${site.name}; choose another site`,
      );
    await setCompartmentState(tx, compartment.id, 'reserve', now);

    const choice = await returnChoice(tx, matter, body.returnChannel);
    const parcel = await insertInboundApplication(tx, {
      ...choice,
      applicantId: applicant.id,
      matterId: matter.id,
      channelIn: 'own_kiosk',
      state: 'awaiting_deposit',
      siteId: site.id,
      compartmentId: compartment.id,
      now,
    });
    await appendCustody(tx, parcel, 'created', null, 'awaiting_deposit', {
      actor: { kind: 'applicant', id: applicant.id },
      at: now,
      siteId: site.id,
      compartment: compartment.number,
      evidence: { matter: body.matterCode },
    });
    const deposit = await issueCode(tx, keys, {
      purpose: 'deposit',
      siteId: site.id,
      compartmentId: compartment.id,
      parcelId: parcel.id,
      holder: 'applicant',
      // the code goes to the applicant, whose phone's last 6 digits go with it on the keypad (ADR 0018)
      holderPhone: phone,
      now,
      lifetimes,
    });
    await recordNotice(tx, { parcelId: parcel.id, kind: 'deposit_code_issued', details: { expiresAt: deposit.expiresAt }, at: now });
    return {
      application: { id: parcel.applicationId, status: 'submitted', matterCode: body.matterCode, matterName: matter.name },
      parcel: { id: parcel.id, trackingNumber: parcel.trackingNumber, state: parcel.state },
      site: { id: site.id, name: site.name, address: site.address },
      compartment: compartment.number,
      deposit,
    };
  });
}

/** 409 when the applicant already holds as many open reservations as allowed (at the site or overall). */
async function refuseOverLimit(tx: Tx, applicantId: string, siteId: string, limits: OpenDepositLimits): Promise<{ phone: string | null }> {
  // Counted under the applicant's row lock: two applications sent at once cannot both squeeze under the limit.
  const applicant = await lockApplicant(tx, applicantId);
  const v = judgeNewDeposit(await countOpenDeposits(tx, applicantId, siteId), limits);
  if (!v.ok) throw new Conflict(v.code, v.message, { limit: v.limit, open: v.open });
  return applicant;
}

async function matterFor(tx: Tx, code: string, channel: 'own_kiosk' | 'partner_locker'): Promise<Matter> {
  const matter = await findMatter(tx, code);
  if (!matter) throw new NotFound(`service matter ${code}`);
  if (!matter.channels.includes(channel)) {
    const where = channel === 'own_kiosk' ? 'at one of the hall’s own kiosks' : 'at a partner locker';
    throw new BadRequest(`${matter.name} cannot be handed in ${where}`, undefined, 'channel_not_allowed');
  }
  return matter;
}

export interface CreatedPartnerApplication {
  application: { id: string; status: string; matterCode: string; matterName: string };
  parcel: Pick<Parcel, 'id' | 'trackingNumber' | 'state'>;
  site: { id: string; name: string; address: string };
}

/**
 * An application handed in at a partner locker: the parcel starts `reserving`, with the hub's
 * reservation record (the parcel id is its request id at the partner). The caller queues the
 * reservation job after the commit; the applicant follows it on the application.
 */
export async function createPartnerApplication(
  db: Db,
  network: string,
  applicant: User,
  body: CreateApplicationBody & { dropOff: { channel: 'partner_locker' } },
  now: Date,
  limits: OpenDepositLimits,
): Promise<CreatedPartnerApplication> {
  return withTransaction(db, async (tx) => {
    const matter = await matterFor(tx, body.matterCode, 'partner_locker');
    const site = await findDropOffSite(tx, body.dropOff.siteId);
    if (!site || site.retired) throw new NotFound('partner locker site');
    if (site.network === 'own')
      throw new BadRequest('this site is one of the hall’s own kiosks: apply with the channel own_kiosk', undefined, 'wrong_network');
    if (site.network !== network)
      throw new BadRequest(
        `this site belongs to the ${site.network} network, which this hub does not reserve at`,
        undefined,
        'wrong_network',
      );
    await refuseOverLimit(tx, applicant.id, site.id, limits);

    const choice = await returnChoice(tx, matter, body.returnChannel);
    const parcel = await insertInboundApplication(tx, {
      ...choice,
      applicantId: applicant.id,
      matterId: matter.id,
      channelIn: 'partner_locker',
      state: 'reserving',
      siteId: site.id,
      compartmentId: null,
      now,
    });
    await insertReservation(tx, { parcelId: parcel.id, network, siteId: site.id, requestedSize: matter.parcelSize, at: now });
    await appendCustody(tx, parcel, 'created', null, 'reserving', {
      actor: { kind: 'applicant', id: applicant.id },
      at: now,
      siteId: site.id,
      evidence: { matter: body.matterCode, network },
    });
    return {
      application: { id: parcel.applicationId, status: 'submitted', matterCode: body.matterCode, matterName: matter.name },
      parcel: { id: parcel.id, trackingNumber: parcel.trackingNumber, state: parcel.state },
      site: { id: site.id, name: site.name, address: site.address },
    };
  });
}

export interface ApplicationView extends ApplicationRow {
  parcels: Array<Parcel & { events: Awaited<ReturnType<typeof custodyLog>> }>;
  /** what the applicant was told (e.g. that a deposit code expired, and how to get a new one) */
  notices: NoticeView[];
}

export async function getApplication(db: Db, id: string): Promise<ApplicationView | null> {
  const a = await findApplication(db, id);
  if (!a) return null;
  const parcels = await parcelsOfApplication(db, id);
  return {
    ...a,
    parcels: await Promise.all(parcels.map(async (p) => ({ ...p, events: await custodyLog(db, p.id) }))),
    notices: await noticesOfApplication(db, id),
  };
}

/** The application and its inbound parcel (whose custody event the caller writes, in the same transaction). */
async function insertInboundApplication(
  tx: Tx,
  a: ReturnChoice & {
    applicantId: string;
    matterId: string;
    channelIn: 'own_kiosk' | 'partner_locker';
    state: Parcel['state'];
    siteId: string;
    compartmentId: string | null;
    now: Date;
  },
): Promise<Parcel> {
  const applicationId = uuidv7();
  await insertApplication(tx, {
    id: applicationId,
    applicantId: a.applicantId,
    matterId: a.matterId,
    channelIn: a.channelIn,
    channelOut: a.channelOut,
    returnSiteId: a.returnSiteId,
    returnAddress: a.returnAddress,
    at: a.now,
  });
  const parcel: Parcel = {
    id: uuidv7(),
    applicationId,
    direction: 'inbound',
    trackingNumber: makeTrackingNumber(() => randomInt(0, 10)),
    state: a.state,
    siteId: a.siteId,
    compartmentId: a.compartmentId,
  };
  await insertParcel(tx, parcel);
  return parcel;
}
