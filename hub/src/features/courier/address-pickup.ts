// Documents a courier collects from the applicant's address (ADR 0037). The pass made the parcel
// `pickup_requested`; the courier job orders it in three steps like a kiosk pickup: (1) in one
// transaction, open the parcel's order (no site, no compartment, no code: the origin address); (2)
// send it to the courier dispatch system, idempotent by the order's id, with the applicant's name
// and phone masked; (3) in one transaction, move the parcel to `pickup_ordered`. The courier's word
// is what moves it on, as the dispatch system's `picked_up` webhook or as the step on the PDA:
// `picked_up`, or a failure (nobody home, a wrong address) on the hall's exceptions list and told to
// the applicant. The hall's intake scan then receives it (`received_at_hall`).
import { UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';
import type { CourierEvent } from '@xinbao/protocol';
import { maskName, maskPhone } from '../../domain/masking.js';
import { maskPostalAddress } from '../../domain/results.js';
import { exceptionSubject } from '../../domain/exceptions.js';
import { withTransaction, type Db, type Tx } from '../../store/db.js';
import { openException } from '../../store/exceptions.js';
import { appendCustody, lockParcel, moveParcel, type CustodyContext, type Parcel } from '../../store/parcels.js';
import { CourierDispatchError, type CourierDispatch } from '../../integrations/courier-dispatch.js';
import { recordNotice } from '../notifications/store.js';
import {
  addressPickupParty,
  lockAddressOrder,
  markOrderDispatched,
  markPickupDone,
  openAddressPickupOrder,
  setOrderCourier,
} from './store.js';

export interface AddressPickupDeps {
  db: Db;
  dispatch: CourierDispatch;
  now: () => Date;
  log: Logger;
}

/** Orders the courier to the applicant's address; 'not_needed' when the parcel no longer waits for it. */
export async function orderAddressPickup(
  deps: AddressPickupDeps,
  parcelId: string,
  hall: { name: string; address: string },
): Promise<'ordered' | 'not_needed'> {
  const prepared = await withTransaction(deps.db, async (tx) => {
    const parcel = await lockParcel(tx, parcelId);
    if (parcel.state !== 'pickup_requested') return null;
    const party = await addressPickupParty(tx, parcel.applicationId);
    if (!party.address) throw new UnrecoverableError(`parcel ${parcel.id} waits for an address pickup but its application has no address`);
    // A retry finds the order the first attempt opened, and sends it to the address it was opened for.
    const order = await openAddressPickupOrder(tx, parcel.id, party.address);
    return { parcel, order, origin: { name: maskName(party.name), address: order.origin, phone: maskPhone(party.phone) } };
  });
  if (!prepared) return 'not_needed';
  const { parcel, order, origin } = prepared;
  let accepted;
  try {
    accepted = await deps.dispatch.createOrder({
      orderId: order.id,
      kind: 'pickup',
      trackingNumber: parcel.trackingNumber,
      origin,
      destination: hall,
    });
  } catch (e) {
    if (e instanceof CourierDispatchError && !e.retryable) throw new UnrecoverableError(e.message);
    throw e;
  }
  await withTransaction(deps.db, async (tx) => {
    // The order's row before the parcel's, as a webhook or a PDA step about it locks them: no deadlock.
    await lockAddressOrder(tx, order.id);
    const current = await lockParcel(tx, parcelId);
    // The dispatch system's first webhook may have come first and ordered it already (ordered below).
    if (current.state === 'pickup_requested')
      await moveParcel(tx, current, 'pickup_ordered', {
        actor: { kind: 'system', id: null },
        at: deps.now(),
        evidence: { orderId: order.id, dispatchRef: accepted.dispatchRef, pickupAddress: maskPostalAddress(order.origin) },
      });
    await markOrderDispatched(tx, order.id, accepted.dispatchRef, deps.now());
  });
  deps.log.info({ parcelId, orderId: order.id, dispatchRef: accepted.dispatchRef }, 'address pickup ordered');
  return 'ordered';
}

/**
 * Any word from the dispatch system about the order proves it has it: a parcel still
 * `pickup_requested` (the job's last step not yet committed) is ordered first, so that custody tells
 * the story in the order it happened.
 */
async function ordered(tx: Tx, parcel: Parcel, orderId: string, ctx: CustodyContext): Promise<Parcel> {
  if (parcel.state !== 'pickup_requested') return parcel;
  await markOrderDispatched(tx, orderId, null, ctx.at);
  return moveParcel(tx, parcel, 'pickup_ordered', { ...ctx, evidence: { ...ctx.evidence, orderId } });
}

/** The courier has the documents: `pickup_ordered` → `picked_up`, the order done; a repeat only adds to the trail. */
export async function addressPickupCollected(tx: Tx, parcel: Parcel, orderId: string, ctx: CustodyContext): Promise<Parcel> {
  const current = await ordered(tx, parcel, orderId, ctx);
  if (current.state !== 'pickup_ordered') {
    await appendCustody(tx, current, 'courier_picked_up', current.state, current.state, ctx);
    return current;
  }
  const moved = await moveParcel(tx, current, 'picked_up', ctx);
  await markPickupDone(tx, current.id, ctx.at);
  return moved;
}

/** The courier could not collect: in the trail, on the hall's exceptions list, and told to the applicant (once per parcel). */
export async function addressPickupFailed(
  tx: Tx,
  parcel: Parcel,
  f: { orderId: string; reason: string; note: string | null; subject: string; via: 'courier_event' | 'pda' },
  ctx: CustodyContext,
): Promise<Parcel> {
  const current = await ordered(tx, parcel, f.orderId, ctx);
  await appendCustody(tx, current, 'courier_failed', current.state, current.state, ctx);
  await openException(tx, {
    kind: 'courier_failed',
    subject: f.subject,
    parcelId: current.id,
    detail: {
      trackingNumber: current.trackingNumber,
      orderId: f.orderId,
      task: 'address_pickup',
      reason: f.reason,
      note: f.note,
      via: f.via,
    },
    at: ctx.at,
  });
  await recordNotice(tx, { parcelId: current.id, kind: 'pickup_failed', details: { reason: f.reason }, at: ctx.at });
  return current;
}

/** The dispatch system's event about an address pickup order, with what it does, in the caller's transaction. */
export async function addressPickupEvent(
  tx: Tx,
  order: { id: string; parcelId: string },
  event: CourierEvent,
  now: Date,
): Promise<{ outcome: 'applied' | 'recorded'; detail: string }> {
  const parcel = await lockParcel(tx, order.parcelId);
  const ctx: CustodyContext = {
    actor: { kind: 'courier', id: event.courierId ?? null },
    at: new Date(event.at),
    evidence: {
      eventId: event.eventId,
      orderId: order.id,
      ...(event.courierName && { courier: maskName(event.courierName) }),
      ...(event.reason && { reason: event.reason }),
      ...(event.note && { note: event.note }),
      via: 'courier_event',
    },
  };
  switch (event.type) {
    case 'assigned': {
      // The courier it was given to sees it on their PDA.
      if (event.courierId) await setOrderCourier(tx, order.id, event.courierId, now);
      const current = await ordered(tx, parcel, order.id, ctx);
      await appendCustody(tx, current, 'courier_assigned', current.state, current.state, ctx);
      return { outcome: 'applied', detail: 'address pickup assigned' };
    }
    case 'picked_up': {
      const moved = await addressPickupCollected(tx, parcel, order.id, ctx);
      return { outcome: 'applied', detail: `address pickup picked up (${moved.state})` };
    }
    case 'failed':
      await addressPickupFailed(
        tx,
        parcel,
        {
          orderId: order.id,
          reason: event.reason ?? 'other',
          note: event.note ?? null,
          subject: exceptionSubject.courierEvent(event.eventId, parcel.id),
          via: 'courier_event',
        },
        ctx,
      );
      return { outcome: 'applied', detail: `address pickup failed: ${event.reason ?? 'other'}` };
    case 'delivered':
      // At the hall: the intake scan is what receives it (received_at_hall).
      await appendCustody(tx, parcel, 'courier_delivered', parcel.state, parcel.state, ctx);
      return { outcome: 'recorded', detail: 'the courier reports the documents delivered to the hall' };
  }
}
