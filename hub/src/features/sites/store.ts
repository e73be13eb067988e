// The sites slice's SQL: the site list with free compartments per size, the nearby search, and the
// partner site registry's batched upserts.
//
// The nearby search: own and partner sites within a radius, nearest first, with their free
// compartments per size, in one round trip to PostgreSQL's nearby_sites() (migration 002). There a
// GiST index on sites.position walks the sites in great-circle order inside a cube around the
// centre; the haversine distance decides the radius exactly, and the walk stops as soon as `limit`
// sites have passed every filter, so the cost follows the answer's size, not the number of sites.
// See docs/adr/0006-nearby-search.md.
import { sizeRank, type FreeBySize, type NearbyQuery } from '../../domain/nearby.js';
import type { PartnerSite, StoredPartnerSite } from '../../domain/site-registry.js';
import type { Db, Tx } from '../../store/db.js';

/** Every live site with its free compartments per size (own kiosks; partner sites count none here). */
export interface SiteView {
  id: string;
  network: string;
  code: string;
  name: string;
  address: string;
  district: string;
  lat: number;
  lng: number;
  online: boolean;
  freeBySize: Record<'S' | 'M' | 'L', number>;
  /** free accessible (low) compartments (ADR 0033); null at a partner site */
  accessibleFree: number | null;
}

export async function listSites(db: Db): Promise<SiteView[]> {
  const s = await db.query<SiteView>(
    `SELECT s.id, s.network, s.code, s.name, s.address, s.district, s.lat, s.lng, s.online,
       jsonb_build_object(
         'S', count(*) FILTER (WHERE k.state = 'free' AND k.size = 'S'),
         'M', count(*) FILTER (WHERE k.state = 'free' AND k.size = 'M'),
         'L', count(*) FILTER (WHERE k.state = 'free' AND k.size = 'L')) AS "freeBySize",
       CASE WHEN s.network = 'own' THEN count(*) FILTER (WHERE k.state = 'free' AND k.accessible)::int END AS "accessibleFree"
     FROM sites s LEFT JOIN compartments k ON k.site_id = s.id WHERE s.retired_at IS NULL GROUP BY s.id ORDER BY s.code`,
  );
  return s.rows;
}

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

/** Free accessible (low) compartments of these own sites (ADR 0033), by site id. */
export async function accessibleFreeOf(db: Pick<Db, 'query'>, siteIds: readonly string[]): Promise<Map<string, number>> {
  const r = await db.query<{ siteId: string; n: number }>(
    `SELECT site_id AS "siteId", count(*)::int AS n FROM compartments
     WHERE site_id = ANY($1::uuid[]) AND state = 'free' AND accessible GROUP BY site_id`,
    [siteIds],
  );
  return new Map(r.rows.map((x) => [x.siteId, x.n]));
}

// ---- the partner site registry

/** Two imports of the same network take turns; different networks run side by side. */
export async function lockNetwork(tx: Tx, network: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('site-import:' || $1))`, [network]);
}

/** Retires the network's live sites whose external id is not in `keep`; how many. */
export async function retireSitesExcept(tx: Tx, network: string, keep: readonly string[], at: Date): Promise<number> {
  const r = await tx.query(
    `UPDATE sites SET retired_at = $3, online = false, updated_at = $3
     WHERE network = $1 AND retired_at IS NULL AND NOT (external_id = ANY($2::text[]))`,
    [network, keep, at],
  );
  return r.rowCount ?? 0;
}

function siteColumns(rs: readonly PartnerSite[]): unknown[] {
  return [
    rs.map((r) => r.externalId),
    rs.map((r) => r.name),
    rs.map((r) => r.address),
    rs.map((r) => r.district),
    rs.map((r) => r.lat),
    rs.map((r) => r.lng),
    rs.map((r) => r.online),
    rs.map((r) => r.updatedAt),
  ];
}

export async function insertSites(
  tx: Tx,
  network: string,
  inserts: ReadonlyArray<{ id: string; record: PartnerSite }>,
  at: Date,
): Promise<void> {
  await tx.query(
    `INSERT INTO sites (id, network, code, external_id, name, address, district, lat, lng, online, source_updated_at, updated_at)
     SELECT u.id, $1, $1 || ':' || u.external_id, u.external_id, u.name, u.address, u.district, u.lat, u.lng, u.online, u.source_updated_at, $11
     FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::float8[], $8::float8[], $9::boolean[], $10::timestamptz[])
       AS u(id, external_id, name, address, district, lat, lng, online, source_updated_at)`,
    [network, inserts.map((i) => i.id), ...siteColumns(inserts.map((i) => i.record)), at],
  );
}

export async function updateSites(tx: Tx, updates: ReadonlyArray<{ id: string; record: PartnerSite }>, at: Date): Promise<void> {
  await tx.query(
    `UPDATE sites s SET name = u.name, address = u.address, district = u.district, lat = u.lat, lng = u.lng, online = u.online,
       source_updated_at = u.source_updated_at, retired_at = NULL, updated_at = $10
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::float8[], $8::boolean[], $9::timestamptz[])
       AS u(id, external_id, name, address, district, lat, lng, online, source_updated_at)
     WHERE s.id = u.id`,
    [updates.map((u) => u.id), ...siteColumns(updates.map((u) => u.record)), at],
  );
}

/** Rewrites the capacity of each of these sites whole. */
export async function replaceCapacity(tx: Tx, sites: ReadonlyArray<{ id: string; record: PartnerSite }>): Promise<void> {
  await tx.query('DELETE FROM site_capacity WHERE site_id = ANY($1::uuid[])', [sites.map((c) => c.id)]);
  const rows = sites.flatMap((c) => c.record.capacity.map((cap) => ({ siteId: c.id, ...cap, at: c.record.updatedAt })));
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO site_capacity (site_id, size, total, free, updated_at)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::int[], $5::timestamptz[])`,
    [rows.map((r) => r.siteId), rows.map((r) => r.size), rows.map((r) => r.total), rows.map((r) => r.free), rows.map((r) => r.at)],
  );
}

export async function storedSites(tx: Tx, network: string, externalIds: readonly string[]): Promise<Map<string, StoredPartnerSite>> {
  const r = await tx.query<Omit<StoredPartnerSite, 'network'>>(
    `SELECT s.id, s.external_id AS "externalId", s.name, s.address, s.district, s.lat, s.lng, s.online,
       s.source_updated_at AS "updatedAt", s.retired_at IS NOT NULL AS retired,
       coalesce((SELECT jsonb_agg(jsonb_build_object('size', c.size, 'total', c.total, 'free', c.free))
                 FROM site_capacity c WHERE c.site_id = s.id), '[]') AS capacity
     FROM sites s WHERE s.network = $1 AND s.external_id = ANY($2::text[])`,
    [network, externalIds],
  );
  return new Map(r.rows.map((row) => [row.externalId, { ...row, network }]));
}
