// Operations on the hall's own kiosks: registering a kiosk device at an own site by its Ed25519
// public key, which then proves itself with every Socket.IO handshake.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { BadRequest, NotFound } from '../../errors.js';
import type { Db } from '../../store/db.js';
import { insertKioskDevice, isOwnSite } from './store.js';

export async function registerKiosk(
  db: Db,
  req: { siteId: string; publicKey: string; label: string },
): Promise<{ deviceId: string; siteId: string }> {
  let key: KeyObject;
  try {
    key = createPublicKey(req.publicKey);
  } catch {
    throw new BadRequest('publicKey must be a PEM public key');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new BadRequest('publicKey must be an Ed25519 key');
  if (!(await isOwnSite(db, req.siteId))) throw new NotFound('own site');
  const id = uuidv7();
  await insertKioskDevice(db, {
    id,
    siteId: req.siteId,
    publicKeyPem: key.export({ type: 'spki', format: 'pem' }).toString(),
    label: req.label,
  });
  return { deviceId: id, siteId: req.siteId };
}
