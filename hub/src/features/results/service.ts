// Results back to the applicant (ADR 0024). Staff approve or reject an application; approving
// creates the outbound parcel `result_ready` and starts the applicant's return channel in the same
// transaction: the counter (`at_counter`, handed over after an identity check), the mail (a mail
// order, `mailed` once the courier system has it, `delivered` from its callback) or an own kiosk (a
// compartment reserved and a delivery order; the courier's code, the door and the collection code
// do the rest, see resultDoorMoved) or a partner locker (a delivery reservation at the partner and
// a delivery order with the partner's deliver code, both made by the job; the partner's events do
// the rest, see features/partner/deliveries.ts and ADR 0025). What must reach the outside (the
// courier system, the partner) is a job after the commit (jobs.ts). Every applicant-facing message
// goes to the notices outbox, once.
import { randomInt } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import type { CodeLifetimes } from '../../domain/access-codes.js';
import { chooseFor } from '../../domain/compartments.js';
import { holdUntil, maskPostalAddress, type ResultTimers, type ReturnChannel } from '../../domain/results.js';
import { makeTrackingNumber } from '../../domain/tracking-number.js';
import { BadRequest, Conflict, NotFound } from '../../errors.js';
import { withTransaction, type Db, type Tx } from '../../store/db.js';
import { lockFreeCompartments, setCompartmentState } from '../../store/compartments.js';
import { appendCustody, insertParcel, lockParcel, moveParcel, type Actor, type Parcel } from '../../store/parcels.js';
import type { User } from '../auth/auth.js';
import { issueCode, type CodeKeys } from '../codes/service.js';
import { revokeLiveCodes } from '../codes/store.js';
import type { OpenCodeCipher } from '../partner/open-code.js';
import { insertReservation } from '../partner/store.js';
import {
  findResultOrder,
  findReturnSite,
  insertHold,
  insertResultNotice,
  lockApplication,
  markResultOrderDone,
  markReturnOrdered,
  noticesOfApplicant,
  openResultOrder,
  ownerOfParcel,
  parcelOf,
  recordDecision,
  setReturnChannel,
  placeResult,
  compartmentNumberOf,
  type ResultOwner,
  type ApplicantNotice,
  type ResultOrderKind,
} from './store.js';
import { recordNotice } from '../notifications/store.js';
import { markOrderDispatched } from '../courier/store.js';

export interface ResultDeps {
  db: Db;
  keys: CodeKeys;
  lifetimes: CodeLifetimes;
  /** seals the collection code in the notices outbox (only its applicant, and the SMS sender, open it) */
  cipher: OpenCodeCipher;
  timers: ResultTimers;
  /** the partner network's name (PARTNER_NETWORK); null when this hub has none (no partner lockers) */
  partnerNetwork?: string | null;
}

/** A courier order for the jobs to send once the transaction that opened it has committed. */
export interface OrderToSend {
  parcelId: string;
  kind: ResultOrderKind;
}

export const ApproveBody = z.object({ note: z.string().trim().max(500).optional() }).strict();
export const RejectBody = z.object({ reason: z.string().trim().min(1).max(500) }).strict();
export const HandoverBody = z.object({ idChecked: z.literal(true), note: z.string().trim().max(500).optional() }).strict();
export const SwitchBody = z.discriminatedUnion('channel', [
  z.object({ channel: z.literal('counter') }).strict(),
  /** the address, when the application has none yet (or to send it elsewhere) */
  z.object({ channel: z.literal('mail'), address: z.string().trim().min(5).max(200).optional() }).strict(),
]);
export type SwitchBody = z.infer<typeof SwitchBody>;

export interface ResultView {
  id: string;
  trackingNumber: string;
  state: Parcel['state'];
  channel: ReturnChannel;
  /** when an accessible compartment was asked for: whether the one reserved is (ADR 0033) */
  accessible?: boolean;
}

/** An application not yet decided: submitted, or accepted (受理) at the hall with its documents (features/queue). */
const UNDECIDED: readonly string[] = ['submitted', 'accepted'];

