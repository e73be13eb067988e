// Live tracking: every custody event, once committed, told to the people following its parcel —
// its applicant (room `user:<id>`) and the hall's staff (room `staff`) — as one `tracking:step`. The
// process whose transaction committed the event tells it; the Socket.IO Redis adapter carries it to
// the sockets held by every other hub process (ADR 0031).
// A step names no person: the actor's role only, as the custody trail shows an applicant.
import type { Logger } from 'pino';
import type { Db } from '../../store/db.js';
import { onCustodyCommitted, type CustodyCommitted } from '../../store/parcels.js';
import { followerOfParcel } from './store.js';

export interface TrackingStep {
  applicationId: string;
  parcelId: string;
  trackingNumber: string;
  direction: 'inbound' | 'outbound';
  event: { id: string; kind: string; fromState: string | null; toState: string; actorKind: string; siteId: string | null; at: string };
}

export const userRoom = (userId: string): string => `user:${userId}`;
export const STAFF_ROOM = 'staff';

/** Where steps go: rooms across every hub process (a Socket.IO namespace with the Redis adapter). */
export interface StepSink {
  tell(rooms: string[], step: TrackingStep): void;
}

export function toStep(e: CustodyCommitted, follower: NonNullable<Awaited<ReturnType<typeof followerOfParcel>>>): TrackingStep {
  return {
    applicationId: follower.applicationId,
    parcelId: e.parcelId,
    trackingNumber: follower.trackingNumber,
    direction: follower.direction,
    event: {
      id: e.id,
      kind: e.kind,
      fromState: e.fromState,
      toState: e.toState,
      actorKind: e.actorKind,
      siteId: e.siteId,
      at: e.at.toISOString(),
    },
  };
}

/**
 * Tells each committed custody event of this pool to its followers. `stop()` stops listening and
 * waits for the steps already under way, so nothing is told through a closing adapter.
 */
export function startTrackingFeed(db: Db, sink: StepSink, log: Logger): { stop(): Promise<void> } {
  // One after another, so that this process tells its steps in commit order.
  let told: Promise<void> = Promise.resolve();
  let stopped = false;
  const unsubscribe = onCustodyCommitted(db, (e) => {
    told = told.then(async () => {
      try {
        const follower = await followerOfParcel(db, e.parcelId);
        if (follower && !stopped) sink.tell([userRoom(follower.applicantId), STAFF_ROOM], toStep(e, follower));
      } catch (err) {
        log.warn({ err, parcelId: e.parcelId }, 'live tracking: could not look up who follows a parcel');
      }
    });
  });
  return {
    stop: async () => {
      unsubscribe();
      await told;
      stopped = true;
    },
  };
}
