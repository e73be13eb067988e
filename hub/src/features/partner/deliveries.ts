// A result delivered into a partner locker (the return channel partner_locker, ADR 0025): the
// partner's side of the results slice. Two halves:
//  - the codes the results job needs (PartnerResultCodes): the deliver code of a reservation made
//    at the partner *for delivery* (idempotent by the parcel id as request id; the code sealed at
//    rest like a drop-off's open-code, ADR 0007), and the partner's return code when the result
//    goes back to the hall (asking for it ends the applicant's collection code at the partner);
//  - what the partner's events do to such a result (performDelivery, called from events.ts in the
//    event's transaction): deposited → out_for_delivery → in_locker with the partner's collection
//    code sealed in the notices outbox; collected by the applicant → collected; taken back by a
//    courier → returned_to_hall; the partner's hold over → a return order; and every failure
//    (the reservation ran out or was cancelled, the locker refused the deposit, the partner refused
//    the reservation) an exception `partner_failed` for staff.
import type { Logger } from 'pino';
import type { PartnerConfig } from '../../config.js';
import { decideDeliveryEvent, RETRYABLE_FAILURE_WORDS, refusalReason, type DeliveryEventDecision } from '../../domain/partner-locker.js';
import type { PartnerEvent } from '@xinbao/protocol';
import { exceptionSubject } from '../../domain/exceptions.js';
import { PartnerApiError, type PartnerNetworkClient } from '../../integrations/partner-network.js';
import { withTransaction, type Db, type Tx } from '../../store/db.js';
import { openException } from '../../store/exceptions.js';
import { appendCustody, findParcel, lockParcel, moveParcel, type Parcel } from '../../store/parcels.js';
import { UnrecoverableError } from 'bullmq';
import type { PartnerResultCodes } from '../results/jobs.js';
import { orderReturn, resultDoorMoved, resultInPartnerLocker, type OrderToSend } from '../results/service.js';
import { findHold, markResultOrderDone } from '../results/store.js';
import type { ResultTimers } from '../../domain/results.js';
import type { OpenCodeCipher } from './open-code.js';
import {
  countAttempt,
  findReservation,
  recordReservationFacts,
  recordRetryableFailure,
  setReservationStatus,
  siteExternalId,
  type PartnerReservationRow,
} from './store.js';
import type { CodeKeys } from '../codes/service.js';
import type { CodeLifetimes } from '../../domain/access-codes.js';

export interface PartnerDeliveryDeps {
  db: Db;
  client: PartnerNetworkClient;
  config: PartnerConfig;
  cipher: OpenCodeCipher;
  now: () => Date;
  log: Logger;
  callbackUrl: () => string | undefined;
  /** the holding period asked of the partner (RESULT_HOLD_DAYS) */
  timers: ResultTimers;
}

/** The partner's codes for the results job. */
export function partnerResultCodes(deps: PartnerDeliveryDeps): PartnerResultCodes {
  return {
    deliverCode: (parcelId) => deliverCodeOf(deps, parcelId),
    returnCode: (parcelId) => returnCodeOf(deps, parcelId),
  };
}

