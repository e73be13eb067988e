// The partner network's jobs on one BullMQ queue, and what the rest of the hub needs of them.
//   reserve-<parcel>  ask the partner for a compartment and its open-code (retried with backoff)
//   cancel-<parcel>   end a reservation the hub no longer wants (retried with backoff)
//   refresh           page through the partner's sites into the registry (repeatable, and on demand)
//   reconcile         pull the partner's events since the stored cursor (repeatable)
//   sweep             re-enqueue stranded work, cancel reservations past their expiry (repeatable)
// Retries wait partnerRetryDelayMs: exponential, at least the partner's Retry-After, at most
// PARTNER_RETRY_MAX_MS. Every job id is derived from what it is about, so asking twice queues once.
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { PartnerEvent } from '@xinbao/protocol';
import type { Logger } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import type { PartnerConfig } from '../../config.js';
import { partnerRetryDelayMs } from '../../domain/partner-locker.js';
import { HubError } from '../../errors.js';
import { HttpPartnerNetwork, PartnerApiError, type PartnerNetworkClient } from '../../integrations/partner-network.js';
import type { Db } from '../../store/db.js';
import {
  receivePartnerEvent,
  reconcilePartnerEvents,
  replayAllDeferred,
  type PartnerEventDeps,
  type ReceivedEvent,
  type ReconcileReport,
} from './events.js';
import type { OpenCodeCipher } from './open-code.js';
import { cancelAtPartner, reserveAtPartner, sweepReservations, type ReservationDeps, type SweepReport } from './reservations.js';
import { refreshPartnerSites } from './site-refresh.js';
import { partnerResultCodes } from './deliveries.js';
import type { PartnerResultCodes } from '../results/jobs.js';

export const PARTNER_QUEUE = 'partner';

export type PartnerJob =
  | { kind: 'reserve'; parcelId: string }
  | { kind: 'cancel'; parcelId: string }
  | { kind: 'refresh'; trigger: 'schedule' | 'admin'; requestedBy?: string }
  | { kind: 'reconcile' }
  | { kind: 'sweep' };

/** The partner network is not configured on this hub. */
export class PartnerNotConfigured extends HubError {
  constructor(what = 'partner lockers') {
    super(
      409,
      'partner_not_configured',
      `${what} are not available: this hub has no partner network configured (PARTNER_API_URL, PARTNER_APP_ID, PARTNER_APP_SECRET, PARTNER_WEBHOOK_SECRET); choose one of the hall's own kiosks, mail or the counter`,
    );
  }
}

export interface PartnerRuntimeDeps {
  config: PartnerConfig;
  db: Db;
  log: Logger;
  now: () => Date;
  cipher: OpenCodeCipher;
  connection: ConnectionOptions;
  prefix: string;
  /** how often the sweep runs (SWEEP_INTERVAL_MS) */
  sweepIntervalMs: number;
  /** a parcel was deposited at the partner: order the courier */
  onDeposited(parcelId: string): Promise<void>;
  client?: PartnerNetworkClient;
  /** results delivered into the partner's lockers (ADR 0025); without it, their events cannot be applied */
  results?: PartnerEventDeps['results'];
}

export interface PartnerRuntime {
  config: PartnerConfig;
  client: PartnerNetworkClient;
  queue: Queue<PartnerJob>;
  worker: Worker<PartnerJob> | null;
  /** called once the hub listens, when PARTNER_CALLBACK_URL is not set */
  useOwnAddress(baseUrl: string): void;
  callbackUrl(): string | undefined;
  enqueueReserve(parcelId: string): Promise<void>;
  enqueueCancel(parcelId: string): Promise<void>;
  enqueueRefresh(trigger: 'schedule' | 'admin', requestedBy?: string): Promise<string>;
  /** the partner's codes for results delivered into its lockers (the results job asks) */
  resultCodes: PartnerResultCodes;
  /** a verified event from the webhook */
  receive(event: PartnerEvent): Promise<ReceivedEvent>;
  /** the jobs' work, run here and now (tests, operators) */
  reconcile(): Promise<ReconcileReport>;
  sweep(): Promise<SweepReport & { replayed: number }>;
  startWorker(): Promise<void>;
  close(): Promise<void>;
}

export const WEBHOOK_PATH = '/api/partner/webhooks';

