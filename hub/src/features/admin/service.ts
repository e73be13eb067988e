// Operations on the hall's own kiosks: registering a kiosk device at an own site by its Ed25519
// public key, which then proves itself with every Socket.IO handshake; deactivating a device and
// rotating its key, each cutting the device's live socket off on every hub process at commit.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { BadRequest, NotFound } from '../../errors.js';
import { withTransaction, type Db } from '../../store/db.js';
import { DEVICE_CUT_CHANNEL } from '../kiosk/device-cuts.js';
import { deactivateDevice, insertKioskDevice, isOwnSite, notifyDeviceCut, replaceDeviceKey } from './store.js';

function ed25519Pem(publicKey: string): string {
  let key: KeyObject;
  try {
    key = createPublicKey(publicKey);
  } catch {
    throw new BadRequest('publicKey must be a PEM public key');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new BadRequest('publicKey must be an Ed25519 key');
  return key.export({ type: 'spki', format: 'pem' }).toString();
}

export async function registerKiosk(
  db: Db,
  req: { siteId: string; publicKey: string; label: string },
): Promise<{ deviceId: string; siteId: string }> {
  const publicKeyPem = ed25519Pem(req.publicKey);
  if (!(await isOwnSite(db, req.siteId))) throw new NotFound('own site');
  const id = uuidv7();
  await insertKioskDevice(db, { id, siteId: req.siteId, publicKeyPem, label: req.label });
  return { deviceId: id, siteId: req.siteId };
}

/** The device is refused from now on and its socket, wherever it is, is cut. Idempotent. */
export async function deactivateKiosk(db: Db, deviceId: string, now: Date): Promise<{ deviceId: string; deactivatedAt: Date }> {
  return withTransaction(db, async (tx) => {
    const d = await deactivateDevice(tx, deviceId, now);
    if (!d) throw new NotFound('kiosk device');
    await notifyDeviceCut(tx, DEVICE_CUT_CHANNEL, deviceId);
    return { deviceId, deactivatedAt: d.deactivatedAt };
  });
}

/**
 * The new key replaces the old one: a handshake signed with the old key is refused from now on, and
 * the socket that was let in with it is cut (the kiosk reconnects with its new key).
 */
export async function rotateKioskKey(
  db: Db,
  deviceId: string,
  publicKey: string,
  now: Date,
): Promise<{ deviceId: string; keyRotatedAt: Date; deactivated: boolean }> {
  const publicKeyPem = ed25519Pem(publicKey);
  return withTransaction(db, async (tx) => {
    const d = await replaceDeviceKey(tx, deviceId, publicKeyPem, now);
    if (!d) throw new NotFound('kiosk device');
    await notifyDeviceCut(tx, DEVICE_CUT_CHANNEL, deviceId);
    return { deviceId, keyRotatedAt: now, deactivated: d.deactivated };
  });
}
