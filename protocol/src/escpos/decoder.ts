// EscPosDecoder: reads an ESC/POS byte stream the way a printer does and writes down what would
// come out of it: text lines with the style they were printed in, QR codes with their payload,
// feeds and cuts, one receipt per cut. Real-time status queries (DLE EOT n) are reported as they
// arrive, in stream order, so a simulated printer can answer them at once.
//
// Streaming and total: bytes may arrive in any chunking (an incomplete command waits for the next
// chunk), unknown sequences are counted and skipped, and no input makes it throw. What it cannot
// know: the parameters of an unknown ESC/GS/FS command (only the two command bytes are skipped).
//
// Printer rules it follows: a line takes the style (alignment, bold, size) in effect when its
// first character entered the buffer; text still in the buffer when the stream ends was never
// printed; ESC @ clears the buffer and resets every mode; GS V prints the buffer, then cuts.
// Text is decoded as GB18030 (the printer is taken to be in Chinese character mode, FS &).
import {
  ALIGN_CODES,
  EscPosByte,
  QR_CN,
  QR_EC_CODES,
  QrFn,
  decodeText,
  type Align,
  type CutKind,
  type QrErrorCorrection,
} from './escpos.js';
import type { RealtimeStatusFn } from './status.js';

const { ESC, GS, FS, DLE, EOT, LF } = EscPosByte;

export interface ReceiptTextLine {
  kind: 'text';
  text: string;
  align: Align;
  bold: boolean;
  /** character width and height, multiples of normal (1–8) */
  width: number;
  height: number;
}
export interface ReceiptQrCode {
  kind: 'qr';
  /** the stored symbol data, as UTF-8 */
  data: string;
  align: Align;
  moduleSize: number;
  errorCorrection: QrErrorCorrection;
}
/** ESC d n: n lines fed after the buffer was printed. */
export interface ReceiptFeed {
  kind: 'feed';
  lines: number;
}
export type ReceiptItem = ReceiptTextLine | ReceiptQrCode | ReceiptFeed;

export interface DecodedReceipt {
  items: ReceiptItem[];
  /** null: the stream ended before a cut */
  cut: CutKind | null;
}

export type EscPosOutput = { kind: 'receipt'; receipt: DecodedReceipt } | { kind: 'status_query'; fn: RealtimeStatusFn };

export interface EscPosDecoderStats {
  /** commands understood, including those with no effect on what is printed (ESC t, GS B, …) */
  commands: number;
  /** unknown or malformed sequences skipped */
  unknown: number;
  /** text bytes beyond the line limit and items beyond the receipt limit, discarded */
  dropped: number;
  receipts: number;
}

export interface EscPosDecoderOptions {
  /** Text bytes kept per line; the rest is dropped (a real printer wraps; a decoder must stay bounded). */
  maxLineBytes?: number;
  /** Items kept per receipt. */
  maxItems?: number;
}

interface Style {
  align: Align;
  bold: boolean;
  width: number;
  height: number;
}

const CR = 0x0d;
const FF = 0x0c;
const HT = 0x09;
/** Printable bytes (ASCII and every byte of a GB18030 sequence) plus HT, which prints as a tab. */
const isTextByte = (b: number): boolean => (b >= 0x20 && b !== 0x7f) || b === HT;