const staffActor = (u: User): Actor => ({ kind: 'staff', id: u.id });

/** Approve: the result exists (`result_ready`) and sets off by the applicant's return channel. */
export async function approveApplication(
  deps: ResultDeps,
  staff: User,
  applicationId: string,
  note: string | null,
  now: Date,
): Promise<{ application: { id: string; status: 'approved' }; result: ResultView; toSend: OrderToSend | null }> {
  return withTransaction(deps.db, async (tx) => {
    const app = await lockApplication(tx, applicationId);
    if (!app) throw new NotFound('application');
    if (!UNDECIDED.includes(app.status))
      throw new Conflict('already_decided', `this application was already ${app.status}`, { status: app.status });
    if (app.prereview !== 'passed' && app.prereview !== 'accepted_pending')
      throw new Conflict('prereview_not_passed', `this application has not passed pre-review (it is ${app.prereview})`, {
        prereview: app.prereview,
      });
    const inbound = await parcelOf(tx, applicationId, 'inbound');
    // Documents handed in are checked first (the hall's "accept"); a result-only matter has none.
    if (inbound && inbound.state !== 'accepted')
      throw new Conflict(
        'not_accepted',
        `the documents handed in (parcel ${inbound.trackingNumber}) are ${inbound.state}, not accepted yet`,
        {
          state: inbound.state,
        },
      );
    const channel = app.channelOut as ReturnChannel;
    const result: Parcel = {
      id: uuidv7(),
      applicationId,
      direction: 'outbound',
      trackingNumber: makeTrackingNumber(() => randomInt(0, 10)),
      state: 'result_ready',
      siteId: null,
      compartmentId: null,
    };
    await insertParcel(tx, result);
    await recordDecision(tx, { applicationId, status: 'approved', by: staff.id, note, at: now });
    await appendCustody(tx, result, 'created', null, 'result_ready', {
      actor: staffActor(staff),
      at: now,
      evidence: { matter: app.matterCode, channel, ...(note ? { note } : {}) },
    });
    let parcel = result;
    let toSend: OrderToSend | null = null;
    let accessible: boolean | undefined;
    // About the application (one per application), naming the result parcel that comes back.
    await recordNotice(tx, {
      parcelId: null,
      applicationId,
      kind: 'application_approved',
      details: { matterName: app.matterName, channel, trackingNumber: result.trackingNumber, resultParcelId: result.id },
      at: now,
    });
    switch (channel) {
      case 'counter':
        parcel = await toCounter(tx, parcel, { applicantId: app.applicantId, matterName: app.matterName }, staffActor(staff), now);
        break;
      case 'mail': {
        if (!app.returnAddress) throw new Conflict('no_return_address', 'the application chose mail but has no address');
        await openResultOrder(tx, { parcelId: parcel.id, kind: 'mail', siteId: null, compartmentId: null, destination: app.returnAddress });
        toSend = { parcelId: parcel.id, kind: 'mail' };
        break;
      }
      case 'own_kiosk': {
        const site = app.returnSiteId ? await findReturnSite(tx, app.returnSiteId) : null;
        if (!site) throw new Conflict('no_return_site', 'the application chose an own kiosk but names none');
        const chosen = chooseFor(await lockFreeCompartments(tx, site.id), app.parcelSize, app.accessibleReturn);
        const compartment = chosen?.compartment;
        accessible = chosen?.accessible;
        if (!compartment)
          throw new Conflict(
            'no_free_compartment',
            `no free compartment of size ${app.parcelSize} or larger at ${site.name} for the result; try again later`,
          );
        await setCompartmentState(tx, compartment.id, 'reserve', now);
        await placeResult(tx, parcel.id, site.id, compartment.id);
        parcel = { ...parcel, siteId: site.id, compartmentId: compartment.id };
        await openResultOrder(tx, {
          parcelId: parcel.id,
          kind: 'delivery',
          siteId: site.id,
          compartmentId: compartment.id,
          destination: null,
        });
        toSend = { parcelId: parcel.id, kind: 'delivery' };
        break;
      }
      case 'partner_locker': {
        // The compartment is the partner's to give: the job reserves it for delivery (the partner's
        // deliver code) and sends the order; a refusal is an exception for staff (ADR 0025).
        const site = app.returnSiteId ? await findReturnSite(tx, app.returnSiteId) : null;
        if (!site || site.network === 'own') throw new Conflict('no_return_site', 'the application chose a partner locker but names none');
        if (!deps.partnerNetwork || site.network !== deps.partnerNetwork)
          throw new Conflict(
            'partner_not_configured',
            'partner lockers are not available on this hub: the result cannot go to the partner locker the applicant chose',
          );
        await insertReservation(tx, {
          parcelId: parcel.id,
          network: site.network,
          siteId: site.id,
          requestedSize: app.parcelSize,
          at: now,
          purpose: 'delivery',
        });
        await placeResult(tx, parcel.id, site.id, null);
        parcel = { ...parcel, siteId: site.id };
        await openResultOrder(tx, { parcelId: parcel.id, kind: 'delivery', siteId: site.id, compartmentId: null, destination: null });
        toSend = { parcelId: parcel.id, kind: 'delivery' };
        break;
      }
    }
    return {
      application: { id: applicationId, status: 'approved' as const },
      result: {
        id: parcel.id,
        trackingNumber: parcel.trackingNumber,
        state: parcel.state,
        channel,
        ...(accessible !== undefined && { accessible }),
      },
      toSend,
    };
  });
}

