// A stateful model of KR-CU16 boards sharing one RS485 bus, answering request frames the way
// LOCKBOARD.md section A describes, plus the hands of "the person at the locker" (put an item in,
// close the door, force a door). Shared by the simulator program and by unit tests; it models
// only what LOCKBOARD.md says and nothing about timing.
import {
  KERONG_LOCKS_PER_BOARD,
  KerongCmd,
  encodeKerongBusStatusReply,
  encodeKerongStatusReply,
  type KerongFrame,
  type KerongStatusBlock,
} from '@xinbao/protocol';

export interface KerongLockModel {
  /** The real latch. */
  latchClosed: boolean;
  itemPresent: boolean;
  /** An unlock pulse does not move the latch. */
  jammed: boolean;
  /** The latch switch is broken and reports "open" whatever the latch does. */
  sensorBroken: boolean;
}

export interface KerongBoardModel {
  /** Raw data byte of the last 0x37; the vendor text names no unit. */
  unlockPulse: number;
  locks: KerongLockModel[];
}

export const KERONG_PRESETS = [
  '16 locks, all closed',
  '16 locks, all closed, lock 3 jammed',
  '16 locks, all open and empty',
  '16 locks, all closed, item in every lock',
] as const;
export type KerongPreset = (typeof KERONG_PRESETS)[number];

/** Vendor factory default pulse byte; only stored and reported, never timed. */
const DEFAULT_PULSE = 0x0a;

const freshBoard = (): KerongBoardModel => ({
  unlockPulse: DEFAULT_PULSE,
  locks: Array.from({ length: KERONG_LOCKS_PER_BOARD }, () => ({
    latchClosed: true,
    itemPresent: false,
    jammed: false,
    sensorBroken: false,
  })),
});

export class KerongBusModel {
  private readonly boards = new Map<number, KerongBoardModel>();

  constructor(boardNumbers: readonly number[] = [0]) {
    for (const b of boardNumbers) {
      if (!Number.isInteger(b) || b < 0 || b > 14) throw new RangeError(`board must be 0–14 (15 is the broadcast nibble), got ${b}`);
      this.boards.set(b, freshBoard());
    }
  }

  static preset(name: KerongPreset, boards: readonly number[] = [0]): KerongBusModel {
    const model = new KerongBusModel(boards);
    switch (name) {
      case '16 locks, all closed':
        return model;
      case '16 locks, all closed, lock 3 jammed':
        for (const b of boards) model.withJammed(b, 3);
        return model;
      case '16 locks, all open and empty':
        for (const b of boards) for (let l = 0; l < KERONG_LOCKS_PER_BOARD; l++) model.lockModel(b, l).latchClosed = false;
        return model;
      case '16 locks, all closed, item in every lock':
        for (const b of boards) for (let l = 0; l < KERONG_LOCKS_PER_BOARD; l++) model.withItem(b, l);
        return model;
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
  withItem(board: number, lock: number, present = true): this {
    this.lockModel(board, lock).itemPresent = present;
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
    return this.boards.has(board) && Number.isInteger(lock) && lock >= 0 && lock < KERONG_LOCKS_PER_BOARD;
  }
  board(board: number): Readonly<KerongBoardModel> | undefined {
    return this.boards.get(board);
  }
  /** A copy of one lock's state. */
  lock(board: number, lock: number): KerongLockModel {
    return { ...this.lockModel(board, lock) };
  }

  // The person at the locker.
  setItem(board: number, lock: number, present: boolean): void {
    this.lockModel(board, lock).itemPresent = present;
  }
  /** Pushes the door shut: the latch catches again (a jammed latch stays caught anyway). */
  closeDoor(board: number, lock: number): void {
    this.lockModel(board, lock).latchClosed = true;
  }
  /** Pries the door open without a command. */
  forceOpen(board: number, lock: number): void {
    this.lockModel(board, lock).latchClosed = false;
  }

  /** What the board would put on the wire for one board (a broken switch reads "open"). */
  statusBlock(board: number): KerongStatusBlock {
    const locks = this.boards.get(board)?.locks ?? [];
    return {
      latchClosed: locks.map((l) => l.latchClosed && !l.sensorBroken),
      itemPresent: locks.map((l) => l.itemPresent),
    };
  }

  /**
   * Applies one request and returns the bus's reply, or null when no board answers: frames for
   * boards not on the bus, replies (another host), and commands whose reply LOCKBOARD.md does not
   * describe (0x33, 0x37, 0x39) are answered with silence.
   */
  handle(frame: KerongFrame): Buffer | null {
    if (frame.kind !== 'request') return null;
    if (frame.cmd === KerongCmd.readBusStatus) {
      return this.boards.size === 0 ? null : encodeKerongBusStatusReply(this.boardNumbers.map((b) => this.statusBlock(b)));
    }
    const board = this.boards.get(frame.board);
    if (!board) return null;
    switch (frame.cmd) {
      case KerongCmd.readStatus:
        return encodeKerongStatusReply(frame.board, frame.lock, this.statusBlock(frame.board));
      case KerongCmd.unlock:
        this.unlock(frame.board, frame.lock);
        return encodeKerongStatusReply(frame.board, frame.lock, this.statusBlock(frame.board));
      case KerongCmd.unlockAll:
        for (let l = 0; l < KERONG_LOCKS_PER_BOARD; l++) this.unlock(frame.board, l);
        return null;
      case KerongCmd.setPulseTime:
        board.unlockPulse = frame.data[0] ?? board.unlockPulse;
        return null;
      case KerongCmd.delayedUnlock:
        // The vendor text gives no delay unit or reply: not modelled beyond being logged.
        return null;
    }
  }

  /** The lock an unlock request pulses, if it is one (for the person who shuts the door again at once). */
  unlockTarget(frame: KerongFrame): { board: number; lock: number } | null {
    return frame.kind === 'request' && frame.cmd === KerongCmd.unlock && this.hasLock(frame.board, frame.lock)
      ? { board: frame.board, lock: frame.lock }
      : null;
  }

  /** One unlock pulse: the latch lets go unless it is jammed. */
  unlock(board: number, lock: number): void {
    const l = this.lockModel(board, lock);
    if (!l.jammed) l.latchClosed = false;
  }

  private lockModel(board: number, lock: number): KerongLockModel {
    const l = this.boards.get(board)?.locks[lock];
    if (!l) throw new RangeError(`no lock ${lock} on board ${board} in this model`);
    return l;
  }
}
