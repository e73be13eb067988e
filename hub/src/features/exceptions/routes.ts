// The exceptions slice's HTTP edge (staff, admin). GET /api/exceptions: exceptions, oldest first,
// each with its parcel's custody trail (people masked) and the actions taken on it; `open=true`
// only the open ones, `kind=` one kind. GET /api/exceptions/{id}: one, the same way (the exceptions
// page's detail). POST /api/exceptions/{id}/actions: retry, reassign, contact
// or close (with a note), recorded with who and when; one that does not apply is a 409 `not_applicable`.
import { Router } from 'express';
import { z } from 'zod';
import { EXCEPTION_ACTIONS } from '../../domain/exceptions.js';
import { handle, parse } from '../../http/middleware.js';
import { body, op, query, type ApiPaths } from '../../http/openapi.js';
import { currentUser, requireRole } from '../auth/auth.js';
import { actOnException, exceptionList, exceptionOf, type ExceptionDeps } from './service.js';

export const ExceptionListParams = z.strictObject({
  open: z.enum(['true', 'false']).optional().describe('true: only open exceptions; false: only closed ones; absent: all'),
  kind: z
    .string()
    .regex(/^[a-z][a-z_]{1,39}$/, 'an exception kind, e.g. unlock_jammed')
    .optional()
    .describe('only this kind (unannounced_parcel, never_received, courier_failed, unlock_jammed, code_expired, partner_failed …)'),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, 'a whole number')
    .transform(Number)
    .pipe(z.number().min(1).max(1000))
    .optional()
    .describe('at most this many (default 200)'),
});

export const ExceptionActionBody = z.strictObject({
  action: z.enum(EXCEPTION_ACTIONS),
  note: z.string().max(500).optional(),
});

const ExceptionId = z.string().uuid();

export const exceptionsApi: ApiPaths = {
  '/api/exceptions': {
    get: op("Exceptions, oldest first, with each parcel's custody trail (people masked) and the actions taken", 'staff, admin', {
      parameters: query(ExceptionListParams),
    }),
  },
  '/api/exceptions/{id}': {
    get: op("One exception, open or closed, with its parcel's custody trail (people masked) and the actions taken", 'staff, admin', {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
    }),
  },
  '/api/exceptions/{id}/actions': {
    post: op(
      'Act on an exception: retry (a failed courier pickup), reassign (a jammed deposit door), contact, close (needs a note); recorded with who and when',
      'staff, admin',
      {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
        requestBody: body(ExceptionActionBody),
      },
    ),
  },
};

export function exceptionRoutes(deps: ExceptionDeps): Router {
  const r = Router();
  r.get(
    '/exceptions',
    requireRole('staff', 'admin'),
    handle(async (req, res) => {
      const q = parse(ExceptionListParams, req.query, 'query');
      res.json(
        await exceptionList(deps.db, { open: q.open === undefined ? undefined : q.open === 'true', kind: q.kind, limit: q.limit ?? 200 }),
      );
    }),
  );
  r.get(
    '/exceptions/:id',
    requireRole('staff', 'admin'),
    handle(async (req, res) => {
      const id = parse(ExceptionId, req.params.id, 'exception id');
      res.json({ exception: await exceptionOf(deps.db, id) });
    }),
  );
  r.post(
    '/exceptions/:id/actions',
    requireRole('staff', 'admin'),
    handle(async (req, res) => {
      const id = parse(ExceptionId, req.params.id, 'exception id');
      const b = parse(ExceptionActionBody, req.body);
      res.json(await actOnException(deps, id, currentUser(req), b));
    }),
  );
  return r;
}
