// The partner locker network's state, without HTTP: sites → devices → compartments per size with
// occupancy, reservations and their lifecycle, and the event log. A device's compartments are
// numbered S first, then M, L, XL; the data set's occupancy ("other people's parcels") is a count
// per size, reservations hold numbered compartments on top. Time comes from the clock it is given
// (the simulator's reservation clock, which a test may move).
//
// Reservation lifecycle: reserved → deposited → collected, or reserved → expired | cancelled.
// Every transition appends one event (code_issued, deposited, collected, expired, cancelled) with
// a global, strictly increasing seq; listeners (the webhook dispatcher) hear each one once.
// A reservation 'for delivery' runs the other way: a courier deposits with its open-code (the
// deliver code); the deposit issues the recipient's collection code (in the `deposited` event) and
// starts the holding period; the recipient collects with it (`collected` by the recipient), or,
// once the hold has run out (`hold_expired`, the collection code stops working) or the owner asked
// for the pickup code (the return code, which also ends the collection code), a courier takes it
// back (`collected` by a courier). A locker may refuse a courier's deposit (`deposit_refused`).
// Every door that opens is recorded (`doorOpenings`): which code opened which compartment.
import { randomBytes, randomInt } from 'node:crypto';
import {
  PARTNER_ERRORS,
  PARTNER_SIZES,
  acceptableSizes,
  type NearestSite,
  type NearestSitesQuery,
  type ListSitesQuery,
  type PartnerDevice,
  type PartnerErrorCode,
  type PartnerEvent,
  type PartnerSite,
  type PartnerSize,
  type PickupCode,
  type Reservation,
  type ReservationState,
  type ReserveRequestParsed,
  type SitePage,
} from '@xinbao/protocol';
import type { SiteSeed } from './dataset.js';
import { GridIndex } from './geo.js';

/** Errors of the simulator's control API only (not part of the partner contract). */
/** The control API's own codes (it is ours, not the partner's): `unknown_field` as every API of ours answers it (ADR 0020). */
export const CONTROL_ERRORS = { WRONG_CODE: { status: 403 }, unknown_field: { status: 400 } } as const;
export type ControlErrorCode = keyof typeof CONTROL_ERRORS;

export class PartnerFailure extends Error {
  readonly status: number;
  constructor(
    readonly code: PartnerErrorCode | ControlErrorCode,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.status =
      code in CONTROL_ERRORS ? CONTROL_ERRORS[code as ControlErrorCode].status : PARTNER_ERRORS[code as PartnerErrorCode].status;
  }
}

interface SizeState {
  total: number;
  /** occupied by parcels outside the simulation (from the data set or the control API) */
  baseline: number;
  /** compartment numbers held by live reservations */
  held: Set<number>;
  firstNo: number;
}

interface DeviceState {
  deviceId: string;
  site: SiteState;
  status: 'online' | 'offline' | 'fault';
  sizes: Record<PartnerSize, SizeState>;
  /** live open-codes, collection codes and pickup codes on this device → reservation id */
  codes: Map<string, string>;
}

interface SiteState {
  siteId: string;
  name: string;
  address: string;
  district: string;
  lat: number;
  lng: number;
  devices: DeviceState[];
  updatedAtMs: number;
}

export interface ReservationRecord {
  reservationId: string;
  appId: string;
  requestId: string;
  /** the request's fields that must match on a replay with the same requestId */
  fingerprint: string;
  reference: string | null;
  device: DeviceState;
  compartmentNo: number;
  requestedSize: PartnerSize;
  size: PartnerSize;
  allowLarger: boolean;
  durationMinutes: number;
  codeDelivery: 'sync' | 'callback';
  callbackUrl: string | null;
  state: ReservationState;
  purpose: 'drop_off' | 'delivery';
  holdMinutes: number;
  openCode: string;
  codeIssuedAtMs: number | null;
  /** delivery: the recipient's code, from the deposit until it is used, the hold runs out or a return code is issued */
  collectionCode: string | null;
  collectionCodeLive: boolean;
  holdUntilMs: number | null;
  holdExpiredAtMs: number | null;
  /** delivery: why the locker will refuse the next deposit (control API), once */
  refuseNextDeposit: string | null;
  pickupCode: string | null;
  pickupCodeIssuedAtMs: number | null;
  createdAtMs: number;
  expiresAtMs: number;
  depositedAtMs: number | null;
  collectedAtMs: number | null;
  expiredAtMs: number | null;
  cancelledAtMs: number | null;
}

