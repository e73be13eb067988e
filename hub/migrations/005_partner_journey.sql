-- The inbound journey through a partner locker (全城通港): the hub's reservation at the partner for
-- each such parcel (with the partner's open-code encrypted at rest, see docs/adr/0007-partner-journey.md),
-- every partner event once by its id with what it did, the webhook deliveries refused and why, and
-- the reconciliation cursor of the partner's event log.

-- A partner parcel has no compartment row of ours: the courier order names the partner's compartment
-- by its number instead.
ALTER TABLE courier_orders ALTER COLUMN compartment_id DROP NOT NULL;
-- When the order first went out to the courier dispatch system with its code, answered or not: a
-- collection the partner reports before the answer came is then the courier's.
ALTER TABLE courier_orders ADD COLUMN code_sent_at timestamptz;

CREATE TABLE partner_reservations (
  parcel_id       uuid PRIMARY KEY REFERENCES parcels(id),
  network         text NOT NULL,
  site_id         uuid NOT NULL REFERENCES sites(id),
  request_id      text NOT NULL,              -- the idempotency key sent to the partner (the parcel id)
  requested_size  text NOT NULL CHECK (requested_size IN ('S', 'M', 'L', 'XL')),
  status          text NOT NULL CHECK (status IN ('reserving', 'reserved', 'failed', 'deposited', 'collected', 'expired', 'cancelled')),
  reservation_id  text,                       -- the partner's, once known
  device_id       text,
  compartment_no  integer,
  size            text CHECK (size IN ('S', 'M', 'L', 'XL')),
  expires_at      timestamptz,
  -- AES-256-GCM of the partner's open-code (iv ‖ tag ‖ ciphertext, the parcel id as associated data).
  -- Only while the code can open the compartment: cleared at the deposit, the expiry or the cancellation.
  open_code_enc   bytea,
  attempts        integer NOT NULL DEFAULT 0, -- reservation requests sent so far
  last_error      text,                       -- the last retryable failure, in words safe to show
  failure_code    text,                       -- the partner's error code when it refused, or 'GAVE_UP'
  failure_reason  text,                       -- why, in the applicant's words
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (network, request_id),
  UNIQUE (network, reservation_id),
  CHECK (open_code_enc IS NULL OR status = 'reserved')
);
CREATE INDEX partner_reservations_due ON partner_reservations (expires_at) WHERE status = 'reserved';
CREATE INDEX partner_reservations_reserving ON partner_reservations (updated_at) WHERE status = 'reserving';

-- Every partner event, once per (network, event id), whether it came by webhook or by the pull, with
-- what it did. The payload is the event without any code. `deferred` events wait for an earlier one.
CREATE TABLE partner_events (
  network        text NOT NULL,
  event_id       text NOT NULL,
  seq            bigint NOT NULL,
  type           text NOT NULL,
  reservation_id text NOT NULL,
  request_id     text NOT NULL,
  parcel_id      uuid REFERENCES parcels(id),
  at             timestamptz NOT NULL,        -- when it happened, on the partner's clock
  payload        jsonb NOT NULL,
  source         text NOT NULL CHECK (source IN ('webhook', 'pull')),
  outcome        text NOT NULL CHECK (outcome IN ('applied', 'already_applied', 'deferred', 'ignored', 'unknown_reservation')),
  detail         text,
  received_at    timestamptz NOT NULL,
  decided_at     timestamptz NOT NULL,
  PRIMARY KEY (network, event_id)
);
CREATE INDEX partner_events_parcel ON partner_events (parcel_id, seq);
CREATE INDEX partner_events_deferred ON partner_events (seq) WHERE outcome = 'deferred';

-- Webhook deliveries the hub refused (401 for a bad or stale signature, 400 for a signed body that is
-- not an event). The body itself is not kept (it may hold a code): its hash and length are.
CREATE TABLE partner_webhook_rejections (
  id             uuid PRIMARY KEY,
  network        text NOT NULL,
  reason         text NOT NULL CHECK (reason IN ('missing_header', 'unknown_app', 'stale_timestamp', 'bad_signature', 'invalid_event')),
  status         integer NOT NULL,
  app_id         text,                         -- as claimed by the request
  event_id       text,                         -- as claimed by the request
  remote_address text,
  body_sha256    text NOT NULL,
  body_bytes     integer NOT NULL,
  received_at    timestamptz NOT NULL
);
CREATE INDEX partner_webhook_rejections_at ON partner_webhook_rejections (received_at);

-- How far the reconciliation has read the partner's event log: advanced only after the events up
-- to it are stored and applied.
CREATE TABLE partner_event_cursors (
  network    text PRIMARY KEY,
  cursor     text NOT NULL CHECK (cursor ~ '^\d{1,16}$'),
  updated_at timestamptz NOT NULL
);
