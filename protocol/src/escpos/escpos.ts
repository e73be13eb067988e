// ESC/POS, the command language of receipt printers (Epson's, spoken by nearly every Chinese
// thermal printer): the subset a kiosk receipt needs, as an encoder. Pure: bytes in memory only.
//
//   ESC @        1B 40           initialise (clears the buffer, resets every mode)
//   FS &         1C 26           Chinese character mode: text bytes are GB18030
//   ESC a n      1B 61 n         align 0 left, 1 centre, 2 right (honoured at the start of a line)
//   ESC E n      1B 45 n         bold on (bit 0 = 1) / off
//   GS ! n       1D 21 n         character size: high nibble width−1, low nibble height−1 (1–8)
//   LF           0A              print the buffer, feed one line
//   ESC d n      1B 64 n         print the buffer, feed n lines
//   GS V m n     1D 56 42 n      feed to the cutter (+n) and cut partially (41: fully)
//   GS ( k …     1D 28 6B pL pH cn fn …   two-dimensional code; cn 31 = QR:
//       fn 41 (model: 32 = model 2), fn 43 (module size 1–16 dots), fn 45 (error correction
//       30 L, 31 M, 32 Q, 33 H), fn 50 (store data: 30 d1…dk), fn 51 (print the stored symbol).
//       pL + 256·pH counts the bytes after pH.
//   DLE EOT n    10 04 n         real-time status; n = 4: paper roll sensor (status.ts)
//
// Text is encoded as GB18030, which covers all of Unicode, so a site name in Chinese and an
// English sub-line go through the same path. QR data is UTF-8.
import iconv from 'iconv-lite';

/** The control bytes that start commands (or are one). */
export const EscPosByte = { ESC: 0x1b, GS: 0x1d, FS: 0x1c, DLE: 0x10, EOT: 0x04, LF: 0x0a } as const;
const { ESC, GS, FS, LF } = EscPosByte;

export const RECEIPT_TEXT_ENCODING = 'gb18030';

export type Align = 'left' | 'center' | 'right';
export const ALIGN_CODES: Readonly<Record<Align, number>> = { left: 0, center: 1, right: 2 };

export type QrErrorCorrection = 'L' | 'M' | 'Q' | 'H';
export const QR_EC_CODES: Readonly<Record<QrErrorCorrection, number>> = { L: 0x30, M: 0x31, Q: 0x32, H: 0x33 };
/** What GS ( k fn 50 can store for a QR symbol (Epson's limit). */
export const QR_MAX_DATA_BYTES = 7089;

export type CutKind = 'full' | 'partial';

/** The function bytes of GS ( k for cn = 0x31 (QR). */
export const QrFn = { model: 0x41, moduleSize: 0x43, errorCorrection: 0x45, store: 0x50, print: 0x51, sizeInfo: 0x52 } as const;
export const QR_CN = 0x31;

const checkInt = (what: string, n: number, min: number, max: number): void => {
  if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`${what} must be ${min}–${max}, got ${n}`);
};

/** C0 controls and DEL: in receipt text, a printer would read them as (part of) a command. */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

export function encodeText(text: string): Buffer {
  if (hasControlCharacter(text)) throw new RangeError('receipt text must not contain control characters (use line() for line breaks)');
  return iconv.encode(text, RECEIPT_TEXT_ENCODING);
}

export function decodeText(bytes: Uint8Array): string {
  return iconv.decode(Buffer.from(bytes), RECEIPT_TEXT_ENCODING);
}

/** One GS ( k function for a QR symbol. */
function qrFunction(fn: number, params: Uint8Array): Buffer {
  const len = params.length + 2;
  return Buffer.concat([Buffer.from([GS, 0x28, 0x6b, len & 0xff, len >> 8, QR_CN, fn]), params]);
}

/** Builds a receipt's bytes command by command: `new EscPosEncoder().init().line('…').cut().bytes()`. */
export class EscPosEncoder {
  private readonly parts: Buffer[] = [];

  private raw(...bytes: number[]): this {
    this.parts.push(Buffer.from(bytes));
    return this;
  }

  /** ESC @ then FS &: a clean printer in Chinese character mode. */
  init(): this {
    return this.raw(ESC, 0x40, FS, 0x26);
  }

  align(align: Align): this {
    return this.raw(ESC, 0x61, ALIGN_CODES[align]);
  }

  bold(on: boolean): this {
    return this.raw(ESC, 0x45, on ? 1 : 0);
  }

  /** Character size as multiples of the normal width and height, 1–8 each. */
  size(width: number, height: number): this {
    checkInt('width', width, 1, 8);
    checkInt('height', height, 1, 8);
    return this.raw(GS, 0x21, ((width - 1) << 4) | (height - 1));
  }

  /** Text into the line buffer, without ending the line. */
  text(text: string): this {
    this.parts.push(encodeText(text));
    return this;
  }

  /** Text and LF: one printed line (an empty line feeds one line). */
  line(text = ''): this {
    return this.text(text).raw(LF);
  }

  /** ESC d n: prints what is buffered and feeds n lines. */
  feed(lines: number): this {
    checkInt('lines', lines, 0, 255);
    return this.raw(ESC, 0x64, lines);
  }

  /** A QR code (model 2) of `data` (UTF-8), printed at the current alignment. */
  qr(data: string, options: { moduleSize?: number; errorCorrection?: QrErrorCorrection } = {}): this {
    const moduleSize = options.moduleSize ?? 6;
    checkInt('moduleSize', moduleSize, 1, 16);
    const bytes = Buffer.from(data, 'utf8');
    if (bytes.length === 0 || bytes.length > QR_MAX_DATA_BYTES)
      throw new RangeError(`QR data must be 1–${QR_MAX_DATA_BYTES} bytes, got ${bytes.length}`);
    this.parts.push(
      qrFunction(QrFn.model, Buffer.from([0x32, 0x00])),
      qrFunction(QrFn.moduleSize, Buffer.from([moduleSize])),
      qrFunction(QrFn.errorCorrection, Buffer.from([QR_EC_CODES[options.errorCorrection ?? 'M']])),
      qrFunction(QrFn.store, Buffer.concat([Buffer.from([0x30]), bytes])),
      qrFunction(QrFn.print, Buffer.from([0x30])),
    );
    return this;
  }

  /** GS V 42/41 n: feed to the cutter (plus n motion units) and cut. */
  cut(kind: CutKind = 'partial', feed = 0): this {
    checkInt('feed', feed, 0, 255);
    return this.raw(GS, 0x56, kind === 'full' ? 0x41 : 0x42, feed);
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}
