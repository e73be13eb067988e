// KerongDriver: LockBoardDriver for a bus of KR-CU16 boards (LOCKBOARD.md section A) on an
// injected port. One request in flight per bus, a quiet gap between frames, each request waits
// for the matching 0x35 reply; bad frames are counted by the reader and never acted upon.
import {
  KerongCmd,
  KerongFrameReader,
  encodeKerongReadBusStatus,
  encodeKerongReadStatus,
  encodeKerongUnlock,
  type KerongFrame,
  type KerongReaderStats,
} from '@xinbao/protocol';
import {
  LockBoardError,
  type BusState,
  type DriverHealth,
  type LockBoardDriver,
  type LockBoardPort,
  type LockState,
  type ReadOptions,
} from './driver.js';
import { DEFAULT_READ_GAP_MS, SerialBus } from './serial-bus.js';

type StatusFrame = Extract<KerongFrame, { kind: 'status' }>;
type BusStatusFrame = Extract<KerongFrame, { kind: 'bus-status' }>;

export interface KerongDriverOptions {
  /** null: not open at start (the adapter unplugged); the bus starts down and opens it with `reopen`. */
  port: LockBoardPort | null;
  /** How long to wait for a reply after the request left the port. */
  replyTimeoutMs?: number;
  /** Silence on the bus between the end of one exchange and the next frame (boards stay busy right after an unlock). */
  quietGapMs?: number;
  /** Silence after a status read, shorter: a board is not busy after answering one (a few character times). */
  readGapMs?: number;
  /** false for boards fitted without infrared sensors: item state is then reported as null. */
  itemSensors?: boolean;
  /** Requests allowed to wait behind the one in flight before new ones are refused as 'busy'. */
  maxQueued?: number;
  /** How long a status read waits for its reply (default 100 ms): shorter than an unlock's, so an unlock never waits long behind a poll. */
  pollTimeoutMs?: number;
  /** How long after an unlock the latch may take to show it moved (default 1500 ms). */
  confirmWindowMs?: number;
  /** Opens the port again by its stable path after it went away. */
  reopen?: () => Promise<LockBoardPort>;
  reopenBackoffMs?: { min: number; max: number };
  onState?: (state: BusState, reason?: string) => void;
  /** Told as each frame is handed on (SerialBus). */
  onFrameOut?: (frame: Buffer, how: 'direct' | 'stream') => void;
  now?: () => number;
}

export interface KerongDriverStats extends KerongReaderStats {
  /** Valid frames that answered no request in flight (late replies, other boards). */
  unmatched: number;
  timeouts: number;
}

const checkChannel = (what: string, n: number): void => {
  if (!Number.isInteger(n) || n < 0 || n > 15) throw new RangeError(`${what} must be 0–15, got ${n}`);
};

export class KerongDriver implements LockBoardDriver {
  readonly family = 'kerong' as const;
  private readonly readGapMs: number;
  private readonly pollTimeoutMs: number;
  readonly confirmWindowMs: number;
  private readonly itemSensors: boolean;
  // A host asks with 0x30/0x31 (answered by 0x35) and, polling several boards, 0x32 (answered by
  // 0x36); everything else is noise to it.
  private readonly reader = new KerongFrameReader({ commands: [KerongCmd.status, KerongCmd.busStatus] });
  private readonly bus: SerialBus<KerongFrame>;

  constructor(options: KerongDriverOptions) {
    this.itemSensors = options.itemSensors ?? true;
    this.readGapMs = options.readGapMs ?? DEFAULT_READ_GAP_MS;
    this.pollTimeoutMs = options.pollTimeoutMs ?? 100;
    this.confirmWindowMs = options.confirmWindowMs ?? 1500;
    this.bus = new SerialBus({
      port: options.port,
      reader: this.reader,
      replyTimeoutMs: options.replyTimeoutMs ?? 500,
      quietGapMs: options.quietGapMs ?? 20,
      maxQueued: options.maxQueued ?? 64,
      now: options.now ?? Date.now,
      ...(options.reopen && { reopen: options.reopen }),
      ...(options.reopenBackoffMs && { reopenBackoffMs: options.reopenBackoffMs }),
      ...(options.onState && { onState: options.onState }),
      ...(options.onFrameOut && { onFrameOut: options.onFrameOut }),
    });
  }

  get stats(): Readonly<KerongDriverStats> {
    return { ...this.reader.stats, unmatched: this.bus.unmatched, timeouts: this.bus.timeouts };
  }

  async unlock(board: number, lock: number): Promise<LockState> {
    checkChannel('board', board);
    checkChannel('lock', lock);
    const reply = await this.request(encodeKerongUnlock(board, lock), board, { urgent: true });
    return this.lockState(reply, lock);
  }

  async readStatus(board: number, options: ReadOptions = {}): Promise<LockState[]> {
    checkChannel('board', board);
    const reply = await this.request(encodeKerongReadStatus(board), board, {
      gapAfterMs: this.readGapMs,
      timeoutMs: this.pollTimeoutMs,
      urgent: options.urgent ?? false,
    });
    return reply.latchClosed.map((_, lock) => this.lockState(reply, lock));
  }

  /**
   * Every board of the bus in one broadcast exchange (`02 F0 32 03 27` → `02 F0 36 …`, one block
   * per board in ascending order). The reply names no board, so it is only used when it holds
   * exactly one block for each board the bus is known to have.
   */
  async readBoards(boards: readonly number[]): Promise<Map<number, LockState[]>> {
    for (const b of boards) checkChannel('board', b);
    const sorted = [...new Set(boards)].sort((a, b) => a - b);
    const reply = await this.bus.request(encodeKerongReadBusStatus(), {
      prepare: () => this.reader.reset(),
      matches: (f): f is BusStatusFrame => f.kind === 'bus-status',
      from: 'the bus (broadcast)',
      gapAfterMs: this.readGapMs,
      timeoutMs: this.pollTimeoutMs,
      urgent: false,
    });
    if (reply.blocks.length !== sorted.length) {
      throw new LockBoardError('bad_reply', `broadcast status: ${reply.blocks.length} blocks for ${sorted.length} boards`);
    }
    const out = new Map<number, LockState[]>();
    sorted.forEach((board, i) => {
      const block = reply.blocks[i]!;
      out.set(
        board,
        block.latchClosed.map((_, lock) => ({
          latchClosed: block.latchClosed[lock] ?? false,
          itemPresent: this.itemSensors ? (block.itemPresent[lock] ?? false) : null,
        })),
      );
    });
    return out;
  }

  health(): DriverHealth {
    const r = this.reader.stats;
    return this.bus.health(r.badChecksum + r.badLength + r.unknownCommand);
  }

  close(): Promise<void> {
    return this.bus.close();
  }

  private request(frame: Buffer, board: number, how: { gapAfterMs?: number; timeoutMs?: number; urgent: boolean }): Promise<StatusFrame> {
    return this.bus.request(frame, {
      prepare: () => this.reader.reset(),
      // Matched by board only: vendors do not promise what the lock nibble of a reply's ADDR holds.
      matches: (f): f is StatusFrame => f.kind === 'status' && f.board === board,
      from: `board ${board}`,
      ...how,
    });
  }

  private lockState(reply: StatusFrame, lock: number): LockState {
    return { latchClosed: reply.latchClosed[lock] ?? false, itemPresent: this.itemSensors ? (reply.itemPresent[lock] ?? false) : null };
  }
}
