// What a pre-review pass starts (ADR 0027): the inbound parcel and the way its paper goes in. At an
// own kiosk a fitting compartment is reserved and the deposit code issued, sealed in the notices
// outbox for its applicant (ADR 0024's way for the collection code); at a partner locker the parcel
// starts `reserving` with the hub's reservation record (the caller queues the reservation job after
// the commit); for a courier pickup from the applicant's address the parcel starts
// `pickup_requested` and the caller queues its courier order after the commit (ADR 0037); at the
// counter the applicant is told what comes next. All in the caller's transaction, with the decision that led here. Nothing of this
// exists before the pass, so nothing can be dropped off for an application that has not passed.
import { randomInt } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { chooseFor } from '../../domain/compartments.js';
import { judgeNewDeposit, type OpenDepositLimits } from '../../domain/open-deposits.js';
import { makeTrackingNumber } from '../../domain/tracking-number.js';
import { maskPostalAddress } from '../../domain/results.js';
import type { CodeLifetimes } from '../../domain/access-codes.js';
import { BadRequest, Conflict, NotFound } from '../../errors.js';
import type { Tx } from '../../store/db.js';
import { lockFreeCompartments, setCompartmentState } from '../../store/compartments.js';
import { appendCustody, insertParcel, type Parcel } from '../../store/parcels.js';
import { insertReservation } from '../partner/store.js';
import type { OpenCodeCipher } from '../partner/open-code.js';
import { PartnerNotConfigured } from '../partner/runtime.js';
import { issueCode, type CodeKeys } from '../codes/service.js';
import { countOpenDeposits, findDropOffSite, lockApplicant, wantsAccessibleDrop, type DropOffSite, type Matter } from './store.js';
import { insertPrereviewNotice } from '../prereview/store.js';

export interface DropOffDeps {
  keys: CodeKeys;
  lifetimes: CodeLifetimes;
  cipher: OpenCodeCipher;
  openDeposits: OpenDepositLimits;
  /** the partner network this hub reserves at; null when none is configured */
  partnerNetwork: string | null;
}

/** The application as the pass sees it (locked by the caller). */
export interface ApplicationToStart {
  id: string;
  applicantId: string;
  matter: Matter;
  channelIn: string;
  dropSiteId: string | null;
  pickupAddress: string | null;
}

export interface StartedDropOff {
  parcel: Pick<Parcel, 'id' | 'trackingNumber' | 'state'> | null;
  site: { id: string; name: string; address: string } | null;
  compartment: number | null;
  /** the deposit code's expiry (own kiosk); the code itself goes only to the applicant */
  codeExpiresAt: Date | null;
  /** a partner reservation to queue after the commit */
  reserveAtPartner: boolean;
  /** when an accessible compartment was asked for: whether the one reserved is (false: none was free, ADR 0033) */
  accessible?: boolean;
  /** a courier order for the parcel at the applicant's address to queue after the commit (ADR 0037) */
  orderCourier?: boolean;
}

/** A site the applicant may hand paper in at by this channel, or the refusal. */
export async function dropOffSiteFor(
  tx: Tx,
  siteId: string,
  channel: 'own_kiosk' | 'partner_locker',
  partnerNetwork: string | null,
): Promise<DropOffSite> {
  const site = await findDropOffSite(tx, siteId);
  if (channel === 'own_kiosk') {
    if (!site) throw new NotFound('site');
    if (site.network !== 'own') throw new BadRequest('this site is not one of the hall’s own kiosks', undefined, 'wrong_network');
    return site;
  }
  if (!site || site.retired) throw new NotFound('partner locker site');
  if (site.network === 'own')
    throw new BadRequest('this site is one of the hall’s own kiosks: apply with the channel own_kiosk', undefined, 'wrong_network');
  if (site.network !== partnerNetwork)
    throw new BadRequest(
      `this site belongs to the ${site.network} network, which this hub does not reserve at`,
      undefined,
      'wrong_network',
    );
  return site;
}

