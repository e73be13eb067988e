// Cabinet: the kiosk's compartments over one or more lock-board buses. Maps site compartment
// numbers to (bus, board, lock), opens compartments with the never-twice unlock rule and confirms
// each unlock by evidence read across the family's latch time (ADR 0013), polls every used board
// at a steady interval and turns what any source saw (unlock reply, confirming read or poll) into
// door / item / fault events; a board that fails N exchanges in a row is reported unreachable once,
// and reachable once when it answers again. Knows nothing of bytes or board families.
import { EventEmitter } from 'node:events';
import type { BusHealth } from '@xinbao/protocol';
import { LockBoardError, type LockBoardDriver, type LockState } from './driver.js';

export interface CompartmentMapping {
  compartment: number;
  bus: string;
  board: number;
  lock: number;
}

export interface CabinetOptions {
  buses: Map<string, LockBoardDriver>;
  compartments: CompartmentMapping[];
  pollIntervalMs: number;
  /** A door open this long raises `left_open` (once per opening). */
  leftOpenAfterMs: number;
  /** A door seen opening this long after an open() for it finished is still "commanded". */
  openGraceMs: number;
  /** A board is reported unreachable after this many failed exchanges in a row (default 3). */
  boardUnreachableAfter?: number;
  /** For a driver that does not say its own: how long after an unlock the latch may take to show it moved (default 1500 ms). */
  confirmWindowMs?: number;
  /**
   * The longest blind spot allowed between two pieces of evidence (the unlock reply, confirming
   * reads) for "never moved" to hold: a door opened and shut within a shorter time could be missed
   * (default 250 ms; a quick hand shuts a door in about 0.3 s).
   */
  confirmMaxGapMs?: number;
  /** Pause between confirming reads (default 30 ms). */
  confirmIntervalMs?: number;
  now?: () => number;
}

/**
 * What one unlock came to (ADR 0013): `opened` on evidence (a read showed the door open or the
 * item changed), `jammed` when reads across the whole window show it never moved, `unconfirmed`
 * when the frame went out but the evidence is missing, `not_sent` when the frame provably never
 * left (the bus is down, the port gone, the queue full).
 */
export type OpenResult = 'opened' | 'jammed' | 'unconfirmed' | 'not_sent';

export interface DoorEvent {
  compartment: number;
  state: 'opened' | 'closed';
  itemPresent: boolean | null;
  /** The opening follows an open() for this compartment (always false for closing). */
  commanded: boolean;
}
export interface ItemEvent {
  compartment: number;
  itemPresent: boolean;
}
export type CabinetFault = 'jammed' | 'forced_open' | 'left_open' | 'board_unreachable' | 'board_reachable';
/** A compartment's fault, or a whole board's (the contract's fault event without its id and time). */
export type FaultEvent =
  | { compartment: number; fault: 'jammed' | 'forced_open' | 'left_open'; detail?: string }
  | { bus: string; board: number; compartment?: number; fault: 'board_unreachable' | 'board_reachable'; detail?: string };

export interface CabinetEvents {
  door: [DoorEvent];
  item: [ItemEvent];
  fault: [FaultEvent];
}

export class UnknownCompartmentError extends Error {
  readonly code = 'unknown_compartment';
  constructor(readonly compartment: number) {
    super(`unknown compartment ${compartment}: not in this cabinet's configuration`);
    this.name = 'UnknownCompartmentError';
  }
}

interface Compartment extends CompartmentMapping {
  driver: LockBoardDriver;
  /** undefined until the first observation, which is the silent baseline. */
  state: LockState | undefined;
  openedAt: number | undefined;
  leftOpenReported: boolean;
  opensInFlight: number;
  lastOpenEndedAt: number;
}

const boardKey = (bus: string, board: number): string => `${bus}/${board}`;

export class Cabinet extends EventEmitter<CabinetEvents> {
  private readonly byNumber = new Map<number, Compartment>();
  /** bus → board → lock → compartment */
  private readonly byBus = new Map<string, Map<number, Map<number, Compartment>>>();
  /** boardKey → failed exchanges in a row, and whether it was reported unreachable. */
  private readonly boardHealth = new Map<string, { failures: number; reported: boolean }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inFlightPolls = new Set<Promise<void>>();
  private running = false;
  /** holdPolling(): while above zero, no poll starts; the buses whose poll was due wait here. */
  private holds = 0;
  private readonly heldBuses = new Set<string>();
  /** Buses whose last broadcast status read failed: polled board by board until every board answers. */
  private readonly singleReads = new Set<string>();
  private readonly now: () => number;
  private readonly unreachableAfter: number;

