// Ordering the courier pickup after a deposit (a BullMQ job). Three steps, so no code is lost and
// no parcel strands: (1) in one transaction, open the courier order and put the parcel into its
// site's pickup visit still open for more parcels, or a new visit with a fresh courier code (one
// visit, one code: ADR 0023); (2) send the visit (all its parcels, the one code) to the courier
// dispatch system, idempotent by the visit's id, so a visit that grew is the same order updated;
// (3) in one transaction, move the parcel to pickup_ordered. A failure at
// (2) retries the whole job with backoff; a sweep re-enqueues any deposited parcel left behind.
// Documents at the applicant's address (`pickup_requested`) take the same job and sweep, ordered
// in address-pickup.ts (ADR 0037).
// At a partner locker the code is not ours to issue: step (1) opens the order, then the partner is
// asked for its collection code for the reservation (the same code on every ask, never stored here).
import { UnrecoverableError, Worker, type ConnectionOptions, type Queue } from 'bullmq';
import { retriedQueue } from '../../queues.js';
import type { Logger } from 'pino';
import type { CodeLifetimes } from '../../domain/access-codes.js';
import { withTransaction, type Db } from '../../store/db.js';
import { lockParcel, moveParcel } from '../../store/parcels.js';
import { CourierDispatchError, type CourierDispatch } from '../../integrations/courier-dispatch.js';
import { PartnerApiError, type PartnerNetworkClient } from '../../integrations/partner-network.js';
import { issueCode, type CodeKeys } from '../codes/service.js';
import { setCodeVisit } from '../codes/store.js';
import type { OpenCodeCipher } from '../partner/open-code.js';
import { openVisitCode, sealVisitCode, visitQr } from './visits.js';
import { findReservation } from '../partner/store.js';
import { expireDepositCodes } from '../applications/deposit-expiry.js';
import { courierPickupGaveUp } from '../exceptions/sources.js';
import { orderAddressPickup } from './address-pickup.js';
import {
  addVisitDoor,
  cancelCreatingOrder,
  depositedBefore,
  dropWaitingDoor,
  lockOpenVisit,
  lockVisit,
  markCodeSent,
  markOrderDispatched,
  markVisitDispatched,
  openPickupOrder,
  pickupPlace,
  pickupSite,
  setOrderVisit,
  setVisitCode,
  visitDoorOfParcel,
  visitDoors,
} from './store.js';

export const COURIER_QUEUE = 'courier';
/** The key that seals visit codes at rest is derived under this name (apart from the partner's open-codes). */
export const VISIT_CODE_KEY_INFO = 'xinbao courier visit code v1';
export const HALL = { name: '国际港务区政务服务中心 (service hall)', address: '西安国际港务区港务大道 1 号' };

export type CourierJob = { kind: 'pickup'; parcelId: string } | { kind: 'sweep' };

export function createCourierQueue(connection: ConnectionOptions, prefix: string): Queue<CourierJob> {
  return retriedQueue<CourierJob>(COURIER_QUEUE, connection, prefix);
}

/** Idempotent: one job per parcel, whoever asks and however often. */
export async function enqueuePickup(queue: Queue<CourierJob>, parcelId: string): Promise<void> {
  await queue.add('pickup', { kind: 'pickup', parcelId }, { jobId: `pickup-${parcelId}` });
}

export interface PickupDeps {
  db: Db;
  keys: CodeKeys;
  lifetimes: CodeLifetimes;
  dispatch: CourierDispatch;
  now: () => Date;
  log: Logger;
  /** seals a visit's code at rest so that the courier's PDA can show it again (ADR 0023) */
  visitCodes: OpenCodeCipher;
  /** the partner network, for parcels in its lockers; undefined when none is configured */
  partner?: Pick<PartnerNetworkClient, 'pickupCode'> | undefined;
  /** other slices' timers that ride on this queue's sweep (pre-review's 容缺 reminders); given by app.ts */
  alsoOnSweep?: Array<() => Promise<unknown>>;
}

