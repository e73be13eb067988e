// Exceptions as records (migration 012, ADR 0022): the one door through which any slice opens one,
// inside the transaction of its cause. Found again by its natural key (kind + subject), so a cause
// reported twice never opens two: it counts another occurrence, and reopens the exception if staff
// had closed it (with a `reopened` action saying so), because a cause that comes back is not solved.
import { v7 as uuidv7 } from 'uuid';
import type { ExceptionKind } from '../domain/exceptions.js';
import type { Tx } from './db.js';

export interface OpenException {
  kind: ExceptionKind;
  /** the natural key's subject (domain/exceptions.ts exceptionSubject): one exception per cause */
  subject: string;
  /** the parcel concerned; its application and site are filled in from it when not given */
  parcelId?: string | null;
  applicationId?: string | null;
  siteId?: string | null;
  /** what staff need to act, never personal data (it is shown as it is) */
  detail?: Record<string, unknown>;
  at: Date;
}

export interface OpenedException {
  id: string;
  /** a new record */
  opened: boolean;
  /** a closed record opened again */
  reopened: boolean;
}

export async function openException(tx: Tx, e: OpenException): Promise<OpenedException> {
  const detail = JSON.stringify(e.detail ?? {});
  const inserted = await tx.query<{ id: string }>(
    `INSERT INTO exceptions (id, kind, subject, parcel_id, application_id, site_id, detail, opened_at, last_seen_at)
     VALUES ($1, $2, $3, $4::uuid,
             coalesce($5::uuid, (SELECT application_id FROM parcels WHERE id = $4::uuid)),
             coalesce($6::uuid, (SELECT site_id FROM parcels WHERE id = $4::uuid)), $7, $8, $8)
     ON CONFLICT (kind, subject) DO NOTHING RETURNING id`,
    [uuidv7(), e.kind, e.subject, e.parcelId ?? null, e.applicationId ?? null, e.siteId ?? null, detail, e.at],
  );
  if (inserted.rows[0]) return { id: inserted.rows[0].id, opened: true, reopened: false };

  const found = await tx.query<{ id: string; closed: boolean }>(
    'SELECT id, closed_at IS NOT NULL AS closed FROM exceptions WHERE kind = $1 AND subject = $2 FOR UPDATE',
    [e.kind, e.subject],
  );
  const { id, closed } = found.rows[0]!;
  await tx.query(
    `UPDATE exceptions SET occurrences = occurrences + 1, last_seen_at = greatest(last_seen_at, $2), detail = detail || $3::jsonb,
       closed_at = NULL, closed_by = NULL, note = NULL
     WHERE id = $1`,
    [id, e.at, detail],
  );
  if (closed) {
    await insertExceptionAction(tx, {
      exceptionId: id,
      action: 'reopened',
      actor: { kind: 'system', id: null },
      note: 'the same cause was reported again after the exception was closed',
      result: { detail: e.detail ?? {} },
      at: e.at,
    });
  }
  return { id, opened: false, reopened: closed };
}

export interface ExceptionActionRow {
  exceptionId: string;
  action: 'retry' | 'reassign' | 'contact' | 'close' | 'reopened';
  actor: { kind: 'staff' | 'admin' | 'system'; id: string | null };
  note: string | null;
  result: Record<string, unknown>;
  at: Date;
}

export async function insertExceptionAction(tx: Tx, a: ExceptionActionRow): Promise<string> {
  const id = uuidv7();
  await tx.query(
    `INSERT INTO exception_actions (id, exception_id, action, actor_kind, actor_id, note, result, at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [id, a.exceptionId, a.action, a.actor.kind, a.actor.id, a.note, JSON.stringify(a.result), a.at],
  );
  return id;
}
