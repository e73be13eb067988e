// The auth slice's HTTP edge: POST /api/auth/login signs in with a password (throttled) and answers
// a bearer token; POST /api/auth/sms-code and /api/auth/sms-login sign an applicant in with a
// one-time SMS code instead (ADR 0026); GET /api/me says who the token belongs to; the signed-in user lists their sessions
// and ends this one, another one, or all of them.
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { NotFound, Unauthorized } from '../../errors.js';
import { handle, noBody, parse } from '../../http/middleware.js';
import { body, op, type ApiPaths } from '../../http/openapi.js';
import type { Db } from '../../store/db.js';
import { currentUser, requireRole, signIn } from './auth.js';
import { LoginThrottled, type LoginThrottle } from './login-throttle.js';
import { deleteSession, deleteSessionsOf, sessionsOf } from './store.js';
import { requestSmsCode, smsLogin, type SmsSignInDeps } from './sms-sign-in.js';
import { SmsThrottled } from './sms-throttle.js';

export const LoginBody = z.strictObject({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) });

export const SmsCodeBody = z.strictObject({ phone: z.string().min(1).max(32) });
export const SmsLoginBody = z.strictObject({
  phone: z.string().min(1).max(32),
  code: z.string().regex(/^\d{6}$/, 'six digits'),
  consent: z.strictObject({ terms: z.literal(true, 'the terms must be accepted'), lockerDelivery: z.boolean() }),
  language: z.enum(['zh-CN', 'en']).optional(),
});

const ANY_ROLE = ['applicant', 'staff', 'courier', 'admin'] as const;

export const authApi: ApiPaths = {
  '/api/auth/login': {
    post: op(
      'Sign in; returns a bearer token. Wrong passwords are throttled per account and address: 429 too_many_attempts with Retry-After',
      'anyone',
      { requestBody: body(LoginBody) },
    ),
  },
  '/api/auth/sms-code': {
    post: op(
      'Send a one-time sign-in code by SMS to a mainland mobile number (202). One code per phone per interval, so many per address an hour: 429 too_many_codes with Retry-After. No code is ever sent to a phone of another role than applicant (the answer is the same); 409 sms_unavailable where no SMS gateway is configured, 503 while it fails',
      'anyone',
      { requestBody: body(SmsCodeBody) },
    ),
  },
  '/api/auth/sms-login': {
    post: op(
      "Sign an applicant in with the phone's latest SMS code and their consent (terms required, locker delivery optional, recorded with the terms' version); returns the same bearer token as a password sign-in, and creates the applicant's account for a new phone. A used, expired, spent or wrong code is a 401 (invalid_code, code_used, code_expired, code_spent, wrong_code); too many wrong codes from an address a 429",
      'anyone; it signs in (or creates) an applicant only, every other role is refused',
      { requestBody: body(SmsLoginBody) },
    ),
  },
  '/api/auth/logout': { post: op('End this session: the bearer token stops working at once (204)', 'any signed-in role') },
  '/api/auth/logout-everywhere': { post: op("End every one of the user's sessions, this one included", 'any signed-in role') },
  '/api/auth/sessions': {
    get: op("The user's live sessions: created, last used, address (masked), user agent, and which is this one", 'any signed-in role'),
  },
  '/api/auth/sessions/{id}': { delete: op('End one of your sessions (204)', 'any signed-in role') },
  '/api/me': { get: op('The signed-in user', 'any signed-in role') },
};

const UuidParam = z.string().uuid();

/** The address a request came from (Express's view of it: the peer, or the proxy's word under `trust proxy`). */
const clientAddress = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? 'unknown';

export function authRoutes(deps: {
  db: Db;
  now: () => Date;
  sessionTtlHours: number;
  throttle: LoginThrottle;
  sms: SmsSignInDeps;
}): Router {
  const r = Router();
  const { db } = deps;

  r.post(
    '/auth/login',
    handle(async (req, res) => {
      const b = parse(LoginBody, req.body);
      try {
        const session = await signIn(
          db,
          deps.throttle,
          b.username,
          b.password,
          { address: clientAddress(req), userAgent: req.get('user-agent') },
          deps.now,
          deps.sessionTtlHours,
        );
        if ('failed' in session) {
          if (session.retryAfterSeconds > 0) res.set('Retry-After', String(session.retryAfterSeconds));
          throw new Unauthorized('wrong username or password');
        }
        res.json(session);
      } catch (e) {
        if (e instanceof LoginThrottled) res.set('Retry-After', String(e.retryAfterSeconds));
        throw e;
      }
    }),
  );

  /** A throttled SMS request tells when to come back. */
  const retryAfter = (res: Response, e: unknown) => {
    if (e instanceof SmsThrottled) res.set('Retry-After', String(e.retryAfterSeconds));
  };

  r.post(
    '/auth/sms-code',
    handle(async (req, res) => {
      const b = parse(SmsCodeBody, req.body);
      try {
        res.status(202).json(await requestSmsCode(deps.sms, b.phone, { address: clientAddress(req), userAgent: req.get('user-agent') }));
      } catch (e) {
        retryAfter(res, e);
        throw e;
      }
    }),
  );

  r.post(
    '/auth/sms-login',
    handle(async (req, res) => {
      const b = parse(SmsLoginBody, req.body);
      try {
        res.json(await smsLogin(deps.sms, b, { address: clientAddress(req), userAgent: req.get('user-agent') }));
      } catch (e) {
        retryAfter(res, e);
        throw e;
      }
    }),
  );

  r.post(
    '/auth/logout',
    requireRole(...ANY_ROLE),
    noBody,
    handle(async (req, res) => {
      await deleteSession(db, currentUser(req).id, req.sessionId!);
      res.status(204).end();
    }),
  );

  r.post(
    '/auth/logout-everywhere',
    requireRole(...ANY_ROLE),
    noBody,
    handle(async (req, res) => {
      res.json({ ended: await deleteSessionsOf(db, currentUser(req).id) });
    }),
  );

  r.get(
    '/auth/sessions',
    requireRole(...ANY_ROLE),
    handle(async (req, res) => {
      const sessions = await sessionsOf(db, currentUser(req).id, deps.now());
      res.json({ sessions: sessions.map((s) => ({ ...s, current: s.id === req.sessionId })) });
    }),
  );

  r.delete(
    '/auth/sessions/:id',
    requireRole(...ANY_ROLE),
    noBody,
    handle(async (req, res) => {
      const id = parse(UuidParam, req.params.id, 'session id');
      if (!(await deleteSession(db, currentUser(req).id, id))) throw new NotFound('session');
      res.status(204).end();
    }),
  );

  r.get('/me', requireRole(...ANY_ROLE), (req, res) => {
    res.json({ user: currentUser(req) });
  });

  return r;
}
