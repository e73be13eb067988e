// Partner events (code_issued, deposited, collected, expired, cancelled), whether a webhook brought
// them or the reconciliation pulled them, go through one door: stored once by event id and applied
// in the same transaction as the parcel's move and its custody event. A duplicate writes nothing;
// an event that comes before the one it follows (a `collected` before its `deposited`) is kept as
// `deferred` and applied once the parcel has caught up. What must happen after the commit (order the
// courier, cancel an unwanted reservation) is returned as effects and run then.
import { PartnerEvent, type EventsPage } from '@xinbao/protocol';
import type { Logger } from 'pino';
import { decidePartnerEvent, type PartnerEventContext, type PartnerEventDecision } from '../../domain/partner-locker.js';
import { withTransaction, type Db, type Tx } from '../../store/db.js';
import { lockParcel, moveParcel, type Parcel } from '../../store/parcels.js';
import { exceptionSubject } from '../../domain/exceptions.js';
import { openException } from '../../store/exceptions.js';
import { markPickupDone, pickupCodeSent, pickupOrderId } from '../courier/store.js';
import type { OpenCodeCipher } from './open-code.js';
import { decideForDelivery, performDelivery, type DeliveryEventDeps } from './deliveries.js';
import type { OrderToSend } from '../results/service.js';
import {
  advanceCursor,
  decideEvent,
  deferredEvents,
  findReservation,
  findReservationByRequest,
  insertEvent,
  readCursor,
  recordReservationFacts,
  setReservationStatus,
  type EventOutcome,
  type PartnerReservationRow,
} from './store.js';
import { recordNotice } from '../notifications/store.js';

export interface PartnerEventDeps {
  db: Db;
  network: string;
  cipher: OpenCodeCipher;
  now: () => Date;
  log: Logger;
  /** after the commit: the parcel was deposited, order the courier */
  onDeposited(parcelId: string): Promise<void>;
  /** after the commit: the hub no longer wants this parcel's reservation, cancel it at the partner */
  onUnwanted(parcelId: string): Promise<void>;
  /** results delivered into the partner's lockers (ADR 0025): their settings, and their courier orders to queue after the commit */
  results?: Omit<DeliveryEventDeps, 'network' | 'cipher' | 'now'> & { onOrder(o: OrderToSend): Promise<void> };
}

export type Effect =
  | { kind: 'deposited'; parcelId: string }
  | { kind: 'unwanted'; parcelId: string }
  | { kind: 'result_order'; parcelId: string; order: OrderToSend };

export interface ReceivedEvent {
  eventId: string;
  duplicate: boolean;
  outcome: EventOutcome | 'duplicate';
  detail: string | null;
}

export async function receivePartnerEvent(deps: PartnerEventDeps, event: PartnerEvent, source: 'webhook' | 'pull'): Promise<ReceivedEvent> {
  const effects: Effect[] = [];
  const result = await withTransaction(deps.db, async (tx): Promise<ReceivedEvent> => {
    if (!(await insertEvent(tx, deps.network, event, source, deps.now()))) {
      return { eventId: event.eventId, duplicate: true, outcome: 'duplicate', detail: null };
    }
    const r = await decideStoredEvent(tx, deps, event, effects);
    return { eventId: event.eventId, duplicate: false, ...r };
  });
  await runEffects(deps, effects);
  return result;
}

async function decideStoredEvent(
  tx: Tx,
  deps: PartnerEventDeps,
  event: PartnerEvent,
  effects: Effect[],
): Promise<{ outcome: EventOutcome; detail: string | null }> {
  const known = await findReservationByRequest(tx, deps.network, event.requestId);
  if (!known) {
    const detail = 'no parcel of this hub has this request id';
    await decideEvent(tx, deps.network, event.eventId, null, 'unknown_reservation', detail, deps.now());
    return { outcome: 'unknown_reservation', detail };
  }
  const parcel = await lockParcel(tx, known.parcelId);
  const r = await applyToParcel(tx, deps, parcel, event, effects);
  if (r.outcome === 'applied') await replayDeferred(tx, deps, parcel.id, effects);
  return r;
}

