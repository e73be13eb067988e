// The hall's intake desk: a parcel the courier brought is received by its tracking number into the
// processing queue, with its custody event, in one transaction.
import { isValidTrackingNumber } from '../../domain/tracking-number.js';
import { BadRequest } from '../../errors.js';
import { withTransaction, type Db } from '../../store/db.js';
import { lockParcelByTrackingNumber, moveParcel, type Parcel } from '../../store/parcels.js';

export async function receiveAtHall(db: Db, trackingNumber: string, staffId: string, at: Date): Promise<Parcel> {
  if (!isValidTrackingNumber(trackingNumber)) {
    throw new BadRequest(`${trackingNumber} is not a valid tracking number (check the digits)`, undefined, 'bad_tracking_number');
  }
  return withTransaction(db, async (tx) => {
    const p = await lockParcelByTrackingNumber(tx, trackingNumber);
    return moveParcel(tx, p, 'received_at_hall', { actor: { kind: 'staff', id: staffId }, at, evidence: { desk: 'intake' } });
  });
}
