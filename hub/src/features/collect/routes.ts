// The collect slice's HTTP edge (ADR 0033): an applicant sends their own live code again, authorises
// someone else to collect a result (委托代领) and revokes them, and asks for more time to collect. An
// applicant learns nothing of others' applications or results (404).
import { Router } from 'express';
import { z } from 'zod';
import { handle, noBody, parse } from '../../http/middleware.js';
import { body, op, type ApiPaths } from '../../http/openapi.js';
import { currentUser, requireRole } from '../auth/auth.js';
import {
  DelegateBody,
  authoriseDelegate,
  extendHold,
  listDelegates,
  resendDepositCode,
  resendResultCode,
  revokeDelegate,
  type CollectDeps,
} from './service.js';

export interface CollectRouteDeps extends CollectDeps {
  now: () => Date;
}

const UuidParam = z.string().uuid();

export const collectApi: ApiPaths = {
  '/api/applications/{id}/deposit-code/resend': {
    post: op(
      'Send the same live deposit code again by SMS (never a new code: the kiosks keep theirs). At most CODE_RESENDS_ALLOWED times per code: 429 resend_limit (details: allowed, sent); 409 no_live_code when none waits to be used. Answers { resent: true, remaining }',
      'its applicant',
    ),
  },
  '/api/results/{parcelId}/code/resend': {
    post: op(
      'Send the same live collection code of a result in a locker again by SMS. At most CODE_RESENDS_ALLOWED times per code: 429 resend_limit (details: allowed, sent); 409 no_live_code. Answers { resent: true, remaining }',
      'its applicant',
    ),
  },
  '/api/results/{parcelId}/delegates': {
    post: op(
      '委托代领: authorise a named person to collect a result waiting in an own kiosk. A separate collection code, with the delegate’s phone (its last 6 digits) as its second factor, goes by SMS to the delegate’s phone; the applicant does not see it. Answers 201 { delegate: { id, name, phone (masked), createdAt, expiresAt } }. 409 delegate_exists (one live delegate at a time), delegate_not_supported (a partner locker), cannot_delegate (not in a locker)',
      'its applicant',
      { requestBody: body(DelegateBody) },
    ),
    get: op('The result’s delegates, masked, with revokedAt and usedAt', 'its applicant'),
  },
  '/api/results/{parcelId}/delegates/{id}': {
    delete: op(
      'Revoke a delegate: their code stops working at once (kiosks learn it through their code sync). 204; 409 delegate_used',
      'its applicant',
    ),
  },
  '/api/results/{parcelId}/extend': {
    post: op(
      'More time to collect a result waiting in a locker (own kiosk or partner): the hold and the live collection codes last RESULT_EXTEND_HOURS longer, at most RESULT_EXTENSIONS_ALLOWED times (409 already_extended); 409 cannot_extend when not in a locker. Answers { holdUntil }',
      'its applicant',
    ),
  },
};

export function collectRoutes(deps: CollectRouteDeps): Router {
  const r = Router();

  r.post(
    '/applications/:id/deposit-code/resend',
    requireRole('applicant'),
    noBody,
    handle(async (req, res) => {
      const id = parse(UuidParam, req.params.id, 'application id');
      res.json(await resendDepositCode(deps, currentUser(req), id, deps.now()));
    }),
  );

  r.post(
    '/results/:parcelId/code/resend',
    requireRole('applicant'),
    noBody,
    handle(async (req, res) => {
      const id = parse(UuidParam, req.params.parcelId, 'result id');
      res.json(await resendResultCode(deps, currentUser(req), id, deps.now()));
    }),
  );

  r.post(
    '/results/:parcelId/delegates',
    requireRole('applicant'),
    handle(async (req, res) => {
      const id = parse(UuidParam, req.params.parcelId, 'result id');
      const b = parse(DelegateBody, req.body);
      res.status(201).json({ delegate: await authoriseDelegate(deps, currentUser(req), id, b, deps.now()) });
    }),
  );

  r.get(
    '/results/:parcelId/delegates',
    requireRole('applicant'),
    handle(async (req, res) => {
      const id = parse(UuidParam, req.params.parcelId, 'result id');
      res.json({ delegates: await listDelegates(deps.db, currentUser(req), id) });
    }),
  );

  r.delete(
    '/results/:parcelId/delegates/:delegateId',
    requireRole('applicant'),
    noBody,
    handle(async (req, res) => {
      const id = parse(UuidParam, req.params.parcelId, 'result id');
      const delegateId = parse(UuidParam, req.params.delegateId, 'delegate id');
      await revokeDelegate(deps, currentUser(req), id, delegateId, deps.now());
      res.status(204).end();
    }),
  );

  r.post(
    '/results/:parcelId/extend',
    requireRole('applicant'),
    noBody,
    handle(async (req, res) => {
      const id = parse(UuidParam, req.params.parcelId, 'result id');
      res.json(await extendHold(deps, currentUser(req), id, deps.now()));
    }),
  );

  return r;
}
