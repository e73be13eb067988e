// The admin slice's SQL: kiosk devices and the own sites they are registered at.
import type { Db } from '../../store/db.js';

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
