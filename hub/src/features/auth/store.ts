// The auth slice's SQL: users by username and bearer sessions by their token's hash (opened, looked
// up and touched on every request, listed for their owner, ended one by one or all together).
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

export async function insertSession(
  db: Db,
  s: { tokenHash: string; userId: string; expiresAt: Date; at: Date; addressMasked: string; userAgent: string | null },
): Promise<string> {
  const r = await db.query<{ id: string }>(
    `INSERT INTO sessions (token_hash, user_id, expires_at, created_at, last_used_at, address_masked, user_agent)
     VALUES ($1, $2, $3, $4, $4, $5, $6) RETURNING id`,
    [s.tokenHash, s.userId, s.expiresAt, s.at, s.addressMasked, s.userAgent],
  );
  return r.rows[0]!.id;
}

/**
 * The live session's user (and the session's id), or null. Marks the session used, at most once a
 * minute, in the same round trip.
 */
export async function userBySession(db: Db, tokenHash: string, now: Date): Promise<(User & { sessionId: string }) | null> {
  const r = await db.query<User & { sessionId: string }>(
    `WITH touched AS (
       UPDATE sessions SET last_used_at = $2
       WHERE token_hash = $1 AND expires_at > $2 AND (last_used_at IS NULL OR last_used_at < $2::timestamptz - interval '1 minute')
     )
     SELECT u.id, u.username, u.role, u.display_name AS "displayName", s.id AS "sessionId"
     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2`,
    [tokenHash, now],
  );
  return r.rows[0] ?? null;
}

export interface SessionView {
  id: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date;
  address: string;
  userAgent: string | null;
}

export async function sessionsOf(db: Db, userId: string, now: Date): Promise<SessionView[]> {
  const r = await db.query<SessionView>(
    `SELECT id, created_at AS "createdAt", last_used_at AS "lastUsedAt", expires_at AS "expiresAt",
       coalesce(address_masked, 'unknown') AS address, user_agent AS "userAgent"
     FROM sessions WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC`,
    [userId, now],
  );
  return r.rows;
}

/** Ends one of the user's sessions; false when the user has no such session. */
export async function deleteSession(db: Db, userId: string, sessionId: string): Promise<boolean> {
  const r = await db.query('DELETE FROM sessions WHERE user_id = $1 AND id = $2', [userId, sessionId]);
  return r.rowCount !== 0;
}

/** Ends every session of the user; how many there were. */
export async function deleteSessionsOf(db: Db, userId: string): Promise<number> {
  const r = await db.query('DELETE FROM sessions WHERE user_id = $1', [userId]);
  return r.rowCount ?? 0;
}
