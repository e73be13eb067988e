-- What the applicant may do with a code or a result waiting for them (issue 12, ADR 0033): resend the
-- same live code by SMS (a limited number of times), authorise someone else to collect (委托代领: a
-- separate collection code with the delegate's phone as its second factor, revocable), ask for more
-- time to collect (once by default), and ask for an accessible (low) compartment.

-- 委托代领: one row per authorisation. The delegate's code is an access code of its own (purpose
-- collect, beside the applicant's); the phone is kept in clear only because the SMS goes to it (as
-- users.phone is); lists and notices show it masked.
CREATE TABLE result_delegates (
  id          uuid PRIMARY KEY,
  parcel_id   uuid NOT NULL REFERENCES parcels(id),
  code_id     uuid NOT NULL UNIQUE REFERENCES access_codes(id),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 40),
  phone       text NOT NULL,
  created_by  uuid NOT NULL REFERENCES users(id),
  created_at  timestamptz NOT NULL,
  revoked_at  timestamptz
);
CREATE INDEX result_delegates_parcel ON result_delegates (parcel_id, created_at);

-- More time to collect: how many times the hold was extended.
ALTER TABLE result_holds ADD COLUMN extensions integer NOT NULL DEFAULT 0 CHECK (extensions >= 0);

-- Accessible (low) compartments, and the applicant's wish for one, for the drop-off and the return.
ALTER TABLE compartments ADD COLUMN accessible boolean NOT NULL DEFAULT false;
ALTER TABLE applications
  ADD COLUMN accessible_drop boolean NOT NULL DEFAULT false,
  ADD COLUMN accessible_return boolean NOT NULL DEFAULT false;

-- A notice sent to another phone than its applicant's (the delegate's code goes to the delegate).
ALTER TABLE applicant_notices ADD COLUMN to_phone text;

-- The notice kinds: 017's list (with 016's and 014's) and this migration's three.
ALTER TABLE applicant_notices DROP CONSTRAINT applicant_notices_kind_check;
ALTER TABLE applicant_notices ADD CONSTRAINT applicant_notices_kind_check CHECK (
  kind IN ('deposit_code_expired', 'application_rejected', 'result_at_counter', 'result_mailed', 'result_delivered',
           'result_in_locker', 'result_reminder_collect', 'result_reminder_return', 'result_returning', 'result_collected',
           'deposit_code_issued', 'deposit_received', 'received_at_hall', 'application_approved',
           'prereview_passed', 'prereview_returned', 'materials_due',
           'code_resent', 'delegate_code', 'hold_extended'));

-- One notice of a kind per parcel still holds, except for the kinds that may come again: each resend,
-- each delegate authorised, each extension is its own message.
ALTER TABLE applicant_notices DROP CONSTRAINT applicant_notices_parcel_id_kind_key;
CREATE UNIQUE INDEX applicant_notices_parcel_kind ON applicant_notices (parcel_id, kind)
  WHERE kind NOT IN ('code_resent', 'delegate_code', 'hold_extended');
