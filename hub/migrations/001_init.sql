-- The hub's first schema: people and roles, service matters, sites and compartments, kiosk devices,
-- applications and their parcels, access codes (keyed hashes only), the hash-chained custody log,
-- kiosk event de-duplication and courier orders.

CREATE TABLE users (
  id            uuid PRIMARY KEY,
  username      text NOT NULL UNIQUE,
  password_hash text NOT NULL,
  role          text NOT NULL CHECK (role IN ('applicant', 'staff', 'courier', 'admin')),
  display_name  text NOT NULL,
  phone         text,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sessions (
  token_hash text PRIMARY KEY,
  user_id    uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE service_matters (
  id         uuid PRIMARY KEY,
  code       text NOT NULL UNIQUE,
  name       text NOT NULL,
  materials  jsonb NOT NULL DEFAULT '[]',
  channels   text[] NOT NULL,
  parcel_size text NOT NULL DEFAULT 'M' CHECK (parcel_size IN ('S', 'M', 'L'))
);

CREATE TABLE sites (
  id        uuid PRIMARY KEY,
  network   text NOT NULL,                 -- 'own' or a partner network's name
  code      text NOT NULL UNIQUE,
  name      text NOT NULL,
  address   text NOT NULL,
  district  text NOT NULL,
  lat       double precision NOT NULL,
  lng       double precision NOT NULL,
  online    boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE compartments (
  id      uuid PRIMARY KEY,
  site_id uuid NOT NULL REFERENCES sites(id),
  number  integer NOT NULL CHECK (number > 0),
  size    text NOT NULL CHECK (size IN ('S', 'M', 'L')),
  state   text NOT NULL DEFAULT 'free' CHECK (state IN ('free', 'reserved', 'occupied', 'open', 'faulty')),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (site_id, number)
);
CREATE INDEX compartments_free ON compartments (site_id, size) WHERE state = 'free';

CREATE TABLE kiosk_devices (
  id          uuid PRIMARY KEY,
  site_id     uuid NOT NULL REFERENCES sites(id),
  public_key  text NOT NULL,               -- Ed25519, SPKI PEM; the private key never leaves the kiosk
  label       text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz
);

CREATE TABLE applications (
  id           uuid PRIMARY KEY,
  applicant_id uuid NOT NULL REFERENCES users(id),
  matter_id    uuid NOT NULL REFERENCES service_matters(id),
  status       text NOT NULL,
  channel_in   text NOT NULL,
  channel_out  text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX applications_applicant ON applications (applicant_id);

CREATE TABLE parcels (
  id              uuid PRIMARY KEY,
  application_id  uuid NOT NULL REFERENCES applications(id),
  direction       text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  tracking_number text NOT NULL UNIQUE,
  state           text NOT NULL,
  site_id         uuid REFERENCES sites(id),
  compartment_id  uuid REFERENCES compartments(id),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX parcels_application ON parcels (application_id);
CREATE INDEX parcels_compartment ON parcels (compartment_id) WHERE compartment_id IS NOT NULL;

CREATE TABLE access_codes (
  id             uuid PRIMARY KEY,
  purpose        text NOT NULL CHECK (purpose IN ('deposit', 'collect', 'courier_pickup', 'courier_deliver')),
  site_id        uuid NOT NULL REFERENCES sites(id),
  compartment_id uuid NOT NULL REFERENCES compartments(id),
  parcel_id      uuid NOT NULL REFERENCES parcels(id),
  code_hash      bytea NOT NULL,          -- HMAC-SHA256(code key, site id ‖ code); the code itself is never stored
  holder         text NOT NULL,           -- who it was issued to: 'applicant' or 'courier'
  valid_from     timestamptz NOT NULL,
  expires_at     timestamptz NOT NULL,
  used_at        timestamptz,
  used_by_device uuid REFERENCES kiosk_devices(id),
  command_id     uuid UNIQUE,             -- the open command its use granted
  used_request_id uuid UNIQUE,            -- the kiosk's request that used it: a retried request gets the same grant
  resolved_at    timestamptz,             -- when the door cycle it opened was closed and accounted for
  revoked_at     timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now()
);
-- A keypad code is looked up by its hash within the site; live codes of a site never collide.
CREATE UNIQUE INDEX access_codes_live ON access_codes (site_id, code_hash) WHERE used_at IS NULL AND revoked_at IS NULL;
CREATE INDEX access_codes_hash ON access_codes (site_id, code_hash);
CREATE INDEX access_codes_parcel ON access_codes (parcel_id);

-- Append-only, hash-chained per parcel: hash = sha256(prev_hash ‖ canonical event). An edit anywhere
-- breaks every later hash of that parcel's chain.
CREATE TABLE custody_events (
  seq            bigserial PRIMARY KEY,
  id             uuid NOT NULL UNIQUE,
  parcel_id      uuid NOT NULL REFERENCES parcels(id),
  kind           text NOT NULL,
  from_state     text,
  to_state       text NOT NULL,
  actor_kind     text NOT NULL,          -- applicant, courier, staff, kiosk, system, partner
  actor_id       text,
  site_id        uuid REFERENCES sites(id),
  compartment    integer,
  at             timestamptz NOT NULL,
  evidence       jsonb NOT NULL DEFAULT '{}',
  prev_hash      text,
  hash           text NOT NULL
);
CREATE INDEX custody_events_parcel ON custody_events (parcel_id, seq);
CREATE RULE custody_events_no_update AS ON UPDATE TO custody_events DO INSTEAD NOTHING;
CREATE RULE custody_events_no_delete AS ON DELETE TO custody_events DO INSTEAD NOTHING;

-- Every event a kiosk sends, once: the event id makes replays and retries harmless.
CREATE TABLE kiosk_events (
  event_id    uuid PRIMARY KEY,
  device_id   uuid NOT NULL REFERENCES kiosk_devices(id),
  type        text NOT NULL,
  compartment integer NOT NULL,
  at          timestamptz NOT NULL,
  payload     jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE courier_orders (
  id             uuid PRIMARY KEY,
  parcel_id      uuid NOT NULL REFERENCES parcels(id),
  kind           text NOT NULL CHECK (kind IN ('pickup', 'delivery')),
  site_id        uuid NOT NULL REFERENCES sites(id),
  compartment_id uuid NOT NULL REFERENCES compartments(id),
  status         text NOT NULL CHECK (status IN ('creating', 'dispatched', 'done', 'cancelled')),
  dispatch_ref   text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (parcel_id, kind)
);
