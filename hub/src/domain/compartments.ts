// Compartment allocation: the smallest free compartment that fits, lowest number first, so large
// compartments stay free for large parcels; and when a deposit whose door jammed may move.
import type { CodePurpose } from '@xinbao/protocol';
import type { ParcelState } from './parcel-journey.js';

export const SIZES = ['S', 'M', 'L'] as const;
export type CompartmentSize = (typeof SIZES)[number];

export interface FreeCompartment {
  id: string;
  number: number;
  size: CompartmentSize;
}

export function chooseCompartment<C extends FreeCompartment>(free: readonly C[], need: CompartmentSize): C | null {
  const rank = (s: CompartmentSize) => SIZES.indexOf(s);
  const fits = free.filter((c) => rank(c.size) >= rank(need));
  fits.sort((a, b) => rank(a.size) - rank(b.size) || a.number - b.number);
  return fits[0] ?? null;
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
  unlockOutcome: 'opened' | 'jammed' | 'failed' | null;
  parcelState: ParcelState;
}): ReassignVerdict {
  if (c.unlockOutcome !== 'jammed') return 'not_jammed';
  if (c.purpose !== 'deposit' || c.parcelState !== 'awaiting_deposit') return 'not_reassignable';
  return 'allowed';
}
