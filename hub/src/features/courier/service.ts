// What the hub does with the courier dispatch system's events and for the courier's PDA. Each
// webhook event is stored once by its id in the same transaction as what it causes: `assigned`
// names the visit's courier (whose PDA then lists it), `failed` records why (a visit not yet at the
// kiosk is over: its parcels wait for staff), `picked_up` / `delivered` are recorded (the kiosk's
// doors and the hall's intake scan are what move an own-kiosk parcel; the lead wires a delivery
// order's events to the results slice at merge). The PDA sees only its courier's own visits and
// result orders (delivery, return pickup: ADR 0029), each with its one code as digits and as the
// signed QR token the kiosk's scanner reads; a failure reported there opens an exception.
import type { CourierEvent } from '@xinbao/protocol';
import type { Logger } from 'pino';
import { Conflict, Forbidden, NotFound } from '../../errors.js';
import { withTransaction, type Db, type Tx } from '../../store/db.js';
import { appendCustody, lockParcel, lockParcelByTrackingNumber } from '../../store/parcels.js';
import type { CodeKeys } from '../codes/service.js';
import type { OpenCodeCipher } from '../partner/open-code.js';
import {
  courierEventOf,
  courierVisits,
  decideCourierEvent,
  dispatchCourierOf,
  finishVisit,
  insertCourierEvent,
  insertVisitStep,
  courierOrderTasks,
  courierAddressTasks,
  insertOrderStep,
  lockAddressTask,
  lockCourierOrder,
  lockOrderTask,
  lockVisit,
  setOrderCourier,
  taskSteps,
  setVisitCourier,
  visitDoors,
  type CourierEventOutcome,
} from './store.js';
import { openVisitCode, visitQr } from './visits.js';
import { confirmResultOrder, markMailDelivered } from '../results/service.js';
import type { ResultOrderKind } from '../results/store.js';
import { openException } from '../../store/exceptions.js';
import { exceptionSubject } from '../../domain/exceptions.js';
import { maskName, maskPhone } from '../../domain/masking.js';
import { addressPickupCollected, addressPickupEvent, addressPickupFailed } from './address-pickup.js';

export interface CourierServiceDeps {
  db: Db;
  keys: CodeKeys;
  visitCodes: OpenCodeCipher;
  now: () => Date;
  log: Logger;
}

export interface ReceivedCourierEvent {
  eventId: string;
  duplicate: boolean;
  outcome: CourierEventOutcome;
  detail: string | null;
}

/** One courier dispatch event, once by its id, with what it does, in one transaction. */
export async function receiveCourierEvent(deps: CourierServiceDeps, event: CourierEvent): Promise<ReceivedCourierEvent> {
  return withTransaction(deps.db, async (tx) => {
    const fresh = await insertCourierEvent(tx, {
      eventId: event.eventId,
      orderId: event.orderId,
      type: event.type,
      courierId: event.courierId ?? null,
      trackingNumber: event.trackingNumber ?? null,
      reason: event.reason ?? null,
      at: new Date(event.at),
      payload: event,
      receivedAt: deps.now(),
    });
    if (!fresh) {
      const earlier = await courierEventOf(tx, event.eventId);
      return { eventId: event.eventId, duplicate: true, outcome: earlier?.outcome ?? 'recorded', detail: earlier?.detail ?? null };
    }
    const { outcome, detail } = await applyCourierEvent(tx, deps, event);
    await decideCourierEvent(tx, event.eventId, outcome, detail);
    if (outcome !== 'applied') deps.log.info({ eventId: event.eventId, type: event.type, outcome, detail }, 'courier event');
    return { eventId: event.eventId, duplicate: false, outcome, detail };
  });
}

