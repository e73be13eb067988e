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
  readStatus(board: number): Promise<LockState[]>;
  close(): Promise<void>;
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
  constructor(
    readonly code: LockBoardErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LockBoardError';
  }
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
