// A stateful model of 8A boards sharing one RS485 bus, answering request frames the way
// LOCKBOARD.md section B describes, plus the hands of "the person at the locker" (close the door,
// force a door). Shared by the simulator program and by unit tests; it models only what
// LOCKBOARD.md says and nothing about timing. Locks are numbered 1–32 as on the wire. These
// boards have no item sensor, so the model has no item state.
import {
  EIGHT_A_LOCKS_PER_BOARD,
  EIGHT_A_MAX_BOARD,
  EIGHT_A_MIN_BOARD,
  encodeEightAAllStatus,
  encodeEightALockStatus,
  type EightAFrame,
} from '@xinbao/protocol';

/** How the cabinet's door feedback switches are wired: what a set status bit means. */
export type EightAWiring = 'open_is_set' | 'open_is_clear';

export interface EightALockModel {
  /** The real latch. */
  latchClosed: boolean;
  /** An open pulse does not move the latch. */
  jammed: boolean;
  /** The feedback switch is broken and reports "open" whatever the latch does. */
  sensorBroken: boolean;
}

export const EIGHT_A_PRESETS = [
  '32 locks, all closed',
  '32 locks, all closed, lock 3 jammed',
  '32 locks, all open',
  '32 locks, all closed, wired open_is_clear',
] as const;
export type EightAPreset = (typeof EIGHT_A_PRESETS)[number];

const freshBoard = (): EightALockModel[] =>
  Array.from({ length: EIGHT_A_LOCKS_PER_BOARD }, () => ({ latchClosed: true, jammed: false, sensorBroken: false }));

export class EightABusModel {
  /** board → locks, index = lock - 1 */
  private readonly boards = new Map<number, EightALockModel[]>();
  /** This family has no item sensor (the control API refuses item changes). */
  readonly itemSensors = false;

  constructor(
    boardNumbers: readonly number[] = [1],
    readonly wiring: EightAWiring = 'open_is_set',
  ) {
    for (const b of boardNumbers) {
      if (!Number.isInteger(b) || b < EIGHT_A_MIN_BOARD || b > EIGHT_A_MAX_BOARD)
        throw new RangeError(`board must be ${EIGHT_A_MIN_BOARD}–${EIGHT_A_MAX_BOARD}, got ${b}`);
      this.boards.set(b, freshBoard());
    }
  }

  static preset(name: EightAPreset, boards: readonly number[] = [1]): EightABusModel {
    switch (name) {
      case '32 locks, all closed':
        return new EightABusModel(boards);
      case '32 locks, all closed, lock 3 jammed': {
        const model = new EightABusModel(boards);
        for (const b of boards) model.withJammed(b, 3);
        return model;
      }
      case '32 locks, all open': {
        const model = new EightABusModel(boards);
        for (const b of boards) for (let l = 1; l <= EIGHT_A_LOCKS_PER_BOARD; l++) model.withOpen(b, l);
        return model;
      }
      case '32 locks, all closed, wired open_is_clear':
        return new EightABusModel(boards, 'open_is_clear');
    }
  }

  withJammed(board: number, lock: number, jammed = true): this {
    this.lockModel(board, lock).jammed = jammed;
    return this;
  }
  withSensorBroken(board: number, lock: number, broken = true): this {
    this.lockModel(board, lock).sensorBroken = broken;
    return this;
  }
  withOpen(board: number, lock: number): this {
    this.lockModel(board, lock).latchClosed = false;
    return this;
  }

  get boardNumbers(): number[] {
    return [...this.boards.keys()].sort((a, b) => a - b);
  }
  hasLock(board: number, lock: number): boolean {
    return this.boards.has(board) && Number.isInteger(lock) && lock >= 1 && lock <= EIGHT_A_LOCKS_PER_BOARD;
  }
  /** A copy of one lock's state. */
  lock(board: number, lock: number): EightALockModel {
    return { ...this.lockModel(board, lock) };
  }

  // The person at the locker.
  /** Pushes the door shut: the latch catches again. */
  closeDoor(board: number, lock: number): void {
    this.lockModel(board, lock).latchClosed = true;
  }
  /** Pries the door open without a command. */
  forceOpen(board: number, lock: number): void {
    this.lockModel(board, lock).latchClosed = false;
  }

  /** The raw status bit the board reports for one lock (a broken switch reads "open"). */
  statusBit(board: number, lock: number): boolean {
    const l = this.lockModel(board, lock);
    const seenOpen = !l.latchClosed || l.sensorBroken;
    return this.wiring === 'open_is_set' ? seenOpen : !seenOpen;
  }

  /**
   * Applies one request and returns the board's reply, or null when nobody answers: frames for
   * boards not on the bus or locks the board does not have, replies (another board), and "find
   * address", whose reply LOCKBOARD.md does not describe.
   */
  handle(frame: EightAFrame): Buffer | null {
    if (!this.boards.has(frame.board)) return null;
    switch (frame.kind) {
      case 'open':
        if (!this.hasLock(frame.board, frame.lock)) return null;
        this.pulse(frame.board, frame.lock);
        return encodeEightALockStatus(frame.board, frame.lock, this.statusBit(frame.board, frame.lock));
      case 'query':
        if (frame.lock === 0) {
          const bits = Array.from({ length: EIGHT_A_LOCKS_PER_BOARD }, (_, i) => this.statusBit(frame.board, i + 1));
          return encodeEightAAllStatus(frame.board, bits);
        }
        if (!this.hasLock(frame.board, frame.lock)) return null;
        return encodeEightALockStatus(frame.board, frame.lock, this.statusBit(frame.board, frame.lock));
      case 'find-address':
      case 'lock-status':
      case 'all-status':
        return null;
    }
  }

  /** The lock an open request pulses, if it is one (for the person who shuts the door again at once). */
  unlockTarget(frame: EightAFrame): { board: number; lock: number } | null {
    return frame.kind === 'open' && this.boards.has(frame.board) && this.hasLock(frame.board, frame.lock)
      ? { board: frame.board, lock: frame.lock }
      : null;
  }

  private pulse(board: number, lock: number): void {
    const l = this.lockModel(board, lock);
    if (!l.jammed) l.latchClosed = false;
  }

  private lockModel(board: number, lock: number): EightALockModel {
    const l = this.boards.get(board)?.[lock - 1];
    if (!l || lock < 1) throw new RangeError(`no lock ${lock} on board ${board} in this model`);
    return l;
  }
}