async function applyCourierEvent(
  tx: Tx,
  deps: CourierServiceDeps,
  event: CourierEvent,
): Promise<{ outcome: CourierEventOutcome; detail: string | null }> {
  const at = new Date(event.at);
  const visit = await lockVisit(tx, event.orderId);
  if (!visit) {
    // The order's row, then its parcel's: as the jobs that send orders and the PDA's steps lock them.
    const order = await lockCourierOrder(tx, event.orderId);
    if (!order) return { outcome: 'unknown_order', detail: 'no visit or courier order of this hub has this id' };
    // Documents collected from the applicant's address (ADR 0037): the courier's word moves them.
    if (order.origin !== null) return addressPickupEvent(tx, order, event, deps.now());
    let parcel = await lockParcel(tx, order.parcelId);
    // A result's order the courier system already acts on while the job that sent it has not yet
    // recorded its answer (or is to retry after a lost commit): the event is proof the order exists.
    if (parcel.direction === 'outbound' && order.status === 'creating')
      parcel = await confirmResultOrder(
        tx,
        parcel,
        { id: order.id, kind: order.kind as ResultOrderKind },
        {
          dispatchRef: null,
          at: deps.now(),
          evidence: { eventId: event.eventId },
        },
      );
    // A single order: a result's (the results slice's) or an inbound partner pickup. For a result, custody records who holds it, so only what
    // changes hands and nothing else says is written there: the courier took it at the hall (a
    // delivery or mail order picked up) or failed with it. `assigned` names nobody who holds it; a
    // kiosk order's `delivered` and a return's `picked_up` are the doors' to record (in_locker,
    // returning), and the webhook racing the kiosk's report would tell the story in a random order.
    // A mail order's delivery moves the result to `delivered`; a failure goes on the exceptions list.
    // The courier it was given to sees it on their PDA (a kiosk order: delivery or return pickup).
    if (event.type === 'assigned' && event.courierId) await setOrderCourier(tx, order.id, event.courierId, deps.now());
    // An inbound parcel's single order (a partner locker's pickup) keeps every courier event in its
    // trail, as before ADR 0028: the partner's own events are what move it.
    const handsOver = parcel.direction === 'inbound' || event.type === 'failed' || (event.type === 'picked_up' && order.kind !== 'pickup');
    if (handsOver)
      await appendCustody(tx, parcel, `courier_${event.type}`, parcel.state, parcel.state, {
        actor: { kind: 'courier', id: event.courierId ?? null },
        at,
        evidence: { eventId: event.eventId, orderId: order.id, reason: event.reason ?? null, note: event.note ?? null },
      });
    if (order.kind === 'mail' && event.type === 'delivered') {
      const done = await markMailDelivered(tx, order.parcelId, {
        at,
        courierId: event.courierId ?? null,
        evidence: { eventId: event.eventId },
      });
      return { outcome: 'applied', detail: `mail order ${done.replace('_', ' ')}` };
    }
    if (event.type === 'failed') await courierFailed(tx, parcel, event, at);
    return { outcome: 'recorded', detail: `${order.kind} order ${event.type}` };
  }
  switch (event.type) {
    case 'assigned':
      if (!event.courierId) return { outcome: 'recorded', detail: 'assigned without a courier id' };
      await setVisitCourier(tx, visit.id, event.courierId, deps.now());
      return { outcome: 'applied', detail: null };
    case 'failed': {
      // Each parcel still waiting keeps the reason in its custody; staff take it from there (exceptions).
      const doors = (await visitDoors(tx, visit.id)).filter((d) => d.state === 'waiting' || d.state === 'open');
      const named = event.trackingNumber ? doors.filter((d) => d.trackingNumber === event.trackingNumber) : doors;
      for (const d of named) {
        const parcel = await lockParcel(tx, d.parcelId);
        await appendCustody(tx, parcel, 'courier_failed', parcel.state, parcel.state, {
          actor: { kind: 'courier', id: event.courierId ?? visit.courierId },
          at,
          compartment: d.compartment,
          evidence: { eventId: event.eventId, visitId: visit.id, reason: event.reason ?? 'other', note: event.note ?? null },
        });
        await courierFailed(tx, parcel, event, at);
      }
      // A visit that never reached the kiosk is over; one under way goes on door by door.
      if (!event.trackingNumber && visit.startedAt === null) await finishVisit(tx, visit.id, 'failed', deps.now(), event.reason ?? 'other');
      return { outcome: 'applied', detail: `${named.length} parcel(s): ${event.reason ?? 'other'}` };
    }
    case 'picked_up':
    case 'delivered':
      // The kiosk's doors (picked_up) and the hall's intake scan (received_at_hall) move the parcels.
      return { outcome: 'recorded', detail: `the courier reports the visit ${event.type.replace('_', ' ')}` };
  }
}

