// The inbound journey through a partner locker (全城通港), as plain functions: what a partner event
// does to a parcel in a given state (events may come twice, late or out of order), how long to wait
// before trying the partner again, and what the applicant is shown — a working code, a clear
// "still reserving", or a failure with what to do next; never a code that does not work.
import type { PartnerEventType } from '@xinbao/protocol';
import type { ParcelState } from './parcel-journey.js';

// ---------------------------------------------------------------------------------------------
// Events

export type PartnerEventDecision =
  /** the open-code is known: keep it for the applicant; reserving → awaiting_deposit */
  | { act: 'code_issued' }
  /** deposited; when the parcel is still `reserving` (the code never came) it passes awaiting_deposit first */
  | { act: 'deposited'; viaReserved: boolean }
  /**
   * the courier took the parcel out: pickup_ordered → picked_up. `viaOrdered`: the collection came
   * before the courier dispatch system confirmed the order (its answer was lost or late) — the order
   * had gone out with the partner's code, so the parcel passes pickup_ordered first
   */
  | { act: 'collected'; viaOrdered: boolean }
  /** the reservation ended without a deposit: release it; the parcel moves to deposit_expired when `move` */
  | { act: 'ended'; move: boolean }
  /** a reservation the hub no longer wants (its parcel failed here): cancel it at the partner */
  | { act: 'release_orphan' }
  /** an earlier event is missing (e.g. `collected` before `deposited`): keep it, apply it once the parcel catches up */
  | { act: 'defer'; why: string }
  /** the parcel already shows what this event says */
  | { act: 'already'; why: string }
  /** nothing to do, and nothing will be: recorded with the reason */
  | { act: 'ignore'; why: string };

type Phase = 'reserving' | 'ready' | 'failed' | 'expired' | 'in_locker' | 'beyond' | 'not_inbound' | 'at_an_address';

/** Where a parcel stands, as far as a partner locker is concerned. */
function phaseOf(state: ParcelState): Phase {
  switch (state) {
    case 'reserving':
      return 'reserving';
    case 'awaiting_deposit':
      return 'ready';
    case 'reservation_failed':
      return 'failed';
    case 'deposit_expired':
      return 'expired';
    // Documents a courier collects from the applicant's address (ADR 0037): never in a partner locker.
    case 'pickup_requested':
      return 'at_an_address';
    case 'deposited':
    case 'pickup_ordered':
      return 'in_locker';
    case 'picked_up':
    case 'received_at_hall':
    case 'accepted':
    case 'rejected_at_intake':
    case 'missing_at_pickup':
      return 'beyond';
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
      return 'not_inbound';
  }
}

export interface PartnerEventContext {
  /** a courier order for the parcel has gone out with the partner's collection code (confirmed or not) */
  courierCodeSent: boolean;
}

export function decidePartnerEvent(
  state: ParcelState,
  type: PartnerEventType,
  ctx: PartnerEventContext = { courierCodeSent: false },
): PartnerEventDecision {
  const phase = phaseOf(state);
  if (phase === 'not_inbound') return { act: 'ignore', why: `the parcel is ${state}, not an inbound parcel` };
  if (phase === 'at_an_address')
    return { act: 'ignore', why: `the parcel is ${state}: a courier collects it from an address, not a locker` };
  switch (type) {
    case 'code_issued':
      if (phase === 'reserving') return { act: 'code_issued' };
      if (phase === 'ready') return { act: 'already', why: 'the open-code is already known' };
      if (phase === 'failed') return { act: 'release_orphan' };
      return { act: 'ignore', why: `the parcel is ${state}: this open-code no longer opens anything` };
    case 'deposited':
      if (phase === 'reserving') return { act: 'deposited', viaReserved: true };
      if (phase === 'ready') return { act: 'deposited', viaReserved: false };
      if (phase === 'in_locker' || phase === 'beyond') return { act: 'already', why: `the parcel is already ${state}` };
      return { act: 'ignore', why: `the parcel is ${state}; a deposit cannot follow (staff must look)` };
    case 'collected':
      if (state === 'pickup_ordered') return { act: 'collected', viaOrdered: false };
      if (state === 'deposited' && ctx.courierCodeSent) return { act: 'collected', viaOrdered: true };
      if (phase === 'reserving' || phase === 'ready' || state === 'deposited') {
        return { act: 'defer', why: `the parcel is ${state}: waiting for the deposit and the courier order before the collection` };
      }
      if (phase === 'beyond') return { act: 'already', why: `the parcel is already ${state}` };
      return { act: 'ignore', why: `the parcel is ${state}; nothing was deposited to collect` };
    case 'expired':
    case 'cancelled':
      if (phase === 'reserving' || phase === 'ready') return { act: 'ended', move: true };
      if (phase === 'failed') return { act: 'ended', move: false };
      if (phase === 'expired') return { act: 'already', why: 'the parcel is already deposit_expired' };
      return { act: 'ignore', why: `the parcel is ${state}: a reservation with a deposit does not end unused` };
    case 'deposit_refused':
    case 'hold_expired':
      return { act: 'ignore', why: `${type} is an event of a delivery into a partner locker, not of a drop-off` };
  }
}

