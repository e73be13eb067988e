// The results slice's HTTP edge: staff approve or reject an application and hand results over at
// the counter; an applicant switches an uncollected result to the counter or the mail, and reads
// the notices owed to them (GET /api/me/notices). An applicant learns nothing of others' results.
import { Router } from 'express';
import { z } from 'zod';
import { handle, parse } from '../../http/middleware.js';
import { body, op, type ApiPaths } from '../../http/openapi.js';
import { currentUser, requireRole } from '../auth/auth.js';
import {
  ApproveBody,
  HandoverBody,
  RejectBody,
  SwitchBody,
  approveApplication,
  handOver,
  noticesFor,
  rejectApplication,
  switchChannel,
  type OrderToSend,
  type ResultDeps,
} from './service.js';

export interface ResultRouteDeps extends ResultDeps {
  now: () => Date;
  /** queues a courier order after its transaction committed (the sweep queues it later if this fails) */
  send: (o: OrderToSend) => Promise<void>;
}

const UuidParam = z.string().uuid();

export const resultsApi: ApiPaths = {
  '/api/applications/{id}/approve': {
    post: op(
      'Approve: the outbound parcel (the result) is created result_ready and its return channel starts — counter: at_counter; mail: a mail order, then mailed; own kiosk: a compartment reserved and a delivery order, then delivery_ordered. 409 not_accepted while handed-in documents are not accepted, already_decided, no_free_compartment',
      'staff',
      { requestBody: body(ApproveBody) },
    ),
  },
  '/api/applications/{id}/reject': {
    post: op('Reject with a reason; the applicant is told (a notice)', 'staff', { requestBody: body(RejectBody) }),
  },
  '/api/results/{parcelId}/handover': {
    post: op('Hand a result over at the counter after an identity check: at_counter → collected', 'staff', {
      requestBody: body(HandoverBody),
    }),
  },
  '/api/results/{parcelId}/switch': {
    post: op(
      'An uncollected result (in_locker, returning or returned_to_hall) goes to the counter or by mail instead; from a locker a courier first takes it back to the hall, and it goes on once the hall has scanned it in',
      'its applicant',
      { requestBody: body(SwitchBody) },
    ),
  },
  '/api/me/notices': {
    get: op(
      'The notices owed to the signed-in applicant, newest first (a collection code shown while its result waits in the locker)',
      'applicant',
    ),
  },
};

export function resultRoutes(deps: ResultRouteDeps): Router {
  const r = Router();
  const { db } = deps;
  // Queued after the commit; if Redis is away now, the results sweep queues it later.
  const sendLater = async (o: OrderToSend | null) => {
    if (o) await deps.send(o).catch(() => undefined);
  };

  r.post(
    '/applications/:id/approve',
    requireRole('staff'),
    handle(async (req, res) => {
      const id = parse(UuidParam, req.params.id, 'application id');
      const b = parse(ApproveBody, req.body ?? {});
      const done = await approveApplication(deps, currentUser(req), id, b.note ?? null, deps.now());
      await sendLater(done.toSend);
      res.status(201).json({ application: done.application, result: done.result });
    }),
  );

  r.post(
    '/applications/:id/reject',
    requireRole('staff'),
    handle(async (req, res) => {
      const id = parse(UuidParam, req.params.id, 'application id');
      const b = parse(RejectBody, req.body);
      res.json(await rejectApplication(db, currentUser(req), id, b.reason, deps.now()));
    }),
  );

  r.post(
    '/results/:parcelId/handover',
    requireRole('staff'),
    handle(async (req, res) => {
      const id = parse(UuidParam, req.params.parcelId, 'result id');
      const b = parse(HandoverBody, req.body);
      res.json({ result: await handOver(db, currentUser(req), id, b.note ?? null, deps.now()) });
    }),
  );

  r.post(
    '/results/:parcelId/switch',
    requireRole('applicant'),
    handle(async (req, res) => {
      const id = parse(UuidParam, req.params.parcelId, 'result id');
      const b = parse(SwitchBody, req.body);
      const done = await switchChannel(db, currentUser(req), id, b, deps.now());
      await sendLater(done.toSend);
      res.json({ result: done.result });
    }),
  );

  r.get(
    '/me/notices',
    requireRole('applicant'),
    handle(async (req, res) => {
      res.json({ notices: await noticesFor(db, deps.cipher, currentUser(req).id) });
    }),
  );

  return r;
}
