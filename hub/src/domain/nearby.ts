// The nearby search's rules, as plain functions: locker sizes (a partner's lockers go up to XL), what
// "has a free compartment of this size" means, and the brute-force reference the indexed search in
// the store is tested against: every site's distance, those within the radius, nearest first, ties
// by id.
import { COMPARTMENT_SIZES, haversineM, sizeRank, type CompartmentSize, type LatLng } from '@xinbao/protocol';

/** The one list of sizes (protocol's COMPARTMENT_SIZES), under the nearby search's name. */
export const LOCKER_SIZES = COMPARTMENT_SIZES;
export type LockerSize = CompartmentSize;
export { sizeRank };
export type FreeBySize = Record<LockerSize, number>;

export const NEARBY_MAX_RADIUS_M = 20_000;
export const NEARBY_MAX_LIMIT = 100;
export const NEARBY_DEFAULT_LIMIT = 20;

/** A site can take a parcel of this size when it has a free compartment of that size or larger. */
export function hasFreeAtLeast(free: FreeBySize, size: LockerSize): boolean {
  return LOCKER_SIZES.some((s) => sizeRank(s) >= sizeRank(size) && free[s] > 0);
}

export interface NearbyQuery {
  center: LatLng;
  radiusM: number;
  size?: LockerSize | undefined;
  limit: number;
}

export interface SiteLocation extends LatLng {
  id: string;
  free: FreeBySize;
}

/** The reference answer: a distance for every site, no index, no box. */
export function nearbyBruteForce<S extends SiteLocation>(sites: readonly S[], q: NearbyQuery): Array<S & { distanceM: number }> {
  return sites
    .map((s) => ({ ...s, distanceM: haversineM(q.center, s) }))
    .filter((s) => s.distanceM <= q.radiusM && (q.size === undefined || hasFreeAtLeast(s.free, q.size)))
    .sort((a, b) => a.distanceM - b.distanceM || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, q.limit);
}