// ---------------------------------------------------------------------------------------------
// A result delivered into a partner locker (the return channel partner_locker)

export type DeliveryEventDecision =
  /**
   * the courier deposited the result: (result_ready → delivery_ordered, when the dispatch system's
   * answer was lost but the order had gone out with the deliver code) → out_for_delivery → in_locker;
   * the applicant gets the partner's collection code
   */
  | { act: 'delivered'; viaOrdered: boolean }
  /** the applicant collected it with the partner's collection code: in_locker → collected */
  | { act: 'collected' }
  /** a courier took it back with the partner's return code: in_locker → returning (the hall's scan makes it returned_to_hall) */
  | { act: 'returned' }
  /** the partner's holding period ran out: the result goes back to the hall (a return order) */
  | { act: 'hold_over' }
  /** the delivery failed at the partner (the reservation ran out or was cancelled, the locker refused the deposit): staff look */
  | { act: 'failed'; stage: 'reservation_expired' | 'reservation_cancelled' | 'deposit_refused' }
  | { act: 'defer'; why: string }
  | { act: 'already'; why: string }
  | { act: 'ignore'; why: string };

const BEFORE_LOCKER: readonly ParcelState[] = ['result_ready', 'delivery_ordered', 'out_for_delivery'];
const AFTER_LOCKER: readonly ParcelState[] = ['collected', 'returning', 'returned_to_hall', 'at_counter', 'mailed', 'delivered'];

/** What a partner event does to a result on its way into (or out of) a partner locker. */
export function decideDeliveryEvent(
  state: ParcelState,
  type: PartnerEventType,
  by: 'recipient' | 'courier' | undefined,
): DeliveryEventDecision {
  const before = BEFORE_LOCKER.includes(state);
  const after = AFTER_LOCKER.includes(state);
  if (!before && !after && state !== 'in_locker') return { act: 'ignore', why: `the parcel is ${state}, not a result` };
  switch (type) {
    case 'code_issued':
      return { act: 'already', why: "a delivery's deliver code comes with the reservation's answer" };
    case 'deposited':
      if (state === 'delivery_ordered' || state === 'out_for_delivery') return { act: 'delivered', viaOrdered: false };
      // The deliver code leaves the hub only in the delivery order: a deposit means the order went
      // out and the dispatch system's answer was lost or is late. Never deferred: the stored event
      // has no collection code to replay.
      if (state === 'result_ready') return { act: 'delivered', viaOrdered: true };
      return { act: 'already', why: `the result is already ${state}` };
    case 'collected':
      if (before) return { act: 'defer', why: `the result is ${state}: waiting for the deposit before the collection` };
      if (state === 'in_locker') return by === 'courier' ? { act: 'returned' } : { act: 'collected' };
      return { act: 'already', why: `the result is already ${state}` };
    case 'hold_expired':
      if (state === 'in_locker') return { act: 'hold_over' };
      if (before) return { act: 'defer', why: `the result is ${state}: waiting for the deposit` };
      return { act: 'already', why: `the result is already ${state}` };
    case 'expired':
    case 'cancelled':
      if (before) return { act: 'failed', stage: type === 'expired' ? 'reservation_expired' : 'reservation_cancelled' };
      return { act: 'ignore', why: `the result is ${state}: a reservation with a deposit does not end unused` };
    case 'deposit_refused':
      if (before) return { act: 'failed', stage: 'deposit_refused' };
      return { act: 'ignore', why: `the result is ${state}: the deposit was made after all` };
  }
}

// ---------------------------------------------------------------------------------------------
// Retries

export type PartnerFailureKind = 'timeout' | 'network' | 'server' | 'rate_limited' | 'quota' | 'bad_response' | 'refused';

/** Words for a failure that will be retried, safe to show to an applicant. */
export const RETRYABLE_FAILURE_WORDS: Readonly<Record<Exclude<PartnerFailureKind, 'refused'>, string>> = {
  timeout: 'the partner network did not answer in time',
  network: 'the partner network could not be reached',
  server: 'the partner network had an internal error',
  rate_limited: 'the partner network asked us to slow down',
  quota: "the partner network's daily request quota is used up",
  bad_response: 'the partner network answered with something the hub could not read',
};

export interface RetryPolicy {
  /** the first wait; each later one doubles */
  baseMs: number;
  /** never wait longer than this, whatever the partner's Retry-After says */
  maxMs: number;
}

/**
 * The wait before the next try after `attemptsMade` failed ones: exponential from baseMs, at least
 * the partner's Retry-After when it gave one, at most maxMs.
 */
export function partnerRetryDelayMs(attemptsMade: number, retryAfterMs: number | undefined, policy: RetryPolicy): number {
  const exponential = policy.baseMs * 2 ** Math.min(30, Math.max(0, attemptsMade - 1));
  return Math.min(policy.maxMs, Math.max(exponential, retryAfterMs ?? 0));
}

