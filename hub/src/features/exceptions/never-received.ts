// "Picked up but never received": a parcel the courier took out of a locker that the hall has not
// scanned in within NEVER_RECEIVED_AFTER_HOURS (default 4) — documents handed in (`picked_up`) or an
// uncollected result on its way back (`returning`) — is flagged as a `never_received`
// exception, once (its natural key is the parcel). Run by the hall's own repeatable BullMQ job; the
// clock is passed in, so tests run it at any hour without waiting.
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import { exceptionSubject, neverReceived } from '../../domain/exceptions.js';
import { withTransaction, type Db } from '../../store/db.js';
import { openException } from '../../store/exceptions.js';
import { lockParcel } from '../../store/parcels.js';
import { pickedUpBefore } from './store.js';

export interface NeverReceivedDeps {
  db: Db;
  now: () => Date;
  log: Logger;
  afterHours: number;
}

/** Flags what is overdue now; how many exceptions this run opened. */
export async function flagNeverReceived(deps: NeverReceivedDeps): Promise<number> {
  const now = deps.now();
  let flagged = 0;
  for (const due of await pickedUpBefore(deps.db, new Date(now.getTime() - deps.afterHours * 3_600_000))) {
    const opened = await withTransaction(deps.db, async (tx) => {
      const parcel = await lockParcel(tx, due.parcelId);
      // Received meanwhile (the scan committed after the search): nothing to flag.
      if ((parcel.state !== 'picked_up' && parcel.state !== 'returning') || !neverReceived(due.pickedUpAt, now, deps.afterHours))
        return false;
      const e = await openException(tx, {
        kind: 'never_received',
        subject: exceptionSubject.parcel(parcel.id),
        parcelId: parcel.id,
        detail: { pickedUpAt: due.pickedUpAt.toISOString(), afterHours: deps.afterHours },
        at: now,
      });
      return e.opened;
    });
    if (opened) flagged += 1;
  }
  if (flagged > 0) deps.log.warn({ flagged, afterHours: deps.afterHours }, 'parcels picked up but never received at the hall');
  return flagged;
}

export const HALL_QUEUE = 'hall';
type HallJob = { kind: 'never-received' };

export interface HallTimers {
  queue: Queue<HallJob>;
  close(): Promise<void>;
}

/** The hall's timers: one repeatable job every `everyMs`, run by a worker of this process. */
export async function startHallTimers(
  deps: NeverReceivedDeps,
  connection: ConnectionOptions,
  prefix: string,
  everyMs: number,
): Promise<HallTimers> {
  const queue = new Queue<HallJob>(HALL_QUEUE, { connection, prefix, defaultJobOptions: { removeOnComplete: 100, removeOnFail: 100 } });
  const worker = new Worker<HallJob>(
    HALL_QUEUE,
    async (job) => {
      switch (job.data.kind) {
        case 'never-received':
          return flagNeverReceived(deps);
      }
    },
    { connection, prefix, concurrency: 1 },
  );
  worker.on('failed', (job, err) => deps.log.warn({ jobId: job?.id, err: err.message }, 'hall timer failed'));
  await queue.upsertJobScheduler('never-received', { every: everyMs }, { name: 'never-received', data: { kind: 'never-received' } });
  return {
    queue,
    close: async () => {
      await worker.close();
      await queue.close();
    },
  };
}
