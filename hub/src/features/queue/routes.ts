// The processing queue's HTTP edge (staff). GET /api/intake/queue: received applications awaiting
// a decision, in arrival order, with the time waited; `matter=` one service matter.
// POST /api/applications/{id}/accept: the inbound parcel `received_at_hall` → `accepted`.
import { Router } from 'express';
import { z } from 'zod';
import { handle, parse, noBody } from '../../http/middleware.js';
import { op, query, type ApiPaths } from '../../http/openapi.js';
import type { Db } from '../../store/db.js';
import { currentUser, requireRole } from '../auth/auth.js';
import { acceptApplication, queueItems } from './service.js';

export const QueueParams = z.strictObject({
  matter: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a service matter code, e.g. business-licence-change')
    .optional()
    .describe('only applications for this service matter (its code)'),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, 'a whole number')
    .transform(Number)
    .pipe(z.number().min(1).max(1000))
    .optional()
    .describe('at most this many (default 500)'),
});

const ApplicationId = z.string().uuid();

export const queueApi: ApiPaths = {
  '/api/intake/queue': {
    get: op('The processing queue: received applications awaiting a decision, in arrival order, with the time each waited', 'staff', {
      parameters: query(QueueParams),
    }),
  },
  '/api/applications/{id}/accept': {
    post: op('Accept an application: its inbound parcel received_at_hall → accepted (a second accept is a 409 already_accepted)', 'staff', {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
    }),
  },
};

export function queueRoutes(deps: { db: Db; now: () => Date }): Router {
  const r = Router();
  r.get(
    '/intake/queue',
    requireRole('staff'),
    handle(async (req, res) => {
      const q = parse(QueueParams, req.query, 'query');
      res.json(await queueItems(deps.db, deps.now(), { matter: q.matter, limit: q.limit ?? 500 }));
    }),
  );
  r.post(
    '/applications/:id/accept',
    requireRole('staff'),
    noBody,
    handle(async (req, res) => {
      const id = parse(ApplicationId, req.params.id, 'application id');
      res.json(await acceptApplication(deps.db, id, currentUser(req), deps.now()));
    }),
  );
  return r;
}