export function createPartnerRuntime(deps: PartnerRuntimeDeps): PartnerRuntime {
  const { config, db, log, now, cipher, connection, prefix } = deps;
  const client =
    deps.client ??
    new HttpPartnerNetwork({ baseUrl: config.apiUrl, appId: config.appId, appSecret: config.appSecret, timeoutMs: config.timeoutMs });
  const queue = new Queue<PartnerJob>(PARTNER_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: {
      attempts: config.retry.attempts,
      backoff: { type: 'partner' },
      removeOnComplete: { age: 86_400 },
      removeOnFail: { age: 7 * 86_400 },
    },
  });
  let ownCallbackUrl: string | undefined;
  const callbackUrl = () => config.callbackUrl ?? ownCallbackUrl;

  const enqueueReserve = async (parcelId: string) => {
    const jobId = `reserve-${parcelId}`;
    // A reserve job that failed for a reason other than the partner (its parcel would have failed
    // too) is run again rather than left to block the id.
    const prior = await queue.getJob(jobId);
    if (prior && (await prior.isFailed())) await prior.remove();
    await queue.add('reserve', { kind: 'reserve', parcelId }, { jobId });
  };
  const enqueueCancel = async (parcelId: string) => {
    await queue.add('cancel', { kind: 'cancel', parcelId }, { jobId: `cancel-${parcelId}`, attempts: Math.max(20, config.retry.attempts) });
  };
  const enqueueRefresh = async (trigger: 'schedule' | 'admin', requestedBy?: string) => {
    const jobId = `refresh-${uuidv7()}`;
    await queue.add(
      'refresh',
      { kind: 'refresh', trigger, ...(requestedBy !== undefined && { requestedBy }) },
      { jobId, attempts: Math.min(5, config.retry.attempts) },
    );
    return jobId;
  };

  const eventDeps: PartnerEventDeps = {
    db,
    network: config.network,
    cipher,
    now,
    log,
    onDeposited: (id) => deps.onDeposited(id),
    onUnwanted: enqueueCancel,
    ...(deps.results && { results: deps.results }),
  };
  const reservationDeps: ReservationDeps = { db, client, config, cipher, now, log, callbackUrl };
  const reconcile = () => reconcilePartnerEvents({ ...eventDeps, events: (q) => client.events(q) });
  const sweep = async () => {
    const r = await sweepReservations(reservationDeps, { reserve: enqueueReserve, cancel: enqueueCancel });
    return { ...r, replayed: await replayAllDeferred(eventDeps) };
  };

  const run = async (job: Job<PartnerJob>): Promise<unknown> => {
    const data = job.data;
    switch (data.kind) {
      case 'reserve':
        return reserveAtPartner(reservationDeps, data.parcelId, { made: job.attemptsMade, max: job.opts.attempts ?? 1 });
      case 'cancel':
        return cancelAtPartner(reservationDeps, data.parcelId);
      case 'refresh':
        return refreshPartnerSites({ db, client, network: config.network, now }, (p) => {
          job.updateProgress({ ...p }).catch(() => undefined);
        });
      case 'reconcile':
        return reconcile();
      case 'sweep':
        return sweep();
    }
  };

  let worker: Worker<PartnerJob> | null = null;
  const runtime: PartnerRuntime = {
    config,
    client,
    queue,
    get worker() {
      return worker;
    },
    useOwnAddress: (baseUrl) => {
      ownCallbackUrl = new URL(WEBHOOK_PATH, baseUrl).toString();
    },
    callbackUrl,
    enqueueReserve,
    enqueueCancel,
    enqueueRefresh,
    resultCodes: partnerResultCodes({
      db,
      client,
      config,
      cipher,
      now,
      log,
      callbackUrl,
      timers: deps.results?.timers ?? { remindAfterHours: 24, remindBeforeHours: 24, holdDays: 7 },
    }),
    receive: (event) => receivePartnerEvent(eventDeps, event, 'webhook'),
    reconcile,
    sweep,
    startWorker: async () => {
      worker = new Worker<PartnerJob>(PARTNER_QUEUE, run, {
        connection,
        prefix,
        concurrency: 4,
        settings: {
          backoffStrategy: (attemptsMade, _type, err) =>
            partnerRetryDelayMs(attemptsMade, err instanceof PartnerApiError ? err.retryAfterMs : undefined, config.retry),
        },
      });
      worker.on('failed', (job, err) =>
        log.warn({ jobId: job?.id, kind: job?.data.kind, attempts: job?.attemptsMade, err: err.message }, 'partner job failed'),
      );
      // Scheduled runs do not retry: the next run comes soon enough.
      const once = { attempts: 1, removeOnComplete: { count: 50 }, removeOnFail: { count: 50 } };
      await queue.upsertJobScheduler(
        'partner-refresh',
        { every: config.refreshIntervalMs },
        { name: 'refresh', data: { kind: 'refresh', trigger: 'schedule' }, opts: { attempts: Math.min(5, config.retry.attempts) } },
      );
      await queue.upsertJobScheduler(
        'partner-reconcile',
        { every: config.reconcileIntervalMs },
        { name: 'reconcile', data: { kind: 'reconcile' }, opts: once },
      );
      await queue.upsertJobScheduler(
        'partner-sweep',
        { every: deps.sweepIntervalMs },
        { name: 'sweep', data: { kind: 'sweep' }, opts: once },
      );
    },
    close: async () => {
      await worker?.close();
      await queue.close();
    },
  };
  return runtime;
}
