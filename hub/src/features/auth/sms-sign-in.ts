// Applicants sign in with their phone number and a one-time code sent by SMS (ADR 0026). The code is
// kept only as a keyed hash (HMAC under a key derived from the code key), as is the phone it was
// sent to; it lives a few minutes, takes a few wrong tries, and is spent by its use or by a newer
// code. The right code opens the same session as a password sign-in; a phone seen for the first time
// gets an applicant account. Staff, couriers and admins never sign in this way: no code is sent to
// their phones (the answer is the same, so it tells nobody whose phone it is).
import { createHmac, hkdfSync, randomInt, timingSafeEqual } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { formatSignInCode, judgeSignInCode, type SignInCodeVerdict, type SmsSignInLimits } from '../../domain/sms-sign-in.js';
import { BadRequest, Conflict, Forbidden, HubError } from '../../errors.js';
import { withTransaction, type Db } from '../../store/db.js';
import type { SmsGateway } from '../notifications/gateway.js';
import { openSession, type SignInClient, type User } from './auth.js';
import type { SmsSignInThrottle } from './sms-throttle.js';
import {
  applicantByPhone,
  countSignInFailure,
  insertConsent,
  insertSignInCode,
  insertSmsApplicant,
  lockLatestSignInCode,
  markSignInCodeUsed,
  rolesWithPhone,
  setLanguage,
  spendSignInCode,
} from './store.js';
import { normalizeMobile } from '@xinbao/protocol';

export interface SmsSignInDeps {
  db: Db;
  now: () => Date;
  /** null: no SMS gateway configured, so no code can be sent */
  gateway: SmsGateway | null;
  throttle: SmsSignInThrottle;
  limits: SmsSignInLimits;
  /** the hub's code key; the sign-in key is derived from it */
  codeHashKey: Buffer;
  sessionTtlHours: number;
}

/** 401 for a code that does not sign in (what became of it, when the code typed was right). */
export class SignInCodeRefused extends HubError {
  constructor(code: string, message: string, details?: unknown) {
    super(401, code, message, details);
  }
}

const signInKey = (codeHashKey: Buffer) => Buffer.from(hkdfSync('sha256', codeHashKey, Buffer.alloc(0), 'xinbao sms sign-in v1', 32));
const hmac = (key: Buffer, ...parts: string[]) => createHmac('sha256', key).update(parts.join('\u0000')).digest('hex');

function phoneOf(raw: string): string {
  const phone = normalizeMobile(raw);
  if (!phone) throw new BadRequest('phone must be a mainland mobile number (11 digits starting 1)', undefined, 'invalid_phone');
  return phone;
}

const SMS_TEXT = {
  'zh-CN': (code: string, minutes: number) => `【政务服务】您的登录验证码为 ${code}，${minutes} 分钟内有效。如非本人操作，请忽略本短信。`,
} as const;

/** Sends a sign-in code to the phone (unless it belongs to staff); how long it lives and when another may be asked for. */
export async function requestSmsCode(
  deps: SmsSignInDeps,
  rawPhone: string,
  client: SignInClient,
): Promise<{ sent: true; expiresInSeconds: number; resendAfterSeconds: number }> {
  const phone = phoneOf(rawPhone);
  const answer = {
    sent: true as const,
    expiresInSeconds: deps.limits.codeTtlMinutes * 60,
    resendAfterSeconds: deps.limits.phoneIntervalSeconds,
  };
  // Not offered by this hub (a configuration, not a passing fault: waiting does not help).
  if (!deps.gateway) throw new Conflict('sms_unavailable', 'sign-in by SMS is not offered here: no SMS gateway is configured');
  await deps.throttle.admitCode(phone, client.address);
  // A phone of staff, couriers or admins: nothing is sent, and the answer says nothing different.
  if ((await rolesWithPhone(deps.db, phone)).some((r) => r !== 'applicant')) return answer;
  const key = signInKey(deps.codeHashKey);
  const phoneHash = hmac(key, 'phone', phone);
  const code = formatSignInCode(randomInt(0, 1_000_000));
  const id = uuidv7();
  const at = deps.now();
  await withTransaction(deps.db, (tx) =>
    insertSignInCode(tx, {
      id,
      phoneHash,
      codeHash: hmac(key, 'code', phoneHash, code),
      at,
      expiresAt: new Date(at.getTime() + deps.limits.codeTtlMinutes * 60_000),
    }),
  );
  try {
    await deps.gateway.send({ to: phone, text: SMS_TEXT['zh-CN'](code, deps.limits.codeTtlMinutes), idempotencyKey: id });
  } catch {
    // Not sent: the code must not stay usable (nobody has it), and the caller may ask again.
    await spendSignInCode(deps.db, id, deps.now());
    throw new HubError(503, 'sms_unavailable', 'the code could not be sent just now; try again in a moment');
  }
  return answer;
}

