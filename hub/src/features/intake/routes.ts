// The intake slice's HTTP edge: POST /api/intake/receive, staff receive a parcel at the hall. Its
// only writes are parcel moves, through the shared parcel store (no store of its own).
import { Router } from 'express';
import { z } from 'zod';
import { handle, parse } from '../../http/middleware.js';
import { body, op, type ApiPaths } from '../../http/openapi.js';
import type { Db } from '../../store/db.js';
import { currentUser, requireRole } from '../auth/auth.js';
import { receiveAtHall } from './service.js';

export const ReceiveBody = z.strictObject({ trackingNumber: z.string().trim().toUpperCase().min(1).max(64) });

export const intakeApi: ApiPaths = {
  '/api/intake/receive': {
    post: op('Receive a parcel at the hall into the processing queue', 'staff', { requestBody: body(ReceiveBody) }),
  },
};

export function intakeRoutes(deps: { db: Db; now: () => Date }): Router {
  const r = Router();
  r.post(
    '/intake/receive',
    requireRole('staff'),
    handle(async (req, res) => {
      const { trackingNumber } = parse(ReceiveBody, req.body);
      const parcel = await receiveAtHall(deps.db, trackingNumber, currentUser(req).id, deps.now());
      res.json({ parcel, queue: 'processing' });
    }),
  );
  return r;
}
