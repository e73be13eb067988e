// The auth slice's SQL: users by username and bearer sessions by their token's hash.
import type { Role } from '../../domain/people.js';
import type { Db } from '../../store/db.js';

export interface User {
  id: string;
  username: string;
  role: Role;
  displayName: string;
}

export async function findUserByUsername(db: Db, username: string): Promise<(User & { passwordHash: string }) | null> {
  const r = await db.query<User & { passwordHash: string }>(
    `SELECT id, username, role, display_name AS "displayName", password_hash AS "passwordHash" FROM users WHERE username = $1`,
    [username],
  );
  return r.rows[0] ?? null;
}

export async function insertSession(db: Db, tokenHash: string, userId: string, expiresAt: Date): Promise<void> {
  await db.query('INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)', [tokenHash, userId, expiresAt]);
}

export async function userBySession(db: Db, tokenHash: string, now: Date): Promise<User | null> {
  const r = await db.query<User>(
    `SELECT u.id, u.username, u.role, u.display_name AS "displayName"
     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2`,
    [tokenHash, now],
  );
  return r.rows[0] ?? null;
}