/** Decides and applies one stored event to its (locked) parcel, and records the outcome on the event. */
async function applyToParcel(
  tx: Tx,
  deps: PartnerEventDeps,
  parcel: Parcel,
  event: PartnerEvent,
  effects: Effect[],
): Promise<{ outcome: EventOutcome; detail: string | null }> {
  const row = (await findReservation(tx, parcel.id, true))!;
  let outcome: EventOutcome;
  let detail: string | null = null;
  if (row.reservationId !== null && row.reservationId !== event.reservationId) {
    outcome = 'ignored';
    detail = `the parcel's reservation is ${row.reservationId}, not ${event.reservationId}`;
    deps.log.warn({ parcelId: parcel.id, eventId: event.eventId }, 'partner event for another reservation of the same request id');
  } else if (row.purpose === 'delivery') {
    // A result on its way into (or out of) the partner's locker: the results' own decisions.
    if (!deps.results) throw new Error('a partner event for a result, and the partner runtime has no results settings');
    const d = decideForDelivery(parcel, event);
    const r = await performDelivery(
      tx,
      { ...deps.results, network: deps.network, cipher: deps.cipher, now: deps.now },
      parcel,
      row,
      event,
      d,
    );
    ({ outcome, detail } = r);
    if (r.order) effects.push({ kind: 'result_order', parcelId: parcel.id, order: r.order });
  } else {
    const decision = decidePartnerEvent(parcel.state, event.type, await contextOf(tx, parcel.id));
    ({ outcome, detail } = await perform(tx, deps, parcel, row, event, decision, effects));
  }
  await decideEvent(tx, deps.network, event.eventId, parcel.id, outcome, detail, deps.now());
  if (outcome === 'ignored') {
    deps.log.info({ parcelId: parcel.id, eventId: event.eventId, type: event.type, detail }, 'partner event ignored');
    // A late copy of a code is harmless; anything else the parcel cannot follow is staff's to look at.
    if (event.type !== 'code_issued')
      await openException(tx, {
        kind: 'partner_failed',
        subject: exceptionSubject.partnerEvent(deps.network, event.eventId),
        parcelId: parcel.id,
        detail: { stage: 'event', network: deps.network, eventId: event.eventId, type: event.type, reason: detail },
        at: deps.now(),
      });
  }
  return { outcome, detail };
}

async function contextOf(tx: Tx, parcelId: string): Promise<PartnerEventContext> {
  return { courierCodeSent: await pickupCodeSent(tx, parcelId) };
}

async function perform(
  tx: Tx,
  deps: PartnerEventDeps,
  parcel: Parcel,
  row: PartnerReservationRow,
  event: PartnerEvent,
  d: PartnerEventDecision,
  effects: Effect[],
): Promise<{ outcome: EventOutcome; detail: string | null }> {
  const now = deps.now();
  const at = new Date(event.at);
  const partner = { kind: 'partner' as const, id: deps.network };
  const where = { siteId: parcel.siteId, compartment: 'compartmentNo' in event.data ? event.data.compartmentNo : row.compartmentNo };
  const evidence = { eventId: event.eventId, reservationId: event.reservationId, deviceId: event.deviceId };
  switch (d.act) {
    case 'code_issued': {
      if (event.type !== 'code_issued') throw new Error('code_issued decided for another event type');
      const { openCode, compartmentNo, size, expiresAt } = event.data;
      await recordReservationFacts(
        tx,
        parcel.id,
        { reservationId: event.reservationId, deviceId: event.deviceId, compartmentNo, size, expiresAt: new Date(expiresAt) },
        now,
      );
      await setReservationStatus(tx, parcel.id, 'reserved', now, { openCodeEnc: deps.cipher.seal(parcel.id, openCode) });
      await moveParcel(tx, parcel, 'reserved', {
        actor: partner,
        at,
        ...where,
        evidence: { ...evidence, size, expiresAt, codeDelivery: 'callback' },
      });
      await recordNotice(tx, { parcelId: parcel.id, kind: 'deposit_code_issued', details: { expiresAt }, at });
      return { outcome: 'applied', detail: null };
    }
    case 'deposited': {
      let current = parcel;
      if (d.viaReserved) {
        const size = event.type === 'deposited' ? event.data.size : (row.size ?? row.requestedSize);
        await recordReservationFacts(
          tx,
          parcel.id,
          { reservationId: event.reservationId, deviceId: event.deviceId, compartmentNo: where.compartment ?? 0, size },
          now,
        );
        current = await moveParcel(tx, current, 'reserved', {
          actor: partner,
          at,
          ...where,
          evidence: { ...evidence, size, openCodeReceived: false },
        });
      }
      await setReservationStatus(tx, parcel.id, 'deposited', now);
      await moveParcel(tx, current, 'deposited', {
        actor: { kind: 'applicant', id: null },
        at,
        ...where,
        evidence: { ...evidence, reportedBy: deps.network },
      });
      await recordNotice(tx, { parcelId: parcel.id, kind: 'deposit_received', at });
      effects.push({ kind: 'deposited', parcelId: parcel.id });
      return { outcome: 'applied', detail: d.viaReserved ? 'deposited before the open-code reached the hub' : null };
    }
    case 'collected': {
      let current = parcel;
      if (d.viaOrdered) {
        const orderId = await pickupOrderId(tx, parcel.id);
        current = await moveParcel(tx, current, 'pickup_ordered', {
          actor: { kind: 'system', id: null },
          at,
          ...where,
          evidence: { orderId, dispatchRef: null, courierCodeFrom: 'partner', confirmed: false, eventId: event.eventId },
        });
      }
      await setReservationStatus(tx, parcel.id, 'collected', now);
      await moveParcel(tx, current, 'picked_up', {
        actor: { kind: 'courier', id: null },
        at,
        ...where,
        evidence: { ...evidence, reportedBy: deps.network },
      });
      await markPickupDone(tx, parcel.id, now);
      return { outcome: 'applied', detail: d.viaOrdered ? 'collected before the courier dispatch system confirmed the order' : null };
    }
    case 'ended': {
      const status = event.type === 'cancelled' ? 'cancelled' : 'expired';
      if (row.reservationId === null && 'compartmentNo' in event.data) {
        await recordReservationFacts(
          tx,
          parcel.id,
          {
            reservationId: event.reservationId,
            deviceId: event.deviceId,
            compartmentNo: event.data.compartmentNo,
            size: row.size ?? row.requestedSize,
          },
          now,
        );
      }
      await setReservationStatus(tx, parcel.id, status, now);
      if (d.move)
        await moveParcel(tx, parcel, 'deposit_expired', { actor: partner, at, ...where, evidence: { ...evidence, reservation: status } });
      return { outcome: 'applied', detail: d.move ? null : `the reservation of a failed parcel is ${status}` };
    }
    case 'release_orphan':
      if (event.type === 'code_issued') {
        const { compartmentNo, size, expiresAt } = event.data;
        await recordReservationFacts(
          tx,
          parcel.id,
          { reservationId: event.reservationId, deviceId: event.deviceId, compartmentNo, size, expiresAt: new Date(expiresAt) },
          now,
        );
      }
      effects.push({ kind: 'unwanted', parcelId: parcel.id });
      return { outcome: 'applied', detail: 'the parcel failed here: the reservation is cancelled at the partner' };
    case 'defer':
      return { outcome: 'deferred', detail: d.why };
    case 'already':
      return { outcome: 'already_applied', detail: d.why };
    case 'ignore':
      return { outcome: 'ignored', detail: d.why };
  }
}

