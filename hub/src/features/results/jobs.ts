// The results slice's jobs (a BullMQ queue of its own): sending a result's courier orders — a
// delivery to an own kiosk with its deliver code, a mail order to the applicant's address, the
// pickup that takes an uncollected result back to the hall — and the timers' sweep (reminders, the
// holding period, orders left unsent). Each order is sent as the pickup job sends its own: the code
// is issued in a transaction, the order sent (idempotent by order id), then the parcel moved. At a
// partner locker the code is the partner's: its deliver code (the delivery reservation made first)
// or its return code, asked for after the first transaction (ADR 0025).
import { UnrecoverableError, Worker, type ConnectionOptions, type Queue } from 'bullmq';
import { retriedQueue } from '../../queues.js';
import type { Logger } from 'pino';
import type { CourierOrderRequest } from '@xinbao/protocol';
import { dueForHold } from '../../domain/results.js';
import { withTransaction } from '../../store/db.js';
import { lockParcel } from '../../store/parcels.js';
import { CourierDispatchError, type CourierDispatch } from '../../integrations/courier-dispatch.js';
import { issueCode } from '../codes/service.js';
import { HALL } from '../courier/pickup.js';
import { cancelCreatingOrder, markCodeSent, pickupPlace, pickupSite, setOrderCode } from '../courier/store.js';
import { openVisitCode, sealVisitCode } from '../courier/visits.js';
import type { OpenCodeCipher } from '../partner/open-code.js';
import { confirmResultOrder, orderReturn, type OrderToSend, type ResultDeps } from './service.js';
import { creatingResultOrders, holdsToLookAt, lockResultOrder, insertResultNotice, ownerOfParcel, type ResultOrderKind } from './store.js';

export const RESULTS_QUEUE = 'results';

/** Where a mail courier collects a result: the hall's counter. */
export const HALL_SITE = { code: 'hall-counter', name: HALL.name, address: HALL.address, district: '灞桥区', lat: 34.3733, lng: 109.0526 };

export type ResultJob = { kind: 'order'; parcelId: string; order: ResultOrderKind } | { kind: 'sweep' };

export function createResultsQueue(connection: ConnectionOptions, prefix: string): Queue<ResultJob> {
  return retriedQueue<ResultJob>(RESULTS_QUEUE, connection, prefix);
}

/** Idempotent while a job for the same order waits or runs. */
export async function enqueueOrder(queue: Queue<ResultJob>, o: OrderToSend): Promise<void> {
  await queue.add('order', { kind: 'order', parcelId: o.parcelId, order: o.kind }, { jobId: `${o.kind}-${o.parcelId}` });
}

/** The partner's codes for a result in (or bound for) one of its lockers (features/partner/deliveries.ts). */
export interface PartnerResultCodes {
  /**
   * The deliver code of the result's delivery reservation, reserving it at the partner first when
   * need be; null when the partner refused (recorded, on the exceptions list). Throws to be retried.
   */
  deliverCode(parcelId: string): Promise<{ code: string; compartmentNo: number } | null>;
  /** The partner's return code (its pickup code) for a result in its locker; the applicant's code stops working. */
  returnCode(parcelId: string): Promise<{ code: string; compartmentNo: number }>;
}

export interface ResultJobDeps extends Omit<ResultDeps, 'cipher'> {
  dispatch: CourierDispatch;
  /** seals a kiosk order's code at rest so that the courier's PDA can show it (ADR 0029) and a retried send gives the same one; as a visit's code */
  orderCodes: OpenCodeCipher;
  now: () => Date;
  log: Logger;
  /** the partner network, for results delivered into its lockers; undefined when none is configured */
  partner?: PartnerResultCodes | undefined;
}

