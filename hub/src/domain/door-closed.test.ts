import { describe, expect, it } from '@jest/globals';
import { CODE_PURPOSES } from '@xinbao/protocol';
import { COMPARTMENT_STATES } from './compartments.js';
import { decideDoorClosed, moveOnCodeUse, type DoorClosed, type DoorClosedDecision } from './door-closed.js';
import { INBOUND_STATES, OUTBOUND_STATES } from './parcel-journey.js';

const deposited: DoorClosedDecision = {
  kind: 'move',
  parcelMove: 'deposited',
  actor: 'applicant',
  compartmentMove: 'fill',
  leavesCompartment: false,
  closesPickupOrder: false,
  closesDeliveryOrder: false,
};
const pickedUp: DoorClosedDecision = {
  kind: 'move',
  parcelMove: 'picked_up',
  actor: 'courier',
  compartmentMove: 'empty',
  leavesCompartment: true,
  closesPickupOrder: true,
  closesDeliveryOrder: false,
};
const collected: DoorClosedDecision = {
  kind: 'move',
  parcelMove: 'collected',
  actor: 'applicant',
  compartmentMove: 'empty',
  leavesCompartment: true,
  closesPickupOrder: false,
  closesDeliveryOrder: false,
};
const inLocker: DoorClosedDecision = {
  kind: 'move',
  parcelMove: 'in_locker',
  actor: 'courier',
  compartmentMove: 'fill',
  leavesCompartment: false,
  closesPickupOrder: false,
  closesDeliveryOrder: true,
};
const returned: DoorClosedDecision = {
  kind: 'move',
  parcelMove: 'returning',
  actor: 'courier',
  compartmentMove: 'empty',
  leavesCompartment: true,
  closesPickupOrder: true,
  closesDeliveryOrder: false,
};
const record = (custodyKind: string, actor: string) => ({ kind: 'record', custodyKind, actor });

