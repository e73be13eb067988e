// The one interface every lock-board family implements (LOCKBOARD.md: "one driver interface,
// chosen per bus"). The compartment layer (cabinet.ts) only ever sees this, never bytes.
import type { Duplex } from 'node:stream';

export interface LockState {
  latchClosed: boolean;
  /** null: the board has no item sensor (8A family, or a Kerong board fitted without IR). */
  itemPresent: boolean | null;
}

export interface LockBoardDriver {
  readonly family: 'kerong' | '8a';
  /** Sends the unlock frame for one lock exactly once; never re-sends. Resolves with the lock's state from the board's reply, or rejects with LockBoardError('timeout') if no valid reply came. */
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

export type LockBoardErrorCode = 'timeout' | 'bad_reply' | 'port_closed' | 'busy';

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
