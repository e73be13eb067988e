-- Service matters and pre-review (issue 12, ADR 0027): the catalogue says how paper may travel in and
-- how the result may come back, whether any paper goes in at all and whether the hall's rules may
-- pass an application whose core materials are all declared. An application carries the materials
-- declared and its pre-review state; the pre-review's decisions, one-time notices and 容缺
-- commitments are kept. Only a passed (or 容缺-accepted) application gets its inbound parcel and
-- deposit code, so what is dropped off can be accepted.

-- The channels in (own_kiosk, partner_locker, courier_pickup, counter) and out (own_kiosk,
-- partner_locker, mail, counter). `channels` stays, the union of both, for older readers.
ALTER TABLE service_matters
  ADD COLUMN name_en text,
  ADD COLUMN channels_in text[],
  ADD COLUMN channels_out text[],
  ADD COLUMN paper_in boolean NOT NULL DEFAULT true,
  ADD COLUMN prereview text NOT NULL DEFAULT 'staff' CHECK (prereview IN ('staff', 'rules'));
UPDATE service_matters SET
  channels_in = ARRAY(SELECT c FROM unnest(channels) c WHERE c IN ('own_kiosk', 'partner_locker', 'courier_pickup', 'counter')),
  channels_out = ARRAY(SELECT c FROM unnest(channels) c WHERE c IN ('own_kiosk', 'partner_locker', 'mail', 'counter'));
ALTER TABLE service_matters ALTER COLUMN channels_in SET NOT NULL, ALTER COLUMN channels_out SET NOT NULL;

-- Pre-review: pending → passed | returned | accepted_pending (容缺受理); returned → pending when the
-- applicant resubmits. Applications made before pre-review existed had their code at once: passed.
-- The drop-off chosen is kept until the pass starts it (a site, or an address for a courier pickup).
ALTER TABLE applications
  ADD COLUMN prereview text NOT NULL DEFAULT 'passed' CHECK (prereview IN ('pending', 'returned', 'passed', 'accepted_pending')),
  ADD COLUMN materials jsonb NOT NULL DEFAULT '[]',
  ADD COLUMN drop_site_id uuid REFERENCES sites(id),
  ADD COLUMN pickup_address text,
  ADD COLUMN submitted_at timestamptz;
CREATE INDEX applications_prereview_queue ON applications (submitted_at) WHERE prereview = 'pending';

-- Every pre-review step, kept: submitted, resubmitted, passed (by staff or by the rules), returned
-- (with its one-time notice), accepted_pending (with its commitment), materials_received.
CREATE TABLE prereview_steps (
  id             uuid PRIMARY KEY,
  application_id uuid NOT NULL REFERENCES applications(id),
  step           text NOT NULL CHECK (step IN ('submitted', 'resubmitted', 'passed', 'returned', 'accepted_pending', 'materials_received')),
  by_rules       boolean NOT NULL DEFAULT false,
  actor_id       uuid REFERENCES users(id),
  materials      jsonb,           -- what was declared (submitted, resubmitted)
  notice         jsonb,           -- the one-time notice (returned): { number, items: [{ material, problem, whatToDo }], note }
  note           text,
  at             timestamptz NOT NULL
);
CREATE INDEX prereview_steps_application ON prereview_steps (application_id, at);

-- 容缺受理: non-core materials to follow under a written commitment, by a due date; reminded once.
CREATE TABLE material_commitments (
  application_id uuid PRIMARY KEY REFERENCES applications(id),
  materials      jsonb NOT NULL,  -- codes of the materials that follow
  commitment     text NOT NULL,   -- the applicant's written commitment, as staff recorded it
  due_at         timestamptz NOT NULL,
  accepted_by    uuid NOT NULL REFERENCES users(id),
  accepted_at    timestamptz NOT NULL,
  reminded_at    timestamptz,
  received_at    timestamptz
);
CREATE INDEX material_commitments_due ON material_commitments (due_at) WHERE reminded_at IS NULL AND received_at IS NULL;

-- The notices outbox: the pre-review's kinds (with the SMS work's of 016). A returned notice may come more than once per
-- application (each return is its own one-time notice), so it is left out of the one-per-kind index.
ALTER TABLE applicant_notices DROP CONSTRAINT applicant_notices_kind_check;
ALTER TABLE applicant_notices ADD CONSTRAINT applicant_notices_kind_check CHECK (
  kind IN ('deposit_code_expired', 'application_rejected', 'result_at_counter', 'result_mailed', 'result_delivered',
           'result_in_locker', 'result_reminder_collect', 'result_reminder_return', 'result_returning', 'result_collected',
           'deposit_code_issued', 'deposit_received', 'received_at_hall', 'application_approved',
           'prereview_passed', 'prereview_returned', 'materials_due'));
DROP INDEX applicant_notices_application_kind;
CREATE UNIQUE INDEX applicant_notices_application_kind ON applicant_notices (application_id, kind)
  WHERE parcel_id IS NULL AND kind <> 'prereview_returned';
