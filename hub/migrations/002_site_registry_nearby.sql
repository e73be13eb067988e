-- The site registry and the nearby search (全城通港): partner sites are kept by (network,
-- external id), retired instead of deleted, with their free capacity per size; every site has a
-- position on the sphere indexed for nearest-first search. See docs/adr/0006-nearby-search.md.
--
-- The index is GiST over the `cube` contrib extension (shipped with PostgreSQL, trusted since
-- PostgreSQL 13): a site is the 3-D point of its latitude and longitude on a sphere of the mean
-- earth radius. The straight-line (chord) distance between two such points grows strictly with
-- their great-circle distance, so the index's nearest-first order (`<->`) is the great-circle
-- order, and a cube around the centre bounds the circle exactly.

CREATE EXTENSION IF NOT EXISTS cube;

-- Mean earth radius (IUGG), the same as hub/src/domain/geo.ts EARTH_RADIUS_M.
CREATE FUNCTION earth_position(lat double precision, lng double precision) RETURNS cube
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN cube(ARRAY[
    6371008.8 * cos(radians(lat)) * cos(radians(lng)),
    6371008.8 * cos(radians(lat)) * sin(radians(lng)),
    6371008.8 * sin(radians(lat))]);

-- Great-circle distance in metres by the haversine formula, term for term as geo.ts#haversineM.
CREATE FUNCTION haversine_m(lat1 double precision, lng1 double precision, lat2 double precision, lng2 double precision)
  RETURNS double precision
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN 2 * 6371008.8 * asin(sqrt(least(1.0,
    sin(radians(lat2 - lat1) / 2) ^ 2 + cos(radians(lat1)) * cos(radians(lat2)) * sin(radians(lng2 - lng1) / 2) ^ 2)));

ALTER TABLE sites
  ADD COLUMN external_id       text,          -- the partner's id of the site; NULL for own sites
  ADD COLUMN source_updated_at timestamptz,   -- the partner's own last change of the record
  ADD COLUMN updated_at        timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN retired_at        timestamptz,   -- gone from the partner's list: kept for history, never searched
  ADD COLUMN position          cube GENERATED ALWAYS AS (earth_position(lat, lng)) STORED,
  ADD CONSTRAINT sites_lat_range CHECK (lat BETWEEN -90 AND 90),
  ADD CONSTRAINT sites_lng_range CHECK (lng BETWEEN -180 AND 180),
  ADD CONSTRAINT sites_external_only_partner CHECK ((network = 'own') = (external_id IS NULL)),
  ADD CONSTRAINT sites_network_external UNIQUE (network, external_id);

CREATE INDEX sites_position ON sites USING gist (position) WHERE retired_at IS NULL;

-- Free capacity of a partner site per size, as the partner last reported it. An own site's free
-- compartments are counted from `compartments` instead; the search adds both the same way.
CREATE TABLE site_capacity (
  site_id    uuid NOT NULL REFERENCES sites(id),
  size       text NOT NULL CHECK (size IN ('S', 'M', 'L', 'XL')),
  total      integer NOT NULL CHECK (total >= 0),
  free       integer NOT NULL CHECK (free >= 0 AND free <= total),
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (site_id, size)
);

-- The nearby search (hub/src/features/sites/store.ts): live sites within radius_m of the centre,
-- nearest first (equal distances by id), at most max_sites, only those with a free compartment of
-- rank min_size_rank (1 S … 4 XL; 0: any) or larger. The GiST walk in `position <->` order stops as
-- soon as max_sites sites have passed every filter. An own site's free compartments are counted
-- from `compartments`, a partner site's come from `site_capacity`; each lateral runs only for its
-- kind of site. The cube around the centre has the radius as half-side: the chord to a point at that
-- great-circle distance is shorter, so the cube holds the whole circle.
--
-- The planner cannot know how many sites lie in the cube (it guesses 0.1 % of the table for any
-- cube containment), so at a few thousand sites it would rather fetch the whole cube, count every
-- site's free compartments and sort them all: 20 ms where the walk takes 0.4 ms. Inside this
-- function it may not sort whole sets or scan bitmaps; the incremental sort that orders equal
-- distances by id stays allowed. One round trip for the caller.
CREATE FUNCTION nearby_sites(center_lat double precision, center_lng double precision, radius_m double precision,
                             min_size_rank integer, max_sites integer)
  RETURNS TABLE (id uuid, network text, name text, address text, district text, lat double precision, lng double precision,
                 online boolean, distance_m double precision, free jsonb)
  LANGUAGE sql STABLE PARALLEL SAFE
  SET enable_sort = off
  SET enable_bitmapscan = off
AS $$
SELECT s.id, s.network, s.name, s.address, s.district, s.lat, s.lng, s.online,
  haversine_m(center_lat, center_lng, s.lat, s.lng),
  jsonb_build_object('S', own.s + cap.s, 'M', own.m + cap.m, 'L', own.l + cap.l, 'XL', cap.xl)
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
  AND s.position <@ cube_enlarge(earth_position(center_lat, center_lng), radius_m, 3)
  AND haversine_m(center_lat, center_lng, s.lat, s.lng) <= radius_m
  AND CASE min_size_rank
        WHEN 0 THEN true
        WHEN 1 THEN own.s + own.m + own.l + cap.s + cap.m + cap.l + cap.xl > 0
        WHEN 2 THEN own.m + own.l + cap.m + cap.l + cap.xl > 0
        WHEN 3 THEN own.l + cap.l + cap.xl > 0
        ELSE cap.xl > 0
      END
ORDER BY s.position <-> earth_position(center_lat, center_lng), s.id
LIMIT max_sites
$$;
