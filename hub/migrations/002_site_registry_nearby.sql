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
