// Compartments: the states a compartment can be in and every move between them (one table, as
// PARCEL_MOVES is for parcels); allocation (the smallest free compartment that fits, lowest number
// first, so large compartments stay free for large parcels); and when a deposit whose door jammed
// may move.
import { COMPARTMENT_SIZES, type CodePurpose, type CompartmentSize } from '@xinbao/protocol';
import type { ParcelState } from './parcel-journey.js';
import type { UnlockState } from './unlock-outcome.js';

export { COMPARTMENT_SIZES, type CompartmentSize };

/** The states of migration 001's CHECK constraint on compartments.state. */
export const COMPARTMENT_STATES = ['free', 'reserved', 'occupied', 'open', 'faulty'] as const;
export type CompartmentState = (typeof COMPARTMENT_STATES)[number];

/**
 * Every move a compartment makes. `fault` is taken from any state, `faulty` included: a jam
 * reported twice (by the unlock result and by the reassignment that follows it) is the same jam.
 * Nothing here leaves `faulty`: a door out of service stays so until staff repair it.
 */
export const COMPARTMENT_MOVES = {
  /** held for a deposit (an application, or a deposit moved away from a jammed door) */
  reserve: { from: ['free'], to: 'reserved' },
  /** the deposit's door closed on its documents */
  fill: { from: ['reserved'], to: 'occupied' },
  /** collected, or picked up by the courier */
  empty: { from: ['occupied'], to: 'free' },
  /** the deposit it was held for will not come (its code expired unused) */
  release: { from: ['reserved'], to: 'free' },
  /** the door jammed: nobody is sent to it again */
  fault: { from: COMPARTMENT_STATES, to: 'faulty' },
} as const satisfies Record<string, { from: readonly CompartmentState[]; to: CompartmentState }>;
export type CompartmentMove = keyof typeof COMPARTMENT_MOVES;

export type CompartmentMoveResult = { ok: true; to: CompartmentState } | { ok: false; reason: string };

export function applyCompartmentMove(current: CompartmentState, move: CompartmentMove): CompartmentMoveResult {
  const rule = COMPARTMENT_MOVES[move];
  if ((rule.from as readonly CompartmentState[]).includes(current)) return { ok: true, to: rule.to };
  return { ok: false, reason: `a compartment that is ${current} cannot ${move} (only from ${rule.from.join(' or ')})` };
}

export interface FreeCompartment {
  id: string;
  number: number;
  size: CompartmentSize;
  /** a low compartment a wheelchair user can reach (ADR 0033); false when not said */
  accessible?: boolean;
}

export function chooseCompartment<C extends FreeCompartment>(free: readonly C[], need: CompartmentSize): C | null {
  const rank = (s: CompartmentSize) => COMPARTMENT_SIZES.indexOf(s);
  const fits = free.filter((c) => rank(c.size) >= rank(need));
  fits.sort((a, b) => rank(a.size) - rank(b.size) || a.number - b.number);
  return fits[0] ?? null;
}

/**
 * The compartment for someone who asked for an accessible (low) one: the best fitting accessible one
 * if any is free, else the usual choice (ADR 0033). `accessible` says which it was.
 */
export function chooseAccessibleFirst<C extends FreeCompartment>(
  free: readonly C[],
  need: CompartmentSize,
): { compartment: C; accessible: boolean } | null {
  const low = chooseCompartment(
    free.filter((c) => c.accessible === true),
    need,
  );
  if (low) return { compartment: low, accessible: true };
  const any = chooseCompartment(free, need);
  return any && { compartment: any, accessible: any.accessible === true };
}

/** The usual choice, or the accessible-first one when asked for; `accessible` only when asked. */
export function chooseFor<C extends FreeCompartment>(
  free: readonly C[],
  need: CompartmentSize,
  wantsAccessible: boolean,
): { compartment: C; accessible?: boolean } | null {
  if (wantsAccessible) return chooseAccessibleFirst(free, need);
  const c = chooseCompartment(free, need);
  return c && { compartment: c };
}

/**
 * Whether a used code's door, reported jammed, may move to another compartment. Only a deposit can:
 * its documents are still in the holder's hands. For a collection or a courier pickup they are
 * behind the jammed door, and a parcel no longer awaiting its deposit has nothing to move.
 */
export type ReassignVerdict = 'allowed' | 'not_jammed' | 'not_reassignable';

export function judgeReassignment(c: {
  purpose: CodePurpose;
  /** the kiosk's reported outcome of the command's unlock; null when none was reported */
  unlockOutcome: UnlockState | null;
  parcelState: ParcelState;
}): ReassignVerdict {
  if (c.unlockOutcome !== 'jammed') return 'not_jammed';
  if (c.purpose !== 'deposit' || c.parcelState !== 'awaiting_deposit') return 'not_reassignable';
  return 'allowed';
}
