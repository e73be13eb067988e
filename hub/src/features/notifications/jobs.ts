// The notifications queue (BullMQ, retried like every call to the outside world): one job per
// notice, its id the notice id (so one notice is one job however often it is queued), retried with
// backoff while the gateway fails; after the last attempt, or at once for a message the gateway will
// never take, the notice is given up onto the exceptions list. A repeatable sweep queues every
// notice still unsent: the outbox is read, never pushed to, so a notice written by any slice in any
// transaction is sent without that slice knowing the queue.
import { UnrecoverableError, Worker, type ConnectionOptions, type JobsOptions, type Queue } from 'bullmq';
import { RETRIED_JOB_OPTIONS, retriedQueue } from '../../queues.js';
import { giveUpNotice, sendNotice, unsendable, type NotificationDeps } from './service.js';
import { unsentNotices } from './store.js';

export const NOTIFICATIONS_QUEUE = 'notifications';

export type NotificationJob = { kind: 'send'; noticeId: string } | { kind: 'sweep' };

/** How a notice's sends are retried (RETRIED_JOB_OPTIONS unless configured). */
export interface NoticeRetry {
  attempts: number;
  baseDelayMs: number;
}

export function createNotificationsQueue(connection: ConnectionOptions, prefix: string): Queue<NotificationJob> {
  return retriedQueue<NotificationJob>(NOTIFICATIONS_QUEUE, connection, prefix);
}

export async function enqueueNotice(queue: Queue<NotificationJob>, noticeId: string, retry?: NoticeRetry): Promise<void> {
  const opts: JobsOptions = { jobId: `notice-${noticeId}` };
  if (retry) Object.assign(opts, { attempts: retry.attempts, backoff: { type: 'exponential', delay: retry.baseDelayMs } });
  await queue.add('send', { kind: 'send', noticeId }, opts);
}

/** Queues every notice not yet sent nor given up; how many. */
export async function sweepNotices(
  deps: Pick<NotificationDeps, 'db' | 'now'>,
  enqueue: (noticeId: string) => Promise<void>,
): Promise<number> {
  const ids = await unsentNotices(deps.db, deps.now());
  for (const id of ids) await enqueue(id);
  return ids.length;
}

export function startNotificationsWorker(
  deps: NotificationDeps & { retry?: NoticeRetry },
  queue: Queue<NotificationJob>,
  connection: ConnectionOptions,
  prefix: string,
): Worker<NotificationJob> {
  const worker = new Worker<NotificationJob>(
    NOTIFICATIONS_QUEUE,
    async (job) => {
      switch (job.data.kind) {
        case 'sweep':
          return sweepNotices(deps, (id) => enqueueNotice(queue, id, deps.retry));
        case 'send': {
          const { noticeId } = job.data;
          try {
            return await sendNotice(deps, noticeId);
          } catch (e) {
            const attempts = job.opts.attempts ?? RETRIED_JOB_OPTIONS.attempts;
            const last = job.attemptsMade + 1 >= attempts;
            if (unsendable(e) || last) {
              await giveUpNotice(deps, noticeId, e instanceof Error ? e.message : String(e));
              throw new UnrecoverableError(e instanceof Error ? e.message : String(e));
            }
            throw e;
          }
        }
      }
    },
    { connection, prefix, concurrency: 4 },
  );
  worker.on('failed', (job, err) =>
    deps.log.warn({ jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'notifications job failed'),
  );
  return worker;
}
