// BullMQ queues for calls to the outside world (courier dispatch, results orders): retried with
// exponential backoff for about an hour, kept a day when done and a week when failed (for the
// exceptions list's retry). One definition, so the queues of every slice keep the same promise.
import { Queue, type ConnectionOptions } from 'bullmq';

export const RETRIED_JOB_OPTIONS = {
  attempts: 12,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 86_400 },
  removeOnFail: { age: 7 * 86_400 },
} as const;

export function retriedQueue<T>(name: string, connection: ConnectionOptions, prefix: string): Queue<T> {
  return new Queue<T>(name, { connection, prefix, defaultJobOptions: RETRIED_JOB_OPTIONS });
}
