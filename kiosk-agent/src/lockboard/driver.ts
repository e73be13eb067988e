// The one interface every lock-board family implements (LOCKBOARD.md: "one driver interface,
// chosen per bus"). The compartment layer (cabinet.ts) only ever sees this, never bytes.
import type { Duplex } from 'node:stream';

export interface LockState {
  latchClosed: boolean;
  /** null: the board has no item sensor (8A family, or a Kerong board fitted without IR). */
  itemPresent: boolean | null;
}

export interface LockBoardDriver {
  readonly family: 'kerong' | '8a' | 'http';
  /**
   * Sends the unlock request for one lock exactly once; never re-sends. Resolves with the lock's
   * state from the reply, or rejects with a LockBoardError whose code says whether the request
   * may have reached the lock ('timeout', 'bad_reply': confirm by status) or surely did not
   * ('busy', 'port_closed', 'unreachable', 'rejected').
   */
  unlock(board: number, lock: number): Promise<LockState>;
  /**
   * Index = the lock number as on the wire, the same `lock` that unlock() takes, so a caller
   * always reads `states[lock]`. Kerong channels 0–15 fill indexes 0–15; 8A locks 1–32 fill
   * indexes 1–32 and index 0 is an empty slot (a hole: `0 in states` is false, and `forEach`,
   * `map`, `filter` and `every` skip it; `for…of` does not).
   */
  readStatus(board: number, options?: ReadOptions): Promise<LockState[]>;
  /**
   * Every listed board's status in one exchange where the family has one (KR-CU16 broadcast
   * `0x32` → `0x36`), for polling a bus of several boards with less traffic. `boards` are all the
   * boards on the bus; rejects with `bad_reply` when the answer does not hold one block for each.
   */
  readBoards?(boards: readonly number[]): Promise<Map<number, LockState[]>>;
  close(): Promise<void>;
  /**
   * How long after an unlock the latch may take to show it moved: the cabinet reads status across
   * this window before it calls an unlock jammed (KR-CU16 ~1.5 s, 8A ~3 s).
   */
  readonly confirmWindowMs?: number;
  /** The bus's state and counters (serial buses). */
  health?(): DriverHealth;
}

/**
 * - timeout: no valid answer in time (the request may have acted)
 * - bad_reply: an answer that cannot be used, e.g. an HTTP 5xx or broken JSON (it may have acted)
 * - port_closed: the driver or its port is closed; nothing was sent
 * - busy: too many requests already waiting; nothing was sent
 * - unreachable: no connection to a network controller could be made; nothing was sent
 * - rejected: the controller refused the request (HTTP 4xx: auth, unknown lock); it did not act
 */
export type LockBoardErrorCode = 'timeout' | 'bad_reply' | 'port_closed' | 'busy' | 'unreachable' | 'rejected';

export class LockBoardError extends Error {
  /**
   * Whether the request may have left for the board. false only when it provably did not (port
   * closed or absent before the write, a write that failed, a queue that refused it): an unlock
   * that failed with written=false opened nothing (`not_sent`); with written=true it may have.
   */
  readonly written: boolean;
  constructor(
    readonly code: LockBoardErrorCode,
    message: string,
    written?: boolean,
  ) {
    super(message);
    this.name = 'LockBoardError';
    this.written = written ?? (code === 'timeout' || code === 'bad_reply');
  }
}

/** A serial bus's port: `up`, gone (`down`, waiting to try again) or being opened again (`reopening`). */
export type BusState = 'up' | 'down' | 'reopening';

/** One bus's health as its driver counts it (counters from the driver's start). */
export interface DriverHealth {
  state: BusState;
  /** Requests written to the line. */
  frames: number;
  /** Replies matched to a request. */
  replies: number;
  timeouts: number;
  /** Frames the reader dropped (bad checksum, wrong length, noise) and valid frames that answered nothing. */
  badFramesDropped: number;
  /** Times the port was opened again after it went away. */
  reopenings: number;
  lastError?: string;
}

/** Per request: polls wait less than unlocks and give way to them (an unlock never waits behind more than the poll on the line). */
export interface ReadOptions {
  /** An unlock's confirming read: queued ahead of polls. */
  urgent?: boolean;
}

/**
 * What a driver needs from a serial line: a byte Duplex. The real `SerialPort`, a
 * `SerialPortStream` on `@serialport/binding-mock`, or anything else speaking bytes. `close` is
 * used when present (SerialPort), otherwise the stream is destroyed.
 */
export type LockBoardPort = Duplex & {
  readonly isOpen?: boolean;
  close?: (callback?: (err: Error | null) => void) => void;
};
