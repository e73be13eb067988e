// What the hall's intake desk makes of one scanned envelope, decided from the parcel the hub knows by
// that tracking number (or none). Pure: the intake slice writes what this decides.
import type { ParcelState } from './parcel-journey.js';

export const ENVELOPE_CONDITIONS = ['ok', 'damaged', 'wrong_envelope'] as const;
export type EnvelopeCondition = (typeof ENVELOPE_CONDITIONS)[number];

export type ScanDecision =
  /**
   * picked up by the courier and now on the desk: received into the processing queue; or an
   * uncollected result the courier brought back from its locker: returned_to_hall
   */
  | { result: 'received' }
  /** received before (and maybe accepted or rejected since): nothing is written */
  | { result: 'already_received' }
  /** a valid number the hub did not expect here: recorded and flagged */
  | { result: 'unannounced'; why: 'unknown' | 'not_picked_up' }
  /** cannot be received at all */
  | { result: 'refused'; reason: 'outbound' | 'never_handed_in' };

export interface ScannedParcel {
  direction: 'inbound' | 'outbound';
  state: ParcelState;
}

export function decideScan(parcel: ScannedParcel | null): ScanDecision {
  if (!parcel) return { result: 'unannounced', why: 'unknown' };
  if (parcel.direction === 'outbound') {
    // A result comes to the desk only on its way back from a locker; every other one is going out.
    if (parcel.state === 'returning') return { result: 'received' };
    if (parcel.state === 'returned_to_hall') return { result: 'already_received' };
    return { result: 'refused', reason: 'outbound' };
  }
  switch (parcel.state) {
    case 'picked_up':
      return { result: 'received' };
    case 'received_at_hall':
    case 'accepted':
    case 'rejected_at_intake':
      return { result: 'already_received' };
    // The envelope is here although the hub still waits for it at a locker (a pickup the courier
    // did not confirm, or one reported missing): it is recorded, not received, until someone looks.
    case 'reserving':
    case 'pickup_requested':
    case 'awaiting_deposit':
    case 'deposited':
    case 'pickup_ordered':
    case 'missing_at_pickup':
      return { result: 'unannounced', why: 'not_picked_up' };
    // The drop-off never happened, so this envelope cannot be that application's.
    case 'reservation_failed':
    case 'deposit_expired':
      return { result: 'refused', reason: 'never_handed_in' };
    // Outbound states on an inbound parcel do not occur; refuse rather than guess.
    case 'result_ready':
    case 'delivery_ordered':
    case 'out_for_delivery':
    case 'in_locker':
    case 'collected':
    case 'mailed':
    case 'delivered':
    case 'at_counter':
    case 'returning':
    case 'returned_to_hall':
      return { result: 'refused', reason: 'outbound' };
  }
}

/** The words the desk shows with each answer (the web page has its own per language). */
export function scanMessage(d: ScanDecision, trackingNumber: string, first?: { at: Date; by: string }): string {
  switch (d.result) {
    case 'received':
      return `${trackingNumber} received: the application is in the processing queue`;
    case 'already_received':
      return first
        ? `${trackingNumber} was already received at ${hhmm(first.at)} by ${first.by}; nothing was written`
        : `${trackingNumber} was already received; nothing was written`;
    case 'unannounced':
      return d.why === 'unknown'
        ? `${trackingNumber} is not a parcel the hall expects: recorded as unannounced, set it aside`
        : `${trackingNumber} has not been picked up according to the hub: recorded as unannounced, set it aside`;
    case 'refused':
      return d.reason === 'outbound'
        ? `${trackingNumber} is a result on its way to the applicant, not a parcel for intake`
        : `${trackingNumber} cannot be received: its drop-off never happened (expired or never reserved)`;
  }
}

/** Hours and minutes in the hall's time zone (China Standard Time, no daylight saving). */
export function hhmm(at: Date): string {
  const cst = new Date(at.getTime() + 8 * 3_600_000);
  return `${String(cst.getUTCHours()).padStart(2, '0')}:${String(cst.getUTCMinutes()).padStart(2, '0')}`;
}
