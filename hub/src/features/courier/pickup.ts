// Ordering the courier pickup after a deposit (a BullMQ job). Three steps, so no code is lost and
// no parcel strands: (1) in one transaction, open the courier order and issue a fresh pickup code
// (replacing any code of an earlier attempt); (2) send order and code to the courier dispatch system,
// idempotent by order id; (3) in one transaction, move the parcel to pickup_ordered. A failure at
// (2) retries the whole job with backoff; a sweep re-enqueues any deposited parcel left behind.
// At a partner locker the code is not ours to issue: step (1) opens the order, then the partner is
// asked for its collection code for the reservation (the same code on every ask, never stored here).
import { Queue, UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import { v7 as uuidv7 } from 'uuid';
import type { Logger } from 'pino';
import type { CodeLifetimes } from '../../domain/access-codes.js';
import { withTransaction, type Db, type Tx } from '../../store/db.js';
import { lockParcel, moveParcel } from '../../store/parcels.js';
import { CourierDispatchError, type CourierDispatch } from '../../integrations/courier-dispatch.js';
import { PartnerApiError, type PartnerNetworkClient } from '../../integrations/partner-network.js';
import { issueCode, type CodeKeys } from '../codes/service.js';

export const COURIER_QUEUE = 'courier';
export const HALL = { name: '国际港务区政务服务中心 (service hall)', address: '西安国际港务区港务大道 1 号' };

export type CourierJob = { kind: 'pickup'; parcelId: string } | { kind: 'sweep' };

export function createCourierQueue(connection: ConnectionOptions, prefix: string): Queue<CourierJob> {
  return new Queue<CourierJob>(COURIER_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: { attempts: 12, backoff: { type: 'exponential', delay: 1_000 }, removeOnComplete: { age: 86_400 }, removeOnFail: { age: 7 * 86_400 } },
  });
}

/** Idempotent: one job per parcel, whoever asks and however often. */
export async function enqueuePickup(queue: Queue<CourierJob>, parcelId: string): Promise<void> {
  await queue.add('pickup', { kind: 'pickup', parcelId }, { jobId: `pickup-${parcelId}` });
}

export interface PickupDeps {
  db: Db;
  keys: CodeKeys;
  lifetimes: CodeLifetimes;
  dispatch: CourierDispatch;
  now: () => Date;
  log: Logger;
  /** the partner network, for parcels in its lockers; undefined when none is configured */
  partner?: Pick<PartnerNetworkClient, 'pickupCode'> | undefined;
}

interface PickupPlace {
  code: string;
  name: string;
  address: string;
  district: string;
  lat: number;
  lng: number;
  number: number;
}