/** A courier's reported failure, on the hall's exceptions list (ADR 0022): one per parcel and event. */
async function courierFailed(tx: Tx, parcel: { id: string; trackingNumber: string }, event: CourierEvent, at: Date): Promise<void> {
  await openException(tx, {
    kind: 'courier_failed',
    subject: exceptionSubject.courierEvent(event.eventId, parcel.id),
    parcelId: parcel.id,
    detail: { trackingNumber: parcel.trackingNumber, orderId: event.orderId, reason: event.reason ?? 'other', note: event.note ?? null },
    at,
  });
}

// ---- the PDA

export interface CourierTask {
  /** the visit's id (an inbound pickup), the result order's id (a delivery, a return pickup) or an address pickup's order id */
  visitId: string;
  kind: 'pickup' | 'delivery';
  /** at a locker's site, or (ADR 0037) from the applicant at their address: `site` is then the address, and there is no code */
  place: 'site' | 'address';
  site: { code: string; name: string; address: string; mapUrl: string };
  contact: string | null;
  /** null on an address pickup: the courier meets the person */
  code: string | null;
  /** the code's second factor (ADR 0018), typed after it on the keypad */
  pin: string | null;
  qr: string | null;
  /** `confirmed`: the last step the courier confirmed or reported on the PDA for it; no compartment on an address pickup */
  parcels: Array<{
    trackingNumber: string;
    compartment: number | null;
    state: string;
    confirmed: { step: string; reason: string | null } | null;
  }>;
  status: string;
}

/** Each parcel's last step on the PDA, by tracking number. */
async function confirmedOf(db: Db, taskId: string): Promise<(tn: string) => { step: string; reason: string | null } | null> {
  const last = new Map((await taskSteps(db, taskId)).map((s) => [s.trackingNumber, { step: s.step, reason: s.reason }]));
  return (tn) => last.get(tn) ?? null;
}

const DOOR_STATE_FOR_PDA: Record<string, string> = {
  waiting: 'to_collect',
  open: 'door_open',
  picked_up: 'picked_up',
  missing: 'missing_at_pickup',
  item_left: 'left_in_locker',
  not_opened: 'door_not_opened',
};

const mapUrlOf = (s: { lat: number; lng: number; siteName: string }) =>
  `https://uri.amap.com/marker?position=${s.lng},${s.lat}&name=${encodeURIComponent(s.siteName)}`;
/** 张三 → 张*; a phone keeps only its last four digits. */
const contactOf = (name: string | null, phone: string | null) => (name ? `${maskName(name)}${phone ? ` ${maskPhone(phone)}` : ''}` : null);

/**
 * The caller's own tasks: a courier user sees the visits and the result orders of the dispatch
 * courier they are linked to, each with its code as digits and as the QR the kiosk's scanner reads.
 */
