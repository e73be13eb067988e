// The auth slice's SQL: users by username and bearer sessions by their token's hash (opened, looked
// up and touched on every request, listed for their owner, ended one by one or all together).
import type { Role } from '../../domain/people.js';
import type { Db, Tx } from '../../store/db.js';

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

// ---- SMS sign-in (ADR 0026): one-time codes by the phone's keyed hash, accounts by phone, consent

export interface SignInCodeRow {
  id: string;
  codeHash: string;
  expiresAt: Date;
  failures: number;
  usedAt: Date | null;
  spentAt: Date | null;
}

/** A new code for the phone; every earlier code of the phone not yet used is spent (only the latest works). */
export async function insertSignInCode(
  tx: Tx,
  c: { id: string; phoneHash: string; codeHash: string; at: Date; expiresAt: Date },
): Promise<void> {
  await tx.query('UPDATE sms_sign_in_codes SET spent_at = $2 WHERE phone_hash = $1 AND used_at IS NULL AND spent_at IS NULL', [
    c.phoneHash,
    c.at,
  ]);
  await tx.query('INSERT INTO sms_sign_in_codes (id, phone_hash, code_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [
    c.id,
    c.phoneHash,
    c.codeHash,
    c.at,
    c.expiresAt,
  ]);
}

export async function spendSignInCode(db: Db | Tx, id: string, at: Date): Promise<void> {
  await db.query('UPDATE sms_sign_in_codes SET spent_at = $2 WHERE id = $1 AND spent_at IS NULL', [id, at]);
}

/** The phone's latest code, locked (two sign-ins with one code take turns). */
export async function lockLatestSignInCode(tx: Tx, phoneHash: string): Promise<SignInCodeRow | null> {
  const r = await tx.query<SignInCodeRow>(
    `SELECT id, code_hash AS "codeHash", expires_at AS "expiresAt", failures, used_at AS "usedAt", spent_at AS "spentAt"
     FROM sms_sign_in_codes WHERE phone_hash = $1 ORDER BY created_at DESC, id DESC LIMIT 1 FOR UPDATE`,
    [phoneHash],
  );
  return r.rows[0] ?? null;
}

export async function countSignInFailure(tx: Tx, id: string, spends: boolean, at: Date): Promise<void> {
  await tx.query(
    'UPDATE sms_sign_in_codes SET failures = failures + 1, spent_at = CASE WHEN $2 THEN $3::timestamptz ELSE spent_at END WHERE id = $1',
    [id, spends, at],
  );
}

export async function markSignInCodeUsed(tx: Tx, id: string, at: Date): Promise<void> {
  await tx.query('UPDATE sms_sign_in_codes SET used_at = $2 WHERE id = $1', [id, at]);
}

/** The roles of the users with this phone number (a phone of staff, couriers or admins never signs in by SMS). */
export async function rolesWithPhone(db: Db | Tx, phone: string): Promise<Role[]> {
  const r = await db.query<{ role: Role }>('SELECT DISTINCT role FROM users WHERE phone = $1', [phone]);
  return r.rows.map((x) => x.role);
}

/** The (oldest) applicant with this phone number. */
export async function applicantByPhone(tx: Tx, phone: string): Promise<User | null> {
  const r = await tx.query<User>(
    `SELECT id, username, role, display_name AS "displayName" FROM users WHERE phone = $1 AND role = 'applicant'
     ORDER BY created_at, id LIMIT 1`,
    [phone],
  );
  return r.rows[0] ?? null;
}

/** An applicant account for a phone that signed in by SMS for the first time: no password (it never signs in by one). */
export async function insertSmsApplicant(
  tx: Tx,
  u: { id: string; username: string; phone: string; language: string; at: Date },
): Promise<User> {
  await tx.query(
    `INSERT INTO users (id, username, password_hash, role, display_name, phone, language, created_at)
     VALUES ($1, $2, 'none', 'applicant', '', $3, $4, $5)`,
    [u.id, u.username, u.phone, u.language, u.at],
  );
  return { id: u.id, username: u.username, role: 'applicant', displayName: '' };
}

export async function setLanguage(tx: Tx, userId: string, language: string): Promise<void> {
  await tx.query('UPDATE users SET language = $2 WHERE id = $1', [userId, language]);
}

export async function insertConsent(
  tx: Tx,
  c: { id: string; userId: string; terms: boolean; lockerDelivery: boolean; termsVersion: string; at: Date },
): Promise<void> {
  await tx.query(
    `INSERT INTO applicant_consents (id, user_id, terms, locker_delivery, terms_version, via, at) VALUES ($1, $2, $3, $4, $5, 'sms_sign_in', $6)`,
    [c.id, c.userId, c.terms, c.lockerDelivery, c.termsVersion, c.at],
  );
}
