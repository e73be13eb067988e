// The admin slice's SQL: kiosk devices (registered, deactivated, re-keyed) and the own sites they are at.
import type { Db, Tx } from '../../store/db.js';

export async function isOwnSite(db: Db, siteId: string): Promise<boolean> {
  const r = await db.query(`SELECT id FROM sites WHERE id = $1 AND network = 'own'`, [siteId]);
  return r.rows.length > 0;
}

export async function insertKioskDevice(db: Db, d: { id: string; siteId: string; publicKeyPem: string; label: string }): Promise<void> {
  await db.query('INSERT INTO kiosk_devices (id, site_id, public_key, label) VALUES ($1, $2, $3, $4)', [
    d.id,
    d.siteId,
    d.publicKeyPem,
    d.label,
  ]);
}

/** Deactivates the device (once: a second call keeps the first time); its site, or null when there is no such device. */
export async function deactivateDevice(tx: Tx, deviceId: string, at: Date): Promise<{ siteId: string; deactivatedAt: Date } | null> {
  const r = await tx.query<{ siteId: string; deactivatedAt: Date }>(
    `UPDATE kiosk_devices SET deactivated_at = coalesce(deactivated_at, $2) WHERE id = $1
     RETURNING site_id AS "siteId", deactivated_at AS "deactivatedAt"`,
    [deviceId, at],
  );
  return r.rows[0] ?? null;
}

/** Replaces the device's public key; its site, or null when there is no such device. */
export async function replaceDeviceKey(
  tx: Tx,
  deviceId: string,
  publicKeyPem: string,
  at: Date,
): Promise<{ siteId: string; deactivated: boolean } | null> {
  const r = await tx.query<{ siteId: string; deactivated: boolean }>(
    `UPDATE kiosk_devices SET public_key = $2, key_rotated_at = $3 WHERE id = $1
     RETURNING site_id AS "siteId", deactivated_at IS NOT NULL AS deactivated`,
    [deviceId, publicKeyPem, at],
  );
  return r.rows[0] ?? null;
}

/** Tells every hub process, on commit, to disconnect the device's sockets (features/kiosk/device-cuts.ts). */
export async function notifyDeviceCut(tx: Tx, channel: string, deviceId: string): Promise<void> {
  await tx.query('SELECT pg_notify($1, $2)', [channel, deviceId]);
}