async function toCounter(
  tx: Tx,
  parcel: Parcel,
  app: { applicantId: string; matterName: string },
  actor: Actor,
  at: Date,
): Promise<Parcel> {
  const moved = await moveParcel(tx, parcel, 'at_counter', { actor, at });
  await insertResultNotice(tx, {
    applicantId: app.applicantId,
    applicationId: parcel.applicationId,
    parcelId: parcel.id,
    kind: 'result_at_counter',
    message: `Your result for ${app.matterName} (${parcel.trackingNumber}) is ready at the service hall's counter. Bring your ID card.`,
    details: { trackingNumber: parcel.trackingNumber },
    at,
  });
  return moved;
}

export async function rejectApplication(
  db: Db,
  staff: User,
  applicationId: string,
  reason: string,
  now: Date,
): Promise<{ application: { id: string; status: 'rejected'; reason: string } }> {
  return withTransaction(db, async (tx) => {
    const app = await lockApplication(tx, applicationId);
    if (!app) throw new NotFound('application');
    if (!UNDECIDED.includes(app.status))
      throw new Conflict('already_decided', `this application was already ${app.status}`, { status: app.status });
    await recordDecision(tx, { applicationId, status: 'rejected', by: staff.id, note: reason, at: now });
    const inbound = await parcelOf(tx, applicationId, 'inbound');
    if (inbound) {
      const locked = await lockParcel(tx, inbound.id);
      await appendCustody(tx, locked, 'application_rejected', locked.state, locked.state, {
        actor: staffActor(staff),
        at: now,
        evidence: { reason },
      });
    }
    await insertResultNotice(tx, {
      applicantId: app.applicantId,
      applicationId,
      parcelId: null,
      kind: 'application_rejected',
      message: `Your application for ${app.matterName} was not approved: ${reason}`,
      details: { reason },
      at: now,
    });
    return { application: { id: applicationId, status: 'rejected' as const, reason } };
  });
}

/** Staff hand a result over at the counter, after checking the collector's identity. */
export async function handOver(db: Db, staff: User, parcelId: string, note: string | null, now: Date): Promise<ResultView> {
  return withTransaction(db, async (tx) => {
    const parcel = await lockParcel(tx, parcelId);
    if (parcel.direction !== 'outbound') throw new NotFound('result');
    const owner = (await ownerOfParcel(tx, parcelId))!;
    const moved = await moveParcel(tx, parcel, 'collected', {
      actor: staffActor(staff),
      at: now,
      evidence: { idChecked: true, where: 'counter', ...(note ? { note } : {}) },
    });
    return { id: moved.id, trackingNumber: moved.trackingNumber, state: moved.state, channel: owner.channelOut as ReturnChannel };
  });
}

