// SQL of the partner journey: the hub's reservation per partner parcel, the partner's events once by
// id, refused webhooks and the reconciliation cursor (migration 005). Callers that change a
// reservation hold its parcel's row lock first (lockParcel), then this row's.
import type { CompartmentSize, PartnerEvent } from '@xinbao/protocol';
import type { PartnerReservationFacts, PartnerReservationStatus } from '../../domain/partner-locker.js';
import type { Db, Tx } from '../../store/db.js';

export interface PartnerReservationRow extends PartnerReservationFacts {
  parcelId: string;
  network: string;
  siteId: string;
  requestId: string;
  requestedSize: CompartmentSize;
  reservationId: string | null;
  deviceId: string | null;
  openCodeEnc: Buffer | null;
  failureCode: string | null;
  /** drop_off: the applicant deposits, a courier collects; delivery: a courier deposits a result, the applicant collects */
  purpose: 'drop_off' | 'delivery';
  updatedAt: Date;
}

const COLUMNS = `parcel_id AS "parcelId", network, site_id AS "siteId", request_id AS "requestId",
  requested_size AS "requestedSize", status, reservation_id AS "reservationId", device_id AS "deviceId",
  compartment_no AS "compartmentNo", size, expires_at AS "expiresAt", open_code_enc AS "openCodeEnc", attempts,
  last_error AS "lastError", failure_code AS "failureCode", failure_reason AS "failureReason", purpose, updated_at AS "updatedAt"`;

export async function insertReservation(
  tx: Tx,
  r: { parcelId: string; network: string; siteId: string; requestedSize: string; at: Date; purpose?: 'drop_off' | 'delivery' },
): Promise<void> {
  await tx.query(
    `INSERT INTO partner_reservations (parcel_id, network, site_id, request_id, requested_size, status, created_at, updated_at, purpose)
     VALUES ($1::uuid, $2, $3, $1::text, $4, 'reserving', $5, $5, $6)`,
    [r.parcelId, r.network, r.siteId, r.requestedSize, r.at, r.purpose ?? 'drop_off'],
  );
}

export async function findReservation(db: Db | Tx, parcelId: string, lock = false): Promise<PartnerReservationRow | null> {
  const r = await db.query<PartnerReservationRow>(
    `SELECT ${COLUMNS} FROM partner_reservations WHERE parcel_id = $1${lock ? ' FOR UPDATE' : ''}`,
    [parcelId],
  );
  return r.rows[0] ?? null;
}

export async function findReservationByRequest(db: Db | Tx, network: string, requestId: string): Promise<PartnerReservationRow | null> {
  const r = await db.query<PartnerReservationRow>(`SELECT ${COLUMNS} FROM partner_reservations WHERE network = $1 AND request_id = $2`, [
    network,
    requestId,
  ]);
  return r.rows[0] ?? null;
}

/** What the partner told about the reservation itself (ids, compartment, expiry); fills in, never blanks. */
export async function recordReservationFacts(
  tx: Tx,
  parcelId: string,
  f: { reservationId: string; deviceId: string; compartmentNo: number; size: string; expiresAt?: Date | undefined },
  at: Date,
): Promise<void> {
  await tx.query(
    `UPDATE partner_reservations SET reservation_id = $2, device_id = $3, compartment_no = $4, size = $5,
       expires_at = coalesce($6, expires_at), updated_at = $7
     WHERE parcel_id = $1`,
    [parcelId, f.reservationId, f.deviceId, f.compartmentNo, f.size, f.expiresAt ?? null, at],
  );
}

