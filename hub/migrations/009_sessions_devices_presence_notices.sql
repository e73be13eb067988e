-- Issue 10 (ADR 0017): sessions a user can list and end, kiosk devices an operator can deactivate or
-- re-key, kiosk connections counted per site across hub processes, and the notices an applicant is
-- owed (the first: a deposit code that expired and released its compartment).

-- A session's public id (the token's hash is never shown), when it was last used, the address it
-- was opened from (masked: the hub keeps no whole address) and the client's user agent.
ALTER TABLE sessions
  ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid(),
  ADD COLUMN last_used_at timestamptz,
  ADD COLUMN address_masked text,
  ADD COLUMN user_agent text;
CREATE UNIQUE INDEX sessions_id ON sessions (id);

-- A deactivated device is refused at the handshake and cut off if connected; a rotated key replaces
-- the old one (which then signs nothing the hub accepts).
ALTER TABLE kiosk_devices
  ADD COLUMN deactivated_at timestamptz,
  ADD COLUMN key_rotated_at timestamptz;

-- One row per connected kiosk socket, whichever hub process holds it: a site is online while any
-- of its devices has a row. Each hub process refreshes seen_at for its own rows; rows of a process
-- that died stop being refreshed and are swept.
CREATE TABLE kiosk_connections (
  socket_id    text PRIMARY KEY,
  device_id    uuid NOT NULL REFERENCES kiosk_devices(id),
  site_id      uuid NOT NULL REFERENCES sites(id),
  hub_id       text NOT NULL,
  connected_at timestamptz NOT NULL,
  seen_at      timestamptz NOT NULL
);
CREATE INDEX kiosk_connections_site ON kiosk_connections (site_id);
CREATE INDEX kiosk_connections_hub ON kiosk_connections (hub_id);

-- What an applicant must be told; the notifications work sends them (sent_at) later. One notice of
-- a kind per parcel, so a sweep that runs twice tells once.
CREATE TABLE applicant_notices (
  id             uuid PRIMARY KEY,
  applicant_id   uuid NOT NULL REFERENCES users(id),
  application_id uuid NOT NULL REFERENCES applications(id),
  parcel_id      uuid NOT NULL REFERENCES parcels(id),
  kind           text NOT NULL CHECK (kind IN ('deposit_code_expired')),
  message        text NOT NULL,
  details        jsonb NOT NULL DEFAULT '{}',
  created_at     timestamptz NOT NULL,
  sent_at        timestamptz,
  UNIQUE (parcel_id, kind)
);
CREATE INDEX applicant_notices_application ON applicant_notices (application_id);
CREATE INDEX applicant_notices_unsent ON applicant_notices (created_at) WHERE sent_at IS NULL;

-- The expiry sweep's search: own-kiosk deposit codes neither used nor revoked, by expiry.
CREATE INDEX access_codes_deposit_expiry ON access_codes (expires_at) WHERE purpose = 'deposit' AND used_at IS NULL AND revoked_at IS NULL;
