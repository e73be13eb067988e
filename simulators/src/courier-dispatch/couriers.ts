// SIMULATED couriers doing their rounds: each reads its own orders from the courier dispatch
// simulator (as its PDA would), travels to the site (a configurable delay), uses the order's code as
// a person would — typed at an own kiosk's keypad through the kiosk agent's local API, door by door
// for a visit (takes the envelope if it is there, closes the door, waits for the next door to open),
// or typed at a partner locker's keypad — reports each parcel not found and the pickup to the
// dispatch system (which tells the hub by webhook), travels to the hall and reports the delivery.
// Results go the other way first: the courier takes each delivery order's result at the hall
// (reports it picked up), travels to its own kiosk, types the deliver code, puts the envelope in,
// closes the door and reports it delivered.
// A delivery order into a partner locker (a result going back to its applicant) is taken at the
// hall, carried to the locker and put in with the partner's deliver code typed at its keypad.
import { randomUUID } from 'node:crypto';
import type { DispatchedOrder } from './server.js';

/** An own kiosk: its agent's local API, and the "person at the locker" control of its lock boards. */
export interface OwnKioskPlace {
  kind: 'own';
  kioskUrl: string;
  controlUrl: string;
  /** where a compartment's lock is on the boards */
  lockOf: (compartment: number) => { board: number; lock: number };
  /** scan the order's QR token instead of typing the digits */
  useQr?: boolean;
}

/** A partner locker: its keypad (the partner network simulator's control API). */
export interface PartnerPlace {
  kind: 'partner';
  keypad: (code: string) => Promise<unknown>;
}

export interface DoorVisit {
  compartment: number;
  trackingNumber: string | null;
  /** the envelope was there and the courier took it */
  took: boolean;
  /** a delivery: the courier put the envelope in */
  left?: boolean;
}

export interface CourierRound {
  kind: 'pickup' | 'delivery';
  orderId: string;
  siteCode: string;
  doors: DoorVisit[];
  outcome: 'picked_up' | 'delivered' | 'failed';
  reason?: string;
}

export interface CourierRoundsOptions {
  dispatchUrl: string;
  courierId: string;
  /** travel time to a site and from the last site to the hall */
  travelMs: number;
  /** how long the courier takes at an open door */
  handleMs: number;
  places: Record<string, OwnKioskPlace | PartnerPlace>;
  /** how long to wait for a visit's next door to open */
  nextDoorTimeoutMs?: number;
  /**
   * after each report, wait until the dispatch system has delivered its webhooks (its PDA shows
   * "synced"), so the hub hears of each step before the courier's next one: a test's custody order
   */
  awaitWebhooks?: boolean;
  fetchFn?: typeof fetch;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ADDRESS = 'address';
/** The order's site, or `address` for a pickup from a person at an address (ADR 0037), which no place is. */
const siteCodeOf = (o: DispatchedOrder): string => o.site?.code ?? ADDRESS;

export class SimulatedCourier {
  readonly rounds: CourierRound[] = [];
  private readonly f: typeof fetch;
  private stopped = false;
  private loop: Promise<void> | null = null;

  constructor(private readonly opts: CourierRoundsOptions) {
    this.f = opts.fetchFn ?? fetch;
  }

