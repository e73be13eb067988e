// Own-kiosk deposit codes that ran out unused (DEPOSIT_CODE_TTL_HOURS): the parcel becomes
// `deposit_expired`, the code is revoked, the compartment is released for everyone else, and the
// applicant is left a notice saying how to get a new code — all in one transaction per parcel. Run by
// the courier worker's repeatable sweep job; safe to run twice or on two hub processes at once (the
// code's row lock and the parcel's state decide who does it; the notice is one per parcel).
import type { Logger } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { withTransaction, type Db } from '../../store/db.js';
import { lockCompartmentState, setCompartmentState } from '../../store/compartments.js';
import { lockParcel, moveParcel, setParcelCompartment } from '../../store/parcels.js';
import { exceptionSubject } from '../../domain/exceptions.js';
import { openException } from '../../store/exceptions.js';
import { applicantOf, expiredDepositCodes, insertNotice, lockLiveDepositCode, revokeCode } from './store.js';

export const DEPOSIT_EXPIRED_WHAT_NEXT =
  'Apply again for the same service matter (POST /api/applications, or 重新申请 in the app): a new compartment is reserved and a new deposit code issued.';

/** Expires what is due; how many parcels this run moved to deposit_expired. */
export async function expireDepositCodes(deps: { db: Db; now: () => Date; log: Logger }): Promise<number> {
  let expired = 0;
  for (const due of await expiredDepositCodes(deps.db, deps.now())) {
    const done = await withTransaction(deps.db, async (tx) => {
      const at = deps.now();
      // Code first, then parcel: the order a kiosk's redemption locks them in.
      const code = await lockLiveDepositCode(tx, due.codeId);
      if (!code || code.expiresAt > at) return false;
      const parcel = await lockParcel(tx, due.parcelId);
      if (parcel.state !== 'awaiting_deposit') return false;
      await revokeCode(tx, due.codeId, at);
      await moveParcel(tx, parcel, 'deposit_expired', {
        actor: { kind: 'system', id: null },
        at,
        siteId: code.siteId,
        compartment: code.number,
        evidence: { reason: 'deposit_code_expired', codeExpiredAt: code.expiresAt.toISOString() },
      });
      // A compartment that went faulty meanwhile stays out of service; a reserved one is free again.
      if ((await lockCompartmentState(tx, code.compartmentId)) === 'reserved')
        await setCompartmentState(tx, code.compartmentId, 'release', at);
      await setParcelCompartment(tx, parcel.id, null, at);
      await openException(tx, {
        kind: 'code_expired',
        subject: exceptionSubject.code(due.codeId),
        parcelId: parcel.id,
        siteId: code.siteId,
        detail: { purpose: 'deposit', compartment: code.number, expiredAt: code.expiresAt.toISOString() },
        at,
      });
      const applicantId = await applicantOf(tx, parcel.applicationId);
      await insertNotice(tx, {
        id: uuidv7(),
        applicantId: applicantId!,
        applicationId: parcel.applicationId,
        parcelId: parcel.id,
        kind: 'deposit_code_expired',
        message: `The deposit code for parcel ${parcel.trackingNumber} expired unused and its compartment was released. ${DEPOSIT_EXPIRED_WHAT_NEXT}`,
        details: { trackingNumber: parcel.trackingNumber, expiredAt: code.expiresAt.toISOString(), whatNext: DEPOSIT_EXPIRED_WHAT_NEXT },
        at,
      });
      return true;
    });
    if (done) expired += 1;
  }
  if (expired > 0) deps.log.info({ expired }, 'deposit codes expired; compartments released');
  return expired;
}