export type EventListener = (event: PartnerEvent, reservation: ReservationRecord) => void;

/** Which code a door was opened with. */
export type DoorCode = 'open' | 'deliver' | 'collection' | 'pickup' | 'return';

/** One door of a device that opened, and the code (kind and digits) that opened it. */
export interface DoorOpening {
  at: string;
  deviceId: string;
  compartmentNo: number;
  reservationId: string;
  code: string;
  codeKind: DoorCode;
}

export const DEFAULT_HOLD_MINUTES = 7 * 24 * 60;

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export class PartnerNetwork {
  private readonly sites: SiteState[] = [];
  private readonly siteById = new Map<string, SiteState>();
  private readonly deviceById = new Map<string, DeviceState>();
  private readonly index: GridIndex<SiteState>;
  private readonly reservations = new Map<string, ReservationRecord>();
  private readonly byRequest = new Map<string, string>();
  /** reserved (not yet deposited) reservations: the ones that can expire */
  private readonly pending = new Set<ReservationRecord>();
  private readonly eventsByApp = new Map<string, PartnerEvent[]>();
  private readonly listeners: EventListener[] = [];
  private seq = 0;
  private eventCount = 0;
  /** every door opened by a code, in order (control API) */
  readonly doorOpenings: DoorOpening[] = [];
  /** when set, every new reservation lasts this long instead of its durationMinutes (control API) */
  durationOverrideMs: number | null = null;

  constructor(
    seeds: readonly SiteSeed[],
    private readonly now: () => number,
  ) {
    const t = now();
    for (const s of seeds) {
      const site: SiteState = {
        siteId: s.siteId,
        name: s.name,
        address: s.address,
        district: s.district,
        lat: s.lat,
        lng: s.lng,
        devices: [],
        updatedAtMs: t,
      };
      for (const d of s.devices) {
        let next = 1;
        const sizes = {} as Record<PartnerSize, SizeState>;
        for (const size of PARTNER_SIZES) {
          const { total, occupied } = d.compartments[size];
          sizes[size] = { total, baseline: Math.min(total, occupied), held: new Set(), firstNo: next };
          next += total;
        }
        const device: DeviceState = { deviceId: d.deviceId, site, status: d.status, sizes, codes: new Map() };
        if (this.deviceById.has(device.deviceId)) throw new Error(`duplicate device id ${device.deviceId}`);
        site.devices.push(device);
        this.deviceById.set(device.deviceId, device);
      }
      if (this.siteById.has(site.siteId)) throw new Error(`duplicate site id ${site.siteId}`);
      this.sites.push(site);
      this.siteById.set(site.siteId, site);
    }
    this.index = new GridIndex(this.sites);
  }

  onEvent(listener: EventListener): void {
    this.listeners.push(listener);
  }

  get siteCount(): number {
    return this.sites.length;
  }

  // ---- sites -----------------------------------------------------------------------------

  listSites(q: ListSitesQuery): SitePage {
    const since = q.updatedSince === undefined ? -Infinity : Date.parse(q.updatedSince);
    const matching = this.sites.filter((s) => s.updatedAtMs >= since && (q.district === undefined || s.district === q.district));
    const start = (q.page - 1) * q.pageSize;
    return {
      sites: matching.slice(start, start + q.pageSize).map((s) => this.siteView(s)),
      page: q.page,
      pageSize: q.pageSize,
      total: matching.length,
    };
  }

  site(siteId: string): PartnerSite {
    const s = this.siteById.get(siteId);
    if (!s) throw new PartnerFailure('NOT_FOUND', `no site ${siteId}`);
    return this.siteView(s);
  }

  device(deviceId: string): PartnerDevice & { siteId: string } {
    const d = this.deviceById.get(deviceId);
    if (!d) throw new PartnerFailure('NOT_FOUND', `no device ${deviceId}`);
    return { ...this.deviceView(d), siteId: d.site.siteId };
  }

  nearest(q: NearestSitesQuery): NearestSite[] {
    const size = q.size;
    const accept =
      size === undefined ? undefined : (s: SiteState) => s.devices.some((d) => d.status === 'online' && this.free(d, size) > 0);
    return this.index
      .nearest(q.lat, q.lng, q.radius, q.limit, accept)
      .map(({ item, distanceM }) => ({ ...this.siteView(item), distanceMeters: Math.round(distanceM) }));
  }

  private siteView(s: SiteState): PartnerSite {
    return {
      siteId: s.siteId,
      name: s.name,
      address: s.address,
      district: s.district,
      lat: s.lat,
      lng: s.lng,
      status: s.devices.some((d) => d.status === 'online') ? 'online' : 'offline',
      devices: s.devices.map((d) => this.deviceView(d)),
      updatedAt: iso(s.updatedAtMs),
    };
  }

  private deviceView(d: DeviceState): PartnerDevice {
    const stock = (size: PartnerSize) => ({ total: d.sizes[size].total, free: this.free(d, size) });
    return { deviceId: d.deviceId, status: d.status, compartments: { S: stock('S'), M: stock('M'), L: stock('L'), XL: stock('XL') } };
  }

  private free(d: DeviceState, size: PartnerSize): number {
    const s = d.sizes[size];
    return Math.max(0, s.total - s.baseline - s.held.size);
  }

  // ---- reservations ----------------------------------------------------------------------

  /** Reserves a compartment, or answers the reservation already made under this requestId. */
  reserve(appId: string, req: ReserveRequestParsed): { reservation: Reservation; created: boolean } {
    const fingerprint = JSON.stringify([
      req.deviceId ?? null,
      req.siteId ?? null,
      req.size,
      req.allowLarger,
      req.durationMinutes,
      req.codeDelivery,
      req.callbackUrl ?? null,
      req.reference ?? null,
      req.purpose,
      req.holdMinutes ?? null,
    ]);
    const key = `${appId}\u0000${req.requestId}`;
    const prior = this.byRequest.get(key);
    if (prior !== undefined) {
      const r = this.reservations.get(prior)!;
      if (r.fingerprint !== fingerprint)
        throw new PartnerFailure('REQUEST_ID_CONFLICT', `requestId ${req.requestId} was already used for a different reservation request`);
      return { reservation: this.view(r), created: false };
    }

    let candidates: DeviceState[];
    if (req.deviceId !== undefined) {
      const d = this.deviceById.get(req.deviceId);
      if (!d) throw new PartnerFailure('NOT_FOUND', `no device ${req.deviceId}`);
      candidates = [d];
    } else {
      const s = this.siteById.get(req.siteId!);
      if (!s) throw new PartnerFailure('NOT_FOUND', `no site ${req.siteId}`);
      candidates = s.devices;
    }
    const online = candidates.filter((d) => d.status === 'online');
    if (online.length === 0)
      throw new PartnerFailure(
        'DEVICE_OFFLINE',
        req.deviceId !== undefined ? `device ${req.deviceId} is ${candidates[0]!.status}` : `no device of site ${req.siteId} is online`,
      );
    let chosen: { device: DeviceState; size: PartnerSize } | undefined;
    for (const size of acceptableSizes(req.size, req.allowLarger)) {
      const device = online.find((d) => this.free(d, size) > 0);
      if (device) {
        chosen = { device, size };
        break;
      }
    }
    if (!chosen) {
      const what = req.allowLarger ? `size ${req.size} or larger` : `size ${req.size}`;
      throw new PartnerFailure(
        'NO_COMPARTMENT',
        `no free compartment of ${what} ${req.deviceId !== undefined ? `on device ${req.deviceId}` : `at site ${req.siteId}`}`,
      );
    }

    const { device, size } = chosen;
    const t = this.now();
    const compartmentNo = this.takeCompartment(device, size);
    const r: ReservationRecord = {
      reservationId: `rsv_${randomBytes(10).toString('hex')}`,
      appId,
      requestId: req.requestId,
      fingerprint,
      reference: req.reference ?? null,
      device,
      compartmentNo,
      requestedSize: req.size,
      size,
      allowLarger: req.allowLarger,
      durationMinutes: req.durationMinutes,
      codeDelivery: req.codeDelivery,
      callbackUrl: req.callbackUrl ?? null,
      state: 'reserved',
      purpose: req.purpose,
      holdMinutes: req.holdMinutes ?? DEFAULT_HOLD_MINUTES,
      openCode: this.newCode(device),
      codeIssuedAtMs: null,
      collectionCode: null,
      collectionCodeLive: false,
      holdUntilMs: null,
      holdExpiredAtMs: null,
      refuseNextDeposit: null,
      pickupCode: null,
      pickupCodeIssuedAtMs: null,
      createdAtMs: t,
      expiresAtMs: t + (this.durationOverrideMs ?? req.durationMinutes * 60_000),
      depositedAtMs: null,
      collectedAtMs: null,
      expiredAtMs: null,
      cancelledAtMs: null,
    };
    device.codes.set(r.openCode, r.reservationId);
    this.reservations.set(r.reservationId, r);
    this.byRequest.set(key, r.reservationId);
    this.pending.add(r);
    this.touch(device);
    if (r.codeDelivery === 'sync') this.issueCode(r.reservationId);
    return { reservation: this.view(r), created: true };
  }

  /** Makes the open-code known (event code_issued). Immediate for 'sync'; the server calls it later for 'callback'. */
  issueCode(reservationId: string): void {
    const r = this.reservations.get(reservationId);
    if (!r || r.state !== 'reserved' || r.codeIssuedAtMs !== null) return;
    r.codeIssuedAtMs = this.now();
    this.emit(r, 'code_issued', { openCode: r.openCode, compartmentNo: r.compartmentNo, size: r.size, expiresAt: iso(r.expiresAtMs) });
  }

  /** The owner's view of a reservation; another app gets NOT_FOUND, as if it did not exist. */
  reservation(appId: string, reservationId: string): Reservation {
    return this.view(this.owned(appId, reservationId));
  }

  cancel(appId: string, reservationId: string): Reservation {
    const r = this.owned(appId, reservationId);
    switch (r.state) {
      case 'reserved':
        this.end(r, 'cancelled');
        break;
      case 'cancelled':
      case 'expired':
        break; // already over: cancelling again changes nothing
      case 'deposited':
      case 'collected':
        throw new PartnerFailure(
          'INVALID_STATE',
          `reservation ${reservationId} is ${r.state}: a parcel was deposited, it cannot be cancelled`,
        );
    }
    return this.view(r);
  }

  /** The code that opens the compartment for collection (the courier's pickup code). Same code on every call. */
  pickupCode(appId: string, reservationId: string): PickupCode {
    const r = this.owned(appId, reservationId);
    if (r.state !== 'deposited')
      throw new PartnerFailure(
        'INVALID_STATE',
        `reservation ${reservationId} is ${r.state}: a pickup code exists only for a deposited parcel`,
      );
    if (r.pickupCode === null) {
      r.pickupCode = this.newCode(r.device);
      r.pickupCodeIssuedAtMs = this.now();
      r.device.codes.set(r.pickupCode, r.reservationId);
      // A delivery taken back: from now on only the courier's return code opens the door.
      this.endCollectionCode(r);
    }
    return { reservationId, pickupCode: r.pickupCode, issuedAt: iso(r.pickupCodeIssuedAtMs!) };
  }

  // ---- what happens at the locker (control API) ------------------------------------------

  /**
   * Someone deposits a parcel. With a code, it must be the reservation's open-code. A delivery's
   * deposit may be refused by the locker (a faulty device, or the control API's refuse-deposit):
   * the door stays shut, the reservation stays reserved, and the event deposit_refused says why.
   */
  deposit(reservationId: string, code?: string): Reservation {
    const r = this.any(reservationId);
    if (r.state !== 'reserved') throw new PartnerFailure('INVALID_STATE', `reservation ${reservationId} is ${r.state}, not reserved`);
    if (code !== undefined && code !== r.openCode) throw new PartnerFailure('WRONG_CODE', 'that is not this reservation’s open-code');
    if (r.purpose === 'delivery') {
      const refusal = r.device.status !== 'online' ? `the device is ${r.device.status}` : r.refuseNextDeposit;
      if (refusal !== null) {
        r.refuseNextDeposit = null;
        this.emit(r, 'deposit_refused', { compartmentNo: r.compartmentNo, reason: refusal });
        throw new PartnerFailure('INVALID_STATE', `the locker refused the deposit: ${refusal}`);
      }
    }
    const t = this.now();
    r.state = 'deposited';
    r.depositedAtMs = t;
    r.device.codes.delete(r.openCode);
    this.pending.delete(r);
    this.touch(r.device);
    if (code !== undefined) this.opened(r, code, r.purpose === 'delivery' ? 'deliver' : 'open');
    if (r.purpose === 'delivery') {
      r.collectionCode = this.newCode(r.device);
      r.collectionCodeLive = true;
      r.device.codes.set(r.collectionCode, r.reservationId);
      r.holdUntilMs = t + r.holdMinutes * 60_000;
      this.emit(r, 'deposited', {
        compartmentNo: r.compartmentNo,
        size: r.size,
        collectionCode: r.collectionCode,
        holdUntil: iso(r.holdUntilMs),
      });
    } else {
      this.emit(r, 'deposited', { compartmentNo: r.compartmentNo, size: r.size });
    }
    return this.view(r);
  }

  /** Control API: the locker will refuse the next courier deposit of this delivery, for `reason`. */
  refuseNextDeposit(reservationId: string, reason: string): Reservation {
    const r = this.any(reservationId);
    if (r.purpose !== 'delivery' || r.state !== 'reserved')
      throw new PartnerFailure('INVALID_STATE', `reservation ${reservationId} is not a delivery awaiting its deposit`);
    r.refuseNextDeposit = reason;
    return this.view(r);
  }

  /**
   * Someone collects the parcel. With a code, it must be the reservation's pickup code (a courier)
   * or, for a delivery, its live collection code (the recipient).
   */
  collect(reservationId: string, code?: string): Reservation {
    const r = this.any(reservationId);
    if (r.state !== 'deposited') throw new PartnerFailure('INVALID_STATE', `reservation ${reservationId} is ${r.state}, not deposited`);
    const byRecipient = code !== undefined && r.collectionCodeLive && code === r.collectionCode;
    if (code !== undefined && !byRecipient && code !== r.pickupCode)
      throw new PartnerFailure('WRONG_CODE', 'that is not this reservation’s pickup code');
    r.state = 'collected';
    r.collectedAtMs = this.now();
    if (code !== undefined) this.opened(r, code, byRecipient ? 'collection' : r.purpose === 'delivery' ? 'return' : 'pickup');
    if (r.pickupCode !== null) r.device.codes.delete(r.pickupCode);
    this.endCollectionCode(r);
    this.release(r);
    if (r.purpose === 'delivery') this.emit(r, 'collected', { compartmentNo: r.compartmentNo, by: byRecipient ? 'recipient' : 'courier' });
    else this.emit(r, 'collected', { compartmentNo: r.compartmentNo });
    return this.view(r);
  }

  /**
   * A code typed at a device's keypad: an issued open-code deposits (a delivery's: the courier's
   * deliver code), a pickup code or a live collection code collects. Each opens its own door, once.
   */
  keypad(deviceId: string, code: string): Reservation {
    const d = this.deviceById.get(deviceId);
    if (!d) throw new PartnerFailure('NOT_FOUND', `no device ${deviceId}`);
    this.expireDue();
    const r = this.reservations.get(d.codes.get(code) ?? '');
    if (r && r.state === 'reserved' && r.codeIssuedAtMs !== null && r.openCode === code) return this.deposit(r.reservationId, code);
    if (r && r.state === 'deposited' && (r.pickupCode === code || (r.collectionCodeLive && r.collectionCode === code)))
      return this.collect(r.reservationId, code);
    throw new PartnerFailure('WRONG_CODE', `code not valid at device ${deviceId}`);
  }

  /**
   * Expires every reserved reservation whose time is up, and ends the holding period of every
   * delivery whose recipient did not come in time (its collection code stops working). Returns the
   * reservations that expired.
   */
  expireDue(): string[] {
    const t = this.now();
    const due = [...this.pending].filter((r) => r.expiresAtMs <= t);
    for (const r of due) this.end(r, 'expired');
    for (const r of this.holding) if (r.holdUntilMs !== null && r.holdUntilMs <= t) this.endHold(r);
    return due.map((r) => r.reservationId);
  }

  /** Control API: ends a deposited delivery's holding period now, whatever its time. */
  expireHoldNow(reservationId: string): Reservation {
    const r = this.any(reservationId);
    if (r.purpose !== 'delivery' || r.state !== 'deposited' || r.holdExpiredAtMs !== null)
      throw new PartnerFailure('INVALID_STATE', `reservation ${reservationId} is not a delivery held for its recipient`);
    this.endHold(r);
    return this.view(r);
  }

  /** Deposited deliveries whose recipient's code still works. */
  private get holding(): ReservationRecord[] {
    return [...this.reservations.values()].filter(
      (r) => r.purpose === 'delivery' && r.state === 'deposited' && r.holdExpiredAtMs === null && r.collectionCodeLive,
    );
  }

  private endHold(r: ReservationRecord): void {
    r.holdExpiredAtMs = this.now();
    this.endCollectionCode(r);
    this.emit(r, 'hold_expired', { compartmentNo: r.compartmentNo });
  }

  private endCollectionCode(r: ReservationRecord): void {
    if (r.collectionCode !== null && r.collectionCodeLive) r.device.codes.delete(r.collectionCode);
    r.collectionCodeLive = false;
  }

  private opened(r: ReservationRecord, code: string, codeKind: DoorCode): void {
    this.doorOpenings.push({
      at: iso(this.now()),
      deviceId: r.device.deviceId,
      compartmentNo: r.compartmentNo,
      reservationId: r.reservationId,
      code,
      codeKind,
    });
  }

  /** Expires reserved reservations now, whatever their time (one, or all). */
  expireNow(reservationId?: string): string[] {
    const targets = reservationId === undefined ? [...this.pending] : [this.any(reservationId)];
    for (const r of targets)
      if (r.state !== 'reserved') throw new PartnerFailure('INVALID_STATE', `reservation ${r.reservationId} is ${r.state}, not reserved`);
    for (const r of targets) this.end(r, 'expired');
    return targets.map((r) => r.reservationId);
  }

  /** Sets a device's status and/or how many compartments of a size are free (the rest occupied by others). */
  setDevice(
    deviceId: string,
    change: { status?: 'online' | 'offline' | 'fault'; free?: Partial<Record<PartnerSize, number>> },
  ): PartnerDevice {
    const d = this.deviceById.get(deviceId);
    if (!d) throw new PartnerFailure('NOT_FOUND', `no device ${deviceId}`);
    if (change.status) d.status = change.status;
    for (const size of PARTNER_SIZES) {
      const want = change.free?.[size];
      if (want === undefined) continue;
      const s = d.sizes[size];
      s.baseline = Math.max(0, s.total - s.held.size - want);
    }
    this.touch(d);
    return this.deviceView(d);
  }

  /** Every reservation with its codes and owner (control API; the partner API never shows this). */
  allReservations(state?: ReservationState): Array<Reservation & { appId: string; openCodeIssued: boolean }> {
    return [...this.reservations.values()].filter((r) => state === undefined || r.state === state).map((r) => this.fullView(r));
  }

  reservationFull(reservationId: string): Reservation & { appId: string; openCodeIssued: boolean } {
    return this.fullView(this.any(reservationId));
  }

  counts(): { sites: number; devices: number; events: number; reservations: Record<ReservationState, number> } {
    const reservations = { reserved: 0, deposited: 0, collected: 0, expired: 0, cancelled: 0 };
    for (const r of this.reservations.values()) reservations[r.state]++;
    return { sites: this.sites.length, devices: this.deviceById.size, events: this.eventCount, reservations };
  }

  // ---- events ----------------------------------------------------------------------------

  /** The app's events with seq > after, oldest first. */
  events(appId: string, after: number, limit: number): { events: PartnerEvent[]; nextCursor: string; hasMore: boolean } {
    const list = this.eventsByApp.get(appId) ?? [];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.seq <= after) lo = mid + 1;
      else hi = mid;
    }
    const events = list.slice(lo, lo + limit);
    return { events, nextCursor: String(events.at(-1)?.seq ?? after), hasMore: lo + limit < list.length };
  }

  private emit<T extends PartnerEvent['type']>(r: ReservationRecord, type: T, data: Extract<PartnerEvent, { type: T }>['data']): void {
    const event = {
      eventId: `evt_${randomBytes(12).toString('hex')}`,
      seq: ++this.seq,
      type,
      reservationId: r.reservationId,
      requestId: r.requestId,
      reference: r.reference,
      siteId: r.device.site.siteId,
      deviceId: r.device.deviceId,
      at: iso(this.now()),
      data,
    } as PartnerEvent;
    const list = this.eventsByApp.get(r.appId) ?? [];
    list.push(event);
    this.eventsByApp.set(r.appId, list);
    this.eventCount++;
    for (const l of this.listeners) l(event, r);
  }

  // ---- internals -------------------------------------------------------------------------

  private end(r: ReservationRecord, state: 'expired' | 'cancelled'): void {
    r.state = state;
    if (state === 'expired') r.expiredAtMs = this.now();
    else r.cancelledAtMs = this.now();
    r.device.codes.delete(r.openCode);
    this.pending.delete(r);
    this.release(r);
    this.emit(r, state, { compartmentNo: r.compartmentNo });
  }

  private takeCompartment(d: DeviceState, size: PartnerSize): number {
    const s = d.sizes[size];
    // Others' parcels fill the lowest numbers; take the lowest number above them that no reservation holds.
    for (let no = s.firstNo + s.baseline; no < s.firstNo + s.total; no++) if (!s.held.has(no)) return this.hold(d, s, no);
    for (let no = s.firstNo; no < s.firstNo + s.total; no++) if (!s.held.has(no)) return this.hold(d, s, no);
    throw new Error(`no compartment number left on ${d.deviceId} size ${size}`);
  }

  private hold(d: DeviceState, s: SizeState, no: number): number {
    s.held.add(no);
    this.touch(d);
    return no;
  }

  private release(r: ReservationRecord): void {
    r.device.sizes[r.size].held.delete(r.compartmentNo);
    this.touch(r.device);
  }

  private touch(d: DeviceState): void {
    d.site.updatedAtMs = this.now();
  }

  private newCode(d: DeviceState): string {
    for (;;) {
      const code = String(randomInt(0, 100_000_000)).padStart(8, '0');
      if (!d.codes.has(code)) return code;
    }
  }

  private owned(appId: string, reservationId: string): ReservationRecord {
    const r = this.reservations.get(reservationId);
    if (!r || r.appId !== appId) throw new PartnerFailure('NOT_FOUND', `no reservation ${reservationId}`);
    return r;
  }

  private any(reservationId: string): ReservationRecord {
    const r = this.reservations.get(reservationId);
    if (!r) throw new PartnerFailure('NOT_FOUND', `no reservation ${reservationId}`);
    return r;
  }

  private view(r: ReservationRecord): Reservation {
    return {
      reservationId: r.reservationId,
      requestId: r.requestId,
      reference: r.reference,
      siteId: r.device.site.siteId,
      deviceId: r.device.deviceId,
      compartmentNo: r.compartmentNo,
      requestedSize: r.requestedSize,
      size: r.size,
      allowLarger: r.allowLarger,
      durationMinutes: r.durationMinutes,
      codeDelivery: r.codeDelivery,
      callbackUrl: r.callbackUrl,
      state: r.state,
      ...(r.state === 'reserved' && r.codeIssuedAtMs !== null && { openCode: r.openCode }),
      ...(r.state === 'deposited' && r.pickupCode !== null && { pickupCode: r.pickupCode }),
      ...(r.purpose === 'delivery' && {
        purpose: r.purpose,
        holdUntil: isoOrNull(r.holdUntilMs),
        ...(r.state === 'deposited' && r.collectionCodeLive && r.collectionCode !== null && { collectionCode: r.collectionCode }),
      }),
      createdAt: iso(r.createdAtMs),
      expiresAt: iso(r.expiresAtMs),
      depositedAt: isoOrNull(r.depositedAtMs),
      collectedAt: isoOrNull(r.collectedAtMs),
      expiredAt: isoOrNull(r.expiredAtMs),
      cancelledAt: isoOrNull(r.cancelledAtMs),
    };
  }

  private fullView(r: ReservationRecord): Reservation & { appId: string; openCodeIssued: boolean } {
    return {
      ...this.view(r),
      openCode: r.openCode,
      ...(r.pickupCode !== null && { pickupCode: r.pickupCode }),
      ...(r.collectionCode !== null && { collectionCode: r.collectionCode }),
      appId: r.appId,
      openCodeIssued: r.codeIssuedAtMs !== null,
    };
  }
}