export async function setReservationStatus(
  tx: Tx,
  parcelId: string,
  status: PartnerReservationStatus,
  at: Date,
  extra: { openCodeEnc?: Buffer | null; failureCode?: string; failureReason?: string } = {},
): Promise<void> {
  // The code goes whenever the reservation leaves `reserved`: it no longer opens anything.
  const keepCode = status === 'reserved';
  await tx.query(
    `UPDATE partner_reservations SET status = $2, updated_at = $3,
       open_code_enc = CASE WHEN $4::boolean THEN coalesce($5, open_code_enc) ELSE NULL END,
       failure_code = coalesce($6, failure_code), failure_reason = coalesce($7, failure_reason)
     WHERE parcel_id = $1`,
    [parcelId, status, at, keepCode, extra.openCodeEnc ?? null, extra.failureCode ?? null, extra.failureReason ?? null],
  );
}

/** One more request is about to go to the partner. */
export async function countAttempt(db: Db, parcelId: string, at: Date): Promise<number> {
  const r = await db.query<{ attempts: number }>(
    'UPDATE partner_reservations SET attempts = attempts + 1, updated_at = $2 WHERE parcel_id = $1 RETURNING attempts',
    [parcelId, at],
  );
  return r.rows[0]?.attempts ?? 0;
}

export async function recordRetryableFailure(db: Db, parcelId: string, words: string, at: Date): Promise<void> {
  await db.query('UPDATE partner_reservations SET last_error = $2, updated_at = $3 WHERE parcel_id = $1', [parcelId, words, at]);
}

// ---- events ------------------------------------------------------------------------------

export type EventOutcome = 'applied' | 'already_applied' | 'deferred' | 'ignored' | 'unknown_reservation';

/** The event as stored: everything but a code (a drop-off's open-code, a delivery's collection code). */
export function storablePayload(event: PartnerEvent): Record<string, unknown> {
  if (event.type === 'deposited') {
    const { collectionCode: _code, ...data } = event.data;
    return { ...event, data };
  }
  if (event.type !== 'code_issued') return event;
  const { openCode: _code, ...data } = event.data;
  return { ...event, data };
}

/** Stores the event once; false when its id was already stored (a duplicate). */
export async function insertEvent(tx: Tx, network: string, event: PartnerEvent, source: 'webhook' | 'pull', at: Date): Promise<boolean> {
  const r = await tx.query(
    `INSERT INTO partner_events (network, event_id, seq, type, reservation_id, request_id, at, payload, source, outcome, received_at, decided_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'deferred', $10, $10)
     ON CONFLICT (network, event_id) DO NOTHING`,
    [
      network,
      event.eventId,
      event.seq,
      event.type,
      event.reservationId,
      event.requestId,
      event.at,
      JSON.stringify(storablePayload(event)),
      source,
      at,
    ],
  );
  return r.rowCount === 1;
}

export async function decideEvent(
  tx: Tx,
  network: string,
  eventId: string,
  parcelId: string | null,
  outcome: EventOutcome,
  detail: string | null,
  at: Date,
): Promise<void> {
  await tx.query(
    `UPDATE partner_events SET parcel_id = $3, outcome = $4, detail = $5, decided_at = $6 WHERE network = $1 AND event_id = $2`,
    [network, eventId, parcelId, outcome, detail, at],
  );
}

export async function deferredEvents(
  db: Db | Tx,
  network: string,
  parcelId?: string,
): Promise<Array<{ eventId: string; parcelId: string | null; payload: unknown }>> {
  const r = await db.query<{ eventId: string; parcelId: string | null; payload: unknown }>(
    `SELECT event_id AS "eventId", parcel_id AS "parcelId", payload FROM partner_events
     WHERE network = $1 AND outcome = 'deferred' ${parcelId === undefined ? '' : 'AND parcel_id = $2'} ORDER BY seq LIMIT 500`,
    parcelId === undefined ? [network] : [network, parcelId],
  );
  return r.rows;
}

// ---- the reconciliation cursor -------------------------------------------------------------

export async function readCursor(db: Db, network: string): Promise<string | undefined> {
  const r = await db.query<{ cursor: string }>('SELECT cursor FROM partner_event_cursors WHERE network = $1', [network]);
  return r.rows[0]?.cursor;
}

