// The hub's side of a partner reservation, as jobs. `reserve` (one per parcel, retried with backoff)
// asks the partner for a compartment under the parcel's id as its idempotent request id: with the
// open-code in the answer the parcel becomes awaiting_deposit; a refusal (NO_COMPARTMENT, …), or a
// partner that keeps failing until the last attempt, makes it reservation_failed with the reason.
// `cancel` ends a reservation the hub no longer wants (run out unused, or made for a parcel that had
// already failed) and releases the compartment. The sweep finds the work a crash or a lost enqueue
// left behind: parcels still reserving, reservations past their expiry, deferred events.
import type { Logger } from 'pino';
import type { PartnerConfig } from '../../config.js';
import { RETRYABLE_FAILURE_WORDS, gaveUpReason, refusalReason } from '../../domain/partner-locker.js';
import { withTransaction, type Db } from '../../store/db.js';
import { findParcel, lockParcel, moveParcel } from '../../store/parcels.js';
import { exceptionSubject } from '../../domain/exceptions.js';
import { openException } from '../../store/exceptions.js';
import { PartnerApiError, type PartnerNetworkClient } from '../../integrations/partner-network.js';
import type { OpenCodeCipher } from './open-code.js';
import { partnerDropOff, type PartnerDropOff } from '../../domain/partner-locker.js';
import type { Parcel } from '../../store/parcels.js';
import {
  countAttempt,
  dueReservations,
  findReservation,
  quietReservations,
  recordReservationFacts,
  recordRetryableFailure,
  setReservationStatus,
  siteExternalId,
  siteSummary,
} from './store.js';
import { recordNotice } from '../notifications/store.js';

export interface ReservationDeps {
  db: Db;
  client: PartnerNetworkClient;
  config: PartnerConfig;
  cipher: OpenCodeCipher;
  now: () => Date;
  log: Logger;
  /** where the partner should POST this hub's webhooks; undefined: no webhooks, the reconciliation alone */
  callbackUrl: () => string | undefined;
}

export type ReserveOutcome = 'ready' | 'waiting_for_code' | 'overtaken' | 'failed' | 'not_needed';

/**
 * One try at reserving the parcel's compartment. `attempt.made` tries failed before this one, of
 * `attempt.max`. Throws a retryable PartnerApiError for the queue to try again after a backoff.
 */
export async function reserveAtPartner(
  deps: ReservationDeps,
  parcelId: string,
  attempt: { made: number; max: number },
): Promise<ReserveOutcome> {
  const { db, config } = deps;
  const parcel = await findParcel(db, parcelId);
  const row = await findReservation(db, parcelId);
  if (!parcel || !row || parcel.state !== 'reserving' || row.status !== 'reserving') return 'not_needed';
  const externalId = await siteExternalId(db, row.siteId);
  if (externalId === null) return 'not_needed';
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
      codeDelivery: callbackUrl === undefined ? 'sync' : config.codeDelivery,
      ...(callbackUrl !== undefined && { callbackUrl }),
      reference: parcel.trackingNumber,
    });
  } catch (e) {
    if (!(e instanceof PartnerApiError)) throw e;
    if (e.kind !== 'refused') {
      const words = RETRYABLE_FAILURE_WORDS[e.kind];
      const again = attempt.made + 1 < attempt.max;
      deps.log.warn(
        { parcelId, attempts, kind: e.kind, status: e.status, errorCode: e.code },
        again ? 'partner reservation failed; will retry' : 'partner reservation failed; giving up',
      );
      if (again) {
        await recordRetryableFailure(db, parcelId, words, deps.now());
        throw e;
      }
      await failReservation(deps, parcelId, 'GAVE_UP', gaveUpReason(attempts, words), attempts);
      return 'failed';
    }
    deps.log.info({ parcelId, status: e.status, errorCode: e.code }, 'partner refused the reservation');
    await failReservation(deps, parcelId, e.code ?? `HTTP_${e.status ?? 0}`, refusalReason(e.code, row.requestedSize), attempts);
    return 'failed';
  }

  return withTransaction(db, async (tx): Promise<ReserveOutcome> => {
    const current = await lockParcel(tx, parcelId);
    const now = deps.now();
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
    // A webhook or the reconciliation may have got here first; the events say the rest.
    if (current.state !== 'reserving' || reservation.state !== 'reserved') return 'overtaken';
    if (reservation.openCode === undefined) {
      await setReservationStatus(tx, parcelId, 'reserved', now);
      return 'waiting_for_code';
    }
    await setReservationStatus(tx, parcelId, 'reserved', now, { openCodeEnc: deps.cipher.seal(parcelId, reservation.openCode) });
    await moveParcel(tx, current, 'reserved', {
      actor: { kind: 'partner', id: config.network },
      at: now,
      siteId: current.siteId,
      compartment: reservation.compartmentNo,
      evidence: {
        reservationId: reservation.reservationId,
        deviceId: reservation.deviceId,
        size: reservation.size,
        expiresAt: reservation.expiresAt,
        attempts,
        codeDelivery: 'sync',
      },
    });
    await recordNotice(tx, { parcelId, kind: 'deposit_code_issued', details: { expiresAt: reservation.expiresAt }, at: now });
    return 'ready';
  });
}

