// The auth slice's HTTP edge: POST /api/auth/login signs in with a password and answers a bearer
// token; GET /api/me says who the token belongs to.
import { Router } from 'express';
import { z } from 'zod';
import { Unauthorized } from '../../errors.js';
import { handle, parse } from '../../http/middleware.js';
import { body, op, type ApiPaths } from '../../http/openapi.js';
import type { Db } from '../../store/db.js';
import { currentUser, requireRole, signIn } from './auth.js';

export const LoginBody = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) });

export const authApi: ApiPaths = {
  '/api/auth/login': { post: op('Sign in; returns a bearer token', 'anyone', { requestBody: body(LoginBody) }) },
  '/api/me': { get: op('The signed-in user', 'any signed-in role') },
};

export function authRoutes(deps: { db: Db; now: () => Date; sessionTtlHours: number }): Router {
  const r = Router();

  r.post(
    '/auth/login',
    handle(async (req, res) => {
      const b = parse(LoginBody, req.body);
      const session = await signIn(deps.db, b.username, b.password, deps.now(), deps.sessionTtlHours);
      if (!session) throw new Unauthorized('wrong username or password');
      res.json(session);
    }),
  );

  r.get('/me', requireRole('applicant', 'staff', 'courier', 'admin'), (req, res) => {
    res.json({ user: currentUser(req) });
  });

  return r;
}