export async function courierTasks(deps: CourierServiceDeps, userId: string): Promise<CourierTask[]> {
  const courierId = await dispatchCourierOf(deps.db, userId);
  if (!courierId) return [];
  const tasks: CourierTask[] = [];
  for (const v of await courierVisits(deps.db, courierId)) {
    const sealed = v.codeEnc && openVisitCode(deps.visitCodes, v.id, v.codeEnc);
    if (!sealed || !v.codeId) continue;
    const { code, pin } = sealed;
    const doors = await visitDoors(deps.db, v.id);
    const confirmed = await confirmedOf(deps.db, v.id);
    tasks.push({
      visitId: v.id,
      kind: 'pickup',
      place: 'site',
      site: { code: v.siteCode, name: v.siteName, address: v.siteAddress, mapUrl: mapUrlOf(v) },
      contact: contactOf(v.contactName, v.contactPhone),
      code,
      // typed after the code on the kiosk's keypad (ADR 0018); the QR needs nothing more
      pin,
      qr: await visitQr(deps.db, deps.keys, v.codeId),
      parcels: doors
        .filter((d) => d.parcelState !== 'deposited')
        .map((d) => ({
          trackingNumber: d.trackingNumber,
          compartment: d.compartment,
          state: DOOR_STATE_FOR_PDA[d.state] ?? d.state,
          confirmed: confirmed(d.trackingNumber),
        })),
      status: v.status,
    });
  }
  // A result's order into (or back out of) an own kiosk: one parcel, one compartment, one code.
  for (const o of await courierOrderTasks(deps.db, courierId)) {
    const sealed = o.codeEnc && openVisitCode(deps.visitCodes, o.id, o.codeEnc);
    if (!sealed || !o.codeId || o.compartment === null) continue;
    const confirmed = await confirmedOf(deps.db, o.id);
    tasks.push({
      visitId: o.id,
      kind: o.kind,
      place: 'site',
      site: { code: o.siteCode, name: o.siteName, address: o.siteAddress, mapUrl: mapUrlOf(o) },
      contact: contactOf(o.contactName, o.contactPhone),
      code: sealed.code,
      pin: sealed.pin,
      qr: await visitQr(deps.db, deps.keys, o.codeId),
      parcels: [
        {
          trackingNumber: o.trackingNumber,
          compartment: o.compartment,
          state: o.kind === 'delivery' ? 'to_deliver' : 'to_collect',
          confirmed: confirmed(o.trackingNumber),
        },
      ],
      status: o.status,
    });
  }
  // Documents to collect from an applicant at their address (ADR 0037): the address, the masked contact, no code.
  for (const o of await courierAddressTasks(deps.db, courierId)) {
    const confirmed = await confirmedOf(deps.db, o.id);
    tasks.push({
      visitId: o.id,
      kind: 'pickup',
      place: 'address',
      site: {
        code: `address:${o.id}`,
        name: 'Pickup at the applicant’s address (上门取件)',
        address: o.origin,
        mapUrl: `https://uri.amap.com/search?keyword=${encodeURIComponent(o.origin)}`,
      },
      contact: contactOf(o.contactName, o.contactPhone),
      code: null,
      pin: null,
      qr: null,
      parcels: [{ trackingNumber: o.trackingNumber, compartment: null, state: 'to_collect', confirmed: confirmed(o.trackingNumber) }],
      status: o.status,
    });
  }
  return tasks;
}

export interface StepRequest {
  trackingNumber: string;
  step: 'picked_up' | 'delivered' | 'failed';
  reason?: string | undefined;
}

/** What the PDA may confirm on a task of each kind (a failure on either). */
const STEPS_OF: Record<CourierTask['kind'], ReadonlySet<StepRequest['step']>> = {
  pickup: new Set(['picked_up', 'failed']),
  delivery: new Set(['delivered', 'failed']),
};

/**
 * A step the courier confirms (or a failure reported) on the PDA for one parcel of their own visit
 * or result order: recorded once, with a custody record of the parcel; the parcel itself moves by
 * the kiosk's doors. A failure also goes on the hall's exceptions list (ADR 0022), once per parcel.
 * At an applicant's address no door tells: the step moves the documents (ADR 0037).
 */
