// The admin slice's HTTP edge: POST /api/admin/kiosks registers a kiosk device.
import { Router } from 'express';
import { z } from 'zod';
import { handle, parse } from '../../http/middleware.js';
import { body, op, type ApiPaths } from '../../http/openapi.js';
import type { Db } from '../../store/db.js';
import { requireRole } from '../auth/auth.js';
import { registerKiosk } from './service.js';

export const RegisterKioskBody = z.object({
  siteId: z.string().uuid(),
  publicKey: z.string().min(40).max(4096),
  label: z.string().min(1).max(100),
});

export const adminApi: ApiPaths = {
  '/api/admin/kiosks': { post: op('Register a kiosk device by its Ed25519 public key', 'admin', { requestBody: body(RegisterKioskBody) }) },
};

export function adminRoutes(deps: { db: Db }): Router {
  const r = Router();
  r.post(
    '/admin/kiosks',
    requireRole('admin'),
    handle(async (req, res) => {
      res.status(201).json(await registerKiosk(deps.db, parse(RegisterKioskBody, req.body)));
    }),
  );
  return r;
}
