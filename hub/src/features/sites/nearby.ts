// The nearby search: own and partner sites within a radius, nearest first, with their free
// compartments per size, in one round trip to PostgreSQL's nearby_sites() (migration 002). There a
// GiST index on sites.position walks the sites in great-circle order inside a cube around the
// centre; the haversine distance decides the radius exactly, and the walk stops as soon as `limit`
// sites have passed every filter, so the cost follows the answer's size, not the number of sites.
// See docs/adr/0006-nearby-search.md.
import { sizeRank, type FreeBySize, type NearbyQuery } from '../../domain/nearby.js';
import type { Db } from '../../store/db.js';

export interface NearbySite {
  id: string;
  network: string;
  name: string;
  address: string;
  district: string;
  lat: number;
  lng: number;
  distanceM: number;
  online: boolean;
  free: FreeBySize;
}

// WITH ORDINALITY keeps the function's nearest-first order, which a plain SELECT from it need not.
const NEARBY_SQL = `
SELECT id, network, name, address, district, lat, lng, distance_m AS "distanceM", online, free
FROM nearby_sites($1, $2, $3, $4, $5) WITH ORDINALITY AS n
ORDER BY n.ordinality`;

/**
 * Sites within q.radiusM of q.center, nearest first (equal distances by id), at most q.limit, only
 * those with a free compartment of q.size or larger when a size is given. Retired sites are never
 * returned; offline ones are, marked (an own kiosk keeps working offline with its synced codes).
 */
export async function findNearbySites(db: Pick<Db, 'query'>, q: NearbyQuery): Promise<NearbySite[]> {
  const r = await db.query<NearbySite>({
    name: 'nearby-sites',
    text: NEARBY_SQL,
    values: [q.center.lat, q.center.lng, q.radiusM, q.size ? sizeRank(q.size) : 0, q.limit],
  });
  return r.rows;
}
