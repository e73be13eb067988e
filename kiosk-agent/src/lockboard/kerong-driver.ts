// KerongDriver: LockBoardDriver for a bus of KR-CU16 boards (LOCKBOARD.md section A) on an
// injected port. One request in flight per bus, a quiet gap between frames, each request waits
// for the matching 0x35 reply; bad frames are counted by the reader and never acted upon.
import {
  KerongCmd,
  KerongFrameReader,
  encodeKerongReadStatus,
  encodeKerongUnlock,
  type KerongFrame,
  type KerongReaderStats,
} from '@xinbao/protocol';
import { LockBoardError, type LockBoardDriver, type LockBoardPort, type LockState } from './driver.js';

type StatusFrame = Extract<KerongFrame, { kind: 'status' }>;

export interface KerongDriverOptions {
  port: LockBoardPort;
  /** How long to wait for a reply after the request left the port. */
  replyTimeoutMs?: number;
  /** Silence on the bus between the end of one exchange and the next frame (boards stay busy right after an unlock). */
  quietGapMs?: number;
  /** false for boards fitted without infrared sensors: item state is then reported as null. */
  itemSensors?: boolean;
  /** Requests allowed to wait behind the one in flight before new ones are refused as 'busy'. */
  maxQueued?: number;
  now?: () => number;
}

export interface KerongDriverStats extends KerongReaderStats {
  /** Valid frames that answered no request in flight (late replies, other boards). */
  unmatched: number;
  timeouts: number;
}

interface Waiter {
  board: number;
  resolve: (frame: StatusFrame) => void;
  reject: (err: LockBoardError) => void;
}

const checkChannel = (what: string, n: number): void => {
  if (!Number.isInteger(n) || n < 0 || n > 15) throw new RangeError(`${what} must be 0–15, got ${n}`);
};

export class KerongDriver implements LockBoardDriver {
  readonly family = 'kerong' as const;
  private readonly port: LockBoardPort;
  private readonly replyTimeoutMs: number;
  private readonly quietGapMs: number;
  private readonly itemSensors: boolean;
  private readonly maxQueued: number;
  private readonly now: () => number;
  // A host only asks with 0x30/0x31, so only 0x35 is a reply; everything else is noise to it.
  private readonly reader = new KerongFrameReader({ commands: [KerongCmd.status] });
  private unmatched = 0;
  private timeouts = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  private waiter: Waiter | null = null;
  private lastExchangeEnd = Number.NEGATIVE_INFINITY;
  private closed = false;

  constructor(options: KerongDriverOptions) {
    this.port = options.port;
    this.replyTimeoutMs = options.replyTimeoutMs ?? 500;
    this.quietGapMs = options.quietGapMs ?? 20;
    this.itemSensors = options.itemSensors ?? true;
    this.maxQueued = options.maxQueued ?? 64;
    this.now = options.now ?? Date.now;
    this.port.on('data', this.onData);
    this.port.on('error', this.onPortGone);
    this.port.on('close', this.onPortGone);
  }

  get stats(): Readonly<KerongDriverStats> {
    return { ...this.reader.stats, unmatched: this.unmatched, timeouts: this.timeouts };
  }

  async unlock(board: number, lock: number): Promise<LockState> {
    checkChannel('board', board);
    checkChannel('lock', lock);
    const reply = await this.request(encodeKerongUnlock(board, lock), board);
    return this.lockState(reply, lock);
  }

  async readStatus(board: number): Promise<LockState[]> {
    checkChannel('board', board);
    const reply = await this.request(encodeKerongReadStatus(board), board);
    return reply.latchClosed.map((_, lock) => this.lockState(reply, lock));
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

  private lockState(reply: StatusFrame, lock: number): LockState {
    return { latchClosed: reply.latchClosed[lock] ?? false, itemPresent: this.itemSensors ? (reply.itemPresent[lock] ?? false) : null };
  }

  /** Queues one exchange behind the one in flight (bus mutex); never retries. */
  private request(frame: Buffer, board: number): Promise<StatusFrame> {
    if (this.closed) return Promise.reject(new LockBoardError('port_closed', 'driver closed'));
    if (this.waiting >= this.maxQueued) return Promise.reject(new LockBoardError('busy', `${this.waiting} requests already waiting on this bus`));
    this.waiting++;
    const run = this.tail.then(() => {
      this.waiting--;
      return this.exchange(frame, board);
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async exchange(frame: Buffer, board: number): Promise<StatusFrame> {
    if (this.closed) throw new LockBoardError('port_closed', 'driver closed');
    const gap = this.lastExchangeEnd + this.quietGapMs - this.now();
    if (gap > 0) await new Promise((resolve) => setTimeout(resolve, gap));
    if (this.closed) throw new LockBoardError('port_closed', 'driver closed');
    // Bytes left over from an earlier exchange can never be part of this reply.
    this.reader.reset();
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<StatusFrame>((resolve, reject) => {
        this.waiter = { board, resolve, reject };
        this.port.write(frame, (err?: Error | null) => {
          if (err) return this.failWaiter(new LockBoardError('port_closed', `write failed: ${err.message}`));
          if (this.waiter?.resolve !== resolve) return;
          timer = setTimeout(() => {
            this.timeouts++;
            this.failWaiter(new LockBoardError('timeout', `no reply from board ${board} within ${this.replyTimeoutMs} ms`));
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
      // Matched by board only: vendors do not promise what the lock nibble of a reply's ADDR holds.
      if (frame.kind === 'status' && this.waiter && frame.board === this.waiter.board) {
        const w = this.waiter;
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