/** 409 when the applicant already holds as many open reservations as allowed (at the site or overall); the phone on file. */
export async function refuseOverLimit(
  tx: Tx,
  applicantId: string,
  siteId: string,
  limits: OpenDepositLimits,
): Promise<{ phone: string | null }> {
  // Counted under the applicant's row lock: two applications sent at once cannot both squeeze under the limit.
  const applicant = await lockApplicant(tx, applicantId);
  const v = judgeNewDeposit(await countOpenDeposits(tx, applicantId, siteId), limits);
  if (!v.ok) throw new Conflict(v.code, v.message, { limit: v.limit, open: v.open });
  return applicant;
}

export async function startDropOff(
  tx: Tx,
  deps: DropOffDeps,
  app: ApplicationToStart,
  actor: { kind: 'staff' | 'system'; id: string | null },
  now: Date,
): Promise<StartedDropOff> {
  const none: StartedDropOff = { parcel: null, site: null, compartment: null, codeExpiresAt: null, reserveAtPartner: false };
  if (app.channelIn === 'own_kiosk') {
    const site = await dropOffSiteFor(tx, app.dropSiteId!, 'own_kiosk', deps.partnerNetwork);
    const { phone } = await refuseOverLimit(tx, app.applicantId, site.id, deps.openDeposits);
    // Two passes at once never get the same compartment and never wait on each other.
    const chosen = chooseFor(await lockFreeCompartments(tx, site.id), app.matter.parcelSize, await wantsAccessibleDrop(tx, app.id));
    const compartment = chosen?.compartment;
    if (!compartment)
      throw new Conflict(
        'no_free_compartment',
        `no free compartment of size ${app.matter.parcelSize} or larger at ${site.name}; the applicant must choose another site`,
      );
    await setCompartmentState(tx, compartment.id, 'reserve', now);
    const parcel = await insertInboundParcel(tx, app.id, 'awaiting_deposit', site.id, compartment.id);
    await appendCustody(tx, parcel, 'created', null, 'awaiting_deposit', {
      actor: { kind: 'applicant', id: app.applicantId },
      at: now,
      siteId: site.id,
      compartment: compartment.number,
      evidence: { matter: app.matter.code, prereview: actor.kind === 'system' ? 'passed_by_rules' : 'passed' },
    });
    const deposit = await issueCode(tx, deps.keys, {
      purpose: 'deposit',
      siteId: site.id,
      compartmentId: compartment.id,
      parcelId: parcel.id,
      holder: 'applicant',
      // the code goes to the applicant, whose phone's last 6 digits go with it on the keypad (ADR 0018)
      holderPhone: phone,
      now,
      lifetimes: deps.lifetimes,
    });
    const seal = (s: string) => deps.cipher.seal(parcel.id, s).toString('base64');
    await insertPrereviewNotice(tx, {
      applicantId: app.applicantId,
      applicationId: app.id,
      parcelId: parcel.id,
      kind: 'prereview_passed',
      message: `Your application for ${app.matter.name} passed pre-review. Hand in your materials at ${site.name} (${site.address}), compartment ${compartment.number}, with your deposit code (shown in the app) by ${deposit.expiresAt.toISOString()}.`,
      details: {
        channel: 'own_kiosk',
        trackingNumber: parcel.trackingNumber,
        site: { id: site.id, name: site.name, address: site.address },
        compartment: compartment.number,
        codeId: deposit.id,
        sealedCode: seal(deposit.code),
        sealedQr: seal(deposit.qrToken),
        factor: deposit.factor.kind,
        ...(deposit.factor.kind === 'pin' && { sealedPin: seal(deposit.factor.pin) }),
        codeExpiresAt: deposit.expiresAt.toISOString(),
        ...(chosen.accessible !== undefined && { accessible: chosen.accessible }),
      },
      at: now,
    });
    return {
      parcel: { id: parcel.id, trackingNumber: parcel.trackingNumber, state: parcel.state },
      site: { id: site.id, name: site.name, address: site.address },
      compartment: compartment.number,
      codeExpiresAt: deposit.expiresAt,
      reserveAtPartner: false,
      ...(chosen.accessible !== undefined && { accessible: chosen.accessible }),
    };
  }
  if (app.channelIn === 'partner_locker') {
    if (!deps.partnerNetwork) throw new PartnerNotConfigured();
    const site = await dropOffSiteFor(tx, app.dropSiteId!, 'partner_locker', deps.partnerNetwork);
    await refuseOverLimit(tx, app.applicantId, site.id, deps.openDeposits);
    const parcel = await insertInboundParcel(tx, app.id, 'reserving', site.id, null);
    await insertReservation(tx, {
      parcelId: parcel.id,
      network: deps.partnerNetwork,
      siteId: site.id,
      requestedSize: app.matter.parcelSize,
      at: now,
    });
    await appendCustody(tx, parcel, 'created', null, 'reserving', {
      actor: { kind: 'applicant', id: app.applicantId },
      at: now,
      siteId: site.id,
      evidence: { matter: app.matter.code, network: deps.partnerNetwork },
    });
    await insertPrereviewNotice(tx, {
      applicantId: app.applicantId,
      applicationId: app.id,
      parcelId: parcel.id,
      kind: 'prereview_passed',
      message: `Your application for ${app.matter.name} passed pre-review. A compartment is being reserved at ${site.name}; its open-code is shown in the app once it is ready.`,
      details: {
        channel: 'partner_locker',
        trackingNumber: parcel.trackingNumber,
        site: { id: site.id, name: site.name, address: site.address },
      },
      at: now,
    });
    return {
      parcel: { id: parcel.id, trackingNumber: parcel.trackingNumber, state: parcel.state },
      site: { id: site.id, name: site.name, address: site.address },
      compartment: null,
      codeExpiresAt: null,
      reserveAtPartner: true,
    };
  }
  // No paper in: nothing for the applicant to do; the pass shows on the application, and the decision is what they are told next.
  if (app.channelIn === 'none') return none;
  if (app.channelIn === 'courier_pickup') {
    // A free courier pickup at the applicant's address (ADR 0037): the parcel exists from the pass
    // (its tracking number goes on the cover sheet), and its courier order follows the commit.
    if (!app.pickupAddress) throw new Conflict('no_pickup_address', 'the application chose a courier pickup but gave no address');
    const parcel = await insertInboundParcel(tx, app.id, 'pickup_requested', null, null);
    await appendCustody(tx, parcel, 'created', null, 'pickup_requested', {
      actor: { kind: 'applicant', id: app.applicantId },
      at: now,
      siteId: null,
      evidence: {
        matter: app.matter.code,
        prereview: actor.kind === 'system' ? 'passed_by_rules' : 'passed',
        pickupAddress: maskPostalAddress(app.pickupAddress),
      },
    });
    const next = `A courier will come to ${maskPostalAddress(app.pickupAddress)} to collect your documents free of charge. Put the cover sheet with tracking number ${parcel.trackingNumber} on the envelope.`;
    await insertPrereviewNotice(tx, {
      applicantId: app.applicantId,
      applicationId: app.id,
      parcelId: parcel.id,
      kind: 'prereview_passed',
      message: `Your application for ${app.matter.name} passed pre-review. ${next}`,
      details: { channel: 'courier_pickup', trackingNumber: parcel.trackingNumber, whatNext: next },
      at: now,
    });
    return {
      parcel: { id: parcel.id, trackingNumber: parcel.trackingNumber, state: parcel.state },
      site: null,
      compartment: null,
      codeExpiresAt: null,
      reserveAtPartner: false,
      orderCourier: true,
    };
  }
  // Counter: nothing to deposit; the applicant is told what comes next.
  const next = 'Bring the original materials to the hall’s counter; quote your application number.';
  await insertPrereviewNotice(tx, {
    applicantId: app.applicantId,
    applicationId: app.id,
    parcelId: null,
    kind: 'prereview_passed',
    message: `Your application for ${app.matter.name} passed pre-review. ${next}`,
    details: { channel: app.channelIn, whatNext: next },
    at: now,
  });
  return none;
}

async function insertInboundParcel(
  tx: Tx,
  applicationId: string,
  state: Parcel['state'],
  siteId: string | null,
  compartmentId: string | null,
): Promise<Parcel> {
  const parcel: Parcel = {
    id: uuidv7(),
    applicationId,
    direction: 'inbound',
    trackingNumber: makeTrackingNumber(() => randomInt(0, 10)),
    state,
    siteId,
    compartmentId,
  };
  await insertParcel(tx, parcel);
  return parcel;
}
