-- One visit, one code (docs/adr/0023-courier-visits.md): every parcel waiting for collection at one
-- own-kiosk site goes into one pickup visit with one courier code, which opens the visit's doors one
-- at a time. The visit's code is one access_codes row that moves from door to door (its compartment,
-- parcel and command follow the door being opened); the visit's doors keep what became of each.
-- Also: the courier dispatch system's webhook events, once each by event id; the link from a hub
-- courier user to the dispatch system's courier id; the courier's own steps from the PDA.

CREATE TABLE courier_visits (
  id              uuid PRIMARY KEY,                 -- also the order id sent to the courier dispatch system
  kind            text NOT NULL CHECK (kind IN ('pickup')),
  site_id         uuid NOT NULL REFERENCES sites(id),
  status          text NOT NULL CHECK (status IN ('creating', 'dispatched', 'at_kiosk', 'done', 'failed', 'cancelled')),
  code_id         uuid,                             -- the visit's access code (set once issued)
  -- AES-256-GCM of the visit's code (the visit id as associated data): the courier's PDA shows it
  -- again until the visit is over; cleared then. The hub still checks the code by its keyed hash.
  code_enc        bytea,
  dispatch_ref    text,
  courier_id      text,                             -- the dispatch system's courier, once assigned
  failure_reason  text,
  started_at      timestamptz,                      -- the first door granted: no parcel joins after
  finished_at     timestamptz,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL
);
-- At most one visit per site still open for more parcels (not yet at the kiosk).
CREATE UNIQUE INDEX courier_visits_open ON courier_visits (site_id, kind) WHERE started_at IS NULL AND status IN ('creating', 'dispatched');
CREATE INDEX courier_visits_courier ON courier_visits (courier_id) WHERE courier_id IS NOT NULL;

CREATE TABLE courier_visit_doors (
  visit_id        uuid NOT NULL REFERENCES courier_visits(id),
  position        integer NOT NULL CHECK (position > 0),
  parcel_id       uuid NOT NULL UNIQUE REFERENCES parcels(id),
  compartment_id  uuid NOT NULL REFERENCES compartments(id),
  state           text NOT NULL CHECK (state IN ('waiting', 'open', 'picked_up', 'missing', 'item_left', 'not_opened')),
  command_id      uuid UNIQUE,                      -- the open command of this door
  request_id      uuid UNIQUE,                      -- the kiosk's request that opened it (a retry gets the same grant)
  item_at_grant   boolean,                          -- the item sensor's last word when the door was granted (null: none)
  granted_at      timestamptz,
  resolved_at     timestamptz,
  PRIMARY KEY (visit_id, position)
);

ALTER TABLE access_codes ADD COLUMN visit_id uuid REFERENCES courier_visits(id);
CREATE INDEX access_codes_visit ON access_codes (visit_id) WHERE visit_id IS NOT NULL;
ALTER TABLE courier_orders ADD COLUMN visit_id uuid REFERENCES courier_visits(id);

-- The item sensor's last word on a compartment, read when a courier's door is granted.
CREATE INDEX kiosk_events_item_sensor ON kiosk_events (device_id, compartment, at DESC) WHERE type IN ('item_changed', 'door_closed');

-- A courier user of the hub is a courier of the dispatch system: their PDA shows that courier's visits.
ALTER TABLE users ADD COLUMN dispatch_courier_id text UNIQUE;

-- Every courier dispatch event (assigned, picked_up, delivered, failed), once by its event id, with
-- what it did. The order it names is a visit (pickup) or a courier order (delivery).
CREATE TABLE courier_events (
  event_id     text PRIMARY KEY,
  order_id     uuid NOT NULL,
  type         text NOT NULL CHECK (type IN ('assigned', 'picked_up', 'delivered', 'failed')),
  courier_id   text,
  tracking_number text,
  reason       text,
  at           timestamptz NOT NULL,                -- on the dispatch system's clock
  payload      jsonb NOT NULL,
  outcome      text NOT NULL CHECK (outcome IN ('applied', 'recorded', 'unknown_order')),
  detail       text,
  received_at  timestamptz NOT NULL
);
CREATE INDEX courier_events_order ON courier_events (order_id, at);

-- What the courier confirmed or reported on the PDA, step by step (idempotent by visit, parcel and step).
CREATE TABLE courier_visit_steps (
  visit_id        uuid NOT NULL REFERENCES courier_visits(id),
  parcel_id       uuid NOT NULL REFERENCES parcels(id),
  step            text NOT NULL CHECK (step IN ('picked_up', 'delivered', 'failed')),
  reason          text,
  user_id         uuid NOT NULL REFERENCES users(id),
  at              timestamptz NOT NULL,
  PRIMARY KEY (visit_id, parcel_id, step)
);
