// 好差评's HTTP edge. The applicant rates their own finished application and reads the reply; staff
// list the follow-ups of bad ratings (soonest due first, overdue flagged) and reply.
import { Router } from 'express';
import { z } from 'zod';
import { handle, parse } from '../../http/middleware.js';
import { body, op, query, type ApiPaths } from '../../http/openapi.js';
import type { Db } from '../../store/db.js';
import { currentUser, requireRole } from '../auth/auth.js';
import { followUpList, rate, ratingFor, RateBody, replyToRating, ReplyBody, type FollowUpPolicy } from './service.js';

const Id = z.string().uuid();
const idParam = [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }];
export const FollowUpParams = z.strictObject({
  open: z.enum(['true', 'false']).optional().describe('only those awaiting a reply (default true)'),
});

export const ratingsApi: ApiPaths = {
  '/api/applications/{id}/rating': {
    post: op('Rate a finished application once (好差评, 1–5 and a comment); 1 or 2 opens a follow-up for staff', 'its applicant', {
      parameters: idParam,
      requestBody: body(RateBody),
    }),
    get: op("The application's rating and, for a bad one, the staff's reply (null when not rated)", 'its applicant, staff, admin', {
      parameters: idParam,
    }),
  },
  '/api/ratings/follow-ups': {
    get: op('Follow-ups of bad ratings, the soonest due first, with overdue flagged (names masked)', 'staff, admin', {
      parameters: query(FollowUpParams),
    }),
  },
  '/api/ratings/follow-ups/{id}/reply': {
    post: op('Close a follow-up with a written reply that the applicant reads with their rating', 'staff', {
      parameters: idParam,
      requestBody: body(ReplyBody),
    }),
  },
};

export function ratingRoutes(deps: { db: Db; now: () => Date; policy: FollowUpPolicy }): Router {
  const r = Router();
  r.post(
    '/applications/:id/rating',
    requireRole('applicant'),
    handle(async (req, res) => {
      const id = parse(Id, req.params.id, 'application id');
      const b = parse(RateBody, req.body, 'body');
      res.status(201).json({ rating: await rate(deps.db, currentUser(req), id, b, deps.policy, deps.now()) });
    }),
  );
  r.get(
    '/applications/:id/rating',
    requireRole('applicant', 'staff', 'admin'),
    handle(async (req, res) => {
      const id = parse(Id, req.params.id, 'application id');
      res.json({ rating: await ratingFor(deps.db, currentUser(req), id) });
    }),
  );
  r.get(
    '/ratings/follow-ups',
    requireRole('staff', 'admin'),
    handle(async (req, res) => {
      const q = parse(FollowUpParams, req.query, 'query');
      res.json(await followUpList(deps.db, deps.now(), { open: q.open !== 'false', limit: 500 }));
    }),
  );
  r.post(
    '/ratings/follow-ups/:id/reply',
    requireRole('staff'),
    handle(async (req, res) => {
      const id = parse(Id, req.params.id, 'follow-up id');
      const b = parse(ReplyBody, req.body, 'body');
      res.json({ rating: await replyToRating(deps.db, currentUser(req), id, b.reply, deps.now()) });
    }),
  );
  return r;
}
