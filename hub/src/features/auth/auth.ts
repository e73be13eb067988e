// Who is asking: password sign-in for people (scrypt hashes), opaque bearer session tokens stored
// as SHA-256 hashes with an expiry, and the role checks every route declares.
import { createHash, randomBytes } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { checkPassword, type Role } from '../../domain/people.js';
import { Forbidden, Unauthorized } from '../../errors.js';
import type { Db } from '../../store/db.js';
import { findUserByUsername, insertSession, userBySession, type User } from './store.js';

export { ROLES, hashPassword, checkPassword, type Role } from '../../domain/people.js';
export type { User } from './store.js';

const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

export async function signIn(
  db: Db,
  username: string,
  password: string,
  now: Date,
  ttlHours: number,
): Promise<{ token: string; user: User; expiresAt: Date } | null> {
  const row = await findUserByUsername(db, username);
  // Check a password even for an unknown user, so timing does not tell which usernames exist.
  const ok = await checkPassword(
    password,
    row?.passwordHash ?? 'scrypt$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
  );
  if (!row || !ok) return null;
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + ttlHours * 3_600_000);
  await insertSession(db, tokenHash(token), row.id, expiresAt);
  return { token, user: { id: row.id, username: row.username, role: row.role, displayName: row.displayName }, expiresAt };
}

export async function userForToken(db: Db, token: string, now: Date): Promise<User | null> {
  return userBySession(db, tokenHash(token), now);
}

declare module 'express-serve-static-core' {
  interface Request {
    user?: User;
  }
}

/** Reads the bearer token, if any, and attaches the user; routes then say which roles they take. */
export function authenticate(db: Db, now: () => Date) {
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    const h = req.headers.authorization;
    if (h?.startsWith('Bearer ')) {
      const user = await userForToken(db, h.slice(7).trim(), now());
      if (user) req.user = user;
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