/** Sends one result order to the courier system and moves the parcel; 'not_needed' when it is no longer standing. */
export async function sendResultOrder(deps: ResultJobDeps, parcelId: string, kind: ResultOrderKind): Promise<'sent' | 'not_needed'> {
  const prepared = await withTransaction(deps.db, async (tx) => {
    // The order's row, then its parcel's: as the courier webhook and the PDA's steps lock them.
    const order = await lockResultOrder(tx, parcelId, kind);
    if (!order || order.status !== 'creating') return null;
    const parcel = await lockParcel(tx, parcelId);
    const expected = kind === 'delivery' ? ['result_ready'] : kind === 'mail' ? ['result_ready', 'returned_to_hall'] : ['in_locker'];
    if (!expected.includes(parcel.state)) return null;
    const base = { orderId: order.id, kind: kind === 'pickup' ? 'pickup' : 'delivery', trackingNumber: parcel.trackingNumber } as const;
    if (kind === 'mail') {
      const owner = (await ownerOfParcel(tx, parcelId))!;
      const name = owner.applicantName;
      const request: CourierOrderRequest = { ...base, site: HALL_SITE, destination: { name, address: order.destination! } };
      return { parcel, orderId: order.id, request };
    }
    if (order.compartmentId === null) {
      // A partner locker: the code and the compartment are the partner's, asked for after this transaction.
      const place = await pickupSite(tx, order.siteId!);
      const site = { code: place.code, name: place.name, address: place.address, district: place.district, lat: place.lat, lng: place.lng };
      const request: CourierOrderRequest = {
        ...base,
        site,
        destination: kind === 'delivery' ? { name: place.name, address: place.address } : HALL,
      };
      return { parcel, orderId: order.id, request, partner: true };
    }
    // A kiosk's compartment: the courier's code opens it (to put the result in, or to take it back).
    const place = await pickupPlace(tx, order.compartmentId);
    const site = { code: place.code, name: place.name, address: place.address, district: place.district, lat: place.lat, lng: place.lng };
    const destination = kind === 'delivery' ? { name: place.name, address: place.address } : HALL;
    // Sent before (the courier system may have it, and the courier its code): the same code again.
    const sent = order.codeSentAt && order.codeEnc && openVisitCode(deps.orderCodes, order.id, order.codeEnc);
    if (sent) {
      const again: CourierOrderRequest = {
        ...base,
        code: sent.code,
        ...(sent.pin && { pin: sent.pin }),
        site,
        compartment: place.number,
        destination,
      };
      return { parcel, orderId: order.id, request: again };
    }
    const code = await issueCode(tx, deps.keys, {
      purpose: kind === 'delivery' ? 'courier_deliver' : 'courier_pickup',
      siteId: order.siteId!,
      compartmentId: order.compartmentId,
      parcelId,
      holder: 'courier',
      holderPhone: null,
      now: deps.now(),
      lifetimes: deps.lifetimes,
    });
    await setOrderCode(
      tx,
      order.id,
      code.id,
      sealVisitCode(deps.orderCodes, order.id, code.code, code.factor.kind === 'pin' ? code.factor.pin : null),
    );
    const request: CourierOrderRequest = {
      ...base,
      code: code.code,
      ...(code.factor.kind === 'pin' && { pin: code.factor.pin }),
      site,
      compartment: place.number,
      destination,
    };
    return { parcel, orderId: order.id, request };
  });
  if (!prepared) return 'not_needed';
  if ('partner' in prepared) {
    if (!deps.partner) throw new UnrecoverableError('a result for a partner locker, and this hub has no partner network configured');
    const got = kind === 'delivery' ? await deps.partner.deliverCode(parcelId) : await deps.partner.returnCode(parcelId);
    if (got === null) {
      await cancelCreatingOrder(deps.db, prepared.orderId);
      return 'not_needed';
    }
    prepared.request = { ...prepared.request, code: got.code, compartment: got.compartmentNo };
  }
  if (prepared.request.code) await markCodeSent(deps.db, prepared.orderId);
  let accepted;
  try {
    accepted = await deps.dispatch.createOrder(prepared.request);
  } catch (e) {
    if (e instanceof CourierDispatchError && !e.retryable) throw new UnrecoverableError(e.message);
    throw e;
  }
  await withTransaction(deps.db, async (tx) => {
    // The order's row, then its parcel's (as above); a webhook of it may have confirmed it already.
    await lockResultOrder(tx, parcelId, kind);
    const parcel = await lockParcel(tx, parcelId);
    await confirmResultOrder(
      tx,
      parcel,
      { id: prepared.orderId, kind },
      {
        dispatchRef: accepted.dispatchRef,
        at: deps.now(),
        evidence: { dispatchRef: accepted.dispatchRef },
        compartment: prepared.request.compartment ?? null,
      },
    );
  });
  deps.log.info(
    { parcelId, kind, orderId: prepared.orderId, dispatchRef: accepted.dispatchRef },
    'result order sent to the courier system',
  );
  return 'sent';
}

