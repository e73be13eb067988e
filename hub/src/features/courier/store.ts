// The courier slice's SQL: courier orders (one per parcel and kind, idempotent), the place a courier
// is sent to, and the deposited parcels the sweep looks for.
import { v7 as uuidv7 } from 'uuid';
import type { Db, Tx } from '../../store/db.js';

export interface PickupSite {
  network: string;
  code: string;
  name: string;
  address: string;
  district: string;
  lat: number;
  lng: number;
}

export interface PickupPlace extends Omit<PickupSite, 'network'> {
  number: number;
}

export async function pickupSite(tx: Tx, siteId: string): Promise<PickupSite> {
  const r = await tx.query<PickupSite>('SELECT network, code, name, address, district, lat, lng FROM sites WHERE id = $1', [siteId]);
  return r.rows[0]!;
}

/** An own kiosk's site and the compartment's number. */
export async function pickupPlace(tx: Tx, compartmentId: string): Promise<PickupPlace> {
  const r = await tx.query<PickupPlace>(
    `SELECT s.code, s.name, s.address, s.district, s.lat, s.lng, k.number
     FROM sites s JOIN compartments k ON k.site_id = s.id WHERE k.id = $1`,
    [compartmentId],
  );
  return r.rows[0]!;
}

/** The parcel's pickup order, opened now or the one an earlier attempt opened; its id. */
export async function openPickupOrder(tx: Tx, parcelId: string, siteId: string, compartmentId: string | null): Promise<string> {
  const order = await tx.query<{ id: string }>(
    `INSERT INTO courier_orders (id, parcel_id, kind, site_id, compartment_id, status)
     VALUES ($1, $2, 'pickup', $3, $4, 'creating')
     ON CONFLICT (parcel_id, kind) DO UPDATE SET updated_at = now() RETURNING id`,
    [uuidv7(), parcelId, siteId, compartmentId],
  );
  return order.rows[0]!.id;
}

// ---- address pickups (ADR 0037): the courier collects from the applicant at their address

/** Who the courier collects from: the application's pickup address, its applicant's name and phone (in clear: mask before sending). */
export async function addressPickupParty(
  tx: Tx,
  applicationId: string,
): Promise<{ address: string | null; name: string; phone: string | null }> {
  const r = await tx.query<{ address: string | null; name: string; phone: string | null }>(
    `SELECT a.pickup_address AS address, u.display_name AS name, u.phone
     FROM applications a JOIN users u ON u.id = a.applicant_id WHERE a.id = $1`,
    [applicationId],
  );
  return r.rows[0]!;
}

/** The parcel's address pickup order, opened now or the one an earlier attempt opened; its id and the address it goes to. */
export async function openAddressPickupOrder(tx: Tx, parcelId: string, origin: string): Promise<{ id: string; origin: string }> {
  const r = await tx.query<{ id: string; origin: string }>(
    `INSERT INTO courier_orders (id, parcel_id, kind, site_id, compartment_id, status, origin)
     VALUES ($1, $2, 'pickup', NULL, NULL, 'creating', $3)
     ON CONFLICT (parcel_id, kind) DO UPDATE SET updated_at = now() RETURNING id, origin`,
    [uuidv7(), parcelId, origin],
  );
  return r.rows[0]!;
}

export async function lockAddressOrder(tx: Tx, orderId: string): Promise<void> {
  await tx.query('SELECT 1 FROM courier_orders WHERE id = $1 FOR UPDATE', [orderId]);
}

/**
 * The courier dispatch system has the order: its answer (with its reference) or any word of its own
 * about it (`dispatchRef` null) says so. `creating` → `dispatched`; an order already done or
 * cancelled stays so; the first reference known is kept (a retried create answers with the same).
 */
export async function markOrderDispatched(tx: Tx, orderId: string, dispatchRef: string | null, at: Date): Promise<void> {
  await tx.query(
    `UPDATE courier_orders SET status = CASE WHEN status = 'creating' THEN 'dispatched' ELSE status END,
       dispatch_ref = coalesce(dispatch_ref, $2), updated_at = $3 WHERE id = $1`,
    [orderId, dispatchRef, at],
  );
}

