// The ESC/POS receipt printer on a serial line. Before every receipt it asks the paper roll
// sensor (DLE EOT 4) and waits a short while for the one-byte answer: no answer means the printer
// is absent (unplugged, switched off, a cable out), no paper means nothing is sent. Nothing here
// throws into the caller and nothing waits longer than its timeout, so a printer can never hold up
// a door: `print` resolves with what happened, and `status` is what the kiosk's local API shows.
//
// One job at a time (status query, then the receipt), in order. The line is opened lazily and
// opened again after it was lost, so a printer plugged in later is found at the next receipt or
// status poll without restarting the agent.
import type { Logger } from 'pino';
import { PAPER_STATUS_QUERY, decodePaperStatus, isStatusByte, type PaperStatus } from '@xinbao/protocol';
import { closeDevicePort, type DevicePort, type OpenDevicePort } from './device-port.js';

/** What the local API shows about the receipt printer. */
export type PrinterStatus = 'ready' | 'paper_low' | 'out_of_paper' | 'absent';

export type PrintOutcome =
  | { printed: true; status: 'ready' | 'paper_low' }
  | { printed: false; status: PrinterStatus; reason: 'absent' | 'out_of_paper' | 'write_failed' | 'write_timeout' | 'closed' };

export interface ReceiptPrinterStats {
  printed: number;
  notPrinted: number;
  /** DLE EOT 4 queries that got no answer in time */
  statusTimeouts: number;
  /** bytes from the printer that answered nothing we asked */
  strayBytes: number;
}

export interface ReceiptPrinterOptions {
  open: OpenDevicePort;
  log: Logger;
  /** How long to wait for the answer to DLE EOT 4 before calling the printer absent. */
  statusTimeoutMs?: number;
  /** How long a receipt's bytes may take to leave the port. */
  writeTimeoutMs?: number;
}

const PAPER_TO_STATUS: Readonly<Record<PaperStatus, PrinterStatus>> = { present: 'ready', near_end: 'paper_low', out: 'out_of_paper' };

export class ReceiptPrinter {
  private readonly o: Required<ReceiptPrinterOptions>;
  private current: PrinterStatus = 'absent';
  private port: DevicePort | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private answer: ((byte: number) => void) | null = null;
  private closed = false;
  private poller: NodeJS.Timeout | null = null;
  private readonly counts: ReceiptPrinterStats = { printed: 0, notPrinted: 0, statusTimeouts: 0, strayBytes: 0 };

  constructor(options: ReceiptPrinterOptions) {
    this.o = { statusTimeoutMs: 500, writeTimeoutMs: 5_000, ...options };
  }

  /** As of the last status query; 'absent' until the first one. */
  get status(): PrinterStatus {
    return this.current;
  }

  get stats(): Readonly<ReceiptPrinterStats> {
    return { ...this.counts };
  }

  /** Asks the printer for its paper state now. Never rejects. */
  refresh(): Promise<PrinterStatus> {
    return this.exclusive(
      () => this.check(),
      () => this.current,
    );
  }

  /** Asks again every `everyMs` so the local API stays current between receipts. */
  pollStatus(everyMs: number): void {
    if (this.poller) clearInterval(this.poller);
    this.poller = setInterval(() => void this.refresh(), everyMs);
    this.poller.unref();
  }

  /** Prints a receipt if the printer is there and has paper. Never rejects. */
  print(receipt: Buffer): Promise<PrintOutcome> {
    const notPrinted = (reason: Extract<PrintOutcome, { printed: false }>['reason']): PrintOutcome => {
      this.counts.notPrinted++;
      return { printed: false, status: this.current, reason };
    };
    return this.exclusive(
      async (): Promise<PrintOutcome> => {
        if (this.closed) return notPrinted('closed');
        const status = await this.check();
        const port = this.port;
        if (status === 'absent' || port === null) return notPrinted('absent');
        if (status === 'out_of_paper') return notPrinted('out_of_paper');
        const written = await this.write(port, receipt);
        if (written !== 'ok') return notPrinted(written);
        this.counts.printed++;
        return { printed: true, status };
      },
      () => notPrinted('write_failed'),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.poller) clearInterval(this.poller);
    await this.tail;
    const port = this.port;
    this.port = null;
    if (port) await closeDevicePort(port);
  }

  private exclusive<T>(job: () => Promise<T>, onError: (err: unknown) => T): Promise<T> {
    const run = this.tail.then(job).catch((err: unknown) => {
      this.o.log.error({ err }, 'receipt printer job failed');
      return onError(err);
    });
    this.tail = run;
    return run;
  }

  private async check(): Promise<PrinterStatus> {
    const port = await this.line();
    const paper = port ? await this.queryPaper(port) : null;
    this.setStatus(paper ? PAPER_TO_STATUS[paper] : 'absent');
    return this.current;
  }

  private async line(): Promise<DevicePort | null> {
    if (this.port || this.closed) return this.port;
    let port: DevicePort;
    try {
      port = await this.o.open();
    } catch (err) {
      if (this.current !== 'absent')
        this.o.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'receipt printer line cannot be opened');
      return null;
    }
    this.port = port;
    port.on('data', (chunk: Buffer) => {
      for (const byte of chunk) {
        if (this.answer && isStatusByte(byte)) this.answer(byte);
        else this.counts.strayBytes++;
      }
    });
    const gone = (): void => {
      if (this.port === port) this.port = null;
    };
    port.once('close', gone);
    port.on('error', (err: Error) => {
      this.o.log.warn({ err: err.message }, 'receipt printer line error');
      gone();
    });
    return port;
  }

  private queryPaper(port: DevicePort): Promise<PaperStatus | null> {
    return new Promise((resolve) => {
      const done = (paper: PaperStatus | null): void => {
        clearTimeout(timer);
        this.answer = null;
        resolve(paper);
      };
      const timer = setTimeout(() => {
        this.counts.statusTimeouts++;
        done(null);
      }, this.o.statusTimeoutMs);
      this.answer = (byte) => done(decodePaperStatus(byte));
      try {
        port.write(PAPER_STATUS_QUERY, (err?: Error | null) => {
          if (err) done(null);
        });
      } catch {
        done(null);
      }
    });
  }

  private write(port: DevicePort, bytes: Buffer): Promise<'ok' | 'write_failed' | 'write_timeout'> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve('write_timeout'), this.o.writeTimeoutMs);
      try {
        port.write(bytes, (err?: Error | null) => {
          clearTimeout(timer);
          resolve(err ? 'write_failed' : 'ok');
        });
      } catch {
        clearTimeout(timer);
        resolve('write_failed');
      }
    });
  }

  private setStatus(next: PrinterStatus): void {
    if (next === this.current) return;
    const log = next === 'ready' ? this.o.log.info.bind(this.o.log) : this.o.log.warn.bind(this.o.log);
    log({ from: this.current, to: next }, 'receipt printer status changed');
    this.current = next;
  }
}
