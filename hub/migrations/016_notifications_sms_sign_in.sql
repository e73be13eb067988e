-- Notifications and SMS sign-in (issue 12, ADR 0026): the notices outbox sent by SMS (what the
-- gateway answered, delivery receipts, a notice that could not be sent), the notices of the events
-- that had none, the applicant's language, one-time sign-in codes and the consent given with them.

-- The applicant's language for their messages (zh-CN unless they chose English).
ALTER TABLE users ADD COLUMN language text NOT NULL DEFAULT 'zh-CN' CHECK (language IN ('zh-CN', 'en'));

-- Every event that needs the applicant has a notice kind.
ALTER TABLE applicant_notices DROP CONSTRAINT applicant_notices_kind_check;
ALTER TABLE applicant_notices ADD CONSTRAINT applicant_notices_kind_check CHECK (
  kind IN ('deposit_code_expired', 'application_rejected', 'result_at_counter', 'result_mailed', 'result_delivered',
           'result_in_locker', 'result_reminder_collect', 'result_reminder_return', 'result_returning', 'result_collected',
           'deposit_code_issued', 'deposit_received', 'received_at_hall', 'application_approved'));

-- Sending a notice: the gateway's message id once it took the message (sent_at is then set), what
-- its delivery receipts said last, and when the notice was given up (after its retries, or at once
-- for a message the gateway can never take), with why.
ALTER TABLE applicant_notices
  ADD COLUMN gateway_message_id text,
  ADD COLUMN delivery_status text CHECK (delivery_status IN ('delivered', 'failed')),
  ADD COLUMN delivered_at timestamptz,
  ADD COLUMN send_failed_at timestamptz,
  ADD COLUMN send_failure text;
CREATE INDEX applicant_notices_gateway_message ON applicant_notices (gateway_message_id) WHERE gateway_message_id IS NOT NULL;
DROP INDEX applicant_notices_unsent;
CREATE INDEX applicant_notices_unsent ON applicant_notices (created_at) WHERE sent_at IS NULL AND send_failed_at IS NULL;

-- The gateway's delivery receipts, each stored once by its event id (a retry or replay is a duplicate).
CREATE TABLE sms_receipts (
  event_id    text PRIMARY KEY,
  message_id  text NOT NULL,
  notice_id   uuid REFERENCES applicant_notices(id),
  status      text NOT NULL CHECK (status IN ('delivered', 'failed')),
  at          timestamptz NOT NULL,
  received_at timestamptz NOT NULL
);
CREATE INDEX sms_receipts_notice ON sms_receipts (notice_id);

-- One-time sign-in codes: only a keyed hash of the phone and of the code, never either in clear.
-- A code is spent by its use, by too many wrong tries, or by a newer code for the same phone.
CREATE TABLE sms_sign_in_codes (
  id          uuid PRIMARY KEY,
  phone_hash  text NOT NULL,
  code_hash   text NOT NULL,
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  failures    integer NOT NULL DEFAULT 0,
  used_at     timestamptz,
  spent_at    timestamptz
);
CREATE INDEX sms_sign_in_codes_phone ON sms_sign_in_codes (phone_hash, created_at DESC);

-- What an applicant agreed to when signing in by SMS: the terms (required) and locker delivery
-- (optional), with the version of the terms and when.
CREATE TABLE applicant_consents (
  id              uuid PRIMARY KEY,
  user_id         uuid NOT NULL REFERENCES users(id),
  terms           boolean NOT NULL,
  locker_delivery boolean NOT NULL,
  terms_version   text NOT NULL,
  via             text NOT NULL CHECK (via IN ('sms_sign_in')),
  at              timestamptz NOT NULL
);
CREATE INDEX applicant_consents_user ON applicant_consents (user_id, at DESC);
