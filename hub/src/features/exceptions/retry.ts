// `retry` on a courier failure: the parcel's pickup job (one per parcel, `pickup-<parcel>`) goes
// back to the courier queue — retried with its attempts counted afresh when it had failed, queued
// anew when it is gone or finished, left alone when it is already waiting or running. The job
// itself decides again whether a pickup is still needed (orderPickup), so a retry never orders twice.
import type { Queue } from 'bullmq';
import { enqueuePickup, type CourierJob } from '../courier/pickup.js';
import type { PickupRetry } from './service.js';

export function courierQueueRetry(queue: Queue<CourierJob>): PickupRetry {
  return async (parcelId) => {
    const job = await queue.getJob(`pickup-${parcelId}`);
    if (!job) {
      await enqueuePickup(queue, parcelId);
      return 'queued';
    }
    const state = await job.getState();
    if (state === 'failed') {
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      return 'retried';
    }
    if (state === 'completed') {
      await job.remove();
      await enqueuePickup(queue, parcelId);
      return 'queued';
    }
    return 'already_queued';
  };
}
