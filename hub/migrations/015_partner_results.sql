-- A result delivered into a partner locker (issue 11, ADR 0025): the hub's reservation at the
-- partner is either for a drop-off (the applicant deposits, a courier collects: ADR 0007) or for a
-- delivery (a courier deposits the result with the partner's deliver code, the applicant collects
-- it with the partner's collection code). The deliver code is sealed in open_code_enc while the
-- reservation is `reserved`, like a drop-off's open-code; the collection code is sealed in the
-- applicant's notice (ADR 0024), never stored here.
ALTER TABLE partner_reservations
  ADD COLUMN purpose text NOT NULL DEFAULT 'drop_off' CHECK (purpose IN ('drop_off', 'delivery'));

-- A result held in a partner locker has no compartment row of ours: the partner's number instead.
ALTER TABLE result_holds ALTER COLUMN compartment_id DROP NOT NULL;
ALTER TABLE result_holds ADD COLUMN partner_compartment_no integer;
ALTER TABLE result_holds ADD CONSTRAINT result_holds_place_check CHECK (compartment_id IS NOT NULL OR partner_compartment_no IS NOT NULL);
