// The notifications slice's SQL: notices written for events (at most one of a kind per parcel, or
// per application when there is no parcel), the outbox as the sender reads and marks it, and the
// gateway's delivery receipts, each stored once by its event id.
import { v7 as uuidv7 } from 'uuid';
import type { Db, Tx } from '../../store/db.js';
import { renderNotice, type Language, type NoticeKind } from './templates.js';

/**
 * Records a notice for the applicant of the parcel's (or the application's) application, unless
 * there is one of its kind already; whether it did. The parcel's tracking number and site (name and
 * address) join the details unless given. The `message` column keeps the English text for the app's
 * notice list; the SMS is rendered in the applicant's language when it is sent.
 */
export async function recordNotice(
  tx: Tx,
  n: {
    parcelId: string | null;
    applicationId?: string;
    kind: NoticeKind;
    details?: Record<string, unknown>;
    at: Date;
    /** the phone the SMS goes to when it is not the applicant's (a delegate's code, ADR 0033) */
    toPhone?: string;
  },
): Promise<boolean> {
  const owner = await tx.query<{
    applicationId: string;
    applicantId: string;
    displayName: string;
    trackingNumber: string | null;
    siteName: string | null;
    siteAddress: string | null;
  }>(
    n.parcelId
      ? `SELECT a.id AS "applicationId", a.applicant_id AS "applicantId", u.display_name AS "displayName",
           p.tracking_number AS "trackingNumber", s.name AS "siteName", s.address AS "siteAddress"
         FROM parcels p JOIN applications a ON a.id = p.application_id JOIN users u ON u.id = a.applicant_id
           LEFT JOIN sites s ON s.id = p.site_id WHERE p.id = $1`
      : `SELECT a.id AS "applicationId", a.applicant_id AS "applicantId", u.display_name AS "displayName",
           NULL AS "trackingNumber", NULL AS "siteName", NULL AS "siteAddress"
         FROM applications a JOIN users u ON u.id = a.applicant_id WHERE a.id = $1`,
    [n.parcelId ?? n.applicationId],
  );
  const o = owner.rows[0];
  if (!o) return false;
  const details = {
    ...(o.trackingNumber && { trackingNumber: o.trackingNumber }),
    ...(o.siteName && { site: { name: o.siteName, address: o.siteAddress } }),
    ...n.details,
  };
  const message = renderNotice({ kind: n.kind, details }, { displayName: o.displayName, language: 'en' });
  const r = await tx.query(
    `INSERT INTO applicant_notices (id, applicant_id, application_id, parcel_id, kind, message, details, created_at, to_phone)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
    [uuidv7(), o.applicantId, o.applicationId, n.parcelId, n.kind, message, JSON.stringify(details), n.at, n.toPhone ?? null],
  );
  return (r.rowCount ?? 0) > 0;
}

export interface OutboxNotice {
  id: string;
  kind: NoticeKind;
  parcelId: string | null;
  applicationId: string;
  details: Record<string, unknown>;
  createdAt: Date;
  sentAt: Date | null;
  sendFailedAt: Date | null;
  gatewayMessageId: string | null;
  phone: string | null;
  language: Language;
  displayName: string;
}

export async function outboxNotice(db: Db | Tx, id: string): Promise<OutboxNotice | null> {
  const r = await db.query<OutboxNotice>(
    `SELECT n.id, n.kind, n.parcel_id AS "parcelId", n.application_id AS "applicationId", n.details, n.created_at AS "createdAt",
       n.sent_at AS "sentAt", n.send_failed_at AS "sendFailedAt", n.gateway_message_id AS "gatewayMessageId",
       coalesce(n.to_phone, u.phone) AS phone, u.language, u.display_name AS "displayName"
     FROM applicant_notices n JOIN users u ON u.id = n.applicant_id WHERE n.id = $1`,
    [id],
  );
  return r.rows[0] ?? null;
}

/** The gateway took the message: the notice is sent (once; a second mark changes nothing). */
export async function markNoticeSent(db: Db, id: string, messageId: string, at: Date): Promise<boolean> {
  const r = await db.query(
    'UPDATE applicant_notices SET sent_at = $3, gateway_message_id = $2 WHERE id = $1 AND sent_at IS NULL AND send_failed_at IS NULL',
    [id, messageId, at],
  );
  return (r.rowCount ?? 0) > 0;
}

/** Given up: not sent after its retries, or never sendable. False when it was sent or given up already. */
export async function markNoticeFailed(tx: Tx, id: string, reason: string, at: Date): Promise<boolean> {
  const r = await tx.query(
    'UPDATE applicant_notices SET send_failed_at = $3, send_failure = $2 WHERE id = $1 AND sent_at IS NULL AND send_failed_at IS NULL',
    [id, reason.slice(0, 500), at],
  );
  return (r.rowCount ?? 0) > 0;
}

/** Notices neither sent nor given up, written before `before` (the sweep's safety net), oldest first. */
export async function unsentNotices(db: Db, before: Date, limit = 500): Promise<string[]> {
  const r = await db.query<{ id: string }>(
    'SELECT id FROM applicant_notices WHERE sent_at IS NULL AND send_failed_at IS NULL AND created_at <= $1 ORDER BY created_at LIMIT $2',
    [before, limit],
  );
  return r.rows.map((x) => x.id);
}

/** Stores a delivery receipt once by its event id; false for a duplicate. */
export async function insertReceipt(
  tx: Tx,
  r: { eventId: string; messageId: string; noticeId: string | null; status: 'delivered' | 'failed'; at: Date; receivedAt: Date },
): Promise<boolean> {
  const res = await tx.query(
    `INSERT INTO sms_receipts (event_id, message_id, notice_id, status, at, received_at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (event_id) DO NOTHING`,
    [r.eventId, r.messageId, r.noticeId, r.status, r.at, r.receivedAt],
  );
  return (res.rowCount ?? 0) > 0;
}

/** The notice a receipt is about (its idempotency key is the notice id), locked; null when no notice has that id. */
export async function lockNoticeForReceipt(tx: Tx, idempotencyKey: string): Promise<{ id: string; parcelId: string | null } | null> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idempotencyKey)) return null;
  const r = await tx.query<{ id: string; parcelId: string | null }>(
    'SELECT id, parcel_id AS "parcelId" FROM applicant_notices WHERE id = $1 FOR UPDATE',
    [idempotencyKey],
  );
  return r.rows[0] ?? null;
}

export async function recordDelivery(tx: Tx, noticeId: string, status: 'delivered' | 'failed', at: Date): Promise<void> {
  await tx.query(
    "UPDATE applicant_notices SET delivery_status = $2, delivered_at = CASE WHEN $2 = 'delivered' THEN $3::timestamptz END WHERE id = $1",
    [noticeId, status, at],
  );
}
