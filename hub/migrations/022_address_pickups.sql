-- Documents a courier collects from the applicant's address (ADR 0037): the pickup order has no
-- site and no compartment but the address it was sent to (kept as sent, even if the application's
-- address changes later); only a pickup comes from an address.
ALTER TABLE courier_orders ADD COLUMN origin text;
ALTER TABLE courier_orders ADD CONSTRAINT courier_orders_origin_check
  CHECK (origin IS NULL OR (kind = 'pickup' AND site_id IS NULL AND compartment_id IS NULL));

-- The applicant is told when the courier could not collect (nobody home, a wrong address):
-- the kinds as 021 left them, plus `pickup_failed`.
ALTER TABLE applicant_notices DROP CONSTRAINT applicant_notices_kind_check;
ALTER TABLE applicant_notices ADD CONSTRAINT applicant_notices_kind_check CHECK (
  kind IN ('deposit_code_expired', 'application_rejected', 'result_at_counter', 'result_mailed', 'result_delivered',
           'result_in_locker', 'result_reminder_collect', 'result_reminder_return', 'result_returning', 'result_collected',
           'deposit_code_issued', 'deposit_received', 'received_at_hall', 'application_approved',
           'prereview_passed', 'prereview_returned', 'materials_due',
           'code_resent', 'delegate_code', 'hold_extended', 'rating_replied',
           'pickup_failed'));
