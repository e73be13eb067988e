-- Refused partner webhooks are counted, not stored one row each (issue 10): one counter per
-- (network, reason, source address, minute); partner_webhook_rejections keeps only a sample (the
-- first refusal of each counter and every Nth after it) for the evidence (claimed ids, body hash).
CREATE TABLE partner_webhook_refusal_counts (
  network        text NOT NULL,
  reason         text NOT NULL,
  remote_address text NOT NULL,
  minute         timestamptz NOT NULL,
  refusals       integer NOT NULL CHECK (refusals > 0),
  last_at        timestamptz NOT NULL,
  PRIMARY KEY (network, reason, remote_address, minute)
);
CREATE INDEX partner_webhook_refusal_counts_minute ON partner_webhook_refusal_counts (minute);