export async function orderPickup(deps: PickupDeps, parcelId: string): Promise<'ordered' | 'not_needed'> {
  const prepared = await withTransaction(deps.db, async (tx) => {
    const parcel = await lockParcel(tx, parcelId);
    // Documents at the applicant's address (ADR 0037): no site, no code; ordered by their own steps below.
    if (parcel.state === 'pickup_requested') return 'at_an_address' as const;
    if (parcel.state !== 'deposited' || !parcel.siteId) return null;
    const site = await pickupSite(tx, parcel.siteId);
    if (site.network !== 'own') {
      const r = await findReservation(tx, parcel.id);
      if (!r?.reservationId || r.compartmentNo === null)
        throw new UnrecoverableError(`parcel ${parcel.id} is in a partner locker with no known reservation`);
      const order = await openPickupOrder(tx, parcel.id, parcel.siteId, null);
      return { orderId: order, parcel, place: { ...site, number: r.compartmentNo }, code: null, pin: null, reservationId: r.reservationId };
    }
    if (!parcel.compartmentId) return null;
    const order = await openPickupOrder(tx, parcel.id, parcel.siteId, parcel.compartmentId);
    // One visit, one code (ADR 0023): the parcel joins its site's visit still open for more (or its
    // own visit again, on a retry of this job); a new visit gets the one code it is opened with.
    const known = await visitDoorOfParcel(tx, parcel.id);
    let visit = known && (await lockVisit(tx, known.visitId));
    if (visit && known && ['done', 'failed', 'cancelled'].includes(visit.status) && known.state === 'waiting') {
      // Its visit ended before the parcel's order was confirmed: it waits for the next one.
      await dropWaitingDoor(tx, parcel.id);
      visit = null;
    }
    if (!visit) {
      const open = await lockOpenVisit(tx, parcel.siteId, deps.now());
      visit = open.visit;
      if (open.created) {
        const code = await issueCode(tx, deps.keys, {
          purpose: 'courier_pickup',
          siteId: parcel.siteId,
          compartmentId: parcel.compartmentId,
          parcelId: parcel.id,
          holder: 'courier',
          // The courier company assigns a courier after the order: no phone is known here, so the
          // second factor is a PIN that travels with the code in the order (ADR 0018).
          holderPhone: null,
          now: deps.now(),
          lifetimes: deps.lifetimes,
        });
        await setCodeVisit(tx, code.id, visit.id);
        const sealed = sealVisitCode(deps.visitCodes, visit.id, code.code, code.factor.kind === 'pin' ? code.factor.pin : null);
        await setVisitCode(tx, visit.id, code.id, sealed, deps.now());
        visit = { ...visit, codeId: code.id, codeEnc: sealed };
      }
      await addVisitDoor(tx, visit.id, parcel.id, parcel.compartmentId);
    }
    await setOrderVisit(tx, order, visit.id);
    const opened = visit.codeEnc && openVisitCode(deps.visitCodes, visit.id, visit.codeEnc);
    if (!opened || !visit.codeId) throw new UnrecoverableError(`visit ${visit.id} has no code to send (it is over)`);
    const { code, pin } = opened;
    const doors = await visitDoors(tx, visit.id);
    const place = await pickupPlace(tx, doors[0]!.compartmentId);
    const qr = await visitQr(tx, deps.keys, visit.codeId);
    return {
      orderId: order,
      parcel,
      place,
      code,
      pin,
      reservationId: null,
      visit: {
        id: visit.id,
        qr,
        first: doors[0]!,
        parcels: doors.map((d) => ({ trackingNumber: d.trackingNumber, compartment: d.compartment })),
      },
    };
  });
  if (prepared === 'at_an_address') return orderAddressPickup(deps, parcelId, HALL);
  if (!prepared) return 'not_needed';
  const { orderId, parcel, place } = prepared;
  let code = prepared.code;
  if (code === null) {
    if (!deps.partner) throw new Error('a partner parcel needs its courier code from the partner network, which is not configured');
    try {
      code = (await deps.partner.pickupCode(prepared.reservationId!)).pickupCode;
    } catch (e) {
      if (e instanceof PartnerApiError && !e.retryable) {
        // The partner will not give a collection code (the parcel is no longer there): staff must look.
        await cancelCreatingOrder(deps.db, orderId);
        throw new UnrecoverableError(`the partner gave no courier code: ${e.message}`);
      }
      throw e;
    }
  }
  await markCodeSent(deps.db, orderId);
  const visit = 'visit' in prepared ? prepared.visit : null;
  let accepted;
  try {
    accepted = await deps.dispatch.createOrder({
      // A visit is one order at the courier dispatch system, sent again (the same id) as it grows.
      orderId: visit?.id ?? orderId,
      kind: 'pickup',
      trackingNumber: visit?.first.trackingNumber ?? parcel.trackingNumber,
      code,
      ...(prepared.pin ? { pin: prepared.pin } : {}),
      site: { code: place.code, name: place.name, address: place.address, district: place.district, lat: place.lat, lng: place.lng },
      compartment: place.number,
      destination: HALL,
      ...(visit && { parcels: visit.parcels, qr: visit.qr }),
    });
  } catch (e) {
    if (e instanceof CourierDispatchError && !e.retryable) throw new UnrecoverableError(e.message);
    throw e;
  }
  await withTransaction(deps.db, async (tx) => {
    const current = await lockParcel(tx, parcelId);
    if (current.state !== 'deposited') return;
    await moveParcel(tx, current, 'pickup_ordered', {
      actor: { kind: 'system', id: null },
      at: deps.now(),
      siteId: parcel.siteId,
      compartment: place.number,
      evidence: {
        orderId,
        dispatchRef: accepted.dispatchRef,
        courierCodeFrom: prepared.reservationId === null ? 'hub' : 'partner',
        ...(visit && { visitId: visit.id }),
      },
    });
    await markOrderDispatched(tx, orderId, accepted.dispatchRef, deps.now());
    if (visit) await markVisitDispatched(tx, visit.id, accepted.dispatchRef, deps.now());
  });
  deps.log.info({ parcelId, orderId, dispatchRef: accepted.dispatchRef }, 'courier pickup ordered');
  return 'ordered';
}

