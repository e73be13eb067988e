-- A deposit whose door jammed moves to another compartment: one row per reassignment, keyed by the
-- kiosk's request id (a retried request gets the same answer) and by the jammed command (a command is
-- reassigned at most once). The hub finds a command's reported unlock outcome by its command id.

CREATE TABLE compartment_reassignments (
  request_id          uuid PRIMARY KEY,
  device_id           uuid NOT NULL REFERENCES kiosk_devices(id),
  code_id             uuid NOT NULL REFERENCES access_codes(id),
  from_command_id     uuid NOT NULL UNIQUE,
  to_command_id       uuid NOT NULL UNIQUE,
  from_compartment_id uuid NOT NULL REFERENCES compartments(id),
  to_compartment_id   uuid NOT NULL REFERENCES compartments(id),
  at                  timestamptz NOT NULL
);

CREATE INDEX kiosk_events_unlock_command ON kiosk_events ((payload->>'commandId')) WHERE type = 'unlock_result';