async function deliverCodeOf(deps: PartnerDeliveryDeps, parcelId: string): Promise<{ code: string; compartmentNo: number } | null> {
  const { db, config } = deps;
  const row = await findReservation(db, parcelId);
  if (!row || row.purpose !== 'delivery') throw new UnrecoverableError(`result ${parcelId} has no delivery reservation at the partner`);
  if (row.status === 'reserved' && row.openCodeEnc !== null && row.compartmentNo !== null) {
    // Reserved on an earlier try of this job: the code sealed then is the one to send.
    const code = deps.cipher.open(parcelId, row.openCodeEnc);
    if (code !== null) return { code, compartmentNo: row.compartmentNo };
  }
  if (row.status !== 'reserving' && row.status !== 'reserved') return null;
  const parcel = await findParcel(db, parcelId);
  const externalId = await siteExternalId(db, row.siteId);
  if (!parcel || externalId === null) throw new UnrecoverableError(`result ${parcelId}: no parcel or no partner site`);
  const attempts = await countAttempt(db, parcelId, deps.now());
  const callbackUrl = deps.callbackUrl();
  let reservation;
  try {
    reservation = await deps.client.reserve({
      requestId: row.requestId,
      siteId: externalId,
      size: row.requestedSize,
      allowLarger: true,
      durationMinutes: config.reservationMinutes,
      codeDelivery: 'sync',
      ...(callbackUrl !== undefined && { callbackUrl }),
      reference: parcel.trackingNumber,
      purpose: 'delivery',
      holdMinutes: Math.round(deps.timers.holdDays * 24 * 60),
    });
  } catch (e) {
    if (!(e instanceof PartnerApiError)) throw e;
    if (e.kind !== 'refused') {
      await recordRetryableFailure(db, parcelId, RETRYABLE_FAILURE_WORDS[e.kind], deps.now());
      deps.log.warn({ parcelId, attempts, kind: e.kind, status: e.status }, 'partner delivery reservation failed; will retry');
      throw e;
    }
    const code = e.code ?? `HTTP_${e.status ?? 0}`;
    deps.log.info({ parcelId, errorCode: code }, 'partner refused the delivery reservation');
    await failDelivery(deps, parcelId, {
      stage: 'delivery_reservation',
      failureCode: code,
      reason: refusalReason(e.code, row.requestedSize),
    });
    return null;
  }
  if (reservation.state !== 'reserved' || reservation.openCode === undefined) {
    // Answered for a reservation that is over (expired before this retry) or without its code.
    if (reservation.state === 'reserved') throw new Error('the partner answered a delivery reservation without its deliver code');
    await failDelivery(deps, parcelId, {
      stage: 'delivery_reservation',
      failureCode: `RESERVATION_${reservation.state.toUpperCase()}`,
      reason: `the partner's reservation is ${reservation.state}`,
    });
    return null;
  }
  const deliverCode = reservation.openCode;
  await withTransaction(db, async (tx) => {
    const current = await lockParcel(tx, parcelId);
    const now = deps.now();
    const r = (await findReservation(tx, parcelId, true))!;
    await recordReservationFacts(
      tx,
      parcelId,
      {
        reservationId: reservation.reservationId,
        deviceId: reservation.deviceId,
        compartmentNo: reservation.compartmentNo,
        size: reservation.size,
        expiresAt: new Date(reservation.expiresAt),
      },
      now,
    );
    if (r.status !== 'reserving') return;
    await setReservationStatus(tx, parcelId, 'reserved', now, { openCodeEnc: deps.cipher.seal(parcelId, deliverCode) });
    await appendCustody(tx, current, 'partner_reserved', current.state, current.state, {
      actor: { kind: 'partner', id: config.network },
      at: now,
      siteId: current.siteId,
      compartment: reservation.compartmentNo,
      evidence: {
        purpose: 'delivery',
        reservationId: reservation.reservationId,
        deviceId: reservation.deviceId,
        size: reservation.size,
        expiresAt: reservation.expiresAt,
        attempts,
      },
    });
  });
  return { code: deliverCode, compartmentNo: reservation.compartmentNo };
}

async function returnCodeOf(deps: PartnerDeliveryDeps, parcelId: string): Promise<{ code: string; compartmentNo: number }> {
  const row = await findReservation(deps.db, parcelId);
  if (!row || row.purpose !== 'delivery' || row.reservationId === null || row.compartmentNo === null)
    throw new UnrecoverableError(`result ${parcelId} has no delivery reservation at the partner to take it back from`);
  try {
    const answer = await deps.client.pickupCode(row.reservationId);
    return { code: answer.pickupCode, compartmentNo: row.compartmentNo };
  } catch (e) {
    if (e instanceof PartnerApiError && !e.retryable) {
      await failDelivery(deps, parcelId, {
        stage: 'return',
        failureCode: e.code ?? `HTTP_${e.status ?? 0}`,
        reason: `the partner gave no return code: ${e.message}`,
      });
      throw new UnrecoverableError(`the partner gave no return code: ${e.message}`);
    }
    throw e;
  }
}