/** Deposited parcels (and documents waiting at an address) with no pickup under way (a crash between commit and enqueue): enqueue again. */
export async function sweepDeposited(deps: Pick<PickupDeps, 'db' | 'now'>, queue: Queue<CourierJob>, olderThanMs = 5_000): Promise<number> {
  const ids = await depositedBefore(deps.db, new Date(deps.now().getTime() - olderThanMs));
  for (const id of ids) await enqueuePickup(queue, id);
  return ids.length;
}

export function startCourierWorker(
  deps: PickupDeps,
  queue: Queue<CourierJob>,
  connection: ConnectionOptions,
  prefix: string,
): Worker<CourierJob> {
  const worker = new Worker<CourierJob>(
    COURIER_QUEUE,
    async (job) => {
      switch (job.data.kind) {
        case 'pickup':
          return orderPickup(deps, job.data.parcelId);
        case 'sweep':
          // Also the deposit codes that ran out unused (their compartments released, their applicants told).
          await expireDepositCodes(deps);
          // … and the 容缺 commitments come due (their applicants reminded, once).
          for (const more of deps.alsoOnSweep ?? []) await more();
          return sweepDeposited(deps, queue);
      }
    },
    { connection, prefix, concurrency: 4 },
  );
  worker.on('failed', (job, err) => {
    deps.log.warn({ jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'courier job failed');
    // Given up (no attempt left, or failed for good): an exception for staff, never a silent end.
    if (job?.data.kind === 'pickup' && job.finishedOn)
      courierPickupGaveUp(deps, { parcelId: job.data.parcelId, reason: err.message, attempts: job.attemptsMade }).catch((e: unknown) =>
        deps.log.error(
          { err: e, parcelId: job.data.kind === 'pickup' ? job.data.parcelId : null },
          'could not open the courier failure exception',
        ),
      );
  });
  return worker;
}