  /** Does the rounds over and over (every `everyMs` when there is nothing to do) until stopped. */
  start(everyMs = 1_000): void {
    this.loop ??= (async () => {
      while (!this.stopped) {
        const done = await this.roundOnce().catch(() => []);
        if (done.length === 0) await sleep(everyMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** One round: every order assigned to this courier now, site by site, then to the hall. */
  async roundOnce(): Promise<CourierRound[]> {
    const orders = (
      (await this.json('GET', `/api/couriers/${encodeURIComponent(this.opts.courierId)}/orders`)) as { orders: DispatchedOrder[] }
    ).orders;
    const done: CourierRound[] = [];
    // Results first: taken at the hall, then into their kiosks' compartments.
    const deliveries = orders.filter((o) => o.kind === 'delivery' && o.code && this.opts.places[siteCodeOf(o)]?.kind === 'own');
    for (const order of deliveries) await this.report(order.orderId, { type: 'picked_up' });
    for (const order of deliveries) {
      await sleep(this.opts.travelMs);
      const round = await this.deliverAtOwnKiosk(order, this.opts.places[siteCodeOf(order)] as OwnKioskPlace);
      if (round.outcome === 'delivered') await this.report(order.orderId, { type: 'delivered' });
      else await this.report(order.orderId, { type: 'failed', reason: round.reason ?? 'cannot_open' });
      done.push(round);
      this.rounds.push(round);
    }
    for (const order of orders.filter((o) => o.kind === 'pickup')) {
      if (order.origin) {
        // An address pickup (ADR 0037): the courier rings, the applicant hands the envelope over.
        await sleep(this.opts.travelMs);
        const round: CourierRound = { kind: 'pickup', orderId: order.orderId, siteCode: ADDRESS, doors: [], outcome: 'picked_up' };
        await this.report(order.orderId, { type: 'picked_up' });
        done.push(round);
        this.rounds.push(round);
        continue;
      }
      const place = this.opts.places[siteCodeOf(order)];
      if (!place) continue;
      await sleep(this.opts.travelMs);
      const round = place.kind === 'own' ? await this.atOwnKiosk(order, place) : await this.atPartnerLocker(order, place);
      for (const d of round.doors) {
        if (!d.took && d.trackingNumber)
          await this.report(order.orderId, { type: 'failed', trackingNumber: d.trackingNumber, reason: 'parcel_not_found' });
      }
      if (round.outcome === 'picked_up') await this.report(order.orderId, { type: 'picked_up' });
      else await this.report(order.orderId, { type: 'failed', reason: round.reason ?? 'cannot_open' });
      done.push(round);
      this.rounds.push(round);
    }
    if (done.some((r) => r.kind === 'pickup' && r.outcome === 'picked_up')) {
      await sleep(this.opts.travelMs);
      for (const r of done) if (r.kind === 'pickup' && r.outcome === 'picked_up') await this.report(r.orderId, { type: 'delivered' });
    }
    for (const order of orders.filter((o) => o.kind === 'delivery' && o.code !== undefined)) {
      const place = this.opts.places[siteCodeOf(order)];
      if (place?.kind !== 'partner') continue;
      done.push(await this.deliverToPartnerLocker(order, place));
    }
    return done;
  }

  /** Takes the result at the hall, carries it to the partner locker and puts it in with the deliver code. */
  private async deliverToPartnerLocker(order: DispatchedOrder, place: PartnerPlace): Promise<CourierRound> {
    await this.report(order.orderId, { type: 'picked_up' });
    await sleep(this.opts.travelMs);
    const round: CourierRound = { kind: 'delivery', orderId: order.orderId, siteCode: siteCodeOf(order), doors: [], outcome: 'delivered' };
    try {
      await place.keypad(order.code!);
      round.doors.push({ compartment: order.compartment ?? 0, trackingNumber: order.trackingNumber, took: false });
      await this.report(order.orderId, { type: 'delivered' });
    } catch {
      round.outcome = 'failed';
      round.reason = 'cannot_open';
      await this.report(order.orderId, { type: 'failed', reason: 'cannot_open' });
    }
    this.rounds.push(round);
    return round;
  }

  /** A result into its compartment: the deliver code (and its PIN) opens the door, the envelope goes in, the door shuts. */
  private async deliverAtOwnKiosk(order: DispatchedOrder, place: OwnKioskPlace): Promise<CourierRound> {
    const round: CourierRound = { kind: 'delivery', orderId: order.orderId, siteCode: siteCodeOf(order), doors: [], outcome: 'delivered' };
    const res = await this.f(`${place.kioskUrl}/api/code`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: order.code, factor: order.pin }),
    });
    const opened = (await res.json()) as { status: string; compartment?: number };
    if (opened.status !== 'opened' || opened.compartment === undefined) return { ...round, outcome: 'failed', reason: 'cannot_open' };
    const { board, lock } = place.lockOf(opened.compartment);
    const lockUrl = `${place.controlUrl}/boards/${board}/locks/${lock}`;
    if (
      !(await this.until(
        async () => ((await this.json('GET', lockUrl, undefined, true)) as { latchClosed: boolean }).latchClosed === false,
      ))
    )
      return { ...round, outcome: 'failed', reason: 'cannot_open' };
    await this.json('POST', `${lockUrl}/item`, { present: true }, true);
    await sleep(this.opts.handleMs);
    await this.json('POST', `${lockUrl}/close`, {}, true);
    round.doors.push({ compartment: opened.compartment, trackingNumber: order.trackingNumber, took: false, left: true });
    return round;
  }

  private async atOwnKiosk(order: DispatchedOrder, place: OwnKioskPlace): Promise<CourierRound> {
    const round: CourierRound = { kind: 'pickup', orderId: order.orderId, siteCode: siteCodeOf(order), doors: [], outcome: 'picked_up' };
    // The QR needs nothing more; the keypad code is typed with its PIN (ADR 0018).
    const useQr = place.useQr && order.qr;
    const res = await this.f(`${place.kioskUrl}/api/code`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(useQr ? { code: order.qr } : { code: order.code, factor: order.pin }),
    });
    const first = (await res.json()) as {
      status: string;
      code?: string;
      compartment?: number;
      visit?: { doors: number[]; position: number };
    };
    if (first.status !== 'opened' || first.compartment === undefined) {
      return { ...round, outcome: 'failed', reason: first.status === 'refused' ? 'cannot_open' : 'cannot_open' };
    }
    const tracking = (c: number) =>
      (order.parcels ?? [{ trackingNumber: order.trackingNumber, compartment: order.compartment }]).find((p) => p.compartment === c)
        ?.trackingNumber ?? null;
    const doors = first.visit?.doors ?? [first.compartment];
    for (let i = (first.visit?.position ?? 1) - 1; i < doors.length; i++) {
      const compartment = doors[i]!;
      const { board, lock } = place.lockOf(compartment);
      const lockUrl = `${place.controlUrl}/boards/${board}/locks/${lock}`;
      // The door the screen names: wait until it stands open (the kiosk opens each next door itself).
      if (
        !(await this.until(
          async () => ((await this.json('GET', lockUrl, undefined, true)) as { latchClosed: boolean }).latchClosed === false,
        ))
      ) {
        return { ...round, outcome: round.doors.some((d) => d.took) ? 'picked_up' : 'failed', reason: 'cannot_open' };
      }
      const view = (await this.json('GET', lockUrl, undefined, true)) as { itemPresent: boolean | null };
      const took = view.itemPresent === true;
      if (took) await this.json('POST', `${lockUrl}/item`, { present: false }, true);
      await sleep(this.opts.handleMs);
      await this.json('POST', `${lockUrl}/close`, {}, true);
      round.doors.push({ compartment, trackingNumber: tracking(compartment), took: took || view.itemPresent === null });
    }
    if (!round.doors.some((d) => d.took)) return { ...round, outcome: 'failed', reason: 'parcel_not_found' };
    return round;
  }

  private async atPartnerLocker(order: DispatchedOrder, place: PartnerPlace): Promise<CourierRound> {
    try {
      if (!order.code || order.compartment === undefined) throw new Error('a pickup order without a code or compartment');
      await place.keypad(order.code);
      return {
        kind: 'pickup',
        orderId: order.orderId,
        siteCode: siteCodeOf(order),
        doors: [{ compartment: order.compartment, trackingNumber: order.trackingNumber, took: true }],
        outcome: 'picked_up',
      };
    } catch {
      return { kind: 'pickup', orderId: order.orderId, siteCode: siteCodeOf(order), doors: [], outcome: 'failed', reason: 'cannot_open' };
    }
  }

  private async until(check: () => Promise<boolean>): Promise<boolean> {
    const deadline = Date.now() + (this.opts.nextDoorTimeoutMs ?? 15_000);
    while (Date.now() < deadline) {
      if (await check()) return true;
      await sleep(100);
    }
    return false;
  }

  private async report(
    orderId: string,
    r: { type: 'picked_up' | 'delivered' | 'failed'; trackingNumber?: string; reason?: string },
  ): Promise<void> {
    await this.json('POST', `/api/orders/${orderId}/events`, { requestId: randomUUID(), courierId: this.opts.courierId, ...r });
    if (this.opts.awaitWebhooks)
      await this.until(async () => ((await this.json('GET', '/api/webhooks')) as { pending: number }).pending === 0);
  }

  private async json(method: string, path: string, body?: unknown, absolute = false): Promise<unknown> {
    const res = await this.f(absolute ? path : `${this.opts.dispatchUrl}${path}`, {
      method,
      ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
    return text ? (JSON.parse(text) as unknown) : null;
  }
}