  constructor(private readonly options: CabinetOptions) {
    super();
    this.now = options.now ?? Date.now;
    this.unreachableAfter = Math.max(1, options.boardUnreachableAfter ?? 3);
    for (const m of options.compartments) {
      const driver = options.buses.get(m.bus);
      if (!driver) throw new Error(`compartment ${m.compartment}: no bus named "${m.bus}"`);
      if (this.byNumber.has(m.compartment)) throw new Error(`compartment ${m.compartment} is mapped twice`);
      const boards = this.byBus.get(m.bus) ?? new Map<number, Map<number, Compartment>>();
      const locks = boards.get(m.board) ?? new Map<number, Compartment>();
      if (locks.has(m.lock))
        throw new Error(
          `compartment ${m.compartment}: ${m.bus} board ${m.board} lock ${m.lock} is already compartment ${locks.get(m.lock)?.compartment}`,
        );
      const c: Compartment = {
        ...m,
        driver,
        state: undefined,
        openedAt: undefined,
        leftOpenReported: false,
        opensInFlight: 0,
        lastOpenEndedAt: Number.NEGATIVE_INFINITY,
      };
      locks.set(m.lock, c);
      boards.set(m.board, locks);
      this.byBus.set(m.bus, boards);
      this.byNumber.set(m.compartment, c);
    }
  }

  /** Last known state; undefined before the first observation. */
  state(compartment: number): LockState | undefined {
    const c = this.lookup(compartment).state;
    return c && { ...c };
  }

