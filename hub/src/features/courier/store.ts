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

export async function cancelCreatingOrder(db: Db, orderId: string): Promise<void> {
  await db.query(`UPDATE courier_orders SET status = 'cancelled', updated_at = now() WHERE id = $1 AND status = 'creating'`, [orderId]);
}

export async function markCodeSent(db: Db, orderId: string): Promise<void> {
  await db.query('UPDATE courier_orders SET code_sent_at = coalesce(code_sent_at, now()) WHERE id = $1', [orderId]);
}

export async function markDispatched(tx: Tx, orderId: string, dispatchRef: string): Promise<void> {
  await tx.query(`UPDATE courier_orders SET status = 'dispatched', dispatch_ref = $2, updated_at = now() WHERE id = $1`, [
    orderId,
    dispatchRef,
  ]);
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

export async function depositedBefore(db: Db, before: Date, limit = 500): Promise<string[]> {
  const r = await db.query<{ id: string }>(`SELECT id FROM parcels WHERE state = 'deposited' AND updated_at < $1 LIMIT ${limit}`, [before]);
  return r.rows.map((p) => p.id);
}