/** Applies the parcel's deferred events that its state now allows, oldest first, until none moves. */
async function replayDeferred(tx: Tx, deps: PartnerEventDeps, parcelId: string, effects: Effect[]): Promise<number> {
  let applied = 0;
  for (;;) {
    let progress = false;
    for (const row of await deferredEvents(tx, deps.network, parcelId)) {
      const event = PartnerEvent.safeParse(row.payload);
      if (!event.success) continue;
      const parcel = await lockParcel(tx, parcelId);
      const reservation = await findReservation(tx, parcelId);
      const act =
        reservation?.purpose === 'delivery'
          ? decideForDelivery(parcel, event.data).act
          : decidePartnerEvent(parcel.state, event.data.type, await contextOf(tx, parcelId)).act;
      if (act === 'defer') continue;
      const r = await applyToParcel(tx, deps, parcel, event.data, effects);
      if (r.outcome === 'applied') {
        applied++;
        progress = true;
      }
    }
    if (!progress) return applied;
  }
}

/** Every parcel's deferred events whose parcel has caught up (after a courier order, say). */
export async function replayAllDeferred(deps: PartnerEventDeps): Promise<number> {
  const parcels = new Set((await deferredEvents(deps.db, deps.network)).map((r) => r.parcelId).filter((p): p is string => p !== null));
  let applied = 0;
  for (const parcelId of parcels) {
    const effects: Effect[] = [];
    applied += await withTransaction(deps.db, async (tx) => {
      await lockParcel(tx, parcelId);
      return replayDeferred(tx, deps, parcelId, effects);
    });
    await runEffects(deps, effects);
  }
  return applied;
}

async function runEffects(deps: PartnerEventDeps, effects: readonly Effect[]): Promise<void> {
  for (const e of effects) {
    try {
      if (e.kind === 'deposited') await deps.onDeposited(e.parcelId);
      else if (e.kind === 'result_order') await deps.results?.onOrder(e.order);
      else await deps.onUnwanted(e.parcelId);
    } catch (err) {
      // Committed already; the sweeps pick the parcel up again (deposited parcels, due reservations).
      deps.log.warn(
        { parcelId: e.parcelId, effect: e.kind, err: err instanceof Error ? err.message : String(err) },
        'follow-up of a partner event not queued',
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Reconciliation: the partner's event log since the stored cursor, through the same door.

export interface ReconcileReport {
  pulled: number;
  fresh: number;
  replayed: number;
  cursor: string | null;
}

export async function reconcilePartnerEvents(
  deps: PartnerEventDeps & { events(q: { after?: string | undefined; limit: number }): Promise<EventsPage> },
  opts: { pageSize?: number; maxPages?: number } = {},
): Promise<ReconcileReport> {
  let cursor = await readCursor(deps.db, deps.network);
  let pulled = 0;
  let fresh = 0;
  for (let page = 0; page < (opts.maxPages ?? 50); page++) {
    const p = await deps.events({ after: cursor, limit: opts.pageSize ?? 200 });
    for (const event of p.events) {
      pulled++;
      if (!(await receivePartnerEvent(deps, event, 'pull')).duplicate) fresh++;
    }
    // Only now, with every event up to it stored and applied, does the cursor move.
    if (p.nextCursor !== cursor) {
      await advanceCursor(deps.db, deps.network, p.nextCursor, deps.now());
      cursor = p.nextCursor;
    }
    if (!p.hasMore) break;
  }
  const replayed = await replayAllDeferred(deps);
  return { pulled, fresh, replayed, cursor: cursor ?? null };
}
