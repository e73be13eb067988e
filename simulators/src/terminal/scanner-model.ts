// A SIMULATED QR / barcode scanner: "scanning" a code types it onto the serial line the way a
// serial scanner does, the code's characters then the suffix (CR LF by default; CR or LF as
// scanners can be set to). It keeps no codes, only how many it typed.
import type { Writable } from 'node:stream';

export const SCAN_SUFFIXES = { crlf: '\r\n', cr: '\r', lf: '\n' } as const;
export type ScanSuffix = keyof typeof SCAN_SUFFIXES;

/** Longest code the simulated scanner types (a real one reads a QR code of up to a few kB). */
export const MAX_SCAN_LENGTH = 4096;

export class ScanRefused extends Error {}

export class ScannerModel {
  private typed = 0;

  constructor(
    private readonly line: Writable,
    private readonly suffix: ScanSuffix = 'crlf',
  ) {}

  get scans(): number {
    return this.typed;
  }

  /** Types `code` and the suffix; resolves once the bytes are on the line. */
  scan(code: string): Promise<void> {
    if (code.length === 0 || code.length > MAX_SCAN_LENGTH) throw new ScanRefused(`a scanned code is 1–${MAX_SCAN_LENGTH} characters`);
    if (/[\r\n]/.test(code)) throw new ScanRefused('a scanned code cannot contain a line break: the scanner ends every code with one');
    this.typed++;
    return new Promise((resolve, reject) => {
      this.line.write(Buffer.from(`${code}${SCAN_SUFFIXES[this.suffix]}`, 'utf8'), (err) => (err ? reject(err) : resolve()));
    });
  }
}
