-- Issue 11 (web): the hall's intake desk. One row per scan that wrote something: a parcel received
-- (its receipt, with the envelope's condition and the clerk's note) or a parcel the hub did not
-- expect (unannounced: an unknown tracking number, or one not picked up yet), flagged until the
-- exceptions work links it to its exception. A repeated scan of a received parcel writes nothing.
CREATE TABLE intake_scans (
  id              uuid PRIMARY KEY,
  tracking_number text NOT NULL,
  parcel_id       uuid REFERENCES parcels(id),
  result          text NOT NULL CHECK (result IN ('received', 'unannounced')),
  condition       text NOT NULL DEFAULT 'ok' CHECK (condition IN ('ok', 'damaged', 'wrong_envelope')),
  note            text CHECK (char_length(note) <= 500),
  staff_id        uuid NOT NULL REFERENCES users(id),
  scanned_at      timestamptz NOT NULL,
  -- the parcel's state when it was scanned (unannounced parcels the hub knows: why it did not expect it)
  parcel_state    text,
  flagged         boolean NOT NULL DEFAULT false
);
-- One receipt per parcel, one unannounced record per tracking number: two desks scanning the same
-- envelope at once write one row between them.
CREATE UNIQUE INDEX intake_scans_one_receipt ON intake_scans (parcel_id) WHERE result = 'received';
CREATE UNIQUE INDEX intake_scans_one_unannounced ON intake_scans (tracking_number) WHERE result = 'unannounced';
CREATE INDEX intake_scans_flagged ON intake_scans (scanned_at) WHERE flagged;