/** Moves the cursor forward (never back: two reconciliations at once both end at the furthest). */
export async function advanceCursor(db: Db, network: string, cursor: string, at: Date): Promise<void> {
  await db.query(
    `INSERT INTO partner_event_cursors (network, cursor, updated_at) VALUES ($1, $2, $3)
     ON CONFLICT (network) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = EXCLUDED.updated_at
     WHERE partner_event_cursors.cursor::numeric < EXCLUDED.cursor::numeric`,
    [network, cursor, at],
  );
}

// ---- sites, sweeps and refused webhooks

export async function siteExternalId(db: Db | Tx, siteId: string): Promise<string | null> {
  const r = await db.query<{ externalId: string }>('SELECT external_id AS "externalId" FROM sites WHERE id = $1', [siteId]);
  return r.rows[0]?.externalId ?? null;
}

export async function siteSummary(db: Db | Tx, siteId: string): Promise<{ id: string; name: string; address: string }> {
  const r = await db.query<{ id: string; name: string; address: string }>('SELECT id, name, address FROM sites WHERE id = $1', [siteId]);
  return r.rows[0]!;
}

/** Parcels still reserving whose reservation has been quiet since `before`. */
export async function quietReservations(db: Db, network: string, before: Date): Promise<string[]> {
  const r = await db.query<{ parcelId: string }>(
    `SELECT r.parcel_id AS "parcelId" FROM partner_reservations r JOIN parcels p ON p.id = r.parcel_id
     WHERE r.network = $1 AND r.status = 'reserving' AND p.state = 'reserving' AND r.updated_at < $2 LIMIT 500`,
    [network, before],
  );
  return r.rows.map((x) => x.parcelId);
}

/** Reserved compartments run out by `now` with nothing deposited. */
export async function dueReservations(db: Db, network: string, now: Date): Promise<string[]> {
  const r = await db.query<{ parcelId: string }>(
    `SELECT r.parcel_id AS "parcelId" FROM partner_reservations r JOIN parcels p ON p.id = r.parcel_id
     WHERE r.network = $1 AND r.status = 'reserved' AND r.expires_at <= $2 AND p.state IN ('reserving', 'awaiting_deposit') LIMIT 500`,
    [network, now],
  );
  return r.rows.map((x) => x.parcelId);
}

export interface WebhookRejection {
  id: string;
  network: string;
  reason: string;
  status: number;
  appId: string | null;
  eventId: string | null;
  remoteAddress: string | null;
  bodySha256: string;
  bodyBytes: number;
  receivedAt: Date;
}

export async function insertWebhookRejection(db: Db, w: WebhookRejection): Promise<void> {
  await db.query(
    `INSERT INTO partner_webhook_rejections (id, network, reason, status, app_id, event_id, remote_address, body_sha256, body_bytes, received_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [w.id, w.network, w.reason, w.status, w.appId, w.eventId, w.remoteAddress, w.bodySha256, w.bodyBytes, w.receivedAt],
  );
}

/**
 * Counts one refused webhook under (network, reason, source address, minute of `at`) and returns
 * the counter's new value: the caller keeps a sample row only for some values.
 */
export async function countWebhookRefusal(
  db: Db,
  r: { network: string; reason: string; remoteAddress: string; at: Date },
): Promise<number> {
  const res = await db.query<{ refusals: number }>(
    `INSERT INTO partner_webhook_refusal_counts (network, reason, remote_address, minute, refusals, last_at)
     VALUES ($1, $2, $3, date_trunc('minute', $4::timestamptz), 1, $4)
     ON CONFLICT (network, reason, remote_address, minute)
     DO UPDATE SET refusals = partner_webhook_refusal_counts.refusals + 1, last_at = GREATEST(partner_webhook_refusal_counts.last_at, EXCLUDED.last_at)
     RETURNING refusals`,
    [r.network, r.reason, r.remoteAddress, r.at],
  );
  return res.rows[0]!.refusals;
}
