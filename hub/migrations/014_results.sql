-- Results back to the applicant (issue 11, ADR 0024): the return channel chosen when applying, the
-- staff decision (approve / reject), the result held in a locker (for the reminder and return
-- timers), courier orders for mail, and the notices outbox's new kinds.

-- The return channel: own_kiosk (at return_site_id), mail (to return_address), counter; channel_out
-- already holds its name. Older rows keep what they had. The decision is recorded on the application.
ALTER TABLE applications
  ADD COLUMN return_site_id uuid REFERENCES sites(id),
  ADD COLUMN return_address text,
  ADD COLUMN decided_at timestamptz,
  ADD COLUMN decided_by uuid REFERENCES users(id),
  ADD COLUMN decision_note text;

-- A result waiting in a locker: since when, and until when it is held before it goes back to the
-- hall. The timers read this; the parcel's state stays the truth about where the result is.
CREATE TABLE result_holds (
  parcel_id      uuid PRIMARY KEY REFERENCES parcels(id),
  site_id        uuid NOT NULL REFERENCES sites(id),
  compartment_id uuid NOT NULL REFERENCES compartments(id),
  in_locker_at   timestamptz NOT NULL,
  hold_until     timestamptz NOT NULL,
  -- set when the return order was opened (holding period over, or the applicant switched channel)
  return_reason  text CHECK (return_reason IN ('holding_period_over', 'switched')),
  return_ordered_at timestamptz
);
CREATE INDEX result_holds_waiting ON result_holds (hold_until) WHERE return_ordered_at IS NULL;

-- A mail order has no site or compartment: the courier collects at the hall and delivers to an address.
ALTER TABLE courier_orders DROP CONSTRAINT courier_orders_kind_check;
ALTER TABLE courier_orders ADD CONSTRAINT courier_orders_kind_check CHECK (kind IN ('pickup', 'delivery', 'mail'));
ALTER TABLE courier_orders ALTER COLUMN site_id DROP NOT NULL;
ALTER TABLE courier_orders ADD COLUMN destination text;

-- The notices outbox: more kinds; a notice about an application with no parcel (a rejection) has
-- none, and is still at most one of its kind per application.
ALTER TABLE applicant_notices DROP CONSTRAINT applicant_notices_kind_check;
ALTER TABLE applicant_notices ADD CONSTRAINT applicant_notices_kind_check CHECK (
  kind IN ('deposit_code_expired', 'application_rejected', 'result_at_counter', 'result_mailed', 'result_delivered',
           'result_in_locker', 'result_reminder_collect', 'result_reminder_return', 'result_returning', 'result_collected'));
ALTER TABLE applicant_notices ALTER COLUMN parcel_id DROP NOT NULL;
CREATE UNIQUE INDEX applicant_notices_application_kind ON applicant_notices (application_id, kind) WHERE parcel_id IS NULL;
CREATE INDEX applicant_notices_applicant ON applicant_notices (applicant_id, created_at);
