-- The staff console (ADR 0034). A reply to a bad rating is told to the applicant by SMS: the notice
-- kind `rating_replied` joins the list as 020 left it. Search by phone matches the full number or its last four digits: an index on each.
ALTER TABLE applicant_notices DROP CONSTRAINT applicant_notices_kind_check;
ALTER TABLE applicant_notices ADD CONSTRAINT applicant_notices_kind_check CHECK (
  kind IN ('deposit_code_expired', 'application_rejected', 'result_at_counter', 'result_mailed', 'result_delivered',
           'result_in_locker', 'result_reminder_collect', 'result_reminder_return', 'result_returning', 'result_collected',
           'deposit_code_issued', 'deposit_received', 'received_at_hall', 'application_approved',
           'prereview_passed', 'prereview_returned', 'materials_due',
           'code_resent', 'delegate_code', 'hold_extended',
           'rating_replied'));
CREATE INDEX users_phone ON users (phone) WHERE phone IS NOT NULL;
CREATE INDEX users_phone_last4 ON users (right(phone, 4)) WHERE phone IS NOT NULL;
