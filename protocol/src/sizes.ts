// Compartment sizes, smallest first: the one list for the hub's own kiosks (S to L, migration 001),
// the partner network's lockers (S to XL) and the nearby search. A compartment fits a parcel when
// its rank is at least the parcel's.
export const COMPARTMENT_SIZES = ['S', 'M', 'L', 'XL'] as const;
export type CompartmentSize = (typeof COMPARTMENT_SIZES)[number];

/** 1 for S … 4 for XL (the rank migration 002's nearby search takes as min_size_rank). */
export const sizeRank = (s: CompartmentSize): number => COMPARTMENT_SIZES.indexOf(s) + 1;
