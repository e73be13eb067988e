// Causes that have no transaction of their own to open their exception in: a courier pickup order
// the courier queue gave up on (its last attempt failed, or it failed for good). The exception is
// opened under the parcel's row lock, keyed by the parcel's pickup, so a job that fails again after
// a retry reopens the same record rather than opening a second.
import type { Logger } from 'pino';
import { exceptionSubject } from '../../domain/exceptions.js';
import { withTransaction, type Db } from '../../store/db.js';
import { openException } from '../../store/exceptions.js';
import { lockParcel } from '../../store/parcels.js';

export async function courierPickupGaveUp(
  deps: { db: Db; now: () => Date; log: Logger },
  failure: { parcelId: string; reason: string; attempts: number },
): Promise<void> {
  await withTransaction(deps.db, async (tx) => {
    const parcel = await lockParcel(tx, failure.parcelId);
    await openException(tx, {
      kind: 'courier_failed',
      subject: exceptionSubject.pickup(parcel.id),
      parcelId: parcel.id,
      detail: { stage: 'pickup_order', reason: failure.reason.slice(0, 500), attempts: failure.attempts, parcelState: parcel.state },
      at: deps.now(),
    });
  });
  deps.log.warn({ parcelId: failure.parcelId, attempts: failure.attempts }, 'courier pickup order given up: exception opened');
}
