// The notifications slice's logic: sending one notice of the outbox by SMS, giving one up, and
// recording the gateway's delivery receipts.
//
// At most one message per event: a notice is sent with its own id as the gateway's idempotency key
// and marked sent only after the gateway answered. A crash between the two (or a lost answer) leaves
// it unsent; the retry sends the same key again, and the gateway answers the first answer and sends
// nothing. No transaction is held open across the gateway call.
import type { Logger } from 'pino';
import { exceptionSubject } from '../../domain/exceptions.js';
import { openException } from '../../store/exceptions.js';
import { withTransaction, type Db } from '../../store/db.js';
import type { OpenCodeCipher } from '../partner/open-code.js';
import { SmsGatewayError, type SmsGateway } from './gateway.js';
import { insertReceipt, lockNoticeForReceipt, markNoticeFailed, markNoticeSent, outboxNotice, recordDelivery } from './store.js';
import { renderNotice } from './templates.js';
import type { SmsReceipt } from '@xinbao/protocol';

export interface NotificationDeps {
  db: Db;
  gateway: SmsGateway;
  /** opens a result's sealed collection code (ADR 0024) */
  cipher: OpenCodeCipher;
  now: () => Date;
  log: Logger;
}

export type SendOutcome = 'sent' | 'already_sent' | 'given_up' | 'no_phone' | 'not_found';

/** Sends one notice (if it is still owed); throws SmsGatewayError when the gateway did not take it. */
export async function sendNotice(deps: NotificationDeps, noticeId: string): Promise<SendOutcome> {
  const n = await outboxNotice(deps.db, noticeId);
  if (!n) return 'not_found';
  if (n.sentAt) return 'already_sent';
  if (n.sendFailedAt) return 'given_up';
  if (!n.phone) {
    // Nothing to send to: kept in the app's notice list, marked so no sweep tries again.
    await withTransaction(deps.db, (tx) => markNoticeFailed(tx, n.id, 'no phone number on file', deps.now()));
    return 'no_phone';
  }
  // The code, in clear only here, only for its own holder's phone: the applicant's (in the locker, or
  // sent again, ADR 0033), or the delegate's own code to the delegate's phone (to_phone).
  const sealedKey =
    n.kind === 'delegate_code' ? 'sealedDelegateCode' : n.kind === 'result_in_locker' || n.kind === 'code_resent' ? 'sealedCode' : null;
  const sealedValue = sealedKey ? n.details[sealedKey] : undefined;
  const sealed = typeof sealedValue === 'string' ? sealedValue : null;
  const code = sealed && n.parcelId ? deps.cipher.open(n.parcelId, Buffer.from(sealed, 'base64')) : null;
  const text = renderNotice({ kind: n.kind, details: n.details }, { displayName: n.displayName, language: n.language, code });
  const accepted = await deps.gateway.send({ to: n.phone, text, idempotencyKey: n.id });
  await markNoticeSent(deps.db, n.id, accepted.messageId, deps.now());
  deps.log.info({ noticeId: n.id, kind: n.kind, messageId: accepted.messageId, duplicate: accepted.duplicate }, 'notice sent by SMS');
  return 'sent';
}

/**
 * A notice that could not be sent after its retries (or that the gateway will never take): marked
 * given up and put on the hall's exceptions list, in one transaction, so a person calls instead.
 */
export async function giveUpNotice(deps: Pick<NotificationDeps, 'db' | 'now' | 'log'>, noticeId: string, reason: string): Promise<boolean> {
  const at = deps.now();
  const done = await withTransaction(deps.db, async (tx) => {
    const n = await outboxNotice(tx, noticeId);
    if (!n || !(await markNoticeFailed(tx, noticeId, reason, at))) return false;
    await openException(tx, {
      kind: 'notice_undeliverable',
      subject: exceptionSubject.notice(noticeId),
      parcelId: n.parcelId,
      applicationId: n.applicationId,
      detail: { noticeId, kind: n.kind, reason: reason.slice(0, 200) },
      at,
    });
    return true;
  });
  if (done) deps.log.warn({ noticeId, reason }, 'notice given up: on the exceptions list');
  return done;
}

export type ReceiptOutcome = { eventId: string; duplicate: boolean; outcome: 'recorded' | 'unknown_message' };

/**
 * A delivery receipt, stored once by its event id in the transaction of its effect: the notice's
 * delivery status; a failed delivery also goes on the exceptions list.
 */
export async function receiveReceipt(deps: Pick<NotificationDeps, 'db' | 'now'>, r: SmsReceipt): Promise<ReceiptOutcome> {
  return withTransaction(deps.db, async (tx) => {
    const notice = await lockNoticeForReceipt(tx, r.idempotencyKey);
    const at = new Date(r.at);
    const stored = await insertReceipt(tx, {
      eventId: r.eventId,
      messageId: r.messageId,
      noticeId: notice?.id ?? null,
      status: r.status,
      at,
      receivedAt: deps.now(),
    });
    if (!stored) return { eventId: r.eventId, duplicate: true, outcome: notice ? 'recorded' : 'unknown_message' };
    if (!notice) return { eventId: r.eventId, duplicate: false, outcome: 'unknown_message' };
    await recordDelivery(tx, notice.id, r.status, at);
    if (r.status === 'failed') {
      await openException(tx, {
        kind: 'notice_undeliverable',
        subject: exceptionSubject.notice(notice.id),
        parcelId: notice.parcelId,
        detail: { noticeId: notice.id, messageId: r.messageId, reason: r.reason ?? 'delivery failed' },
        at: deps.now(),
      });
    }
    return { eventId: r.eventId, duplicate: false, outcome: 'recorded' };
  });
}

/** Whether an error means the gateway will never take this message. */
export const unsendable = (e: unknown): boolean => e instanceof SmsGatewayError && !e.retryable;