describe('what a closed door means', () => {
  // purpose, parcel state, item sensor, compartment state → decision
  const table: Array<[DoorClosed['purpose'], DoorClosed['parcelState'], boolean | null, DoorClosed['compartmentState'], unknown]> = [
    ['deposit', 'awaiting_deposit', true, 'reserved', deposited],
    ['deposit', 'awaiting_deposit', null, 'reserved', deposited],
    ['deposit', 'awaiting_deposit', false, 'reserved', record('door_closed_empty', 'applicant')],
    ['deposit', 'awaiting_deposit', true, 'faulty', { ...deposited, compartmentMove: null }],
    ['deposit', 'deposited', true, 'occupied', record('door_cycle_unmatched', 'kiosk')],
    ['courier_pickup', 'pickup_ordered', false, 'occupied', pickedUp],
    ['courier_pickup', 'pickup_ordered', null, 'occupied', pickedUp],
    ['courier_pickup', 'pickup_ordered', true, 'occupied', record('door_closed_item_left', 'courier')],
    ['courier_pickup', 'pickup_ordered', false, 'faulty', { ...pickedUp, compartmentMove: null }],
    ['courier_pickup', 'deposited', false, 'occupied', record('door_cycle_unmatched', 'kiosk')],
    ['collect', 'in_locker', false, 'occupied', collected],
    ['collect', 'in_locker', null, 'occupied', collected],
    ['collect', 'in_locker', true, 'occupied', record('door_closed_item_left', 'applicant')],
    ['collect', 'in_locker', false, 'free', { ...collected, compartmentMove: null }],
    ['collect', 'collected', false, 'free', record('door_cycle_unmatched', 'kiosk')],
    ['courier_deliver', 'out_for_delivery', true, 'reserved', inLocker],
    ['courier_deliver', 'out_for_delivery', null, 'reserved', inLocker],
    ['courier_deliver', 'out_for_delivery', false, 'reserved', record('door_closed_empty', 'courier')],
    ['courier_deliver', 'out_for_delivery', true, 'faulty', { ...inLocker, compartmentMove: null }],
    ['courier_deliver', 'delivery_ordered', true, 'reserved', record('door_cycle_unmatched', 'kiosk')],
    ['courier_deliver', 'in_locker', true, 'occupied', record('door_cycle_unmatched', 'kiosk')],
    ['courier_pickup', 'in_locker', false, 'occupied', returned],
    ['courier_pickup', 'in_locker', null, 'occupied', returned],
    ['courier_pickup', 'in_locker', true, 'occupied', record('door_closed_item_left', 'courier')],
    ['courier_pickup', 'in_locker', false, 'faulty', { ...returned, compartmentMove: null }],
    ['courier_pickup', 'returning', false, 'free', record('door_cycle_unmatched', 'kiosk')],
    ['courier_pickup', 'returned_to_hall', false, 'free', record('door_cycle_unmatched', 'kiosk')],
    ['collect', 'out_for_delivery', false, 'reserved', record('door_cycle_unmatched', 'kiosk')],
  ];
  it.each(table)('%s code, parcel %s, item %s, compartment %s', (purpose, parcelState, itemPresent, compartmentState, want) => {
    expect(decideDoorClosed({ purpose, parcelState, itemPresent, compartmentState })).toEqual(want);
  });

  // A courier visit's door (ADR 0023): the item sensor before the door was granted, and after it closed.
  const missing: DoorClosedDecision = { ...pickedUp, parcelMove: 'missing_at_pickup' };
  const visitTable: Array<[boolean | null, boolean | null, DoorClosed['parcelState'], unknown]> = [
    [true, false, 'pickup_ordered', pickedUp],
    [null, false, 'pickup_ordered', pickedUp],
    [true, null, 'pickup_ordered', pickedUp],
    [false, null, 'pickup_ordered', pickedUp],
    [false, false, 'pickup_ordered', missing],
    [true, true, 'pickup_ordered', record('door_closed_item_left', 'courier')],
    [false, true, 'pickup_ordered', record('door_closed_item_left', 'courier')],
    [false, false, 'deposited', record('door_cycle_unmatched', 'kiosk')],
  ];
  it.each(visitTable)('visit door: item %s at the grant, %s at the close, parcel %s', (itemAtGrant, itemPresent, parcelState, want) => {
    expect(decideDoorClosed({ purpose: 'courier_pickup', parcelState, itemPresent, compartmentState: 'occupied', itemAtGrant })).toEqual(
      want,
    );
  });
  it('never calls a parcel missing without a visit door that saw no item before it opened', () => {
    for (const itemPresent of [true, false, null]) {
      for (const itemAtGrant of [true, null, undefined]) {
        const d = decideDoorClosed({
          purpose: 'courier_pickup',
          parcelState: 'pickup_ordered',
          itemPresent,
          compartmentState: 'occupied',
          ...(itemAtGrant !== undefined && { itemAtGrant }),
        });
        expect(d.kind === 'move' && d.parcelMove === 'missing_at_pickup').toBe(false);
      }
    }
  });

  it('moves a parcel only for its own purpose and state, and the compartment only by a legal move', () => {
    const moving = new Map<string, string[]>([
      ['deposit', ['awaiting_deposit']],
      ['courier_pickup', ['pickup_ordered', 'in_locker']],
      ['collect', ['in_locker']],
      ['courier_deliver', ['out_for_delivery']],
    ]);
    for (const purpose of CODE_PURPOSES) {
      for (const parcelState of [...INBOUND_STATES, ...OUTBOUND_STATES]) {
        for (const itemPresent of [true, false, null]) {
          for (const compartmentState of COMPARTMENT_STATES) {
            const d = decideDoorClosed({ purpose, parcelState, itemPresent, compartmentState });
            if (!moving.get(purpose)?.includes(parcelState)) {
              expect(d).toEqual(record('door_cycle_unmatched', 'kiosk'));
            } else if (d.kind === 'move' && d.compartmentMove !== null) {
              expect([d.compartmentMove, compartmentState]).toEqual(
                d.compartmentMove === 'fill' ? ['fill', 'reserved'] : ['empty', 'occupied'],
              );
            }
          }
        }
      }
    }
  });
});

describe('what using a code does before the door closes', () => {
  it('puts a result out for delivery only for the courier’s deliver code on a result whose delivery was ordered', () => {
    for (const purpose of CODE_PURPOSES) {
      for (const state of [...INBOUND_STATES, ...OUTBOUND_STATES]) {
        const want = purpose === 'courier_deliver' && state === 'delivery_ordered' ? 'out_for_delivery' : null;
        expect([purpose, state, moveOnCodeUse(purpose, state)]).toEqual([purpose, state, want]);
      }
    }
  });
});
