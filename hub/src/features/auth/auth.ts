// Who is asking: password sign-in for people (scrypt hashes, throttled by LoginThrottle), opaque
// bearer session tokens stored as SHA-256 hashes with an expiry and checked against the session
// store on every request (so a logout ends a token at once), and the role checks every route declares.
import { createHash, randomBytes } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { checkPassword, type Role } from '../../domain/people.js';
import { maskAddress, trimUserAgent } from '../../domain/sessions.js';
import { Forbidden, Unauthorized } from '../../errors.js';
import type { Db } from '../../store/db.js';
import type { LoginThrottle } from './login-throttle.js';
import { findUserByUsername, insertSession, userBySession, type User } from './store.js';

export { ROLES, hashPassword, checkPassword, type Role } from '../../domain/people.js';
export type { User } from './store.js';

const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

export interface SignInClient {
  /** the client's address, as the hub sees it */
  address: string;
  userAgent?: string | undefined;
}

/**
 * Signs in, or answers null for a wrong username or password (after counting it); throws
 * LoginThrottled when this address must wait. A throttled attempt's password is not checked.
 */
export async function signIn(
  db: Db,
  throttle: LoginThrottle,
  username: string,
  password: string,
  client: SignInClient,
  now: () => Date,
  ttlHours: number,
): Promise<{ token: string; user: User; expiresAt: Date; sessionId: string } | { failed: true; retryAfterSeconds: number }> {
  await throttle.admit(username, client.address);
  const row = await findUserByUsername(db, username);
  // Check a password even for an unknown user, so timing does not tell which usernames exist.
  const ok = await checkPassword(
    password,
    row?.passwordHash ?? 'scrypt$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
  );
  if (!row || !ok) return { failed: true, retryAfterSeconds: await throttle.failed(username, client.address) };
  await throttle.succeeded(username, client.address);
  return openSession(db, { id: row.id, username: row.username, role: row.role, displayName: row.displayName }, client, now(), ttlHours);
}

/** A new bearer session for a user who proved who they are (a password, or an SMS code). */
export async function openSession(
  db: Db,
  user: User,
  client: SignInClient,
  at: Date,
  ttlHours: number,
): Promise<{ token: string; user: User; expiresAt: Date; sessionId: string }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(at.getTime() + ttlHours * 3_600_000);
  const sessionId = await insertSession(db, {
    tokenHash: tokenHash(token),
    userId: user.id,
    expiresAt,
    at,
    addressMasked: maskAddress(client.address),
    userAgent: trimUserAgent(client.userAgent),
  });
  return { token, user, expiresAt, sessionId };
}

export async function userForToken(db: Db, token: string, now: Date): Promise<(User & { sessionId: string }) | null> {
  return userBySession(db, tokenHash(token), now);
}

declare module 'express-serve-static-core' {
  interface Request {
    user?: User;
    /** the id of the session the bearer token belongs to */
    sessionId?: string;
  }
}

/** Reads the bearer token, if any, and attaches the user; routes then say which roles they take. */
export function authenticate(db: Db, now: () => Date) {
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    const h = req.headers.authorization;
    if (h?.startsWith('Bearer ')) {
      const found = await userForToken(db, h.slice(7).trim(), now());
      if (found) {
        const { sessionId, ...user } = found;
        req.user = user;
        req.sessionId = sessionId;
      }
    }
    next();
  };
}

export function requireRole(...roles: Role[]) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (!req.user) return next(new Unauthorized());
    if (!roles.includes(req.user.role)) return next(new Forbidden(`this needs the ${roles.join(' or ')} role`));
    next();
  };
}

export function currentUser(req: Request): User {
  if (!req.user) throw new Unauthorized();
  return req.user;
}