/** Parameter byte counts of fixed-length commands that change nothing a receipt records. */
const IGNORED_ESC: ReadonlyMap<number, number> = new Map([
  [0x20, 1], // ESC SP n: right-side character spacing
  [0x24, 2], // ESC $ nL nH: absolute print position
  [0x2d, 1], // ESC - n: underline
  [0x32, 0], // ESC 2: default line spacing
  [0x33, 1], // ESC 3 n: line spacing
  [0x47, 1], // ESC G n: double strike
  [0x4d, 1], // ESC M n: font
  [0x52, 1], // ESC R n: international character set
  [0x56, 1], // ESC V n: 90° rotation
  [0x70, 3], // ESC p m t1 t2: cash drawer pulse
  [0x74, 1], // ESC t n: code table
  [0x7b, 1], // ESC { n: upside down
]);
const IGNORED_GS: ReadonlyMap<number, number> = new Map([
  [0x24, 2], // GS $: absolute vertical position
  [0x42, 1], // GS B n: reverse printing
  [0x48, 1], // GS H n: barcode text position
  [0x49, 1], // GS I n: transmit printer ID
  [0x4c, 2], // GS L: left margin
  [0x50, 2], // GS P: motion units
  [0x57, 2], // GS W: print area width
  [0x61, 1], // GS a n: automatic status back
  [0x66, 1], // GS f n: barcode font
  [0x68, 1], // GS h n: barcode height
  [0x72, 1], // GS r n: transmit status
  [0x77, 1], // GS w n: barcode width
]);
const IGNORED_FS: ReadonlyMap<number, number> = new Map([
  [0x21, 1], // FS ! n: Chinese character print mode
  [0x26, 0], // FS &: Chinese character mode on
  [0x2d, 1], // FS - n: Chinese underline
  [0x2e, 0], // FS .: Chinese character mode off
  [0x43, 1], // FS C n: Chinese code system
  [0x53, 2], // FS S: Chinese character spacing
  [0x57, 1], // FS W n: Chinese quadruple size
]);
const FULL_CUTS = new Set([0x00, 0x30, 0x41, 0x61, 0x67]);
const CUT_WITHOUT_FEED = new Set([0x00, 0x01, 0x30, 0x31]);
const CUT_WITH_FEED = new Set([0x41, 0x42, 0x61, 0x62, 0x67, 0x68]);
const ALIGN_BY_CODE: ReadonlyMap<number, Align> = new Map(
  (Object.entries(ALIGN_CODES) as Array<[Align, number]>).flatMap(([a, n]) => [
    [n, a],
    [n + 0x30, a],
  ]),
);
const EC_BY_CODE: ReadonlyMap<number, QrErrorCorrection> = new Map(
  (Object.entries(QR_EC_CODES) as Array<[QrErrorCorrection, number]>).map(([ec, n]) => [n, ec]),
);
/** A barcode with NUL-terminated data that has no NUL this far is taken as noise. */
const MAX_BARCODE_BYTES = 255;

const defaultStyle = (): Style => ({ align: 'left', bold: false, width: 1, height: 1 });
const EMPTY = Buffer.alloc(0);

export class EscPosDecoder {
  private readonly maxLineBytes: number;
  private readonly maxItems: number;
  private pending: Buffer = EMPTY;
  /** Bytes still to discard (image data, unused GS ( parameters), across chunks. */
  private skip = 0;
  private style: Style = defaultStyle();
  private line: Buffer[] = [];
  private lineBytes = 0;
  private lineStyle: Style | null = null;
  private items: ReceiptItem[] = [];
  private qr = { moduleSize: 3, errorCorrection: 'L' as QrErrorCorrection, data: null as Buffer | null };
  private readonly counts: EscPosDecoderStats = { commands: 0, unknown: 0, dropped: 0, receipts: 0 };

  constructor(options: EscPosDecoderOptions = {}) {
    this.maxLineBytes = options.maxLineBytes ?? 4096;
    this.maxItems = options.maxItems ?? 2000;
  }

  get stats(): Readonly<EscPosDecoderStats> {
    return { ...this.counts };
  }

  /** Bytes of an incomplete command held back for the next chunk. */
  get pendingBytes(): number {
    return this.pending.length;
  }

  /** What has been printed since the last cut (buffered text not yet printed is not included). */
  peek(): DecodedReceipt {
    return { items: [...this.items], cut: null };
  }

  /** Ends the stream: the receipt in progress (if anything was printed) without a cut. */
  flush(): DecodedReceipt | null {
    const receipt = this.items.length > 0 ? { items: this.items, cut: null } : null;
    this.reset();
    return receipt;
  }