/** The delivery cannot go on at the partner: recorded on the reservation and the custody log, and on the exceptions list. */
async function failDelivery(
  deps: Pick<PartnerDeliveryDeps, 'db' | 'now'>,
  parcelId: string,
  f: { stage: 'delivery_reservation' | 'return'; failureCode: string; reason: string },
): Promise<void> {
  await withTransaction(deps.db, async (tx) => {
    const parcel = await lockParcel(tx, parcelId);
    const now = deps.now();
    if (f.stage === 'delivery_reservation')
      await setReservationStatus(tx, parcelId, 'failed', now, { failureCode: f.failureCode, failureReason: f.reason });
    await appendCustody(tx, parcel, 'partner_failed', parcel.state, parcel.state, {
      actor: { kind: 'system', id: null },
      at: now,
      siteId: parcel.siteId,
      evidence: { ...f },
    });
    await openException(tx, {
      kind: 'partner_failed',
      subject: exceptionSubject.reservation(parcelId),
      parcelId,
      detail: { ...f, direction: 'outbound' },
      at: now,
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The partner's events for a delivery reservation

export interface DeliveryEventDeps {
  network: string;
  cipher: OpenCodeCipher;
  now: () => Date;
  timers: ResultTimers;
  /** the results slice's code settings (a result back at the hall goes on by its next channel) */
  keys: CodeKeys;
  lifetimes: CodeLifetimes;
}

/** The decision for a delivery reservation's event, given the result's state. */
export function decideForDelivery(parcel: Parcel, event: PartnerEvent): DeliveryEventDecision {
  return decideDeliveryEvent(parcel.state, event.type, event.type === 'collected' ? event.data.by : undefined);
}

/**
 * Applies a decided delivery event to its (locked) result, with every move's custody event, in the
 * event's transaction. Returns the outcome for the event's row and a result order to queue after
 * the commit, if any.
 */
export async function performDelivery(
  tx: Tx,
  deps: DeliveryEventDeps,
  parcel: Parcel,
  row: PartnerReservationRow,
  event: PartnerEvent,
  d: DeliveryEventDecision,
): Promise<{ outcome: 'applied' | 'already_applied' | 'deferred' | 'ignored'; detail: string | null; order: OrderToSend | null }> {
  const now = deps.now();
  const at = new Date(event.at);
  const partner = { kind: 'partner' as const, id: deps.network };
  const compartment = 'compartmentNo' in event.data ? event.data.compartmentNo : row.compartmentNo;
  const where = { siteId: parcel.siteId, compartment };
  const evidence = { eventId: event.eventId, reservationId: event.reservationId, deviceId: event.deviceId, reportedBy: deps.network };
  switch (d.act) {
    case 'delivered': {
      if (event.type !== 'deposited') throw new Error('delivered decided for another event type');
      let current = parcel;
      if (d.viaOrdered)
        current = await moveParcel(tx, current, 'delivery_ordered', {
          actor: { kind: 'system', id: null },
          at,
          ...where,
          evidence: { ...evidence, courierCodeFrom: 'partner', confirmed: false },
        });
      // The partner reports the deposit only: the courier's arrival and the door are one moment there.
      if (current.state === 'delivery_ordered')
        current = await moveParcel(tx, current, 'out_for_delivery', { actor: { kind: 'courier', id: null }, at, ...where, evidence });
      await setReservationStatus(tx, parcel.id, 'deposited', now);
      current = await moveParcel(tx, current, 'in_locker', {
        actor: { kind: 'courier', id: null },
        at,
        ...where,
        evidence: { ...evidence, size: event.data.size, holdUntil: event.data.holdUntil ?? null },
      });
      await resultInPartnerLocker(tx, deps, current, {
        compartmentNo: event.data.compartmentNo,
        collectionCode: event.data.collectionCode ?? null,
        at,
      });
      return {
        outcome: 'applied',
        detail: d.viaOrdered ? 'deposited before the courier dispatch system confirmed the delivery order' : null,
        order: null,
      };
    }
    case 'collected': {
      await setReservationStatus(tx, parcel.id, 'collected', now);
      await moveParcel(tx, parcel, 'collected', { actor: { kind: 'applicant', id: null }, at, ...where, evidence });
      return { outcome: 'applied', detail: null, order: null };
    }
    case 'returned': {
      await setReservationStatus(tx, parcel.id, 'collected', now);
      // In the courier's hands now; the hall's intake scan makes it returned_to_hall and sends it on
      // by the channel the applicant switched to (ADR 0028), as from an own kiosk.
      await moveParcel(tx, parcel, 'returning', { actor: { kind: 'courier', id: null }, at, ...where, evidence });
      await markResultOrderDone(tx, parcel.id, 'pickup', at);
      const order = await resultDoorMoved(tx, deps, parcel.id, 'returning', at);
      return { outcome: 'applied', detail: null, order };
    }
    case 'hold_over': {
      const hold = await findHold(tx, parcel.id);
      if (hold?.returnReason)
        return { outcome: 'already_applied', detail: `its return is already ordered (${hold.returnReason})`, order: null };
      const order = await orderReturn(tx, parcel, 'holding_period_over', partner, at);
      return { outcome: 'applied', detail: "the partner's holding period is over: the result goes back to the hall", order };
    }
    case 'failed': {
      if (event.type === 'expired' || event.type === 'cancelled')
        await setReservationStatus(tx, parcel.id, event.type, now, {
          failureCode: d.stage.toUpperCase(),
          failureReason: d.stage.replace('_', ' '),
        });
      const reason = event.type === 'deposit_refused' ? event.data.reason : `the partner's delivery reservation ${event.type}`;
      await appendCustody(tx, parcel, 'partner_failed', parcel.state, parcel.state, {
        actor: partner,
        at,
        ...where,
        evidence: { ...evidence, stage: d.stage, reason },
      });
      await openException(tx, {
        kind: 'partner_failed',
        subject: exceptionSubject.partnerEvent(deps.network, event.eventId),
        parcelId: parcel.id,
        detail: { stage: d.stage, direction: 'outbound', network: deps.network, eventId: event.eventId, reason },
        at: now,
      });
      return { outcome: 'applied', detail: `${d.stage.replace('_', ' ')}: ${reason}`, order: null };
    }
    case 'defer':
      return { outcome: 'deferred', detail: d.why, order: null };
    case 'already':
      return { outcome: 'already_applied', detail: d.why, order: null };
    case 'ignore':
      return { outcome: 'ignored', detail: d.why, order: null };
  }
}
