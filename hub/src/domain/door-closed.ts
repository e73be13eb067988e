// What a closed door means, as a pure decision (as decidePartnerEvent is for partner events): the
// purpose of the code that opened it, the parcel's state, the item sensor and the compartment's
// state decide whether the parcel moves (and the compartment with it) or the close is only recorded
// as custody evidence. The kiosk service carries the decision out in one transaction.
import type { CodePurpose } from '@xinbao/protocol';
import { applyCompartmentMove, type CompartmentMove, type CompartmentState } from './compartments.js';
import type { ParcelMove, ParcelState } from './parcel-journey.js';

export interface DoorClosed {
  /** the purpose of the used code whose door cycle this close ends */
  purpose: CodePurpose;
  parcelState: ParcelState;
  /** the item sensor after the close; null when the compartment has none */
  itemPresent: boolean | null;
  compartmentState: CompartmentState;
  /**
   * A courier visit's door (ADR 0023): the item sensor's last word when the door was granted (null:
   * no sensor or never heard). Absent for other door cycles.
   */
  itemAtGrant?: boolean | null;
}

export type DoorCloser = 'applicant' | 'courier' | 'kiosk';

export type DoorClosedDecision =
  | {
      kind: 'move';
      parcelMove: Extract<ParcelMove, 'deposited' | 'picked_up' | 'collected' | 'in_locker' | 'returning' | 'missing_at_pickup'>;
      actor: Exclude<DoorCloser, 'kiosk'>;
      /** null when the compartment cannot follow (a faulty door stays out of service) */
      compartmentMove: CompartmentMove | null;
      /** the parcel left the compartment */
      leavesCompartment: boolean;
      /** the courier's pickup order is done (also the pickup that returns a result to the hall) */
      closesPickupOrder: boolean;
      /** the courier's delivery order is done: the result is in the locker */
      closesDeliveryOrder: boolean;
    }
  | { kind: 'record'; custodyKind: 'door_closed_empty' | 'door_closed_item_left' | 'door_cycle_unmatched'; actor: DoorCloser };

const follow = (state: CompartmentState, move: CompartmentMove): CompartmentMove | null =>
  applyCompartmentMove(state, move).ok ? move : null;

export function decideDoorClosed(d: DoorClosed): DoorClosedDecision {
  if (d.purpose === 'deposit' && d.parcelState === 'awaiting_deposit') {
    // No sensor (null) trusts the holder: only a sensor that saw nothing keeps the parcel waiting.
    if (d.itemPresent === false) return { kind: 'record', custodyKind: 'door_closed_empty', actor: 'applicant' };
    return {
      kind: 'move',
      parcelMove: 'deposited',
      actor: 'applicant',
      compartmentMove: follow(d.compartmentState, 'fill'),
      leavesCompartment: false,
      closesPickupOrder: false,
      closesDeliveryOrder: false,
    };
  }
  if (d.purpose === 'courier_pickup' && d.parcelState === 'pickup_ordered') {
    if (d.itemPresent === true) return { kind: 'record', custodyKind: 'door_closed_item_left', actor: 'courier' };
    // The sensor saw no item before the door opened and none after it closed: nothing was taken,
    // the parcel was not there (a visit's other doors go on).
    if (d.itemPresent === false && d.itemAtGrant === false) {
      return {
        kind: 'move',
        parcelMove: 'missing_at_pickup',
        actor: 'courier',
        compartmentMove: follow(d.compartmentState, 'empty'),
        leavesCompartment: true,
        closesPickupOrder: true,
        closesDeliveryOrder: false,
      };
    }
    return {
      kind: 'move',
      parcelMove: 'picked_up',
      actor: 'courier',
      compartmentMove: follow(d.compartmentState, 'empty'),
      leavesCompartment: true,
      closesPickupOrder: true,
      closesDeliveryOrder: false,
    };
  }
  if (d.purpose === 'collect' && d.parcelState === 'in_locker') {
    if (d.itemPresent === true) return { kind: 'record', custodyKind: 'door_closed_item_left', actor: 'applicant' };
    return {
      kind: 'move',
      parcelMove: 'collected',
      actor: 'applicant',
      compartmentMove: follow(d.compartmentState, 'empty'),
      leavesCompartment: true,
      closesPickupOrder: false,
      closesDeliveryOrder: false,
    };
  }
  if (d.purpose === 'courier_deliver' && d.parcelState === 'out_for_delivery') {
    // As for a deposit: only a sensor that saw nothing keeps the result with the courier.
    if (d.itemPresent === false) return { kind: 'record', custodyKind: 'door_closed_empty', actor: 'courier' };
    return {
      kind: 'move',
      parcelMove: 'in_locker',
      actor: 'courier',
      compartmentMove: follow(d.compartmentState, 'fill'),
      leavesCompartment: false,
      closesPickupOrder: false,
      closesDeliveryOrder: true,
    };
  }
  if (d.purpose === 'courier_pickup' && d.parcelState === 'in_locker') {
    // An uncollected result taken back to the hall (its holding period over, or the applicant
    // switched): the courier has it now; only the hall's intake scan makes it returned_to_hall.
    if (d.itemPresent === true) return { kind: 'record', custodyKind: 'door_closed_item_left', actor: 'courier' };
    return {
      kind: 'move',
      parcelMove: 'returning',
      actor: 'courier',
      compartmentMove: follow(d.compartmentState, 'empty'),
      leavesCompartment: true,
      closesPickupOrder: true,
      closesDeliveryOrder: false,
    };
  }
  return { kind: 'record', custodyKind: 'door_cycle_unmatched', actor: 'kiosk' };
}

/**
 * What using a code (online or, replayed, offline) does to its parcel before the door closes: the
 * courier's deliver code puts a result `out_for_delivery`; every other use is only recorded.
 */
export function moveOnCodeUse(purpose: CodePurpose, parcelState: ParcelState): Extract<ParcelMove, 'out_for_delivery'> | null {
  return purpose === 'courier_deliver' && parcelState === 'delivery_ordered' ? 'out_for_delivery' : null;
}
