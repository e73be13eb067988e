// The prereview slice's HTTP edge (ADR 0027). Staff: the queue (GET /api/prereview) and the three
// decisions — pass, return with a one-time notice, accept with materials to follow (容缺受理) — and
// the follow-up materials received. The applicant: resubmit after a return. Its applicant or staff:
// a one-time notice as a printable plain page.
import { Router } from 'express';
import { z } from 'zod';
import { NotFound } from '../../errors.js';
import { handle, noBody, parse } from '../../http/middleware.js';
import { body, op, query, type ApiPaths } from '../../http/openapi.js';
import { currentUser, requireRole } from '../auth/auth.js';
import { dropOffDeps, queueAfterPass, type ApplicationRouteDeps } from '../applications/routes.js';
import { DeclaredMaterials } from '../applications/service.js';
import { applicantOf } from '../applications/store.js';
import type { StartedDropOff } from '../applications/drop-off.js';
import {
  acceptPending,
  materialsReceived,
  oneTimeNotice,
  passApplication,
  prereviewQueue,
  resubmit,
  returnApplication,
} from './service.js';

export const PrereviewQueueParams = z.strictObject({
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

export const PassBody = z.strictObject({ note: z.string().trim().min(1).max(500).optional() }).optional();

export const ReturnBody = z.strictObject({
  /** every missing or wrong material, each once, with what to do */
  items: z
    .array(
      z.strictObject({
        material: z.string().min(1).max(64),
        problem: z.enum(['missing', 'wrong', 'incomplete', 'expired', 'unsigned']),
        whatToDo: z.string().trim().min(2).max(500),
      }),
    )
    .min(1)
    .max(50),
  note: z.string().trim().min(1).max(1000).optional(),
});

export const AcceptPendingBody = z.strictObject({
  /** the non-core materials that follow (every one not sent) */
  materials: z.array(z.string().min(1).max(64)).min(1).max(50),
  /** the applicant's written commitment, as signed */
  commitment: z.string().trim().min(4).max(1000),
  dueAt: z.iso.datetime({ offset: true }).transform((s) => new Date(s)),
});

export const ResubmitBody = z.strictObject({ materials: DeclaredMaterials });

const Id = z.string().uuid();
const NoticeNumber = z
  .string()
  .regex(/^\d{1,4}$/, 'a notice number')
  .transform(Number);
const idParam = [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }];

export const prereviewApi: ApiPaths = {
  '/api/prereview': {
    get: op(
      'The pre-review queue: applications waiting, oldest first, with the materials declared and the core ones missing (names and phones masked)',
      'staff',
      {
        parameters: query(PrereviewQueueParams),
      },
    ),
  },
  '/api/prereview/{id}/pass': {
    post: op(
      'Pass pre-review: the drop-off starts (own kiosk: a compartment reserved and the deposit code issued, sealed to the applicant’s notices; partner locker: the reservation). 409 not_pending, no_free_compartment, open_deposits',
      'staff',
      {
        parameters: idParam,
        requestBody: body(z.strictObject({ note: z.string().max(500).optional() })),
      },
    ),
  },
  '/api/prereview/{id}/return': {
    post: op(
      'Return with a one-time notice (一次性告知): every missing or wrong material at once, each with what to do (400 notice_incomplete when a missing core material is left out); kept with the application and sent to the applicant',
      'staff',
      {
        parameters: idParam,
        requestBody: body(ReturnBody),
      },
    ),
  },
  '/api/prereview/{id}/accept-pending': {
    post: op(
      'Accept with non-core materials to follow (容缺受理): every core material sent; the ones that follow, the written commitment and its due date (reminded once through the notices outbox when due); the drop-off starts as for a pass',
      'staff',
      {
        parameters: idParam,
        requestBody: body(AcceptPendingBody),
      },
    ),
  },
  '/api/prereview/{id}/materials-received': {
    post: op('The materials under a 容缺 commitment arrived (409 no_commitment, already_received)', 'staff', { parameters: idParam }),
  },
  '/api/applications/{id}/resubmit': {
    post: op(
      'Resubmit a returned application with the corrected list of materials: it waits for pre-review again (or passes by the rules). 409 not_returned',
      'its applicant',
      {
        parameters: idParam,
        requestBody: body(ResubmitBody),
      },
    ),
  },
  '/api/applications/{id}/notices/{number}': {
    get: op('A one-time notice as issued, as a printable plain-text page', 'its applicant, staff', {
      parameters: [...idParam, { name: 'number', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }],
    }),
  },
};

export function prereviewRoutes(deps: ApplicationRouteDeps): Router {
  const r = Router();
  const { db } = deps;
  const afterCommit = async (dropOff: StartedDropOff | null) => {
    await queueAfterPass(deps, dropOff);
  };

  r.get(
    '/prereview',
    requireRole('staff'),
    handle(async (req, res) => {
      const q = parse(PrereviewQueueParams, req.query, 'query');
      res.json(await prereviewQueue(db, deps.now(), { limit: q.limit ?? 500, matter: q.matter }));
    }),
  );

  r.post(
    '/prereview/:id/pass',
    requireRole('staff'),
    handle(async (req, res) => {
      const id = parse(Id, req.params.id, 'application id');
      const b = parse(PassBody, req.body);
      const decided = await passApplication(db, dropOffDeps(deps), id, currentUser(req), b?.note ?? null, deps.now());
      await afterCommit(decided.dropOff);
      res.json(decided);
    }),
  );

  r.post(
    '/prereview/:id/return',
    requireRole('staff'),
    handle(async (req, res) => {
      const id = parse(Id, req.params.id, 'application id');
      const b = parse(ReturnBody, req.body);
      res.json(await returnApplication(db, id, currentUser(req), b, deps.now()));
    }),
  );

  r.post(
    '/prereview/:id/accept-pending',
    requireRole('staff'),
    handle(async (req, res) => {
      const id = parse(Id, req.params.id, 'application id');
      const b = parse(AcceptPendingBody, req.body);
      const decided = await acceptPending(db, dropOffDeps(deps), id, currentUser(req), b, deps.now());
      await afterCommit(decided.dropOff);
      res.json(decided);
    }),
  );

  r.post(
    '/prereview/:id/materials-received',
    requireRole('staff'),
    noBody,
    handle(async (req, res) => {
      const id = parse(Id, req.params.id, 'application id');
      res.json(await materialsReceived(db, id, currentUser(req), deps.now()));
    }),
  );

  r.post(
    '/applications/:id/resubmit',
    requireRole('applicant'),
    handle(async (req, res) => {
      const id = parse(Id, req.params.id, 'application id');
      const b = parse(ResubmitBody, req.body);
      const decided = await resubmit(db, dropOffDeps(deps), id, currentUser(req), b.materials, deps.now());
      await afterCommit(decided.dropOff);
      res.json(decided);
    }),
  );

  r.get(
    '/applications/:id/notices/:number',
    requireRole('applicant', 'staff'),
    handle(async (req, res) => {
      const id = parse(Id, req.params.id, 'application id');
      const number = parse(NoticeNumber, req.params.number, 'notice number');
      const user = currentUser(req);
      if (user.role === 'applicant' && (await applicantOf(db, id)) !== user.id) throw new NotFound('application');
      const notice = await oneTimeNotice(db, id, number);
      if (!notice) throw new NotFound(`one-time notice ${number}`);
      res.type('text/plain; charset=utf-8').send(notice.text);
    }),
  );

  return r;
}
