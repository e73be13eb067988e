// Compartment allocation: the smallest free compartment that fits, lowest number first, so large
// compartments stay free for large parcels.
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