  /** Forgets everything in progress: a printer switched off and on. */
  reset(): void {
    this.pending = EMPTY;
    this.skip = 0;
    this.style = defaultStyle();
    this.clearLine();
    this.items = [];
    this.qr = { moduleSize: 3, errorCorrection: 'L', data: null };
  }

  push(chunk: Uint8Array): EscPosOutput[] {
    const out: EscPosOutput[] = [];
    const d =
      this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.pending = EMPTY;
    let i = 0;
    while (i < d.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, d.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      if (isTextByte(d[i] ?? 0)) {
        let j = i + 1;
        while (j < d.length && isTextByte(d[j] ?? 0)) j++;
        this.appendText(d.subarray(i, j));
        i = j;
        continue;
      }
      const used = this.command(d, i, out);
      if (used === 0) {
        // Copied: the caller's chunk may be reused after push returns.
        this.pending = Buffer.from(d.subarray(i));
        break;
      }
      i += used;
    }
    return out;
  }

  /** Handles the control byte at d[i]; returns the bytes it used, 0 when the command is incomplete. */
  private command(d: Buffer, i: number, out: EscPosOutput[]): number {
    const b = d[i] ?? 0;
    switch (b) {
      case LF:
        this.known();
        this.printLine(true);
        return 1;
      case CR:
        // Printers with auto line feed off (the default) ignore CR.
        this.known();
        return 1;
      case FF:
        this.known();
        this.printLine(false);
        return 1;
      case ESC:
        return this.esc(d, i);
      case GS:
        return this.gs(d, i, out);
      case FS:
        return this.fixed(d, i, IGNORED_FS);
      case DLE:
        return this.dle(d, i, out);
      default:
        this.counts.unknown++;
        return 1;
    }
  }

  private esc(d: Buffer, i: number): number {
    if (i + 1 >= d.length) return 0;
    const c = d[i + 1] ?? 0;
    const param = d[i + 2] ?? 0;
    const has = (n: number) => i + 2 + n <= d.length;
    switch (c) {
      case 0x40: // ESC @
        this.known();
        this.style = defaultStyle();
        this.clearLine();
        this.qr = { moduleSize: 3, errorCorrection: 'L', data: null };
        return 2;
      case 0x61: {
        // ESC a n
        if (!has(1)) return 0;
        const align = ALIGN_BY_CODE.get(param);
        if (align) {
          this.known();
          this.style.align = align;
        } else this.counts.unknown++;
        return 3;
      }
      case 0x45: // ESC E n
        if (!has(1)) return 0;
        this.known();
        this.style.bold = (param & 1) === 1;
        return 3;
      case 0x21: // ESC ! n: bit 3 emphasized, bit 4 double height, bit 5 double width
        if (!has(1)) return 0;
        this.known();
        this.style.bold = (param & 0x08) !== 0;
        this.style.height = param & 0x10 ? 2 : 1;
        this.style.width = param & 0x20 ? 2 : 1;
        return 3;
      case 0x64: // ESC d n
        if (!has(1)) return 0;
        this.known();
        this.printLine(false);
        this.addItem({ kind: 'feed', lines: param });
        return 3;
      case 0x4a: // ESC J n: print and feed n dots
        if (!has(1)) return 0;
        this.known();
        this.printLine(false);
        return 3;
      default:
        return this.fixed(d, i, IGNORED_ESC);
    }
  }

