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
import { LockBoardError, type LockBoardDriver, type LockBoardPort, type LockState } from './driver.js';

type LockStatusFrame = Extract<EightAFrame, { kind: 'lock-status' }>;
type AllStatusFrame = Extract<EightAFrame, { kind: 'all-status' }>;
type ReplyFrame = LockStatusFrame | AllStatusFrame;

/**
 * How the door feedback switches are wired (a per-cabinet fact, LOCKBOARD.md section B):
 * 'open_is_set' → SS 0x11 / a set bit means the door is open; 'open_is_clear' → the reverse.
 */
export type EightAOpenPolarity = 'open_is_set' | 'open_is_clear';

export interface EightADriverOptions {
  port: LockBoardPort;
  /** How long to wait for a reply after the request left the port. The board answers an open only once the latch has moved (~1 s). */
  replyTimeoutMs?: number;
  /** Silence on the bus between the end of one exchange and the next frame. */
  quietGapMs?: number;
  openPolarity?: EightAOpenPolarity;
  /** Requests allowed to wait behind the one in flight before new ones are refused as 'busy'. */
  maxQueued?: number;
  now?: () => number;
}

export interface EightADriverStats extends EightAReaderStats {
  /** Valid frames of the awaited kind that answered no request in flight (late replies, other boards or locks). */
  unmatched: number;
  timeouts: number;
}

/** Which reply an exchange waits for; `lock` only for the one-lock reply to an open. */
type Awaited = { kind: 'lock-status'; board: number; lock: number } | { kind: 'all-status'; board: number };

interface Waiter {
  awaited: Awaited;
  resolve: (frame: ReplyFrame) => void;
  reject: (err: LockBoardError) => void;
}

const checkRange = (what: string, n: number, min: number, max: number): void => {
  if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`${what} must be ${min}–${max}, got ${n}`);
};

const matches = (a: Awaited, f: EightAFrame): f is ReplyFrame =>
  f.kind === a.kind && f.board === a.board && (a.kind !== 'lock-status' || (f.kind === 'lock-status' && f.lock === a.lock));

export class EightADriver implements LockBoardDriver {
  readonly family = '8a' as const;
  private readonly port: LockBoardPort;
  private readonly replyTimeoutMs: number;
  private readonly quietGapMs: number;
  private readonly openPolarity: EightAOpenPolarity;
  private readonly maxQueued: number;
  private readonly now: () => number;
  // Narrowed to the awaited reply kind at the start of every exchange.
  private readonly reader = new EightAFrameReader({ expect: ['lock-status'] });
  private unmatched = 0;
  private timeouts = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  private waiter: Waiter | null = null;
  private lastExchangeEnd = Number.NEGATIVE_INFINITY;
  private closed = false;

  constructor(options: EightADriverOptions) {
    this.port = options.port;
    this.replyTimeoutMs = options.replyTimeoutMs ?? 2000;
    this.quietGapMs = options.quietGapMs ?? 20;
    this.openPolarity = options.openPolarity ?? 'open_is_set';
    this.maxQueued = options.maxQueued ?? 64;
    this.now = options.now ?? Date.now;
    this.port.on('data', this.onData);
    this.port.on('error', this.onPortGone);
    this.port.on('close', this.onPortGone);
  }

  get stats(): Readonly<EightADriverStats> {
    return { ...this.reader.stats, unmatched: this.unmatched, timeouts: this.timeouts };
  }

  /** `lock` is the wire lock number 1–32. */
  async unlock(board: number, lock: number): Promise<LockState> {
    checkRange('board', board, EIGHT_A_MIN_BOARD, EIGHT_A_MAX_BOARD);
    checkRange('lock', lock, 1, EIGHT_A_LOCKS_PER_BOARD);
    const reply = await this.request(encodeEightAOpen(board, lock), { kind: 'lock-status', board, lock });
    return this.lockState(reply.kind === 'lock-status' && reply.set);
  }

  /** Query-all: indexes 1–32 hold locks 1–32, index 0 is a hole (see LockBoardDriver.readStatus). */
  async readStatus(board: number): Promise<LockState[]> {
    checkRange('board', board, EIGHT_A_MIN_BOARD, EIGHT_A_MAX_BOARD);
    const reply = await this.request(encodeEightAQueryAll(board), { kind: 'all-status', board });
    const states: LockState[] = [];
    if (reply.kind !== 'all-status') return states;
    reply.bits.forEach((set, i) => (states[i + 1] = this.lockState(set)));
    return states;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.port.off('data', this.onData);
    this.failWaiter(new LockBoardError('port_closed', 'driver closed'));
    const { port } = this;
    if (typeof port.close === 'function') {
      if (port.isOpen === false) return;
      await new Promise<void>((resolve) => port.close?.(() => resolve()));
    } else {
      port.destroy();
    }
    port.off('error', this.onPortGone);
    port.off('close', this.onPortGone);
  }

  /** This family has no item sensor: item state is never claimed. */
  private lockState(set: boolean): LockState {
    const open = this.openPolarity === 'open_is_set' ? set : !set;
    return { latchClosed: !open, itemPresent: null };
  }

  /** Queues one exchange behind the one in flight (bus mutex); never retries. */
  private request(frame: Buffer, awaited: Awaited): Promise<ReplyFrame> {
    if (this.closed) return Promise.reject(new LockBoardError('port_closed', 'driver closed'));
    if (this.waiting >= this.maxQueued) return Promise.reject(new LockBoardError('busy', `${this.waiting} requests already waiting on this bus`));
    this.waiting++;
    const run = this.tail.then(() => {
      this.waiting--;
      return this.exchange(frame, awaited);
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async exchange(frame: Buffer, awaited: Awaited): Promise<ReplyFrame> {
    if (this.closed) throw new LockBoardError('port_closed', 'driver closed');
    const gap = this.lastExchangeEnd + this.quietGapMs - this.now();
    if (gap > 0) await new Promise((resolve) => setTimeout(resolve, gap));
    if (this.closed) throw new LockBoardError('port_closed', 'driver closed');
    // Also drops bytes left over from an earlier exchange: they can never be part of this reply.
    this.reader.expect([awaited.kind]);
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<ReplyFrame>((resolve, reject) => {
        this.waiter = { awaited, resolve, reject };
        this.port.write(frame, (err?: Error | null) => {
          if (err) return this.failWaiter(new LockBoardError('port_closed', `write failed: ${err.message}`));
          if (this.waiter?.resolve !== resolve) return;
          timer = setTimeout(() => {
            this.timeouts++;
            this.failWaiter(new LockBoardError('timeout', `no reply from board ${awaited.board} within ${this.replyTimeoutMs} ms`));
          }, this.replyTimeoutMs);
        });
      });
    } finally {
      clearTimeout(timer);
      this.waiter = null;
      this.lastExchangeEnd = this.now();
    }
  }

  private failWaiter(err: LockBoardError): void {
    const w = this.waiter;
    this.waiter = null;
    w?.reject(err);
  }

  private readonly onData = (chunk: Buffer): void => {
    for (const frame of this.reader.push(chunk)) {
      const w = this.waiter;
      if (w && matches(w.awaited, frame)) {
        this.waiter = null;
        w.resolve(frame);
      } else {
        this.unmatched++;
      }
    }
  };

  private readonly onPortGone = (err?: Error): void => {
    this.failWaiter(new LockBoardError('port_closed', err instanceof Error ? `port error: ${err.message}` : 'port closed'));
  };
}