/**
 * The courier system has a result's order: the job's answer from it, or any event of it that comes
 * first (its webhook can outrun the job's own transaction, or the job's retry after a lost commit).
 * Once, in the caller's transaction, with the parcel locked by the caller: a delivery moves
 * `result_ready` → `delivery_ordered`, a mail order → `mailed` (its applicant told); a return
 * pickup moves nothing (the kiosk's door does). The order is dispatched from then on, its
 * reference kept once known. The parcel as it is now.
 */
export async function confirmResultOrder(
  tx: Tx,
  parcel: Parcel,
  order: { id: string; kind: ResultOrderKind },
  p: { dispatchRef: string | null; at: Date; evidence: Record<string, unknown>; compartment?: number | null },
): Promise<Parcel> {
  const ctx = { actor: { kind: 'system' as const, id: null }, at: p.at, evidence: { orderId: order.id, ...p.evidence } };
  let now = parcel;
  if (order.kind === 'delivery' && parcel.state === 'result_ready') {
    const compartment = p.compartment ?? (parcel.compartmentId ? await compartmentNumberOf(tx, parcel.compartmentId) : null);
    now = await moveParcel(tx, parcel, 'delivery_ordered', { ...ctx, siteId: parcel.siteId, compartment });
  } else if (order.kind === 'mail' && (parcel.state === 'result_ready' || parcel.state === 'returned_to_hall')) {
    now = await moveParcel(tx, parcel, 'mailed', { ...ctx, siteId: null });
    const owner = (await ownerOfParcel(tx, parcel.id))!;
    await insertResultNotice(tx, {
      applicantId: owner.applicantId,
      applicationId: owner.applicationId,
      parcelId: parcel.id,
      kind: 'result_mailed',
      message: `Your result ${now.trackingNumber} was handed to EMS for free delivery to your address.`,
      details: { trackingNumber: now.trackingNumber, ...(p.dispatchRef && { dispatchRef: p.dispatchRef }) },
      at: p.at,
    });
  }
  // Whatever the parcel does now (a webhook moved it first, the applicant switched), the courier system has the order.
  await markOrderDispatched(tx, order.id, p.dispatchRef, p.at);
  return now;
}

/**
 * A courier's deliver code used at a kiosk while the hub has not yet recorded that its delivery
 * order went out (the job's answer and every webhook still on their way): the code in the
 * courier's hand is proof enough. Confirms the order so that the code's use and the door that
 * follows move the result as usual. The parcel as it is now.
 */
export async function resultOrderInHand(tx: Tx, parcel: Parcel, at: Date): Promise<Parcel> {
  if (parcel.direction !== 'outbound' || parcel.state !== 'result_ready') return parcel;
  const order = await findResultOrder(tx, parcel.id, 'delivery');
  if (order?.status !== 'creating') return parcel;
  return confirmResultOrder(tx, parcel, order, { dispatchRef: null, at, evidence: { by: 'deliver_code_used' } });
}

/**
 * The courier system says the mail arrived: `mailed` → `delivered`. Called by the courier
 * webhook (features/courier) inside its transaction; a repeat for a delivered parcel changes nothing.
 */
export async function markMailDelivered(
  tx: Tx,
  parcelId: string,
  e: { at: Date; courierId?: string | null; evidence?: Record<string, unknown> },
): Promise<'delivered' | 'already_delivered'> {
  const parcel = await lockParcel(tx, parcelId);
  if (parcel.state === 'delivered') return 'already_delivered';
  const moved = await moveParcel(tx, parcel, 'delivered', {
    actor: { kind: 'courier', id: e.courierId ?? null },
    at: e.at,
    evidence: e.evidence ?? {},
  });
  await markResultOrderDone(tx, parcelId, 'mail', e.at);
  const owner = (await ownerOfParcel(tx, parcelId))!;
  await insertResultNotice(tx, {
    applicantId: owner.applicantId,
    applicationId: owner.applicationId,
    parcelId,
    kind: 'result_delivered',
    message: `Your result ${moved.trackingNumber} was delivered by mail.`,
    details: { trackingNumber: moved.trackingNumber },
    at: e.at,
  });
  return 'delivered';
}