  private gs(d: Buffer, i: number, out: EscPosOutput[]): number {
    if (i + 1 >= d.length) return 0;
    const c = d[i + 1] ?? 0;
    switch (c) {
      case 0x21: {
        // GS ! n
        if (i + 2 >= d.length) return 0;
        const n = d[i + 2] ?? 0;
        if (n & 0x88) this.counts.unknown++;
        else {
          this.known();
          this.style.width = (n >> 4) + 1;
          this.style.height = (n & 0x07) + 1;
        }
        return 3;
      }
      case 0x56: {
        // GS V m [n]
        if (i + 2 >= d.length) return 0;
        const m = d[i + 2] ?? 0;
        const len = CUT_WITHOUT_FEED.has(m) ? 3 : CUT_WITH_FEED.has(m) ? 4 : 0;
        if (len === 0) {
          this.counts.unknown++;
          return 3;
        }
        if (i + len > d.length) return 0;
        this.known();
        this.printLine(false);
        out.push({ kind: 'receipt', receipt: { items: this.items, cut: FULL_CUTS.has(m) ? 'full' : 'partial' } });
        this.counts.receipts++;
        this.items = [];
        return len;
      }
      case 0x28: {
        // GS ( fn pL pH …: every GS ( function carries its own length.
        if (i + 4 >= d.length) return 0;
        const len = (d[i + 3] ?? 0) + 256 * (d[i + 4] ?? 0);
        if ((d[i + 2] ?? 0) !== 0x6b) {
          this.known();
          this.skip = len;
          return 5;
        }
        if (i + 5 + len > d.length) return 0;
        this.symbol(d.subarray(i + 5, i + 5 + len));
        return 5 + len;
      }
      case 0x6b: {
        // GS k m …: a barcode, recognised only to be skipped whole.
        if (i + 2 >= d.length) return 0;
        const m = d[i + 2] ?? 0;
        if (m <= 6) {
          // The NUL is looked for only where it may be (at most MAX_BARCODE_BYTES data bytes), so the
          // reading does not depend on how much of the stream has arrived (found by the frame fuzz).
          const window = i + 3 + MAX_BARCODE_BYTES + 1;
          const end = d.subarray(0, Math.min(d.length, window)).indexOf(0x00, i + 3);
          if (end === -1) {
            if (d.length >= window) {
              this.counts.unknown++;
              return 3;
            }
            return 0;
          }
          this.known();
          return end + 1 - i;
        }
        if (m >= 65 && m <= 73) {
          if (i + 3 >= d.length) return 0;
          this.known();
          this.skip = d[i + 3] ?? 0;
          return 4;
        }
        this.counts.unknown++;
        return 3;
      }
      case 0x76: {
        // GS v 0 m xL xH yL yH d1…dk: a raster image, skipped.
        if (i + 2 >= d.length) return 0;
        if ((d[i + 2] ?? 0) !== 0x30) {
          this.counts.unknown++;
          return 2;
        }
        if (i + 8 > d.length) return 0;
        this.known();
        this.skip = ((d[i + 4] ?? 0) + 256 * (d[i + 5] ?? 0)) * ((d[i + 6] ?? 0) + 256 * (d[i + 7] ?? 0));
        return 8;
      }
      default:
        return this.fixed(d, i, IGNORED_GS);
    }
  }

  private dle(d: Buffer, i: number, out: EscPosOutput[]): number {
    if (i + 1 >= d.length) return 0;
    const c = d[i + 1] ?? 0;
    if (c !== EOT && c !== 0x05 && c !== 0x14) return this.unknown(2);
    if (i + 2 >= d.length) return 0;
    const n = d[i + 2] ?? 0;
    if (c === EOT) {
      if (n !== 1 && n !== 2 && n !== 3 && n !== 4) return this.unknown(3);
      this.known();
      out.push({ kind: 'status_query', fn: n });
      return 3;
    }
    if (c === 0x05) {
      // DLE ENQ n: real-time request to recover from an error
      this.known();
      return 3;
    }
    // DLE DC4 fn a b: drawer pulse (fn 1) or power-off (fn 2)
    if (n !== 1 && n !== 2) return this.unknown(3);
    if (i + 5 > d.length) return 0;
    this.known();
    return 5;
  }

  /** A command from one of the IGNORED tables (no effect on the receipt), or an unknown one. */
  private fixed(d: Buffer, i: number, table: ReadonlyMap<number, number>): number {
    if (i + 1 >= d.length) return 0;
    const params = table.get(d[i + 1] ?? 0);
    if (params === undefined) return this.unknown(2);
    if (i + 2 + params > d.length) return 0;
    this.known();
    return 2 + params;
  }

