// SerialBus: the request/reply discipline every lock-board family needs on an RS485 line, written
// once. One exchange in flight (ExchangeQueue: later ones queue, up to a limit; unlocks and their
// confirming reads ahead of polls), a quiet gap after each exchange, a reply matched to its request
// by a predicate with a timeout, and never a retry: a lost reply is the caller's to resolve (by
// reading status), not the bus's to paper over by sending again.
// The port may go away (a pulled USB adapter, a dead pty): every request still ends within its
// timeout, whatever the port does (the timer starts before the write, not in its callback); while
// the port is gone requests fail at once with written=false; the port is opened again by its
// stable path with backoff, and the bus carries on without a restart. close() always completes.
// The family driver supplies the frame reader and says which frame answers each request.
import { writeSync } from 'node:fs';
import { LockBoardError, type BusState, type DriverHealth, type LockBoardPort } from './driver.js';
import { ExchangeQueue } from './exchange-queue.js';

/** Silence after a status read: about 3.5 character times at 9600 baud, the usual RS485 frame gap. */
export const DEFAULT_READ_GAP_MS = 4;

export interface FrameReader<F> {
  push(chunk: Uint8Array): F[];
}

export interface SerialBusOptions<F> {
  /**
   * The open port, or null when it could not be opened at start (the adapter unplugged): the bus
   * then starts `down` and opens it with `reopen` as it would after losing it.
   */
  port: LockBoardPort | null;
  /** Opens the port again by its stable path (e.g. /dev/serial/by-id/…) after it went away; without it a lost port stays lost. */
  reopen?: () => Promise<LockBoardPort>;
  /** First and longest wait between attempts to open the port again (doubling in between). */
  reopenBackoffMs?: { min: number; max: number };
  /** Told once per change of the port's state, with the reason. */
  onState?: (state: BusState, reason?: string) => void;
  reader: FrameReader<F>;
  /** Told as each frame is handed on: `direct` in the kernel already (write(2) from the event loop), `stream` queued on the port's stream. */
  onFrameOut?: (frame: Buffer, how: 'direct' | 'stream') => void;
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
  /** Default the bus's replyTimeoutMs; polls wait less. */
  timeoutMs?: number;
  /** Unlocks and their confirming reads: ahead of waiting polls. */
  urgent?: boolean;
}

interface Waiter<F> {
  matches: (frame: F) => boolean;
  resolve: (frame: F) => void;
  reject: (err: LockBoardError) => void;
  /** The frame may have left (write called on an open port, and it did not fail). */
  written: boolean;
}

const portIsOpen = (port: LockBoardPort): boolean => port.isOpen !== false && !port.destroyed && port.writable;

export class SerialBus<F> {
  private readonly o: SerialBusOptions<F>;
  private readonly queue: ExchangeQueue;
  private port: LockBoardPort | null;
  private waiter: Waiter<F> | null = null;
  /** When the bus may carry the next frame. */
  private quietUntil = Number.NEGATIVE_INFINITY;
  private portState: BusState = 'up';
  private reopenTimer: NodeJS.Timeout | undefined;
  private backoffMs: number;
  private lastError: string | undefined;
  /** Valid frames that answered no request in flight (late replies, other boards). */
  unmatched = 0;
  timeouts = 0;
  frames = 0;
  replies = 0;
  reopenings = 0;

  constructor(options: SerialBusOptions<F>) {
    this.o = options;
    this.queue = new ExchangeQueue(options.maxQueued, 'bus');
    this.port = options.port;
    this.backoffMs = options.reopenBackoffMs?.min ?? 250;
    if (options.port) this.attach(options.port);
    else {
      // No port at start (the adapter unplugged when the agent started): down until it appears.
      this.lastError = 'port not open at start';
      this.setState('down', this.lastError);
      this.scheduleReopen();
    }
  }

  get state(): BusState {
    return this.portState;
  }

  health(badFramesDropped: number): DriverHealth {
    return {
      state: this.portState,
      frames: this.frames,
      replies: this.replies,
      timeouts: this.timeouts,
      badFramesDropped: badFramesDropped + this.unmatched,
      reopenings: this.reopenings,
      ...(this.lastError !== undefined && { lastError: this.lastError }),
    };
  }

  /** Queues one exchange behind the one in flight (bus mutex); never retries. */
  request<R extends F>(frame: Buffer, awaiting: Awaiting<F, R>): Promise<R> {
    return this.queue.run(() => this.exchange(frame, awaiting), awaiting.urgent ?? false);
  }

