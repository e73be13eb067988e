// The kiosk slice's HTTP edge: GET /api/admin/kiosks/{id}/status shows staff one kiosk as the hub
// last heard it: when it was last seen, each lock-board bus's last reported state and counters, and
// its alarms (open ones, and those cleared in the last day).
import { Router } from 'express';
import { z } from 'zod';
import { handle, parse } from '../../http/middleware.js';
import { op, type ApiPaths } from '../../http/openapi.js';
import type { Db } from '../../store/db.js';
import { requireRole } from '../auth/auth.js';
import { kioskStatus } from './service-alarms.js';

const DeviceId = z.string().uuid();

export const kioskApi: ApiPaths = {
  '/api/admin/kiosks/{id}/status': {
    get: op('A kiosk as last heard: last seen, its buses’ state and counters, its alarms', 'staff, admin', {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
    }),
  },
};

export function kioskRoutes(deps: { db: Db; now: () => Date }): Router {
  const r = Router();
  r.get(
    '/admin/kiosks/:id/status',
    requireRole('staff', 'admin'),
    handle(async (req, res) => {
      res.json(await kioskStatus(deps.db, parse(DeviceId, req.params.id, 'kiosk id'), deps.now()));
    }),
  );
  return r;
}