  /**
   * Keeps the poll loop off the buses while a code is being checked, so that the unlock which may
   * follow finds its bus free instead of queued behind a status read. A poll already on the bus
   * finishes; the next one waits for the release (the returned function) or `maxMs` at the latest.
   */
  holdPolling(maxMs = 2_000): () => void {
    this.holds++;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      clearTimeout(timer);
      if (--this.holds > 0) return;
      for (const bus of [...this.heldBuses]) {
        this.heldBuses.delete(bus);
        this.pollLoop(bus);
      }
    };
    const timer = setTimeout(release, maxMs);
    return release;
  }

  /**
   * Someone is typing a code on the screen: keeps polls off the buses for `ms` from the latest
   * call, so that the unlock which may follow finds its bus free (the screen calls this from the
   * first digit on).
   */
  typing(ms = 5_000): void {
    // The new hold first: releasing the old one first would let a waiting poll onto the bus between two digits.
    const previous = this.typingRelease;
    this.typingRelease = this.holdPolling(ms);
    previous?.();
  }
  private typingRelease: (() => void) | undefined;

  /** The code typed has been entered (and answered): polls need not wait for the typing hint to lapse. */
  typingDone(): void {
    this.typingRelease?.();
    this.typingRelease = undefined;
  }

  /** Polls every used board now, then every `pollIntervalMs` (measured start to start, never overlapping). */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const bus of this.byBus.keys()) this.pollLoop(bus);
  }

  /** Stops polling; resolves once polls already on the bus have finished. */
  async stop(): Promise<void> {
    this.running = false;
    this.typingRelease?.();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.inFlightPolls]);
  }

  /** Each serial bus's state and counters, for the local API and the hub. */
  busHealth(): BusHealth[] {
    const out: BusHealth[] = [];
    for (const [bus, driver] of this.options.buses) {
      const h = driver.health?.();
      if (h) out.push({ bus, ...h });
    }
    return out;
  }

  /**
   * Sends exactly one unlock, then reads status across the family's confirmation window until
   * there is evidence that the door moved. A lost reply, or a reply that still says closed, is
   * settled by reading status, never by a second unlock. The unlock is sent even when the sensor
   * already says open: the sensor may be broken.
   */
  async open(compartment: number): Promise<OpenResult> {
    const c = this.lookup(compartment);
    c.opensInFlight++;
    try {
      const before = c.state && { ...c.state };
      const started = this.now();
      const deadline = started + (c.driver.confirmWindowMs ?? this.options.confirmWindowMs ?? 1_500);
      const maxGap = this.options.confirmMaxGapMs ?? 250;
      /** When the last piece of evidence was seen; a gap longer than maxGap leaves "never moved" unproven. */
      let lastSeen = started;
      let blind = false;
      const seen = (state: LockState): boolean => {
        const at = this.now();
        if (at - lastSeen > maxGap) blind = true;
        lastSeen = at;
        return moved(before, state);
      };
      try {
        const state = await c.driver.unlock(c.board, c.lock);
        this.boardAnswered(c.bus, c.board);
        this.observe(c, state);
        // The board answers once it has acted: its reply covers the time since the frame left.
        lastSeen = this.now();
        if (moved(before, state)) return 'opened';
      } catch (err) {
        if (err instanceof LockBoardError && !err.written) return 'not_sent';
        this.boardFailed(c.bus, c.board, err);
      }
      for (;;) {
        try {
          const states = await c.driver.readStatus(c.board, { urgent: true });
          this.boardAnswered(c.bus, c.board);
          this.observeBoard(c.bus, c.board, states);
          const s = states[c.lock];
          if (s && seen(s)) return 'opened';
        } catch (err) {
          this.boardFailed(c.bus, c.board, err);
        }
        if (this.now() >= deadline) break;
        await new Promise((resolve) => setTimeout(resolve, this.options.confirmIntervalMs ?? 30));
      }
      if (blind || deadline - lastSeen > maxGap) return 'unconfirmed';
      this.emit('fault', { compartment, fault: 'jammed', detail: `${c.bus} board ${c.board} lock ${c.lock} never moved after unlock` });
      return 'jammed';
    } finally {
      c.opensInFlight--;
      c.lastOpenEndedAt = this.now();
    }
  }

  private lookup(compartment: number): Compartment {
    const c = this.byNumber.get(compartment);
    if (!c) throw new UnknownCompartmentError(compartment);
    return c;
  }

  private boardAnswered(bus: string, board: number): void {
    const key = boardKey(bus, board);
    const h = this.boardHealth.get(key);
    if (!h) return;
    this.boardHealth.delete(key);
    if (h.reported) this.emit('fault', { bus, board, fault: 'board_reachable', detail: `${bus} board ${board} answers again` });
  }

  private boardFailed(bus: string, board: number, err: unknown): void {
    const key = boardKey(bus, board);
    const h = this.boardHealth.get(key) ?? { failures: 0, reported: false };
    h.failures++;
    this.boardHealth.set(key, h);
    if (h.reported || h.failures < this.unreachableAfter) return;
    h.reported = true;
    const detail = `${bus} board ${board}: ${h.failures} exchanges failed in a row, the last: ${err instanceof Error ? err.message : String(err)}`;
    this.emit('fault', { bus, board, fault: 'board_unreachable', detail: detail.slice(0, 500) });
  }

  private pollLoop(bus: string): void {
    if (!this.running) return;
    if (this.holds > 0) {
      this.heldBuses.add(bus);
      return;
    }
    const started = this.now();
    const poll = this.pollBus(bus);
    this.inFlightPolls.add(poll);
    // A listener that throws surfaces as an unhandled rejection, but polling carries on.
    void poll.finally(() => {
      this.inFlightPolls.delete(poll);
      if (!this.running) return;
      const wait = Math.max(0, this.options.pollIntervalMs - (this.now() - started));
      this.timers.set(
        bus,
        setTimeout(() => this.pollLoop(bus), wait),
      );
    });
  }

  private async pollBus(bus: string): Promise<void> {
    const boards = this.byBus.get(bus);
    const driver = this.options.buses.get(bus);
    if (!boards || !driver) return;
    // Several boards on a bus that can read them all at once (KR-CU16 0x32): one exchange instead of
    // one per board. When it fails, each board is read on its own, which also tells which one is
    // out; the broadcast is tried again once a whole round of single reads has answered.
    if (driver.readBoards && boards.size > 1 && !this.singleReads.has(bus)) {
      try {
        const all = await driver.readBoards([...boards.keys()]);
        for (const [board, states] of all) {
          this.boardAnswered(bus, board);
          this.observeBoard(bus, board, states);
        }
        return;
      } catch {
        this.singleReads.add(bus);
        if (this.holds > 0) return;
      }
    }
    let allAnswered = true;
    for (const board of boards.keys()) {
      if (this.holds > 0) return;
      try {
        const states = await driver.readStatus(board);
        this.boardAnswered(bus, board);
        this.observeBoard(bus, board, states);
      } catch (err) {
        allAnswered = false;
        this.boardFailed(bus, board, err);
      }
    }
    if (allAnswered) this.singleReads.delete(bus);
  }

  private observeBoard(bus: string, board: number, states: readonly LockState[]): void {
    for (const c of this.byBus.get(bus)?.get(board)?.values() ?? []) {
      const s = states[c.lock];
      if (s) this.observe(c, s);
    }
  }

  /** Applies one observation of one lock, from whatever source, and emits what changed. */
  private observe(c: Compartment, next: LockState): void {
    const now = this.now();
    const prev = c.state;
    c.state = { ...next };
    if (prev === undefined) {
      c.openedAt = next.latchClosed ? undefined : now;
      return;
    }
    if (prev.latchClosed !== next.latchClosed) {
      if (next.latchClosed) {
        c.openedAt = undefined;
        this.emit('door', { compartment: c.compartment, state: 'closed', itemPresent: next.itemPresent, commanded: false });
      } else {
        c.openedAt = now;
        c.leftOpenReported = false;
        const commanded = c.opensInFlight > 0 || now - c.lastOpenEndedAt <= this.options.openGraceMs;
        this.emit('door', { compartment: c.compartment, state: 'opened', itemPresent: next.itemPresent, commanded });
        if (!commanded) this.emit('fault', { compartment: c.compartment, fault: 'forced_open' });
      }
    }
    if (next.itemPresent !== null && prev.itemPresent !== next.itemPresent) {
      this.emit('item', { compartment: c.compartment, itemPresent: next.itemPresent });
    }
    if (c.openedAt !== undefined && !c.leftOpenReported && now - c.openedAt >= this.options.leftOpenAfterMs) {
      c.leftOpenReported = true;
      this.emit('fault', { compartment: c.compartment, fault: 'left_open', detail: `open for ${now - c.openedAt} ms` });
    }
  }
}

/** Evidence that a door moved after its unlock: it shows open, or its item sensor changed. */
function moved(before: LockState | undefined, now: LockState): boolean {
  if (!now.latchClosed) return true;
  return before !== undefined && before.itemPresent !== null && now.itemPresent !== null && before.itemPresent !== now.itemPresent;
}