/**
 * What follows a result's door closing at a kiosk, in the kiosk's transaction: in the locker, it is
 * held (for the timers) and its applicant gets a collection code (sealed in the outbox); taken out
 * by the courier (`returning`), nothing yet: the hall's intake scan of its tracking number is what
 * says it arrived (resultBackAtHall).
 */
export async function resultDoorMoved(
  tx: Tx,
  deps: Pick<ResultDeps, 'keys' | 'lifetimes' | 'cipher' | 'timers'>,
  parcelId: string,
  move: 'in_locker' | 'returning',
  at: Date,
): Promise<OrderToSend | null> {
  const parcel = await lockParcel(tx, parcelId);
  const owner = (await ownerOfParcel(tx, parcelId))!;
  if (move === 'in_locker') {
    if (!parcel.siteId || !parcel.compartmentId) return null;
    await markResultOrderDone(tx, parcelId, 'delivery', at);
    const until = holdUntil(at, deps.timers);
    await insertHold(tx, { parcelId, siteId: parcel.siteId, compartmentId: parcel.compartmentId, inLockerAt: at, holdUntil: until });
    const code = await issueCode(tx, deps.keys, {
      purpose: 'collect',
      siteId: parcel.siteId,
      compartmentId: parcel.compartmentId,
      parcelId,
      holder: 'applicant',
      holderPhone: owner.applicantPhone,
      now: at,
      lifetimes: deps.lifetimes,
    });
    const site = (await findReturnSite(tx, parcel.siteId))!;
    const number = await compartmentNumberOf(tx, parcel.compartmentId);
    await insertResultNotice(tx, {
      applicantId: owner.applicantId,
      applicationId: owner.applicationId,
      parcelId,
      kind: 'result_in_locker',
      message: `Your result ${parcel.trackingNumber} is in compartment ${number} at ${site.name} (${site.address}). Collect it by ${until.toISOString()} with your collection code (shown in the app).`,
      details: {
        trackingNumber: parcel.trackingNumber,
        site: { name: site.name, address: site.address },
        compartment: number,
        holdUntil: until.toISOString(),
        codeId: code.id,
        sealedCode: deps.cipher.seal(parcelId, code.code).toString('base64'),
        // What the keypad asks after the code (ADR 0018): the phone's last 6 digits, or a PIN sealed like the code.
        factor: code.factor.kind,
        ...(code.factor.kind === 'pin' && { sealedPin: deps.cipher.seal(parcelId, code.factor.pin).toString('base64') }),
        codeExpiresAt: code.expiresAt.toISOString(),
      },
      at,
    });
    return null;
  }
  // In the courier's hands on the way back: the never-received timer watches it until the hall scans it.
  return null;
}

/**
 * The hall's intake desk scanned a result the courier brought back from its locker (in the desk's
 * transaction, the parcel locked): `returning` → `returned_to_hall`, then on by the channel the
 * applicant switched to (the counter now, or a mail order to send), or waiting for their choice.
 */
export async function resultBackAtHall(
  tx: Tx,
  parcel: Parcel,
  ctx: { actor: Actor; at: Date; evidence: Record<string, unknown> },
): Promise<{ parcel: Parcel; toSend: OrderToSend | null }> {
  const back = await moveParcel(tx, parcel, 'returned_to_hall', ctx);
  const owner = (await ownerOfParcel(tx, parcel.id))!;
  const toSend = await continueFromHall(tx, back, owner, ctx.at);
  return { parcel: await lockParcel(tx, parcel.id), toSend };
}

