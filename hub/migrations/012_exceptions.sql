-- Issue 11 (ADR 0022): exceptions are records, not log lines. One row per cause, found again by its
-- natural key (kind + subject: a command, a parcel, an event, an order), so a cause reported twice
-- or retried never opens two; a cause that comes back after its exception was closed reopens it.
-- Staff act on an exception (retry, reassign, contact, close with a note): each action is a row with
-- who and when, and what it did.

CREATE TABLE exceptions (
  id             uuid PRIMARY KEY,
  kind           text NOT NULL CHECK (kind ~ '^[a-z][a-z_]{1,39}$'),
  subject        text NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
  parcel_id      uuid REFERENCES parcels(id),
  application_id uuid REFERENCES applications(id),
  site_id        uuid REFERENCES sites(id),
  detail         jsonb NOT NULL DEFAULT '{}',
  opened_at      timestamptz NOT NULL,
  last_seen_at   timestamptz NOT NULL,
  occurrences    integer NOT NULL DEFAULT 1 CHECK (occurrences > 0),
  closed_at      timestamptz,
  closed_by      uuid REFERENCES users(id),
  note           text,
  UNIQUE (kind, subject),
  CHECK ((closed_at IS NULL) = (closed_by IS NULL))
);
CREATE INDEX exceptions_open ON exceptions (opened_at) WHERE closed_at IS NULL;
CREATE INDEX exceptions_parcel ON exceptions (parcel_id) WHERE parcel_id IS NOT NULL;

CREATE TABLE exception_actions (
  id           uuid PRIMARY KEY,
  exception_id uuid NOT NULL REFERENCES exceptions(id),
  action       text NOT NULL CHECK (action IN ('retry', 'reassign', 'contact', 'close', 'reopened')),
  actor_kind   text NOT NULL CHECK (actor_kind IN ('staff', 'admin', 'system')),
  actor_id     uuid REFERENCES users(id),
  note         text,
  result       jsonb NOT NULL DEFAULT '{}',
  at           timestamptz NOT NULL
);
CREATE INDEX exception_actions_exception ON exception_actions (exception_id, at);