export interface SmsLogin {
  phone: string;
  code: string;
  consent: { terms: true; lockerDelivery: boolean };
  language?: 'zh-CN' | 'en' | undefined;
}

/** Signs an applicant in with the phone's latest code; the same session as a password sign-in. */
export async function smsLogin(
  deps: SmsSignInDeps,
  body: SmsLogin,
  client: SignInClient,
): Promise<{ token: string; user: User; expiresAt: Date; sessionId: string; newAccount: boolean }> {
  const phone = phoneOf(body.phone);
  await deps.throttle.admitLogin(client.address);
  const key = signInKey(deps.codeHashKey);
  const phoneHash = hmac(key, 'phone', phone);
  const at = deps.now();
  type Outcome = { refused: Exclude<SignInCodeVerdict, { ok: true }> } | { refused: null; user: User; newAccount: boolean };
  const outcome = await withTransaction(deps.db, async (tx): Promise<Outcome> => {
    const latest = await lockLatestSignInCode(tx, phoneHash);
    const want = latest && Buffer.from(latest.codeHash, 'hex');
    const got = Buffer.from(hmac(key, 'code', phoneHash, body.code), 'hex');
    const matches = want !== null && want.length === got.length && timingSafeEqual(want, got);
    const verdict = judgeSignInCode(latest, matches, at, deps.limits);
    if (!verdict.ok) {
      if (verdict.code === 'wrong_code') await countSignInFailure(tx, latest!.id, verdict.spends, at);
      return { refused: verdict };
    }
    await markSignInCodeUsed(tx, latest!.id, at);
    // Defence in depth: no code is sent to such a phone, but a phone may have changed hands since.
    if ((await rolesWithPhone(tx, phone)).some((r) => r !== 'applicant'))
      throw new Forbidden('staff, couriers and admins sign in with their password, not by SMS');
    let user = await applicantByPhone(tx, phone);
    const newAccount = !user;
    if (!user)
      user = await insertSmsApplicant(tx, { id: uuidv7(), username: `sms-${uuidv7()}`, phone, language: body.language ?? 'zh-CN', at });
    else if (body.language) await setLanguage(tx, user.id, body.language);
    await insertConsent(tx, {
      id: uuidv7(),
      userId: user.id,
      terms: body.consent.terms,
      lockerDelivery: body.consent.lockerDelivery,
      termsVersion: deps.limits.termsVersion,
      at,
    });
    return { refused: null, user, newAccount };
  });
  if (outcome.refused) {
    const v = outcome.refused;
    if (v.code === 'wrong_code' || v.code === 'invalid_code') await deps.throttle.loginFailed(client.address);
    throw new SignInCodeRefused(v.code, v.message, v.code === 'wrong_code' ? { attemptsLeft: v.attemptsLeft } : undefined);
  }
  const session = await openSession(deps.db, outcome.user, client, at, deps.sessionTtlHours);
  return { ...session, newAccount: outcome.newAccount };
}
