// The QR / barcode scanner on a serial line: one code per line, handed to the same code path as
// the keypad (`agent.enterCode(code, 'scanner')`).
//
// Lines end in CR, LF or CR LF (scanners ship with any of the three). A line is trimmed; empty
// lines are ignored; a line that cannot be a code (longer than `maxCodeLength`, or with anything
// but printable ASCII: a keypad code is 8 digits, a QR code an `XB1.` base64url token) is dropped
// with a log line that says how long it was, never what it said. A line that grows past the limit
// without an end is cut off and the rest of it, up to its end, discarded, so line noise cannot
// fill memory. A line cut short by the port closing is not a scan.
//
// One code at a time: a scan that arrives while the previous one is still being handled is
// DROPPED, not queued. Scanners in presentation mode read the same QR code again and again while
// a phone is held up to them; queued, every re-read would reach the hub after the first one used
// the code, come back `code_used` (the screen would show a refusal right after the door opened)
// and count towards the kiosk's attempt limit. For the same reason the same code read again
// within `repeatGuardMs` after it was handled is dropped. A person scanning a second, different
// code simply scans it again once the first is done.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { ReadlineParser } from 'serialport';
import type { TransformCallback } from 'node:stream';
import { closeDevicePort, type DevicePort, type OpenDevicePort } from './device-port.js';

/** What the scanner needs of the agent: the keypad's code path. */
export interface CodeSink {
  enterCode(input: string, source: 'scanner'): Promise<unknown>;
}

/** What became of one scanned line. */
export type ScanOutcome = 'submitted' | 'dropped_busy' | 'dropped_repeat' | 'ignored';

export interface ScannerStats {
  submitted: number;
  droppedBusy: number;
  droppedRepeat: number;
  /** lines that could not be a code, and over-long lines cut off */
  ignored: number;
}

export interface CodeScannerOptions {
  open: OpenDevicePort;
  sink: CodeSink;
  log: Logger;
  /** Longest line taken as a code (the local API accepts codes up to 512 characters too). */
  maxCodeLength?: number;
  /** The same code read again within this long after it was handled is a re-read, not a scan. */
  repeatGuardMs?: number;
  /** Wait before trying to open the scanner's line again after it failed or closed. */
  reopenAfterMs?: number;
  now?: () => number;
}

const CODE_CHARS = /^[\x21-\x7e]+$/;

/**
 * serialport's ReadlineParser, made to end a line at CR as well as LF (CR LF then leaves an empty
 * line, which the scanner ignores) and never to hold more than `maxBytes` of one line.
 */
export class ScanLineParser extends ReadlineParser {
  private discarding = false;

  constructor(
    private readonly maxBytes: number,
    private readonly onOverflow: () => void,
  ) {
    super({ delimiter: '\n', encoding: 'latin1' });
  }

  override _transform(chunk: Buffer, encoding: BufferEncoding, cb: TransformCallback): void {
    let data = Buffer.from(chunk);
    for (let i = 0; i < data.length; i++) if (data[i] === 0x0d) data[i] = 0x0a;
    if (this.discarding) {
      const end = data.indexOf(0x0a);
      if (end === -1) return cb();
      this.discarding = false;
      data = data.subarray(end + 1);
    }
    super._transform(data, encoding, (err?: Error | null) => {
      if (this.buffer.length > this.maxBytes) {
        this.buffer = Buffer.alloc(0);
        this.discarding = true;
        this.onOverflow();
      }
      cb(err);
    });
  }

  override _flush(cb: TransformCallback): void {
    // A line without its end (the port closed mid-scan) is not a code.
    this.buffer = Buffer.alloc(0);
    cb();
  }
}

export class CodeScanner extends EventEmitter<{ scan: [outcome: ScanOutcome] }> {
  private readonly o: Required<Omit<CodeScannerOptions, 'now'>> & { now: () => number };
  private port: DevicePort | null = null;
  private busy = false;
  private last: { code: string; at: number } | null = null;
  private stopped = false;
  private reopenTimer: NodeJS.Timeout | null = null;
  private readonly counts: ScannerStats = { submitted: 0, droppedBusy: 0, droppedRepeat: 0, ignored: 0 };

  constructor(options: CodeScannerOptions) {
    super();
    this.o = { maxCodeLength: 512, repeatGuardMs: 3_000, reopenAfterMs: 5_000, now: Date.now, ...options };
  }

  get stats(): Readonly<ScannerStats> {
    return { ...this.counts };
  }

  get connected(): boolean {
    return this.port !== null;
  }

  /** Opens the scanner's line. Never rejects: a scanner that is not there is retried later; the keypad works meanwhile. */
  async start(): Promise<void> {
    this.stopped = false;
    let port: DevicePort;
    try {
      port = await this.o.open();
    } catch (err) {
      this.o.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'scanner not available; will try again');
      this.scheduleReopen();
      return;
    }
    if (this.stopped) {
      await closeDevicePort(port);
      return;
    }
    this.attach(port);
    this.o.log.info('scanner ready');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    this.reopenTimer = null;
    const port = this.port;
    this.port = null;
    if (port) await closeDevicePort(port);
  }

  private attach(port: DevicePort): void {
    this.port = port;
    const parser = new ScanLineParser(this.o.maxCodeLength, () => this.ignore(this.o.maxCodeLength + 1, 'over-long line cut off'));
    parser.on('data', (line: string) => this.onLine(line));
    port.pipe(parser);
    const gone = (err?: Error): void => {
      if (this.port !== port) return;
      this.port = null;
      port.unpipe(parser);
      if (this.stopped) return;
      this.o.log.warn({ err: err?.message }, 'scanner line lost; will try again');
      this.scheduleReopen();
    };
    port.once('close', () => gone());
    port.on('error', gone);
  }

  private scheduleReopen(): void {
    if (this.stopped || this.reopenTimer) return;
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = null;
      void this.start();
    }, this.o.reopenAfterMs);
    this.reopenTimer.unref();
  }

  private onLine(line: string): void {
    const code = line.trim();
    if (code === '') return;
    if (code.length > this.o.maxCodeLength || !CODE_CHARS.test(code)) {
      this.ignore(code.length, 'scanned line is not a code');
      return;
    }
    if (this.busy) {
      this.counts.droppedBusy++;
      this.o.log.info('scan dropped: the previous code is still being handled');
      this.emit('scan', 'dropped_busy');
      return;
    }
    if (this.last && this.last.code === code && this.o.now() - this.last.at < this.o.repeatGuardMs) {
      this.counts.droppedRepeat++;
      this.o.log.info('scan dropped: the same code was just handled');
      this.emit('scan', 'dropped_repeat');
      return;
    }
    this.busy = true;
    this.counts.submitted++;
    this.emit('scan', 'submitted');
    void this.o.sink
      .enterCode(code, 'scanner')
      .catch((err: unknown) =>
        this.o.log.error({ err: err instanceof Error ? err.message : String(err) }, 'scanned code could not be handled'),
      )
      .finally(() => {
        this.busy = false;
        this.last = { code, at: this.o.now() };
      });
  }

  private ignore(length: number, why: string): void {
    this.counts.ignored++;
    this.o.log.warn({ length }, why);
    this.emit('scan', 'ignored');
  }
}