export async function orderPickup(deps: PickupDeps, parcelId: string): Promise<'ordered' | 'not_needed'> {
  const prepared = await withTransaction(deps.db, async (tx) => {
    const parcel = await lockParcel(tx, parcelId);
    if (parcel.state !== 'deposited' || !parcel.siteId) return null;
    const site = (
      await tx.query<Omit<PickupPlace, 'number'> & { network: string }>(
        'SELECT network, code, name, address, district, lat, lng FROM sites WHERE id = $1',
        [parcel.siteId],
      )
    ).rows[0]!;
    if (site.network !== 'own') {
      const r = (
        await tx.query<{ reservationId: string | null; compartmentNo: number | null }>(
          'SELECT reservation_id AS "reservationId", compartment_no AS "compartmentNo" FROM partner_reservations WHERE parcel_id = $1',
          [parcel.id],
        )
      ).rows[0];
      if (!r?.reservationId || r.compartmentNo === null) throw new UnrecoverableError(`parcel ${parcel.id} is in a partner locker with no known reservation`);
      const order = await openOrder(tx, parcel.id, parcel.siteId, null);
      return { orderId: order, parcel, place: { ...site, number: r.compartmentNo }, code: null, reservationId: r.reservationId };
    }
    if (!parcel.compartmentId) return null;
    const order = await openOrder(tx, parcel.id, parcel.siteId, parcel.compartmentId);
    const place = (
      await tx.query<PickupPlace>(
        `SELECT s.code, s.name, s.address, s.district, s.lat, s.lng, k.number
         FROM sites s JOIN compartments k ON k.site_id = s.id WHERE k.id = $1`,
        [parcel.compartmentId],
      )
    ).rows[0]!;
    const code = await issueCode(tx, deps.keys, {
      purpose: 'courier_pickup',
      siteId: parcel.siteId,
      compartmentId: parcel.compartmentId,
      parcelId: parcel.id,
      holder: 'courier',
      now: deps.now(),
      lifetimes: deps.lifetimes,
    });
    return { orderId: order, parcel, place, code: code.code, reservationId: null };
  });
  if (!prepared) return 'not_needed';
  const { orderId, parcel, place } = prepared;
  let code = prepared.code;
  if (code === null) {
    if (!deps.partner) throw new Error('a partner parcel needs its courier code from the partner network, which is not configured');
    try {
      code = (await deps.partner.pickupCode(prepared.reservationId!)).pickupCode;
    } catch (e) {
      if (e instanceof PartnerApiError && !e.retryable) {
        // The partner will not give a collection code (the parcel is no longer there): staff must look.
        await deps.db.query(`UPDATE courier_orders SET status = 'cancelled', updated_at = now() WHERE id = $1 AND status = 'creating'`, [orderId]);
        throw new UnrecoverableError(`the partner gave no courier code: ${e.message}`);
      }
      throw e;
    }
  }
  await deps.db.query('UPDATE courier_orders SET code_sent_at = coalesce(code_sent_at, now()) WHERE id = $1', [orderId]);
  let accepted;
  try {
    accepted = await deps.dispatch.createOrder({
      orderId,
      kind: 'pickup',
      trackingNumber: parcel.trackingNumber,
      code,
      site: { code: place.code, name: place.name, address: place.address, district: place.district, lat: place.lat, lng: place.lng },
      compartment: place.number,
      destination: HALL,
    });
  } catch (e) {
    if (e instanceof CourierDispatchError && !e.retryable) throw new UnrecoverableError(e.message);
    throw e;
  }
  await withTransaction(deps.db, async (tx) => {
    const current = await lockParcel(tx, parcelId);
    if (current.state !== 'deposited') return;
    await moveParcel(tx, current, 'pickup_ordered', {
      actor: { kind: 'system', id: null },
      at: deps.now(),
      siteId: parcel.siteId,
      compartment: place.number,
      evidence: { orderId, dispatchRef: accepted.dispatchRef, courierCodeFrom: prepared.reservationId === null ? 'hub' : 'partner' },
    });
    await tx.query(`UPDATE courier_orders SET status = 'dispatched', dispatch_ref = $2, updated_at = now() WHERE id = $1`, [
      orderId,
      accepted.dispatchRef,
    ]);
  });
  deps.log.info({ parcelId, orderId, dispatchRef: accepted.dispatchRef }, 'courier pickup ordered');
  return 'ordered';
}

async function openOrder(tx: Tx, parcelId: string, siteId: string, compartmentId: string | null): Promise<string> {
  const order = await tx.query<{ id: string }>(
    `INSERT INTO courier_orders (id, parcel_id, kind, site_id, compartment_id, status)
     VALUES ($1, $2, 'pickup', $3, $4, 'creating')
     ON CONFLICT (parcel_id, kind) DO UPDATE SET updated_at = now() RETURNING id`,
    [uuidv7(), parcelId, siteId, compartmentId],
  );
  return order.rows[0]!.id;
}

/** Deposited parcels with no pickup under way (a crash between commit and enqueue): enqueue again. */
export async function sweepDeposited(deps: Pick<PickupDeps, 'db' | 'now'>, queue: Queue<CourierJob>, olderThanMs = 5_000): Promise<number> {
  const r = await deps.db.query<{ id: string }>(
    `SELECT id FROM parcels WHERE state = 'deposited' AND updated_at < $1 LIMIT 500`,
    [new Date(deps.now().getTime() - olderThanMs)],
  );
  for (const p of r.rows) await enqueuePickup(queue, p.id);
  return r.rows.length;
}

export function startCourierWorker(
  deps: PickupDeps,
  queue: Queue<CourierJob>,
  connection: ConnectionOptions,
  prefix: string,
): Worker<CourierJob> {
  const worker = new Worker<CourierJob>(
    COURIER_QUEUE,
    async (job) => {
      switch (job.data.kind) {
        case 'pickup':
          return orderPickup(deps, job.data.parcelId);
        case 'sweep':
          return sweepDeposited(deps, queue);
      }
    },
    { connection, prefix, concurrency: 4 },
  );
  worker.on('failed', (job, err) => deps.log.warn({ jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'courier job failed'));
  return worker;
}
