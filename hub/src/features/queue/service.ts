// The hall's processing queue and acceptance (受理). The queue lists what the hall has received and
// not yet decided, in arrival order with the time each has waited; accepting moves the inbound
// parcel `received_at_hall` → `accepted` with its custody event, and the application's own status
// `submitted` → `accepted`, in one transaction. A second accept is refused (409 already_accepted,
// saying when and by whom), never a second event; a decided application is not accepted any more.
import { maskName } from '../../domain/masking.js';
import { Conflict, NotFound } from '../../errors.js';
import { withTransaction, type Db } from '../../store/db.js';
import { lockParcel, moveParcel, type Parcel } from '../../store/parcels.js';
import type { User } from '../auth/auth.js';
import { acceptance, inboundParcelId, lockApplicationStatus, markApplicationAccepted, processingQueue } from './store.js';

export async function queueItems(db: Db, now: Date, f: { matter: string | undefined; limit: number }) {
  const rows = await processingQueue(db, f);
  return {
    items: rows.map((r) => ({
      applicationId: r.applicationId,
      trackingNumber: r.trackingNumber,
      matter: { code: r.matterCode, name: r.matterName },
      applicant: maskName(r.applicantName),
      receivedAt: r.receivedAt,
      waitedMinutes: Math.max(0, Math.floor((now.getTime() - r.receivedAt.getTime()) / 60_000)),
      state: r.state,
    })),
  };
}

export async function acceptApplication(
  db: Db,
  applicationId: string,
  staff: User,
  at: Date,
): Promise<{ applicationId: string; status: 'accepted'; parcel: Parcel }> {
  return withTransaction(db, async (tx) => {
    const status = await lockApplicationStatus(tx, applicationId);
    if (status === null) throw new NotFound(`application ${applicationId}`);
    const parcelId = await inboundParcelId(tx, applicationId);
    if (!parcelId) throw new Conflict('no_inbound_parcel', 'this application has no inbound parcel to accept (it needs no paper in)');
    const parcel = await lockParcel(tx, parcelId);
    if (parcel.state === 'accepted') {
      const first = await acceptance(tx, parcel.id);
      throw new Conflict(
        'already_accepted',
        `this application was already accepted${first ? ` at ${first.at.toISOString()} by ${maskName(first.byName)}` : ''}`,
        first && { acceptedAt: first.at, acceptedBy: maskName(first.byName) },
      );
    }
    if (status === 'approved' || status === 'rejected')
      throw new Conflict('already_decided', `this application was already ${status}`, { status });
    if (parcel.state !== 'received_at_hall') {
      throw new Conflict(
        'not_received',
        `the parcel ${parcel.trackingNumber} is ${parcel.state}: only a parcel received at the hall can be accepted`,
        {
          state: parcel.state,
        },
      );
    }
    const moved = await moveParcel(tx, parcel, 'accepted', {
      actor: { kind: staff.role === 'admin' ? 'admin' : 'staff', id: staff.id },
      at,
      evidence: { desk: 'processing' },
    });
    await markApplicationAccepted(tx, applicationId);
    return { applicationId, status: 'accepted' as const, parcel: moved };
  });
}
