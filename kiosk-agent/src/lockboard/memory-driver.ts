// MemoryLockBoard: a test double of a lock-board bus held in memory, for the agent's unit tests (the
// byte-level drivers are tested on mock serial ports, the simulators speak the real protocols).
// The test plays both the boards and the person at the locker: it sets latches and item sensors,
// jams locks, takes boards off the bus, loses unlock replies, holds status reads, and reads back
// every request the board got.
import { LockBoardError, type LockBoardDriver, type LockState } from './driver.js';

export interface MemoryLockBoardOptions {
  /** Board addresses on this bus; default [0]. */
  boards?: number[];
  /** Locks per board, numbered from 0 (Kerong channels); default 16. */
  locks?: number;
  /** false: boards without item sensors (itemPresent is null); default true. */
  itemSensors?: boolean;
}

export class MemoryLockBoard implements LockBoardDriver {
  readonly family = 'kerong' as const;
  /** Every request in order: `unlock <board>/<lock>`, `status <board>`. */
  readonly calls: string[] = [];
  readonly boards = new Map<number, LockState[]>();
  /** `<board>/<lock>` of locks whose latch does not give on unlock. */
  readonly jammed = new Set<string>();
  /** Boards that do not answer (a cut cable, no power): every request times out. */
  readonly offline = new Set<number>();
  /** The unlock acts, but its reply is lost (times out, after lostReplyTakesMs). */
  loseUnlockReply = false;
  lostReplyTakesMs = 0;
  /** The port is gone: every request fails at once and nothing is sent (written=false). */
  portGone = false;
  /** While set, status reads wait for it. */
  statusDelay: Promise<void> | null = null;
  /** Called as an unlock request arrives, before the board acts on it. */
  onUnlock: ((board: number, lock: number) => void) | null = null;
  inFlight = 0;
  maxInFlight = 0;

  constructor(options: MemoryLockBoardOptions = {}) {
    const { boards = [0], locks = 16, itemSensors = true } = options;
    for (const b of boards)
      this.boards.set(
        b,
        Array.from({ length: locks }, () => ({ latchClosed: true, itemPresent: itemSensors ? false : null })),
      );
  }

  /** The live state of one lock, for the test to change. */
  lock(board: number, lock: number): LockState {
    const s = this.boards.get(board)?.[lock];
    if (!s) throw new Error(`no lock ${board}/${lock}`);
    return s;
  }

  /** The unlock requests received, as `unlock <board>/<lock>`. */
  get unlocks(): string[] {
    return this.calls.filter((c) => c.startsWith('unlock'));
  }

  async unlock(board: number, lock: number): Promise<LockState> {
    if (this.portGone) throw new LockBoardError('port_closed', 'bus down; nothing sent', false);
    this.calls.push(`unlock ${board}/${lock}`);
    this.onUnlock?.(board, lock);
    if (this.offline.has(board)) throw new LockBoardError('timeout', 'no reply');
    if (!this.jammed.has(`${board}/${lock}`)) this.lock(board, lock).latchClosed = false;
    if (this.loseUnlockReply) {
      if (this.lostReplyTakesMs > 0) await new Promise((resolve) => setTimeout(resolve, this.lostReplyTakesMs));
      throw new LockBoardError('timeout', 'reply lost');
    }
    return { ...this.lock(board, lock) };
  }

  async readStatus(board: number): Promise<LockState[]> {
    if (this.portGone) throw new LockBoardError('port_closed', 'bus down; nothing sent', false);
    this.calls.push(`status ${board}`);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.statusDelay) await this.statusDelay;
      if (this.offline.has(board)) throw new LockBoardError('timeout', 'no reply');
      return (this.boards.get(board) ?? []).map((s) => ({ ...s }));
    } finally {
      this.inFlight--;
    }
  }

  async close(): Promise<void> {}
}