export interface AddressTaskRow {
  id: string;
  status: string;
  courierId: string | null;
  origin: string;
  parcelId: string;
  trackingNumber: string;
  parcelState: string;
  contactName: string | null;
  contactPhone: string | null;
}

const ADDRESS_TASK_SELECT = `SELECT o.id, o.status, o.courier_id AS "courierId", o.origin, o.parcel_id AS "parcelId",
    p.tracking_number AS "trackingNumber", p.state AS "parcelState", u.display_name AS "contactName", u.phone AS "contactPhone"
  FROM courier_orders o JOIN parcels p ON p.id = o.parcel_id
  JOIN applications a ON a.id = p.application_id JOIN users u ON u.id = a.applicant_id`;

/** A courier's address pickups still to make (the order with them, the documents not yet collected), oldest first. */
export async function courierAddressTasks(db: Db | Tx, courierId: string): Promise<AddressTaskRow[]> {
  const r = await db.query<AddressTaskRow>(
    `${ADDRESS_TASK_SELECT}
     WHERE o.courier_id = $1 AND o.origin IS NOT NULL AND o.status = 'dispatched' AND p.state IN ('pickup_requested', 'pickup_ordered')
     ORDER BY o.created_at, o.id`,
    [courierId],
  );
  return r.rows;
}

/** One address pickup order, locked (a step on the PDA); null when it is no such order. */
export async function lockAddressTask(tx: Tx, orderId: string): Promise<AddressTaskRow | null> {
  const locked = await tx.query(`SELECT 1 FROM courier_orders WHERE id = $1 AND origin IS NOT NULL FOR UPDATE`, [orderId]);
  if (locked.rowCount !== 1) return null;
  const r = await tx.query<AddressTaskRow>(`${ADDRESS_TASK_SELECT} WHERE o.id = $1`, [orderId]);
  return r.rows[0] ?? null;
}

export async function cancelCreatingOrder(db: Db, orderId: string): Promise<void> {
  await db.query(`UPDATE courier_orders SET status = 'cancelled', updated_at = now() WHERE id = $1 AND status = 'creating'`, [orderId]);
}

export async function markCodeSent(db: Db, orderId: string): Promise<void> {
  await db.query('UPDATE courier_orders SET code_sent_at = coalesce(code_sent_at, now()) WHERE id = $1', [orderId]);
}

/** The courier has the parcel: its pickup order is done. */
export async function markPickupDone(tx: Tx, parcelId: string, at: Date): Promise<void> {
  await tx.query(`UPDATE courier_orders SET status = 'done', updated_at = $2 WHERE parcel_id = $1 AND kind = 'pickup'`, [parcelId, at]);
}

export async function pickupOrderId(tx: Tx, parcelId: string): Promise<string | null> {
  const r = await tx.query<{ id: string }>(`SELECT id FROM courier_orders WHERE parcel_id = $1 AND kind = 'pickup'`, [parcelId]);
  return r.rows[0]?.id ?? null;
}