export interface SweepCounts {
  reminded: number;
  returning: number;
  requeued: number;
}

/**
 * The timers, by the clock passed in: reminders owed to results held in lockers (each once), the
 * return of those whose holding period is over, and result orders that were opened but never sent.
 */
export async function sweepResults(
  deps: Pick<ResultJobDeps, 'db' | 'now' | 'log' | 'timers'>,
  enqueue: (o: OrderToSend) => Promise<void>,
): Promise<SweepCounts> {
  const counts: SweepCounts = { reminded: 0, returning: 0, requeued: 0 };
  for (const hold of await holdsToLookAt(deps.db, deps.now(), deps.timers)) {
    const toSend = await withTransaction(deps.db, async (tx) => {
      const at = deps.now();
      const parcel = await lockParcel(tx, hold.parcelId);
      if (parcel.state !== 'in_locker') return null;
      const owner = (await ownerOfParcel(tx, parcel.id))!;
      for (const step of dueForHold(hold, at, deps.timers)) {
        if (step === 'return') {
          counts.returning += 1;
          return orderReturn(tx, parcel, 'holding_period_over', { kind: 'system', id: null }, at);
        }
        const told = await insertResultNotice(tx, {
          applicantId: owner.applicantId,
          applicationId: owner.applicationId,
          parcelId: parcel.id,
          kind: step === 'remind_collect' ? 'result_reminder_collect' : 'result_reminder_return',
          message:
            step === 'remind_collect'
              ? `Reminder: your result ${parcel.trackingNumber} is waiting in the locker. Collect it with your collection code by ${hold.holdUntil.toISOString()}.`
              : `Last reminder: your result ${parcel.trackingNumber} goes back to the service hall at ${hold.holdUntil.toISOString()} if it is not collected. You may also choose the counter or the mail.`,
          details: { trackingNumber: parcel.trackingNumber, holdUntil: hold.holdUntil.toISOString() },
          at,
        });
        if (told) counts.reminded += 1;
      }
      return null;
    });
    if (toSend) await enqueue(toSend);
  }
  for (const o of await creatingResultOrders(deps.db, new Date(deps.now().getTime() - 5_000))) {
    await enqueue({ parcelId: o.parcelId, kind: o.kind });
    counts.requeued += 1;
  }
  if (counts.reminded + counts.returning > 0) deps.log.info(counts, 'result timers ran');
  return counts;
}

export function startResultsWorker(
  deps: ResultJobDeps,
  queue: Queue<ResultJob>,
  connection: ConnectionOptions,
  prefix: string,
): Worker<ResultJob> {
  const worker = new Worker<ResultJob>(
    RESULTS_QUEUE,
    async (job) => {
      switch (job.data.kind) {
        case 'order':
          return sendResultOrder(deps, job.data.parcelId, job.data.order);
        case 'sweep':
          return sweepResults(deps, (o) => enqueueOrder(queue, o));
      }
    },
    { connection, prefix, concurrency: 4 },
  );
  worker.on('failed', (job, err) => deps.log.warn({ jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'results job failed'));
  return worker;
}
