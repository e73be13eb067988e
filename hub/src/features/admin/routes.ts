// The admin slice's HTTP edge: POST /api/admin/kiosks registers a kiosk device; an operator
// deactivates one (POST …/deactivate) or gives it a new key (PUT …/key).
import { Router } from 'express';
import { z } from 'zod';
import { handle, noBody, parse } from '../../http/middleware.js';
import { body, op, type ApiPaths } from '../../http/openapi.js';
import type { Db } from '../../store/db.js';
import { requireRole } from '../auth/auth.js';
import { deactivateKiosk, registerKiosk, rotateKioskKey } from './service.js';

const PublicKey = z.string().min(40).max(4096);

export const RegisterKioskBody = z.strictObject({
  siteId: z.string().uuid(),
  publicKey: PublicKey,
  label: z.string().min(1).max(100),
});

export const RotateKioskKeyBody = z.strictObject({ publicKey: PublicKey });

const DeviceId = z.string().uuid();

export const adminApi: ApiPaths = {
  '/api/admin/kiosks': { post: op('Register a kiosk device by its Ed25519 public key', 'admin', { requestBody: body(RegisterKioskBody) }) },
  '/api/admin/kiosks/{id}/deactivate': {
    post: op('Deactivate a kiosk device: its socket is cut at once on every hub process and its handshakes refused', 'admin'),
  },
  '/api/admin/kiosks/{id}/key': {
    put: op('Rotate a kiosk device key: the new Ed25519 public key replaces the old; the live socket is cut', 'admin', {
      requestBody: body(RotateKioskKeyBody),
    }),
  },
};

export function adminRoutes(deps: { db: Db; now: () => Date }): Router {
  const r = Router();
  r.post(
    '/admin/kiosks',
    requireRole('admin'),
    handle(async (req, res) => {
      res.status(201).json(await registerKiosk(deps.db, parse(RegisterKioskBody, req.body)));
    }),
  );
  r.post(
    '/admin/kiosks/:id/deactivate',
    requireRole('admin'),
    noBody,
    handle(async (req, res) => {
      res.json(await deactivateKiosk(deps.db, parse(DeviceId, req.params.id, 'device id'), deps.now()));
    }),
  );
  r.put(
    '/admin/kiosks/:id/key',
    requireRole('admin'),
    handle(async (req, res) => {
      const b = parse(RotateKioskKeyBody, req.body);
      res.json(await rotateKioskKey(deps.db, parse(DeviceId, req.params.id, 'device id'), b.publicKey, deps.now()));
    }),
  );
  return r;
}
