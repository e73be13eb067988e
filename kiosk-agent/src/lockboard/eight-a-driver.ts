// EightADriver: LockBoardDriver for a bus of 8A boards (LOCKBOARD.md section B) on an injected
// port. One request in flight per bus, a quiet gap between frames, and each request tells the
// reader the one reply kind it waits for (the bytes alone cannot tell a 5-byte reply from the
// 8-byte query-all reply). Bad frames are counted by the reader and never acted upon.
import {
  EIGHT_A_LOCKS_PER_BOARD,
  EIGHT_A_MAX_BOARD,
  EIGHT_A_MIN_BOARD,
  EightAFrameReader,
  encodeEightAOpen,
  encodeEightAQueryAll,
  type EightAFrame,
  type EightAReaderStats,
} from '@xinbao/protocol';
import type { BusState, DriverHealth, LockBoardDriver, LockBoardPort, LockState, ReadOptions } from './driver.js';
import { DEFAULT_READ_GAP_MS, SerialBus } from './serial-bus.js';

type LockStatusFrame = Extract<EightAFrame, { kind: 'lock-status' }>;
type AllStatusFrame = Extract<EightAFrame, { kind: 'all-status' }>;
type ReplyFrame = LockStatusFrame | AllStatusFrame;

/**
 * How the door feedback switches are wired (a per-cabinet fact, LOCKBOARD.md section B):
 * 'open_is_set' → SS 0x11 / a set bit means the door is open; 'open_is_clear' → the reverse.
 */
export type EightAOpenPolarity = 'open_is_set' | 'open_is_clear';

export interface EightADriverOptions {
  /** null: not open at start (the adapter unplugged); the bus starts down and opens it with `reopen`. */
  port: LockBoardPort | null;
  /** How long to wait for a reply after the request left the port. The board answers an open only once the latch has moved (~1 s). */
  replyTimeoutMs?: number;
  /** Silence on the bus between the end of one exchange and the next frame. */
  quietGapMs?: number;
  /** Silence after a status read, shorter: a board is not busy after answering one (a few character times). */
  readGapMs?: number;
  openPolarity?: EightAOpenPolarity;
  /** Requests allowed to wait behind the one in flight before new ones are refused as 'busy'. */
  maxQueued?: number;
  /** How long a status read waits for its reply (default 250 ms): shorter than an unlock's, so an unlock never waits long behind a poll. */
  pollTimeoutMs?: number;
  /** How long after an unlock the latch may take to show it moved (default 3000 ms). */
  confirmWindowMs?: number;
  /** Opens the port again by its stable path after it went away. */
  reopen?: () => Promise<LockBoardPort>;
  reopenBackoffMs?: { min: number; max: number };
  onState?: (state: BusState, reason?: string) => void;
  /** Told as each frame is handed on (SerialBus). */
  onFrameOut?: (frame: Buffer, how: 'direct' | 'stream') => void;
  now?: () => number;
}

export interface EightADriverStats extends EightAReaderStats {
  /** Valid frames of the awaited kind that answered no request in flight (late replies, other boards or locks). */
  unmatched: number;
  timeouts: number;
}

/** Which reply an exchange waits for; `lock` only for the one-lock reply to an open. */
type Awaited = { kind: 'lock-status'; board: number; lock: number } | { kind: 'all-status'; board: number };

const checkRange = (what: string, n: number, min: number, max: number): void => {
  if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`${what} must be ${min}–${max}, got ${n}`);
};

const matches = (a: Awaited, f: EightAFrame): f is ReplyFrame =>
  f.kind === a.kind && f.board === a.board && (a.kind !== 'lock-status' || (f.kind === 'lock-status' && f.lock === a.lock));

export class EightADriver implements LockBoardDriver {
  readonly family = '8a' as const;
  private readonly readGapMs: number;
  private readonly pollTimeoutMs: number;
  readonly confirmWindowMs: number;
  private readonly openPolarity: EightAOpenPolarity;
  // Narrowed to the awaited reply kind at the start of every exchange.
  private readonly reader = new EightAFrameReader({ expect: ['lock-status'] });
  private readonly bus: SerialBus<EightAFrame>;

  constructor(options: EightADriverOptions) {
    this.openPolarity = options.openPolarity ?? 'open_is_set';
    this.readGapMs = options.readGapMs ?? DEFAULT_READ_GAP_MS;
    this.pollTimeoutMs = options.pollTimeoutMs ?? 250;
    this.confirmWindowMs = options.confirmWindowMs ?? 3000;
    this.bus = new SerialBus({
      port: options.port,
      reader: this.reader,
      replyTimeoutMs: options.replyTimeoutMs ?? 2000,
      quietGapMs: options.quietGapMs ?? 20,
      maxQueued: options.maxQueued ?? 64,
      now: options.now ?? Date.now,
      ...(options.reopen && { reopen: options.reopen }),
      ...(options.reopenBackoffMs && { reopenBackoffMs: options.reopenBackoffMs }),
      ...(options.onState && { onState: options.onState }),
      ...(options.onFrameOut && { onFrameOut: options.onFrameOut }),
    });
  }

  get stats(): Readonly<EightADriverStats> {
    return { ...this.reader.stats, unmatched: this.bus.unmatched, timeouts: this.bus.timeouts };
  }

  /** `lock` is the wire lock number 1–32. */
  async unlock(board: number, lock: number): Promise<LockState> {
    checkRange('board', board, EIGHT_A_MIN_BOARD, EIGHT_A_MAX_BOARD);
    checkRange('lock', lock, 1, EIGHT_A_LOCKS_PER_BOARD);
    const reply = await this.request(encodeEightAOpen(board, lock), { kind: 'lock-status', board, lock }, true);
    return this.lockState(reply.kind === 'lock-status' && reply.set);
  }

  /** Query-all: indexes 1–32 hold locks 1–32, index 0 is a hole (see LockBoardDriver.readStatus). */
  async readStatus(board: number, options: ReadOptions = {}): Promise<LockState[]> {
    checkRange('board', board, EIGHT_A_MIN_BOARD, EIGHT_A_MAX_BOARD);
    const reply = await this.request(encodeEightAQueryAll(board), { kind: 'all-status', board }, options.urgent ?? false);
    const states: LockState[] = [];
    if (reply.kind !== 'all-status') return states;
    reply.bits.forEach((set, i) => (states[i + 1] = this.lockState(set)));
    return states;
  }

  health(): DriverHealth {
    const r = this.reader.stats;
    return this.bus.health(r.badChecksum + r.badLength + r.unexpected);
  }

  close(): Promise<void> {
    return this.bus.close();
  }

  /** This family has no item sensor: item state is never claimed. */
  private lockState(set: boolean): LockState {
    const open = this.openPolarity === 'open_is_set' ? set : !set;
    return { latchClosed: !open, itemPresent: null };
  }

  private request(frame: Buffer, awaited: Awaited, urgent: boolean): Promise<ReplyFrame> {
    return this.bus.request(frame, {
      // Also drops bytes left over from an earlier exchange.
      prepare: () => this.reader.expect([awaited.kind]),
      matches: (f): f is ReplyFrame => matches(awaited, f),
      from: `board ${awaited.board}`,
      ...(awaited.kind === 'all-status' && { gapAfterMs: this.readGapMs, timeoutMs: this.pollTimeoutMs }),
      urgent,
    });
  }
}