async function continueFromHall(
  tx: Tx,
  parcel: Parcel,
  owner: Pick<ResultOwner, 'applicantId' | 'channelOut' | 'returnAddress' | 'matterName'>,
  at: Date,
): Promise<OrderToSend | null> {
  const matterName = owner.matterName;
  if (owner.channelOut === 'counter') {
    await toCounter(tx, parcel, { applicantId: owner.applicantId, matterName }, { kind: 'system', id: null }, at);
    return null;
  }
  if (owner.channelOut === 'mail' && owner.returnAddress) {
    await openResultOrder(tx, { parcelId: parcel.id, kind: 'mail', siteId: null, compartmentId: null, destination: owner.returnAddress });
    return { parcelId: parcel.id, kind: 'mail' };
  }
  return null;
}

/**
 * A courier put the result into a partner locker (the partner's `deposited` event, in its
 * transaction): the delivery order is done, the result is held (for the timers) and its applicant
 * gets the partner's collection code, sealed in the notices outbox like the hub's own (it needs no
 * second factor: the partner checks it).
 */
export async function resultInPartnerLocker(
  tx: Tx,
  deps: Pick<ResultDeps, 'cipher' | 'timers'>,
  parcel: Parcel,
  p: { compartmentNo: number; collectionCode: string | null; at: Date },
): Promise<void> {
  if (!parcel.siteId) throw new Error(`result ${parcel.id} in a partner locker has no site`);
  const owner = (await ownerOfParcel(tx, parcel.id))!;
  await markResultOrderDone(tx, parcel.id, 'delivery', p.at);
  const until = holdUntil(p.at, deps.timers);
  await insertHold(tx, {
    parcelId: parcel.id,
    siteId: parcel.siteId,
    compartmentId: null,
    partnerCompartmentNo: p.compartmentNo,
    inLockerAt: p.at,
    holdUntil: until,
  });
  const site = (await findReturnSite(tx, parcel.siteId))!;
  await insertResultNotice(tx, {
    applicantId: owner.applicantId,
    applicationId: owner.applicationId,
    parcelId: parcel.id,
    kind: 'result_in_locker',
    message: `Your result ${parcel.trackingNumber} is in compartment ${p.compartmentNo} of the partner locker at ${site.name} (${site.address}). Collect it by ${until.toISOString()} with the locker's collection code (shown in the app).`,
    details: {
      trackingNumber: parcel.trackingNumber,
      site: { name: site.name, address: site.address },
      compartment: p.compartmentNo,
      holdUntil: until.toISOString(),
      partner: true,
      ...(p.collectionCode !== null && { sealedCode: deps.cipher.seal(parcel.id, p.collectionCode).toString('base64') }),
      factor: 'none',
    },
    at: p.at,
  });
}

/**
 * Takes an uncollected result out of its locker: the collection code stops working, a courier
 * pickup back to the hall is ordered (sent by the job) and the applicant is told why.
 */
export async function orderReturn(
  tx: Tx,
  parcel: Parcel,
  reason: 'holding_period_over' | 'switched',
  actor: Actor,
  at: Date,
): Promise<OrderToSend> {
  await revokeLiveCodes(tx, parcel.id, 'collect', at);
  await markReturnOrdered(tx, parcel.id, reason, at);
  await openResultOrder(tx, {
    parcelId: parcel.id,
    kind: 'pickup',
    siteId: parcel.siteId,
    compartmentId: parcel.compartmentId,
    destination: null,
  });
  await appendCustody(tx, parcel, 'return_ordered', parcel.state, parcel.state, { actor, at, siteId: parcel.siteId, evidence: { reason } });
  const owner = (await ownerOfParcel(tx, parcel.id))!;
  const why =
    reason === 'holding_period_over'
      ? 'was not collected within its holding period and is being taken back to the service hall; choose the counter or the mail in the app'
      : 'is being taken back to the service hall as you asked, and will go on from there';
  await insertResultNotice(tx, {
    applicantId: owner.applicantId,
    applicationId: owner.applicationId,
    parcelId: parcel.id,
    kind: 'result_returning',
    message: `Your result ${parcel.trackingNumber} ${why}. Its collection code no longer works.`,
    details: { trackingNumber: parcel.trackingNumber, reason },
    at,
  });
  return { parcelId: parcel.id, kind: 'pickup' };
}

