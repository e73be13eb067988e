// Who is asking: password sign-in for people (scrypt hashes), opaque bearer session tokens stored
// as SHA-256 hashes with an expiry, and the role checks every route declares.
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { NextFunction, Request, Response } from 'express';
import { Forbidden, Unauthorized } from '../../errors.js';
import type { Db } from '../../store/db.js';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number) => Promise<Buffer>;

export const ROLES = ['applicant', 'staff', 'courier', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  id: string;
  username: string;
  role: Role;
  displayName: string;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, 32);
  return `scrypt$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function checkPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const want = Buffer.from(key, 'base64');
  const got = await scrypt(password, Buffer.from(salt, 'base64'), want.length);
  return timingSafeEqual(want, got);
}

const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

export async function signIn(
  db: Db,
  username: string,
  password: string,
  now: Date,
  ttlHours: number,
): Promise<{ token: string; user: User; expiresAt: Date } | null> {
  const r = await db.query<User & { passwordHash: string }>(
    `SELECT id, username, role, display_name AS "displayName", password_hash AS "passwordHash" FROM users WHERE username = $1`,
    [username],
  );
  const row = r.rows[0];
  // Check a password even for an unknown user, so timing does not tell which usernames exist.
  const ok = await checkPassword(password, row?.passwordHash ?? 'scrypt$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=');
  if (!row || !ok) return null;
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + ttlHours * 3_600_000);
  await db.query('INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)', [tokenHash(token), row.id, expiresAt]);
  return { token, user: { id: row.id, username: row.username, role: row.role, displayName: row.displayName }, expiresAt };
}

export async function userForToken(db: Db, token: string, now: Date): Promise<User | null> {
  const r = await db.query<User>(
    `SELECT u.id, u.username, u.role, u.display_name AS "displayName"
     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2`,
    [tokenHash(token), now],
  );
  return r.rows[0] ?? null;
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
