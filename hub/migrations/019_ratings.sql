-- 好差评: one rating per finished application by its applicant; a bad one (1 or 2 of 5) opens a
-- follow-up for the hall's staff with a deadline in working days, closed by a written reply that
-- the applicant sees (ADR 0032).
CREATE TABLE ratings (
  id             uuid PRIMARY KEY,
  application_id uuid NOT NULL UNIQUE REFERENCES applications(id),
  applicant_id   uuid NOT NULL REFERENCES users(id),
  grade          smallint NOT NULL CHECK (grade BETWEEN 1 AND 5),
  comment        text NOT NULL DEFAULT '' CHECK (length(comment) <= 500),
  rated_at       timestamptz NOT NULL
);

CREATE TABLE rating_follow_ups (
  id          uuid PRIMARY KEY,
  rating_id   uuid NOT NULL UNIQUE REFERENCES ratings(id),
  opened_at   timestamptz NOT NULL,
  due_at      timestamptz NOT NULL,
  replied_at  timestamptz,
  replied_by  uuid REFERENCES users(id),
  reply       text CHECK (reply IS NULL OR length(reply) BETWEEN 1 AND 1000),
  CHECK ((replied_at IS NULL) = (reply IS NULL) AND (replied_at IS NULL) = (replied_by IS NULL))
);
CREATE INDEX rating_follow_ups_open ON rating_follow_ups (due_at) WHERE replied_at IS NULL;