/** The applicant chooses the counter or the mail instead of (or after) the locker. */
export async function switchChannel(
  db: Db,
  applicant: User,
  parcelId: string,
  body: SwitchBody,
  now: Date,
): Promise<{ result: ResultView; toSend: OrderToSend | null }> {
  return withTransaction(db, async (tx) => {
    const owner = await ownerOfParcel(tx, parcelId);
    if (!owner || owner.applicantId !== applicant.id) throw new NotFound('result');
    const parcel = await lockParcel(tx, parcelId);
    if (parcel.direction !== 'outbound') throw new NotFound('result');
    const address = body.channel === 'mail' ? (body.address ?? owner.returnAddress) : null;
    if (body.channel === 'mail' && !address) throw new BadRequest('give the address to mail the result to', undefined, 'address_required');
    if (parcel.state !== 'in_locker' && parcel.state !== 'returning' && parcel.state !== 'returned_to_hall')
      throw new Conflict(
        'cannot_switch',
        `a result that is ${parcel.state} cannot change its channel (only while it waits in a locker, is on its way back or is back at the hall)`,
        {
          state: parcel.state,
        },
      );
    await setReturnChannel(tx, parcel.applicationId, body.channel, body.channel === 'mail' ? address : null);
    const actor: Actor = { kind: 'applicant', id: applicant.id };
    await appendCustody(tx, parcel, 'channel_switched', parcel.state, parcel.state, {
      actor,
      at: now,
      evidence: { channel: body.channel, ...(address ? { address: maskPostalAddress(address) } : {}) },
    });
    const updated = { ...owner, channelOut: body.channel, returnAddress: address ?? owner.returnAddress };
    let toSend: OrderToSend | null;
    if (parcel.state === 'in_locker') {
      toSend = await orderReturn(tx, parcel, 'switched', actor, now);
    } else if (parcel.state === 'returning') {
      // On its way back: it goes on once the hall has scanned it in (resultBackAtHall).
      toSend = null;
    } else {
      toSend = await continueFromHall(tx, parcel, updated, now);
    }
    const current = await lockParcel(tx, parcelId);
    return { result: { id: current.id, trackingNumber: current.trackingNumber, state: current.state, channel: body.channel }, toSend };
  });
}

/** The applicant's notices, newest first; a collection code shown only while its result waits in the locker. */
export async function noticesFor(db: Db, cipher: OpenCodeCipher, applicantId: string): Promise<ApplicantNotice[]> {
  const notices = await noticesOfApplicant(db, applicantId);
  return notices.map((n) => {
    const {
      sealedCode,
      sealedPin,
      sealedQr: _qr,
      // a delegate's code is the delegate's: never shown to the applicant (ADR 0033)
      sealedDelegateCode: _delegate,
      ...details
    } = n.details as { sealedCode?: string; sealedPin?: string; sealedQr?: string; sealedDelegateCode?: string };
    if (sealedCode === undefined) return { ...n, details };
    // Shown to its applicant only while it opens: a result waiting in the locker, a deposit code (ADR 0027) still awaiting its deposit.
    const deposit = n.kind === 'prereview_passed' || (n.kind === 'code_resent' && n.details.purpose === 'deposit');
    const opens = deposit ? n.parcelState === 'awaiting_deposit' : n.parcelState === 'in_locker';
    const open = (sealed: string | undefined) =>
      sealed !== undefined && opens && n.parcelId ? cipher.open(n.parcelId, Buffer.from(sealed, 'base64')) : null;
    const code = open(sealedCode);
    const pin = open(sealedPin);
    return { ...n, details: { ...details, ...(code && { code }), ...(pin && { pin }) } };
  });
}