/** Why the partner refused a reservation, in the applicant's words. */
export function refusalReason(code: string | undefined, size: string): string {
  if (code === 'NO_COMPARTMENT') return `this locker has no free compartment of size ${size} or larger right now`;
  if (code === 'DEVICE_OFFLINE') return 'this locker is offline';
  if (code === 'NOT_FOUND') return 'the partner network no longer lists this locker';
  return `the partner network refused the reservation${code ? ` (${code})` : ''}`;
}

export function gaveUpReason(attempts: number, lastError: string | null): string {
  return `the partner network kept failing${lastError ? ` (${lastError})` : ''}; the hub gave up after ${attempts} attempts`;
}

// ---------------------------------------------------------------------------------------------
// What the applicant sees

export const PARTNER_RESERVATION_STATUSES = ['reserving', 'reserved', 'failed', 'deposited', 'collected', 'expired', 'cancelled'] as const;
export type PartnerReservationStatus = (typeof PARTNER_RESERVATION_STATUSES)[number];

export interface PartnerReservationFacts {
  status: PartnerReservationStatus;
  attempts: number;
  lastError: string | null;
  failureReason: string | null;
  compartmentNo: number | null;
  size: string | null;
  expiresAt: Date | null;
}

export interface DropOffSite {
  id: string;
  name: string;
  address: string;
}

export type PartnerDropOffState = 'reserving' | 'ready' | 'failed' | 'expired' | 'deposited' | 'collected';

export interface PartnerDropOff {
  channel: 'partner_locker';
  state: PartnerDropOffState;
  /** one sentence for the applicant */
  message: string;
  site: DropOffSite;
  /** reserving: tries so far, and why the last one failed */
  attempts?: number;
  lastError?: string | null;
  /** ready: the partner's open-code (to the applicant only), its compartment and until when it works */
  code?: string;
  compartment?: number;
  size?: string;
  expiresAt?: Date;
  /** failed / expired: why, and what the applicant can do now */
  reason?: string;
  whatNext?: string[];
}

export const WHAT_NEXT = [
  'Choose another locker near you (the nearby search shows those with a free compartment) and apply again.',
  "Or hand the documents in at the service hall's counter, or send them by free EMS mail where the matter allows it.",
];

/**
 * The drop-off as the applicant sees it. `code` is the decrypted open-code, given only when the
 * viewer is the applicant; it is shown only while it works (the parcel awaits its deposit and the
 * reservation has not run out).
 */
export function partnerDropOff(
  state: ParcelState,
  facts: PartnerReservationFacts,
  site: DropOffSite,
  now: Date,
  code: string | null,
): PartnerDropOff {
  const base = { channel: 'partner_locker' as const, site };
  const expired = (reason: string): PartnerDropOff => ({
    ...base,
    state: 'expired',
    message: `The reservation at ${site.name} has ended.`,
    reason,
    whatNext: WHAT_NEXT,
  });
  switch (phaseOf(state)) {
    case 'reserving':
      return {
        ...base,
        state: 'reserving',
        message:
          facts.status === 'reserved'
            ? `A compartment at ${site.name} is reserved; waiting for the partner network's open-code.`
            : facts.attempts === 0 || facts.lastError === null
              ? `Asking the partner network for a compartment at ${site.name}.`
              : `Asking the partner network for a compartment at ${site.name}; trying again (${facts.lastError}).`,
        attempts: facts.attempts,
        lastError: facts.lastError,
      };
    case 'ready': {
      if (facts.expiresAt !== null && now.getTime() >= facts.expiresAt.getTime()) {
        return expired('the reservation ran out before anything was deposited; the compartment is being released');
      }
      return {
        ...base,
        state: 'ready',
        message: `Go to ${site.name} and enter the open-code on the locker's keypad${facts.compartmentNo !== null ? `; compartment ${facts.compartmentNo} opens` : ''}.`,
        ...(code !== null && { code }),
        ...(facts.compartmentNo !== null && { compartment: facts.compartmentNo }),
        ...(facts.size !== null && { size: facts.size }),
        ...(facts.expiresAt !== null && { expiresAt: facts.expiresAt }),
      };
    }
    case 'failed':
      return {
        ...base,
        state: 'failed',
        message: `No compartment could be reserved at ${site.name}.`,
        reason: facts.failureReason ?? 'the partner network could not reserve a compartment',
        whatNext: WHAT_NEXT,
      };
    case 'expired':
      return expired(
        facts.status === 'cancelled'
          ? 'the reservation ran out before anything was deposited; the hub cancelled it and the compartment was released'
          : 'the reservation ran out before anything was deposited; the compartment was released',
      );
    case 'in_locker':
      return {
        ...base,
        state: 'deposited',
        message: `Your documents are in the locker at ${site.name}; a courier will bring them to the hall.`,
      };
    // (at_an_address: never a partner locker's parcel, listed so that the switch stays exhaustive)
    case 'beyond':
    case 'not_inbound':
    case 'at_an_address':
      return { ...base, state: 'collected', message: 'A courier has collected your documents from the locker; follow the parcel below.' };
  }
}
