// The nearby search in PostgreSQL: own and partner sites within a radius, nearest first, with
// their free compartments per size. The GiST index on sites.position (migration 002) walks the
// sites in great-circle order inside a cube around the centre; the haversine distance then decides
// the radius exactly, and the scan stops as soon as `limit` sites have passed every filter, so the
// cost follows the answer's size, not the number of sites. See docs/adr/0006-nearby-search.md.
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

// $1 lat, $2 lng, $3 radius (m), $4 smallest size rank wanted (0: any), $5 limit.
// An own site's free compartments are counted from `compartments`, a partner site's come from
// `site_capacity`; each lateral only runs for its kind of site. The cube around the centre has the
// radius as half-side: the chord to a point at that great-circle distance is shorter, so the cube
// holds the whole circle.
export const NEARBY_SQL = `
SELECT s.id, s.network, s.name, s.address, s.district, s.lat, s.lng, s.online,
  haversine_m($1, $2, s.lat, s.lng) AS "distanceM",
  jsonb_build_object('S', own.s + cap.s, 'M', own.m + cap.m, 'L', own.l + cap.l, 'XL', cap.xl) AS free
FROM sites s
CROSS JOIN LATERAL (
  SELECT count(*) FILTER (WHERE k.size = 'S')::int AS s, count(*) FILTER (WHERE k.size = 'M')::int AS m,
         count(*) FILTER (WHERE k.size = 'L')::int AS l
  FROM compartments k WHERE k.site_id = s.id AND k.state = 'free' AND s.network = 'own') own
CROSS JOIN LATERAL (
  SELECT coalesce(sum(c.free) FILTER (WHERE c.size = 'S'), 0)::int AS s, coalesce(sum(c.free) FILTER (WHERE c.size = 'M'), 0)::int AS m,
         coalesce(sum(c.free) FILTER (WHERE c.size = 'L'), 0)::int AS l, coalesce(sum(c.free) FILTER (WHERE c.size = 'XL'), 0)::int AS xl
  FROM site_capacity c WHERE c.site_id = s.id AND s.network <> 'own') cap
WHERE s.retired_at IS NULL
  AND s.position <@ cube_enlarge(earth_position($1, $2), $3, 3)
  AND haversine_m($1, $2, s.lat, s.lng) <= $3
  AND CASE $4::int
        WHEN 0 THEN true
        WHEN 1 THEN own.s + own.m + own.l + cap.s + cap.m + cap.l + cap.xl > 0
        WHEN 2 THEN own.m + own.l + cap.m + cap.l + cap.xl > 0
        WHEN 3 THEN own.l + cap.l + cap.xl > 0
        ELSE cap.xl > 0
      END
ORDER BY s.position <-> earth_position($1, $2), s.id
LIMIT $5`;

// The planner cannot know how many sites lie in the cube (it guesses 0.1% of the table for any
// cube containment), so for a few thousand sites it would rather fetch the whole cube, count every
// site's free compartments and sort them: 20 ms where the nearest-first walk takes 0.4 ms. Inside the
// search's own read-only transaction it is told not to sort whole sets; the incremental sort that
// orders equal distances by id stays allowed.
export const NEARBY_PLANNER_SETTINGS = 'SET LOCAL enable_sort = off; SET LOCAL enable_bitmapscan = off';

/**
 * Sites within q.radiusM of q.center, nearest first (equal distances by id), at most q.limit, only
 * those with a free compartment of q.size or larger when a size is given. Retired sites are never
 * returned; offline ones are, marked (an own kiosk keeps working offline with its synced codes).
 */
export async function findNearbySites(db: Db, q: NearbyQuery): Promise<NearbySite[]> {
  const client = await db.connect();
  try {
    await client.query(`BEGIN READ ONLY; ${NEARBY_PLANNER_SETTINGS}`);
    const r = await client.query<NearbySite>({
      name: 'nearby-sites',
      text: NEARBY_SQL,
      values: [q.center.lat, q.center.lng, q.radiusM, q.size ? sizeRank(q.size) : 0, q.limit],
    });
    await client.query('COMMIT');
    return r.rows;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}
