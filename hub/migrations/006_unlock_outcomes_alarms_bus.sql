-- The kiosk tells the truth (issue 9, docs/adr/0014-spend-and-unlock.md): what became of each open
-- command's unlock (and whether its code was given back), alarms as records (one open alarm per
-- device, kind and subject, repeats counted on it, custody records of it rate-limited), and each
-- kiosk's last reported state of its lock-board buses.

-- A whole board's fault names no compartment.
ALTER TABLE kiosk_events ALTER COLUMN compartment DROP NOT NULL;

-- One row per open command the kiosk reported on: its outcome as the evidence stands (a stronger
-- report replaces a weaker one, a repeated one changes nothing), and whether its code is given back.
CREATE TABLE unlock_outcomes (
  command_id     uuid PRIMARY KEY,
  device_id      uuid NOT NULL REFERENCES kiosk_devices(id),
  code_id        uuid NOT NULL REFERENCES access_codes(id),
  compartment_id uuid NOT NULL REFERENCES compartments(id),
  outcome        text NOT NULL CHECK (outcome IN ('opened', 'jammed', 'unconfirmed', 'not_sent', 'failed', 'answered_opened', 'answered_not_opened')),
  code_restored  boolean NOT NULL,          -- the code was given back for this command (and not spent again since)
  reported_at    timestamptz NOT NULL,      -- the first report, on the kiosk's clock
  updated_at     timestamptz NOT NULL
);
CREATE INDEX unlock_outcomes_code ON unlock_outcomes (code_id);

-- An alarm a kiosk raised: about a board ('board:<bus>:<board>'), a bus ('bus:<bus>'), a compartment
-- ('compartment:<n>') or a command ('command:<id>'). At most one open alarm per device, kind and
-- subject: a repeat counts on it; it stays until what clears it comes (board_reachable, bus up, an
-- opened door, a person's answer).
CREATE TABLE kiosk_alarms (
  id           uuid PRIMARY KEY,
  site_id      uuid NOT NULL REFERENCES sites(id),
  device_id    uuid NOT NULL REFERENCES kiosk_devices(id),
  kind         text NOT NULL,
  subject      text NOT NULL,
  bus          text,
  board        integer,
  compartment  integer,
  command_id   uuid,
  detail       text,
  raised_at    timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  cleared_at   timestamptz,
  count        integer NOT NULL DEFAULT 1 CHECK (count >= 1),
  custody_at   timestamptz                -- when a custody record of it was last written (rate limit)
);
CREATE UNIQUE INDEX kiosk_alarms_open ON kiosk_alarms (device_id, kind, subject) WHERE cleared_at IS NULL;
CREATE INDEX kiosk_alarms_device ON kiosk_alarms (device_id, raised_at DESC);

-- Each kiosk's last report of each of its buses; an older report than the stored one is ignored.
CREATE TABLE kiosk_bus_states (
  device_id          uuid NOT NULL REFERENCES kiosk_devices(id),
  bus                text NOT NULL,
  state              text NOT NULL CHECK (state IN ('up', 'down', 'reopening')),
  frames             bigint NOT NULL,
  replies            bigint NOT NULL,
  timeouts           bigint NOT NULL,
  bad_frames_dropped bigint NOT NULL,
  reopenings         bigint NOT NULL,
  last_error         text,
  reported_at        timestamptz NOT NULL,  -- on the kiosk's clock
  received_at        timestamptz NOT NULL,
  PRIMARY KEY (device_id, bus)
);