export async function recordStep(
  deps: CourierServiceDeps,
  userId: string,
  taskId: string,
  s: StepRequest,
): Promise<{ visitId: string; trackingNumber: string; step: string; recorded: boolean; parcelState: string }> {
  const courierId = await dispatchCourierOf(deps.db, userId);
  return withTransaction(deps.db, async (tx) => {
    const task = await lockTask(tx, taskId);
    if (!task) throw new NotFound(`visit ${taskId}`);
    if (!courierId || task.courierId !== courierId) throw new Forbidden('this visit is not yours');
    if (!STEPS_OF[task.kind].has(s.step))
      throw new Conflict(
        'step_not_applicable',
        `a ${task.kind} is not ${s.step.replace('_', ' ')}: confirm ${[...STEPS_OF[task.kind]].join(' or ')}`,
      );
    const door = task.doors.find((d) => d.trackingNumber === s.trackingNumber);
    if (!door) throw new NotFound(`parcel ${s.trackingNumber} in this visit`);
    const parcel = await lockParcelByTrackingNumber(tx, s.trackingNumber);
    const at = deps.now();
    const step = { parcelId: parcel.id, step: s.step, reason: s.reason ?? null, userId, at };
    const recorded =
      task.kind === 'pickup' && task.isVisit
        ? await insertVisitStep(tx, { visitId: taskId, ...step })
        : await insertOrderStep(tx, { orderId: taskId, ...step });
    if (recorded && task.atAddress) {
      // At an address no door tells what happened (ADR 0037): the courier's word moves the documents.
      const ctx = {
        actor: { kind: 'courier' as const, id: userId },
        at,
        evidence: { orderId: taskId, reason: s.reason ?? null, via: 'pda' },
      };
      const now =
        s.step === 'picked_up'
          ? await addressPickupCollected(tx, parcel, taskId, ctx)
          : await addressPickupFailed(
              tx,
              parcel,
              {
                orderId: taskId,
                reason: s.reason ?? 'other',
                note: null,
                subject: exceptionSubject.courierStep(taskId, parcel.id),
                via: 'pda',
              },
              ctx,
            );
      return { visitId: taskId, trackingNumber: s.trackingNumber, step: s.step, recorded, parcelState: now.state };
    }
    if (recorded) {
      await appendCustody(tx, parcel, `courier_step_${s.step}`, parcel.state, parcel.state, {
        actor: { kind: 'courier', id: userId },
        at,
        siteId: task.siteId,
        compartment: door.compartment,
        evidence: { visitId: taskId, reason: s.reason ?? null, via: 'pda' },
      });
      if (s.step === 'failed') {
        await openException(tx, {
          kind: 'courier_failed',
          subject: exceptionSubject.courierStep(taskId, parcel.id),
          parcelId: parcel.id,
          siteId: task.siteId,
          detail: { trackingNumber: parcel.trackingNumber, orderId: taskId, task: task.kind, reason: s.reason ?? 'other', via: 'pda' },
          at,
        });
      }
    }
    return { visitId: taskId, trackingNumber: s.trackingNumber, step: s.step, recorded, parcelState: parcel.state };
  });
}

/** A visit or a result order, locked, with whose it is and its parcels' doors. */
async function lockTask(
  tx: Tx,
  taskId: string,
): Promise<{
  kind: CourierTask['kind'];
  isVisit: boolean;
  /** an address pickup (ADR 0037) */
  atAddress: boolean;
  courierId: string | null;
  siteId: string | null;
  doors: Array<{ trackingNumber: string; compartment: number | null }>;
} | null> {
  const visit = await lockVisit(tx, taskId);
  if (visit)
    return {
      kind: 'pickup',
      isVisit: true,
      atAddress: false,
      courierId: visit.courierId,
      siteId: visit.siteId,
      doors: await visitDoors(tx, taskId),
    };
  const atAddress = await lockAddressTask(tx, taskId);
  if (atAddress)
    return {
      kind: 'pickup',
      isVisit: false,
      atAddress: true,
      courierId: atAddress.courierId,
      siteId: null,
      doors: [{ trackingNumber: atAddress.trackingNumber, compartment: null }],
    };
  const order = await lockOrderTask(tx, taskId);
  if (!order || order.compartment === null) return null;
  return {
    kind: order.kind,
    isVisit: false,
    atAddress: false,
    courierId: order.courierId,
    siteId: order.siteId,
    doors: [{ trackingNumber: order.trackingNumber, compartment: order.compartment }],
  };
}