  private async exchange<R extends F>(frame: Buffer, awaiting: Awaiting<F, R>): Promise<R> {
    const gap = this.quietUntil - this.o.now();
    if (gap > 0) await new Promise((resolve) => setTimeout(resolve, gap));
    if (this.queue.closed) throw new LockBoardError('port_closed', 'driver closed', false);
    const port = this.port;
    if (port && this.portState === 'up' && !portIsOpen(port)) this.portGone(port, 'port not open');
    if (!port || this.portState !== 'up') {
      throw new LockBoardError('port_closed', `bus ${this.portState}: ${this.lastError ?? 'port not open'}; nothing sent`, false);
    }
    // Bytes left over from an earlier exchange can never be part of this reply.
    awaiting.prepare();
    const timeoutMs = awaiting.timeoutMs ?? this.o.replyTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<R>((resolve, reject) => {
        let writeDone = false;
        const waiter: Waiter<F> = {
          matches: (f) => awaiting.matches(f),
          resolve: resolve as (f: F) => void,
          reject,
          written: true,
        };
        this.waiter = waiter;
        // Started before the write: a write that never calls back (a port closing under it) still ends here.
        timer = setTimeout(() => {
          if (this.waiter !== waiter) return;
          this.timeouts++;
          this.failWaiter(new LockBoardError('timeout', `no reply from ${awaiting.from} within ${timeoutMs} ms`, true));
          // A write still pending well after its reply timeout means the port is stuck: treat it as gone.
          // (Not at once: on a busy machine the timer can fire before the write's callback is run.)
          if (!writeDone) setTimeout(() => !writeDone && this.portGone(port, 'write did not complete'), STUCK_WRITE_MS).unref();
        }, timeoutMs);
        this.frames++;
        const failed = (err: Error) => {
          if (this.waiter !== waiter) return;
          waiter.written = false;
          this.failWaiter(new LockBoardError('port_closed', `write failed: ${err.message}; nothing sent`, false));
          this.portGone(port, `write failed: ${err.message}`);
        };
        let direct: number | Error;
        try {
          direct = writeNow(port, frame);
        } catch (e) {
          direct = e instanceof Error ? e : new Error(String(e));
        }
        if (direct instanceof Error) {
          writeDone = true;
          failed(direct);
        } else if (direct === frame.length) {
          writeDone = true;
          this.o.onFrameOut?.(frame, 'direct');
        } else {
          this.o.onFrameOut?.(frame, 'stream');
          port.write(direct === 0 ? frame : frame.subarray(direct), (err?: Error | null) => {
            writeDone = true;
            if (err) failed(err);
          });
        }
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
    clearTimeout(this.reopenTimer);
    this.failWaiter(new LockBoardError('port_closed', 'driver closed', false));
    const port = this.port;
    if (!port) return;
    this.detach(port);
    await closePort(port);
  }

  private attach(port: LockBoardPort): void {
    port.on('data', this.onData);
    port.on('error', this.onPortError);
    port.on('close', this.onPortClose);
  }

  private detach(port: LockBoardPort): void {
    port.off('data', this.onData);
    port.off('error', this.onPortError);
    port.off('close', this.onPortClose);
    // An error after we let go must not crash the process.
    port.on('error', () => undefined);
  }

  private setState(state: BusState, reason?: string): void {
    if (state === this.portState) return;
    this.portState = state;
    this.o.onState?.(state, reason);
  }

  /** The port went away: fail the request on it (saying whether its frame left), report once, try to open it again. */
  private portGone(port: LockBoardPort | null, reason: string): void {
    if (port !== this.port || this.queue.closed) return;
    const w = this.waiter;
    if (w) this.failWaiter(new LockBoardError(w.written ? 'timeout' : 'port_closed', `port lost (${reason}) before a reply`, w.written));
    if (this.portState === 'down' || !port) return;
    this.lastError = reason;
    this.detach(port);
    void closePort(port);
    this.setState('down', reason);
    this.scheduleReopen();
  }

  private scheduleReopen(): void {
    const { reopen } = this.o;
    if (!reopen || this.queue.closed) return;
    const max = this.o.reopenBackoffMs?.max ?? 5_000;
    const wait = this.backoffMs;
    this.backoffMs = Math.min(max, this.backoffMs * 2);
    this.reopenTimer = setTimeout(() => {
      this.setState('reopening');
      reopen().then(
        (port) => {
          if (this.queue.closed) return void closePort(port);
          this.port = port;
          this.attach(port);
          this.reopenings++;
          this.backoffMs = this.o.reopenBackoffMs?.min ?? 250;
          this.quietUntil = Number.NEGATIVE_INFINITY;
          this.setState('up', 'port open again');
        },
        (err: unknown) => {
          this.lastError = err instanceof Error ? err.message : String(err);
          this.setState('down', this.lastError);
          this.scheduleReopen();
        },
      );
    }, wait);
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
        this.replies++;
        w.resolve(frame);
      } else {
        this.unmatched++;
      }
    }
  };

  private readonly onPortError = (err: Error): void => this.portGone(this.port, `port error: ${err.message}`);
  private readonly onPortClose = (): void => this.portGone(this.port, 'port closed');
}

const CLOSE_WAIT_MS = 500;
/** How long past its reply timeout a write may stay without its callback before the port is taken for stuck. */
const STUCK_WRITE_MS = 1_000;

/**
 * Writes the frame with write(2) on the port's descriptor, from the event loop, when the port
 * has one (SerialPort on Unix, opened non-blocking) and nothing of the stream's is still waiting to
 * go before it; the bytes written (0: none, let the stream write them, as it does for any other
 * port). The stream's own write goes through the libuv thread pool, whose hop is the tail of an
 * unlock's latency on a busy machine (the journal's fdatasync runs there alongside, ADR 0019).
 * "Try again" (a full output queue) is 0; any other error is thrown: nothing was sent.
 */
function writeNow(port: LockBoardPort, frame: Buffer): number {
  // SerialPort's binding keeps its descriptor as `port.fd` (Unix); other Duplexes have none.
  const fd = (port as { port?: { fd?: unknown } }).port?.fd;
  if (typeof fd !== 'number' || port.writableLength > 0) return 0;
  try {
    return writeSync(fd, frame);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EINTR') return 0;
    throw e;
  }
}

/** Closes a port whatever state it is in, within a bounded time (a dead port may never call back). */
async function closePort(port: LockBoardPort): Promise<void> {
  if (typeof port.close === 'function' && port.isOpen !== false) {
    const closed = new Promise<void>((resolve) => port.close?.(() => resolve()));
    const gaveUp = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref());
    if ((await Promise.race([closed.then(() => true), gaveUp.then(() => false)])) === true) return;
  }
  if (!port.destroyed) port.destroy();
}