async function failReservation(
  deps: ReservationDeps,
  parcelId: string,
  failureCode: string,
  failureReason: string,
  attempts: number,
): Promise<void> {
  await withTransaction(deps.db, async (tx) => {
    const parcel = await lockParcel(tx, parcelId);
    if (parcel.state !== 'reserving') return;
    const now = deps.now();
    await setReservationStatus(tx, parcelId, 'failed', now, { failureCode, failureReason });
    await moveParcel(tx, parcel, 'reservation_failed', {
      actor: { kind: 'system', id: null },
      at: now,
      siteId: parcel.siteId,
      evidence: { failureCode, reason: failureReason, attempts },
    });
    await openException(tx, {
      kind: 'partner_failed',
      subject: exceptionSubject.reservation(parcelId),
      parcelId,
      detail: { stage: 'reservation', failureCode, reason: failureReason, attempts },
      at: now,
    });
  });
}

export type CancelOutcome = 'cancelled' | 'expired' | 'deposited_meanwhile' | 'not_needed';

/** Cancels the parcel's reservation at the partner and releases it here (deposit_expired when it was awaited). */
export async function cancelAtPartner(deps: ReservationDeps, parcelId: string): Promise<CancelOutcome> {
  const row = await findReservation(deps.db, parcelId);
  if (!row || row.reservationId === null || (row.status !== 'reserved' && row.status !== 'failed')) return 'not_needed';
  let answer;
  try {
    answer = await deps.client.cancel(row.reservationId);
  } catch (e) {
    if (e instanceof PartnerApiError && e.code === 'INVALID_STATE') {
      // Deposited after all: the deposit event (by webhook or the reconciliation) carries on from here.
      deps.log.info({ parcelId }, 'reservation not cancelled: a parcel was deposited meanwhile');
      return 'deposited_meanwhile';
    }
    throw e;
  }
  if (answer.state !== 'cancelled' && answer.state !== 'expired') return 'deposited_meanwhile';
  const ended = answer.state;
  await withTransaction(deps.db, async (tx) => {
    const parcel = await lockParcel(tx, parcelId);
    const current = (await findReservation(tx, parcelId, true))!;
    if (current.status !== 'reserved' && current.status !== 'failed') return;
    const now = deps.now();
    await setReservationStatus(tx, parcelId, ended, now);
    if (parcel.state === 'reserving' || parcel.state === 'awaiting_deposit') {
      await moveParcel(tx, parcel, 'deposit_expired', {
        actor: { kind: 'system', id: null },
        at: now,
        siteId: parcel.siteId,
        compartment: current.compartmentNo,
        evidence: {
          reservationId: row.reservationId,
          reservation: ended,
          cancelledByHub: ended === 'cancelled',
          expiresAt: current.expiresAt?.toISOString() ?? null,
        },
      });
    }
  });
  return ended;
}

export interface SweepReport {
  /** parcels still reserving with no reservation job in sight, enqueued again */
  reserving: number;
  /** reservations past their expiry with nothing deposited, sent to be cancelled */
  due: number;
}

export async function sweepReservations(
  deps: Pick<ReservationDeps, 'db' | 'now' | 'config'>,
  enqueue: { reserve(parcelId: string): Promise<void>; cancel(parcelId: string): Promise<void> },
  quietMs = 30_000,
): Promise<SweepReport> {
  const now = deps.now();
  const reserving = await quietReservations(deps.db, deps.config.network, new Date(now.getTime() - quietMs));
  for (const id of reserving) await enqueue.reserve(id);
  const due = await dueReservations(deps.db, deps.config.network, now);
  for (const id of due) await enqueue.cancel(id);
  return { reserving: reserving.length, due: due.length };
}

/** The drop-off of a parcel bound for a partner locker; the open-code only when `showCode` (its applicant). */
export async function partnerDropOffOf(
  db: Db,
  cipher: OpenCodeCipher,
  parcel: Pick<Parcel, 'id' | 'state'>,
  opts: { now: Date; showCode: boolean },
): Promise<PartnerDropOff | null> {
  const row = await findReservation(db, parcel.id);
  if (!row) return null;
  const site = await siteSummary(db, row.siteId);
  const code = opts.showCode && row.openCodeEnc !== null ? cipher.open(parcel.id, row.openCodeEnc) : null;
  return partnerDropOff(parcel.state, row, site, opts.now, code);
}
