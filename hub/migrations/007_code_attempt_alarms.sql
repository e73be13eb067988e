-- Keypad brute-force alarms (ADR 0015). One row when a site's keypads start to slow down (a burst
-- of wrong codes), with the device that tipped it and the counts; never the codes typed. A row of
-- its own (not a custody event: no parcel is concerned), kind 'code_burst', so that a general
-- alarms table can take these rows over later by a plain INSERT ... SELECT.
-- (Numbered 006 because hub migrations must be contiguous; if the bus-fault alarms migration written
-- alongside also took 006, this file is the one to renumber: nothing refers to its number.)

CREATE TABLE code_attempt_alarms (
  id             uuid PRIMARY KEY,
  kind           text NOT NULL DEFAULT 'code_burst',
  site_id        uuid NOT NULL REFERENCES sites(id),
  device_id      uuid REFERENCES kiosk_devices(id),
  site_failures  integer NOT NULL,
  device_failures integer NOT NULL,
  wait_ms        integer NOT NULL,
  at             timestamptz NOT NULL,
  acknowledged_at timestamptz
);
CREATE INDEX code_attempt_alarms_site ON code_attempt_alarms (site_id, at);
