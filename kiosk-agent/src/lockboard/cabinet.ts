// Cabinet: the kiosk's compartments over one or more lock-board buses. Maps site compartment
// numbers to (bus, board, lock), opens compartments with the never-twice unlock rule, polls
// every used board at a steady interval and turns what any source saw (unlock reply or poll)
// into door / item / fault events. Knows nothing of bytes or board families.
import { EventEmitter } from 'node:events';
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
  /** Status reads allowed to confirm an unlock (one is always tried when the reply was lost or says closed). */
  confirmReads?: number;
  now?: () => number;
}

export type OpenResult = 'opened' | 'jammed' | 'failed';

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
  private readonly unreachable = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inFlightPolls = new Set<Promise<void>>();
  private running = false;
  /** holdPolling(): while above zero, no poll starts; the buses whose poll was due wait here. */
  private holds = 0;
  private readonly heldBuses = new Set<string>();
  private readonly now: () => number;
  private readonly confirmReads: number;

  constructor(private readonly options: CabinetOptions) {
    super();
    this.now = options.now ?? Date.now;
    this.confirmReads = Math.max(1, options.confirmReads ?? 2);
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

  /** Polls every used board now, then every `pollIntervalMs` (measured start to start, never overlapping). */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const bus of this.byBus.keys()) this.pollLoop(bus);
  }

  /** Stops polling; resolves once polls already on the bus have finished. */
  async stop(): Promise<void> {
    this.running = false;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.inFlightPolls]);
  }

  /**
   * Sends exactly one unlock. A lost reply, or a reply that still says closed, is settled by
   * reading status, never by a second unlock. The unlock is sent even when the sensor already
   * says open: the sensor may be broken.
   */
  async open(compartment: number): Promise<OpenResult> {
    const c = this.lookup(compartment);
    c.opensInFlight++;
    try {
      let state: LockState | undefined;
      try {
        state = await c.driver.unlock(c.board, c.lock);
        this.observe(c, state);
      } catch (err) {
        // Only a request that may have reached the board is worth confirming; 'busy' and a closed
        // port mean nothing was sent.
        if (!(err instanceof LockBoardError) || (err.code !== 'timeout' && err.code !== 'bad_reply')) return 'failed';
      }
      if (state === undefined || state.latchClosed) state = (await this.confirm(c)) ?? state;
      if (state === undefined) return 'failed';
      if (state.latchClosed) {
        this.emit('fault', { compartment, fault: 'jammed', detail: `${c.bus} board ${c.board} lock ${c.lock} still closed after unlock` });
        return 'jammed';
      }
      return 'opened';
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

  private async confirm(c: Compartment): Promise<LockState | undefined> {
    for (let i = 0; i < this.confirmReads; i++) {
      try {
        const states = await c.driver.readStatus(c.board);
        this.observeBoard(c.bus, c.board, states);
        return states[c.lock];
      } catch {
        // try again up to confirmReads; a status read is always safe to repeat
      }
    }
    return undefined;
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
    for (const [board, locks] of boards) {
      if (this.holds > 0) return;
      const key = boardKey(bus, board);
      try {
        const states = await driver.readStatus(board);
        this.unreachable.delete(key);
        this.observeBoard(bus, board, states);
      } catch (err) {
        if (this.unreachable.has(key)) continue;
        this.unreachable.add(key);
        const detail = `${bus} board ${board}: ${err instanceof Error ? err.message : String(err)}`;
        for (const c of locks.values()) this.emit('fault', { bus, board, compartment: c.compartment, fault: 'board_unreachable', detail });
      }
    }
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
