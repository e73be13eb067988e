// The parcel journey as a state machine over plain data. Every move a parcel can make is listed
// here once; anything else is refused before a single row is written.
//
// A parcel for a partner locker (全城通港) starts `reserving`: the hub is asking the partner network
// for a compartment and its open-code. It becomes `awaiting_deposit` only once the partner's code is
// known (so an applicant never sees a code that does not work), or `reservation_failed` when the
// partner refused or kept failing. An own-kiosk parcel starts at `awaiting_deposit`. Documents a
// courier collects from the applicant's address (ADR 0037) start `pickup_requested`: nothing to
// deposit, the courier order is what comes next.
export const INBOUND_STATES = [
  'reserving',
  'pickup_requested',
  'reservation_failed',
  'awaiting_deposit',
  'deposited',
  'pickup_ordered',
  'picked_up',
  'received_at_hall',
  'accepted',
  'deposit_expired',
  'missing_at_pickup',
  'rejected_at_intake',
] as const;
export const OUTBOUND_STATES = [
  'result_ready',
  'delivery_ordered',
  'out_for_delivery',
  'in_locker',
  'collected',
  'mailed',
  'delivered',
  'at_counter',
  // An uncollected result the courier took out of its locker: on its way back, in the courier's
  // hands, until the hall's intake scan proves it arrived (returned_to_hall).
  'returning',
  'returned_to_hall',
] as const;
export type ParcelState = (typeof INBOUND_STATES)[number] | (typeof OUTBOUND_STATES)[number];

/** What happened, in the custody log's words; each names the move it makes. */
export const PARCEL_MOVES = {
  reserved: { from: ['reserving'], to: 'awaiting_deposit' },
  reservation_failed: { from: ['reserving'], to: 'reservation_failed' },
  deposited: { from: ['awaiting_deposit'], to: 'deposited' },
  // A partner reservation may run out before its code ever reached the hub (a lost code_issued).
  deposit_expired: { from: ['awaiting_deposit', 'reserving'], to: 'deposit_expired' },
  pickup_ordered: { from: ['deposited', 'pickup_requested'], to: 'pickup_ordered' },
  picked_up: { from: ['pickup_ordered'], to: 'picked_up' },
  missing_at_pickup: { from: ['pickup_ordered'], to: 'missing_at_pickup' },
  received_at_hall: { from: ['picked_up'], to: 'received_at_hall' },
  accepted: { from: ['received_at_hall'], to: 'accepted' },
  rejected_at_intake: { from: ['received_at_hall'], to: 'rejected_at_intake' },
  delivery_ordered: { from: ['result_ready'], to: 'delivery_ordered' },
  out_for_delivery: { from: ['delivery_ordered'], to: 'out_for_delivery' },
  in_locker: { from: ['out_for_delivery'], to: 'in_locker' },
  collected: { from: ['in_locker', 'at_counter'], to: 'collected' },
  // A result back at the hall (its holding period over, or its applicant switched) goes out again
  // by the channel the applicant chose: the counter or the mail.
  mailed: { from: ['result_ready', 'returned_to_hall'], to: 'mailed' },
  delivered: { from: ['mailed'], to: 'delivered' },
  at_counter: { from: ['result_ready', 'returned_to_hall'], to: 'at_counter' },
  returning: { from: ['in_locker'], to: 'returning' },
  returned_to_hall: { from: ['returning'], to: 'returned_to_hall' },
} as const satisfies Record<string, { from: readonly ParcelState[]; to: ParcelState }>;
export type ParcelMove = keyof typeof PARCEL_MOVES;

export type MoveResult = { ok: true; to: ParcelState } | { ok: false; reason: string };

export function applyMove(current: ParcelState, move: ParcelMove): MoveResult {
  const rule = PARCEL_MOVES[move];
  if ((rule.from as readonly ParcelState[]).includes(current)) return { ok: true, to: rule.to };
  return {
    ok: false,
    reason: `a parcel that is ${current} cannot be ${move.replace(/_/g, ' ')} (only from ${rule.from.join(' or ')})`,
  };
}
