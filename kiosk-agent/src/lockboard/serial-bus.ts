// SerialBus: the request/reply discipline every lock-board family needs on an RS485 line, written
// once. One exchange in flight (ExchangeQueue: later ones queue, up to a limit), a quiet gap after
// each exchange, a reply matched to its request by a predicate with a timeout, and never a retry:
// a lost reply is the caller's to resolve (by reading status), not the bus's to paper over by
// sending again.
// The family driver supplies the frame reader and says which frame answers each request.
import { LockBoardError, type LockBoardPort } from './driver.js';
import { ExchangeQueue } from './exchange-queue.js';

/** Silence after a status read: about 3.5 character times at 9600 baud, the usual RS485 frame gap. */
export const DEFAULT_READ_GAP_MS = 4;

export interface FrameReader<F> {
  push(chunk: Uint8Array): F[];
}

export interface SerialBusOptions<F> {
  port: LockBoardPort;
  reader: FrameReader<F>;
  replyTimeoutMs: number;
  quietGapMs: number;
  maxQueued: number;
  now: () => number;
}

/** What one exchange waits for. */
export interface Awaiting<F, R extends F> {
  /** Called just before the frame is written: reset the reader, tell it what to expect. */
  prepare: () => void;
  matches: (frame: F) => frame is R;
  /** Names the other side in a timeout message, e.g. "board 3". */
  from: string;
  /**
   * Silence to leave after this exchange before the next frame; default the bus's quietGapMs. A
   * board stays busy right after an unlock, not after answering a status read.
   */
  gapAfterMs?: number;
}

interface Waiter<F> {
  matches: (frame: F) => boolean;
  resolve: (frame: F) => void;
  reject: (err: LockBoardError) => void;
}

export class SerialBus<F> {
  private readonly o: SerialBusOptions<F>;
  private readonly queue: ExchangeQueue;
  private waiter: Waiter<F> | null = null;
  /** When the bus may carry the next frame. */
  private quietUntil = Number.NEGATIVE_INFINITY;
  /** Valid frames that answered no request in flight (late replies, other boards). */
  unmatched = 0;
  timeouts = 0;

  constructor(options: SerialBusOptions<F>) {
    this.o = options;
    this.queue = new ExchangeQueue(options.maxQueued, 'bus');
    options.port.on('data', this.onData);
    options.port.on('error', this.onPortGone);
    options.port.on('close', this.onPortGone);
  }

  /** Queues one exchange behind the one in flight (bus mutex); never retries. */
  request<R extends F>(frame: Buffer, awaiting: Awaiting<F, R>): Promise<R> {
    return this.queue.run(() => this.exchange(frame, awaiting));
  }

  private async exchange<R extends F>(frame: Buffer, awaiting: Awaiting<F, R>): Promise<R> {
    const gap = this.quietUntil - this.o.now();
    if (gap > 0) await new Promise((resolve) => setTimeout(resolve, gap));
    if (this.queue.closed) throw new LockBoardError('port_closed', 'driver closed');
    // Bytes left over from an earlier exchange can never be part of this reply.
    awaiting.prepare();
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<R>((resolve, reject) => {
        const waiter: Waiter<F> = { matches: (f) => awaiting.matches(f), resolve: resolve as (f: F) => void, reject };
        this.waiter = waiter;
        this.o.port.write(frame, (err?: Error | null) => {
          if (err) return this.failWaiter(new LockBoardError('port_closed', `write failed: ${err.message}`));
          if (this.waiter !== waiter) return;
          timer = setTimeout(() => {
            this.timeouts++;
            this.failWaiter(new LockBoardError('timeout', `no reply from ${awaiting.from} within ${this.o.replyTimeoutMs} ms`));
          }, this.o.replyTimeoutMs);
        });
      });
    } finally {
      clearTimeout(timer);
      this.waiter = null;
      this.quietUntil = this.o.now() + (awaiting.gapAfterMs ?? this.o.quietGapMs);
    }
  }

  async close(): Promise<void> {
    if (this.queue.closed) return;
    this.queue.close();
    const { port } = this.o;
    port.off('data', this.onData);
    this.failWaiter(new LockBoardError('port_closed', 'driver closed'));
    if (typeof port.close === 'function') {
      if (port.isOpen !== false) await new Promise<void>((resolve) => port.close?.(() => resolve()));
    } else {
      port.destroy();
    }
    port.off('error', this.onPortGone);
    port.off('close', this.onPortGone);
  }

  private failWaiter(err: LockBoardError): void {
    const w = this.waiter;
    this.waiter = null;
    w?.reject(err);
  }

  private readonly onData = (chunk: Buffer): void => {
    for (const frame of this.o.reader.push(chunk)) {
      const w = this.waiter;
      if (w?.matches(frame)) {
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