/** Whether a courier code for the parcel's pickup has gone out on an order still standing. */
export async function pickupCodeSent(db: Db | Tx, parcelId: string): Promise<boolean> {
  const r = await db.query<{ sent: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM courier_orders WHERE parcel_id = $1 AND kind = 'pickup' AND code_sent_at IS NOT NULL AND status <> 'cancelled') AS sent`,
    [parcelId],
  );
  return r.rows[0]?.sent ?? false;
}

/** Parcels waiting for their pickup order: deposited in a locker, or at the applicant's address (ADR 0037). */
export async function depositedBefore(db: Db, before: Date, limit = 500): Promise<string[]> {
  const r = await db.query<{ id: string }>(
    `SELECT id FROM parcels WHERE state IN ('deposited', 'pickup_requested') AND updated_at < $1 LIMIT ${limit}`,
    [before],
  );
  return r.rows.map((p) => p.id);
}

/** Links a parcel's courier order to the visit that collects it. */
export async function setOrderVisit(tx: Tx, orderId: string, visitId: string): Promise<void> {
  await tx.query('UPDATE courier_orders SET visit_id = $2 WHERE id = $1', [orderId, visitId]);
}

// ---- visits: one visit, one code (ADR 0023)

export type VisitStatus = 'creating' | 'dispatched' | 'at_kiosk' | 'done' | 'failed' | 'cancelled';
export type DoorState = 'waiting' | 'open' | 'picked_up' | 'missing' | 'item_left' | 'not_opened';

export interface VisitRow {
  id: string;
  siteId: string;
  status: VisitStatus;
  codeId: string | null;
  codeEnc: Buffer | null;
  dispatchRef: string | null;
  courierId: string | null;
  startedAt: Date | null;
}

const VISIT_COLUMNS = `id, site_id AS "siteId", status, code_id AS "codeId", code_enc AS "codeEnc", dispatch_ref AS "dispatchRef",
  courier_id AS "courierId", started_at AS "startedAt"`;

/** The site's pickup visit still open for more parcels, created now if there is none; locked. */
export async function lockOpenVisit(tx: Tx, siteId: string, at: Date): Promise<{ visit: VisitRow; created: boolean }> {
  const inserted = await tx.query<VisitRow>(
    `INSERT INTO courier_visits (id, kind, site_id, status, created_at, updated_at) VALUES ($1, 'pickup', $2, 'creating', $3, $3)
     ON CONFLICT (site_id, kind) WHERE started_at IS NULL AND status IN ('creating', 'dispatched') DO NOTHING
     RETURNING ${VISIT_COLUMNS}`,
    [uuidv7(), siteId, at],
  );
  if (inserted.rows[0]) return { visit: inserted.rows[0], created: true };
  const r = await tx.query<VisitRow>(
    `SELECT ${VISIT_COLUMNS} FROM courier_visits
     WHERE site_id = $1 AND kind = 'pickup' AND started_at IS NULL AND status IN ('creating', 'dispatched') FOR UPDATE`,
    [siteId],
  );
  return { visit: r.rows[0]!, created: false };
}

export async function lockVisit(tx: Tx, visitId: string): Promise<VisitRow | null> {
  const r = await tx.query<VisitRow>(`SELECT ${VISIT_COLUMNS} FROM courier_visits WHERE id = $1 FOR UPDATE`, [visitId]);
  return r.rows[0] ?? null;
}

export async function findVisit(db: Db | Tx, visitId: string): Promise<VisitRow | null> {
  const r = await db.query<VisitRow>(`SELECT ${VISIT_COLUMNS} FROM courier_visits WHERE id = $1`, [visitId]);
  return r.rows[0] ?? null;
}

export async function setVisitCode(tx: Tx, visitId: string, codeId: string, codeEnc: Buffer, at: Date): Promise<void> {
  await tx.query('UPDATE courier_visits SET code_id = $2, code_enc = $3, updated_at = $4 WHERE id = $1', [visitId, codeId, codeEnc, at]);
}

export async function markVisitDispatched(tx: Tx, visitId: string, dispatchRef: string, at: Date): Promise<void> {
  await tx.query(
    `UPDATE courier_visits SET dispatch_ref = $2, updated_at = $3, status = CASE WHEN status = 'creating' THEN 'dispatched' ELSE status END
     WHERE id = $1`,
    [visitId, dispatchRef, at],
  );
}

export async function markVisitStarted(tx: Tx, visitId: string, at: Date): Promise<void> {
  await tx.query(
    `UPDATE courier_visits SET status = 'at_kiosk', started_at = coalesce(started_at, $2), updated_at = $2 WHERE id = $1 AND status IN ('creating', 'dispatched', 'at_kiosk')`,
    [visitId, at],
  );
}

/** The visit is over: its code is no longer shown (nor kept in any form but its hash). */
export async function finishVisit(
  tx: Tx,
  visitId: string,
  status: 'done' | 'failed' | 'cancelled',
  at: Date,
  reason?: string,
): Promise<void> {
  await tx.query(
    `UPDATE courier_visits SET status = $2, finished_at = $3, updated_at = $3, code_enc = NULL, failure_reason = coalesce($4, failure_reason)
     WHERE id = $1 AND status NOT IN ('done', 'failed', 'cancelled')`,
    [visitId, status, at, reason ?? null],
  );
}

export async function setVisitCourier(tx: Tx, visitId: string, courierId: string, at: Date): Promise<void> {
  await tx.query('UPDATE courier_visits SET courier_id = $2, updated_at = $3 WHERE id = $1', [visitId, courierId, at]);
}

/** Adds the parcel as the visit's next door (once: a parcel is in one visit). */
export async function addVisitDoor(tx: Tx, visitId: string, parcelId: string, compartmentId: string): Promise<void> {
  await tx.query(
    `INSERT INTO courier_visit_doors (visit_id, position, parcel_id, compartment_id, state)
     SELECT $1, coalesce(max(position), 0) + 1, $2, $3, 'waiting' FROM courier_visit_doors WHERE visit_id = $1
     ON CONFLICT (parcel_id) DO NOTHING`,
    [visitId, parcelId, compartmentId],
  );
}

export interface VisitDoor {
  visitId: string;
  position: number;
  parcelId: string;
  compartmentId: string;
  compartment: number;
  trackingNumber: string;
  parcelState: string;
  state: DoorState;
  commandId: string | null;
  itemAtGrant: boolean | null;
}

const DOOR_SELECT = `SELECT d.visit_id AS "visitId", d.position, d.parcel_id AS "parcelId", d.compartment_id AS "compartmentId",
  k.number AS compartment, p.tracking_number AS "trackingNumber", p.state AS "parcelState", d.state, d.command_id AS "commandId",
  d.item_at_grant AS "itemAtGrant"
  FROM courier_visit_doors d JOIN compartments k ON k.id = d.compartment_id JOIN parcels p ON p.id = d.parcel_id`;

export async function visitDoors(db: Db | Tx, visitId: string): Promise<VisitDoor[]> {
  const r = await db.query<VisitDoor>(`${DOOR_SELECT} WHERE d.visit_id = $1 ORDER BY d.position`, [visitId]);
  return r.rows;
}

export async function visitDoorOfParcel(db: Db | Tx, parcelId: string): Promise<VisitDoor | null> {
  const r = await db.query<VisitDoor>(`${DOOR_SELECT} WHERE d.parcel_id = $1`, [parcelId]);
  return r.rows[0] ?? null;
}

export async function visitDoorByCommand(tx: Tx, commandId: string): Promise<VisitDoor | null> {
  const r = await tx.query<VisitDoor>(`${DOOR_SELECT} WHERE d.command_id = $1`, [commandId]);
  return r.rows[0] ?? null;
}

export async function visitDoorByRequest(tx: Tx, requestId: string): Promise<VisitDoor | null> {
  const r = await tx.query<VisitDoor>(`${DOOR_SELECT} WHERE d.request_id = $1`, [requestId]);
  return r.rows[0] ?? null;
}

export async function openVisitDoor(
  tx: Tx,
  d: { visitId: string; position: number; commandId: string; requestId: string; itemAtGrant: boolean | null; at: Date },
): Promise<void> {
  await tx.query(
    `UPDATE courier_visit_doors SET state = 'open', command_id = $3, request_id = $4, item_at_grant = $5, granted_at = $6
     WHERE visit_id = $1 AND position = $2`,
    [d.visitId, d.position, d.commandId, d.requestId, d.itemAtGrant, d.at],
  );
}

export async function settleVisitDoor(
  tx: Tx,
  visitId: string,
  position: number,
  state: Exclude<DoorState, 'waiting' | 'open'>,
  at: Date,
): Promise<void> {
  await tx.query(`UPDATE courier_visit_doors SET state = $3, resolved_at = $4 WHERE visit_id = $1 AND position = $2 AND state = 'open'`, [
    visitId,
    position,
    state,
    at,
  ]);
}

/** The item sensor's last word on a compartment of this kiosk: true, false, or null (no sensor, never heard). */
export async function lastItemReading(tx: Tx, deviceId: string, compartment: number): Promise<boolean | null> {
  const r = await tx.query<{ item: boolean | null }>(
    `SELECT (payload->>'itemPresent')::boolean AS item FROM kiosk_events
     WHERE device_id = $1 AND compartment = $2 AND type IN ('item_changed', 'door_closed')
     ORDER BY at DESC, received_at DESC LIMIT 1`,
    [deviceId, compartment],
  );
  return r.rows[0]?.item ?? null;
}

/** The unlock outcome a kiosk reported for a command, if any. */
export async function unlockOutcomeOf(tx: Tx, commandId: string): Promise<string | null> {
  const r = await tx.query<{ outcome: string }>('SELECT outcome FROM unlock_outcomes WHERE command_id = $1', [commandId]);
  return r.rows[0]?.outcome ?? null;
}

/** Takes a parcel whose door never opened out of a visit that ended (it joins the next visit). */
export async function dropWaitingDoor(tx: Tx, parcelId: string): Promise<void> {
  await tx.query(`DELETE FROM courier_visit_doors WHERE parcel_id = $1 AND state = 'waiting'`, [parcelId]);
}

// ---- courier dispatch events (webhooks), the courier's link, tasks and steps

export type CourierEventOutcome = 'applied' | 'recorded' | 'unknown_order';

/** Stores the event once by its id; false when it was stored before (a retry or a replay). */
export async function insertCourierEvent(
  tx: Tx,
  e: {
    eventId: string;
    orderId: string;
    type: string;
    courierId: string | null;
    trackingNumber: string | null;
    reason: string | null;
    at: Date;
    payload: unknown;
    receivedAt: Date;
  },
): Promise<boolean> {
  const r = await tx.query(
    `INSERT INTO courier_events (event_id, order_id, type, courier_id, tracking_number, reason, at, payload, outcome, received_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'recorded', $9) ON CONFLICT (event_id) DO NOTHING`,
    [e.eventId, e.orderId, e.type, e.courierId, e.trackingNumber, e.reason, e.at, JSON.stringify(e.payload), e.receivedAt],
  );
  return r.rowCount === 1;
}

export async function decideCourierEvent(tx: Tx, eventId: string, outcome: CourierEventOutcome, detail: string | null): Promise<void> {
  await tx.query('UPDATE courier_events SET outcome = $2, detail = $3 WHERE event_id = $1', [eventId, outcome, detail]);
}

export async function courierEventOf(
  db: Db | Tx,
  eventId: string,
): Promise<{ outcome: CourierEventOutcome; detail: string | null } | null> {
  const r = await db.query<{ outcome: CourierEventOutcome; detail: string | null }>(
    'SELECT outcome, detail FROM courier_events WHERE event_id = $1',
    [eventId],
  );
  return r.rows[0] ?? null;
}

/** A delivery order (or a single-parcel order) by its id, locked. */
export async function lockCourierOrder(
  tx: Tx,
  orderId: string,
): Promise<{ id: string; parcelId: string; kind: string; status: string; origin: string | null } | null> {
  const r = await tx.query<{ id: string; parcelId: string; kind: string; status: string; origin: string | null }>(
    'SELECT id, parcel_id AS "parcelId", kind, status, origin FROM courier_orders WHERE id = $1 FOR UPDATE',
    [orderId],
  );
  return r.rows[0] ?? null;
}

/** 'linked', 'no_user' (no courier user with that id) or 'taken' (another user has that courier id). */
export async function setDispatchCourier(
  db: Db,
  userId: string,
  dispatchCourierId: string | null,
): Promise<'linked' | 'no_user' | 'taken'> {
  const r = await db.query(
    `UPDATE users SET dispatch_courier_id = $2 WHERE id = $1 AND role = 'courier'
       AND NOT EXISTS (SELECT 1 FROM users o WHERE o.dispatch_courier_id = $2 AND o.id <> $1)`,
    [userId, dispatchCourierId],
  );
  if (r.rowCount === 1) return 'linked';
  const exists = await db.query(`SELECT 1 FROM users WHERE id = $1 AND role = 'courier'`, [userId]);
  return exists.rowCount === 1 ? 'taken' : 'no_user';
}

export async function dispatchCourierOf(db: Db | Tx, userId: string): Promise<string | null> {
  const r = await db.query<{ id: string | null }>('SELECT dispatch_courier_id AS id FROM users WHERE id = $1', [userId]);
  return r.rows[0]?.id ?? null;
}

export interface TaskVisitRow extends VisitRow {
  siteCode: string;
  siteName: string;
  siteAddress: string;
  lat: number;
  lng: number;
  contactName: string | null;
  contactPhone: string | null;
}

/** A courier's visits still to do or under way, oldest first. */
export async function courierVisits(db: Db | Tx, courierId: string): Promise<TaskVisitRow[]> {
  const r = await db.query<TaskVisitRow>(
    `SELECT v.id, v.site_id AS "siteId", v.status, v.code_id AS "codeId", v.code_enc AS "codeEnc", v.dispatch_ref AS "dispatchRef",
       v.courier_id AS "courierId", v.started_at AS "startedAt", s.code AS "siteCode", s.name AS "siteName", s.address AS "siteAddress",
       s.lat, s.lng, u.display_name AS "contactName", u.phone AS "contactPhone"
     FROM courier_visits v JOIN sites s ON s.id = v.site_id
     LEFT JOIN LATERAL (
       SELECT us.display_name, us.phone FROM courier_visit_doors d JOIN parcels p ON p.id = d.parcel_id
       JOIN applications a ON a.id = p.application_id JOIN users us ON us.id = a.applicant_id
       WHERE d.visit_id = v.id ORDER BY d.position LIMIT 1) u ON true
     WHERE v.courier_id = $1 AND v.status IN ('dispatched', 'at_kiosk')
     ORDER BY v.created_at`,
    [courierId],
  );
  return r.rows;
}

/** Records a courier's step once; false when it was recorded before. */
export async function insertVisitStep(
  tx: Tx,
  s: { visitId: string; parcelId: string; step: string; reason: string | null; userId: string; at: Date },
): Promise<boolean> {
  const r = await tx.query(
    `INSERT INTO courier_visit_steps (visit_id, parcel_id, step, reason, user_id, at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT DO NOTHING`,
    [s.visitId, s.parcelId, s.step, s.reason, s.userId, s.at],
  );
  return r.rowCount === 1;
}

// ---- a result's courier orders on the PDA (ADR 0029): a delivery into an own kiosk, a return pickup

/** The order's code, sealed like a visit's (the order id as associated data), so the PDA can show it again. */
export async function setOrderCode(tx: Tx, orderId: string, codeId: string, codeEnc: Buffer): Promise<void> {
  await tx.query('UPDATE courier_orders SET code_id = $2, code_enc = $3 WHERE id = $1', [orderId, codeId, codeEnc]);
}

/** The dispatch system assigned a result's order to this courier: their PDA lists it. */
export async function setOrderCourier(tx: Tx, orderId: string, courierId: string, at: Date): Promise<void> {
  await tx.query('UPDATE courier_orders SET courier_id = $2, updated_at = $3 WHERE id = $1', [orderId, courierId, at]);
}

export interface TaskOrderRow {
  id: string;
  kind: 'delivery' | 'pickup';
  status: string;
  courierId: string | null;
  codeId: string | null;
  codeEnc: Buffer | null;
  parcelId: string;
  trackingNumber: string;
  parcelState: string;
  siteId: string;
  compartment: number | null;
  siteCode: string;
  siteName: string;
  siteAddress: string;
  lat: number;
  lng: number;
  contactName: string | null;
  contactPhone: string | null;
}

const ORDER_TASK_SELECT = `SELECT o.id, o.kind, o.status, o.courier_id AS "courierId", o.code_id AS "codeId", o.code_enc AS "codeEnc",
    o.parcel_id AS "parcelId", p.tracking_number AS "trackingNumber", p.state AS "parcelState", o.site_id AS "siteId",
    k.number AS compartment, s.code AS "siteCode", s.name AS "siteName", s.address AS "siteAddress", s.lat, s.lng,
    u.display_name AS "contactName", u.phone AS "contactPhone"
  FROM courier_orders o JOIN parcels p ON p.id = o.parcel_id JOIN sites s ON s.id = o.site_id
  LEFT JOIN compartments k ON k.id = o.compartment_id
  JOIN applications a ON a.id = p.application_id JOIN users u ON u.id = a.applicant_id`;

/**
 * A courier's result orders still to do at own kiosks, oldest first: a delivery whose result is on
 * its way (delivery_ordered), a return pickup whose result still waits in the locker (in_locker).
 * Orders of a visit (inbound pickups) are listed as the visit; a partner's orders carry no code of ours.
 */
export async function courierOrderTasks(db: Db | Tx, courierId: string): Promise<TaskOrderRow[]> {
  const r = await db.query<TaskOrderRow>(
    `${ORDER_TASK_SELECT}
     WHERE o.courier_id = $1 AND o.visit_id IS NULL AND o.status = 'dispatched' AND o.code_enc IS NOT NULL AND s.network = 'own'
       AND ((o.kind = 'delivery' AND p.state = 'delivery_ordered') OR (o.kind = 'pickup' AND p.state = 'in_locker'))
     ORDER BY o.created_at, o.id`,
    [courierId],
  );
  return r.rows;
}

/** One result order as the PDA sees it, locked (a step on it); null when it is no such order. */
export async function lockOrderTask(tx: Tx, orderId: string): Promise<TaskOrderRow | null> {
  const locked = await tx.query(
    `SELECT 1 FROM courier_orders WHERE id = $1 AND kind IN ('delivery', 'pickup') AND visit_id IS NULL FOR UPDATE`,
    [orderId],
  );
  if (locked.rowCount !== 1) return null;
  const r = await tx.query<TaskOrderRow>(`${ORDER_TASK_SELECT} WHERE o.id = $1`, [orderId]);
  return r.rows[0] ?? null;
}

/** Records a courier's step on a result order once; false when it was recorded before. */
export async function insertOrderStep(
  tx: Tx,
  s: { orderId: string; parcelId: string; step: string; reason: string | null; userId: string; at: Date },
): Promise<boolean> {
  const r = await tx.query(
    `INSERT INTO courier_order_steps (order_id, parcel_id, step, reason, user_id, at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT DO NOTHING`,
    [s.orderId, s.parcelId, s.step, s.reason, s.userId, s.at],
  );
  return r.rowCount === 1;
}

/** What the courier confirmed or reported on the PDA for each parcel of a visit or a result order, in order. */
export async function taskSteps(
  db: Db | Tx,
  taskId: string,
): Promise<Array<{ trackingNumber: string; step: string; reason: string | null }>> {
  const r = await db.query<{ trackingNumber: string; step: string; reason: string | null }>(
    `SELECT p.tracking_number AS "trackingNumber", s.step, s.reason
     FROM (SELECT parcel_id, step, reason, at FROM courier_visit_steps WHERE visit_id = $1
           UNION ALL SELECT parcel_id, step, reason, at FROM courier_order_steps WHERE order_id = $1) s
     JOIN parcels p ON p.id = s.parcel_id ORDER BY s.at`,
    [taskId],
  );
  return r.rows;
}