  /** GS ( k: cn fn params. Only QR (cn 0x31) is understood. */
  private symbol(p: Buffer): void {
    const cn = p[0];
    const fn = p[1] ?? -1;
    const arg = p[2];
    if (p.length < 3 || cn !== QR_CN) {
      this.counts.unknown++;
      return;
    }
    switch (fn) {
      case QrFn.model:
        if (arg === 0x31 || arg === 0x32 || arg === 0x33) return this.known();
        break;
      case QrFn.moduleSize:
        if (arg !== undefined && arg >= 1 && arg <= 16) {
          this.qr.moduleSize = arg;
          return this.known();
        }
        break;
      case QrFn.errorCorrection: {
        const ec = EC_BY_CODE.get(arg ?? -1);
        if (ec) {
          this.qr.errorCorrection = ec;
          return this.known();
        }
        break;
      }
      case QrFn.store:
        if (arg === 0x30 && p.length > 3) {
          this.qr.data = Buffer.from(p.subarray(3));
          return this.known();
        }
        break;
      case QrFn.print:
        if (arg === 0x30 && this.qr.data) {
          this.known();
          this.printLine(false);
          const { moduleSize, errorCorrection, data } = this.qr;
          this.addItem({ kind: 'qr', data: data.toString('utf8'), align: this.style.align, moduleSize, errorCorrection });
          return;
        }
        break;
      case QrFn.sizeInfo:
        return this.known();
    }
    this.counts.unknown++;
  }

  private appendText(bytes: Buffer): void {
    if (this.lineStyle === null) this.lineStyle = { ...this.style };
    const room = this.maxLineBytes - this.lineBytes;
    if (bytes.length > room) {
      this.counts.dropped += bytes.length - Math.max(room, 0);
      bytes = bytes.subarray(0, Math.max(room, 0));
    }
    if (bytes.length === 0) return;
    // Copied: the chunk it came from belongs to the caller.
    this.line.push(Buffer.from(bytes));
    this.lineBytes += bytes.length;
  }

  /** Prints the buffered text as one line; `always`: LF prints (feeds) even an empty line. */
  private printLine(always: boolean): void {
    if (this.lineBytes === 0 && this.lineStyle === null && !always) return;
    const style = this.lineStyle ?? this.style;
    this.addItem({ kind: 'text', text: decodeText(Buffer.concat(this.line)), ...style });
    this.clearLine();
  }

  private clearLine(): void {
    this.line = [];
    this.lineBytes = 0;
    this.lineStyle = null;
  }

  private addItem(item: ReceiptItem): void {
    if (this.items.length >= this.maxItems) {
      this.counts.dropped++;
      return;
    }
    this.items.push(item);
  }

  private known(): void {
    this.counts.commands++;
  }

  private unknown(bytes: number): number {
    this.counts.unknown++;
    return bytes;
  }
}

/** Decodes a whole stream at once: every receipt (the last one uncut if the stream ended before a cut). */
export function decodeEscPos(
  bytes: Uint8Array,
  options?: EscPosDecoderOptions,
): { receipts: DecodedReceipt[]; statusQueries: RealtimeStatusFn[]; stats: EscPosDecoderStats } {
  const decoder = new EscPosDecoder(options);
  const receipts: DecodedReceipt[] = [];
  const statusQueries: RealtimeStatusFn[] = [];
  for (const o of decoder.push(bytes)) {
    if (o.kind === 'receipt') receipts.push(o.receipt);
    else statusQueries.push(o.fn);
  }
  const last = decoder.flush();
  if (last) receipts.push(last);
  return { receipts, statusQueries, stats: decoder.stats };
}

/** The text lines of a receipt, in order (empty lines included). */
export const receiptLines = (r: DecodedReceipt): string[] => r.items.flatMap((i) => (i.kind === 'text' ? [i.text] : []));
/** The QR payloads of a receipt, in order. */
export const receiptQrCodes = (r: DecodedReceipt): string[] => r.items.flatMap((i) => (i.kind === 'qr' ? [i.data] : []));
