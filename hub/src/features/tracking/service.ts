// Live tracking: every custody event, once committed, told to the people following its parcel —
// its applicant (room `user:<id>`) and the hall's staff (room `staff`) — as one `tracking:step`; and
// every step of an application itself (a pre-review decision, a reply to its rating) as one
// `tracking:application`. The
// process whose transaction committed the event tells it; the Socket.IO Redis adapter carries it to
// the sockets held by every other hub process (ADR 0031).
// A step names no person: the actor's role only, as the custody trail shows an applicant.
import type { Logger } from 'pino';
import type { Db } from '../../store/db.js';
import { onApplicationStepCommitted } from '../../store/application-steps.js';
import { onCustodyCommitted, type CustodyCommitted } from '../../store/parcels.js';
import { applicantOfApplication, followerOfParcel } from './store.js';

export interface TrackingStep {
  applicationId: string;
  parcelId: string;
  trackingNumber: string;
  direction: 'inbound' | 'outbound';
  event: { id: string; kind: string; fromState: string | null; toState: string; actorKind: string; siteId: string | null; at: string };
}

/** A step of the application itself, by its kind (a pre-review step or `rating_replied`); no person named. */
export interface ApplicationStep {
  applicationId: string;
  step: { id: string; kind: string; at: string };
}

export const userRoom = (userId: string): string => `user:${userId}`;
export const STAFF_ROOM = 'staff';

/** Where steps go: rooms across every hub process (a Socket.IO namespace with the Redis adapter). */
export interface StepSink {
  tell(rooms: string[], step: TrackingStep): void;
  tellApplication(rooms: string[], step: ApplicationStep): void;
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
  const unsubscribeSteps = onApplicationStepCommitted(db, (s) => {
    told = told.then(async () => {
      try {
        const applicantId = await applicantOfApplication(db, s.applicationId);
        if (applicantId && !stopped)
          sink.tellApplication([userRoom(applicantId), STAFF_ROOM], {
            applicationId: s.applicationId,
            step: { id: s.id, kind: s.kind, at: s.at.toISOString() },
          });
      } catch (err) {
        log.warn({ err, applicationId: s.applicationId }, 'live tracking: could not look up who follows an application');
      }
    });
  });
  return {
    stop: async () => {
      unsubscribe();
      unsubscribeSteps();
      await told;
      stopped = true;
    },
  };
}
