// Byte fixtures for the scanner and receipt printer drivers, each byte commented. ESC/POS
// command fixtures live with the protocol (`@xinbao/protocol/escpos/escpos.fixtures`).

const b = (...bytes: number[]): Buffer => Buffer.from(bytes);
const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];

/** A keypad code as a barcode/QR scanner types it. */
export const SCANNED_KEYPAD_CODE = '48213097';
/** A signed QR token (shape only: `XB1.<payload>.<signature>`, base64url). */
export const SCANNED_QR_TOKEN = 'XB1.eyJjaWQiOiJ4In0.c2lnbmF0dXJl';

export const ScannerFixtures = {
  /** The code, CR LF: the suffix most serial scanners ship with. */
  keypadCodeCrLf: b(...ascii(SCANNED_KEYPAD_CODE), 0x0d, 0x0a),
  /** The QR token, CR only. */
  qrTokenCr: b(...ascii(SCANNED_QR_TOKEN), 0x0d),
  /** The code, LF only. */
  keypadCodeLf: b(...ascii(SCANNED_KEYPAD_CODE), 0x0a),
  /** Spaces around the code and blank lines around it: trimmed and skipped. */
  paddedCode: b(0x0d, 0x0a, 0x20, 0x20, ...ascii(SCANNED_KEYPAD_CODE), 0x20, 0x09, 0x0d, 0x0a, 0x0d, 0x0a),
  /** A line with control and high bytes (a misread, a baud-rate mismatch): no code. */
  garbageLine: b(0x34, 0x38, 0x00, 0xff, 0x1b, 0x32, 0x0d, 0x0a), // "48" NUL FF ESC "2" CR LF
} as const;

export const PrinterFixtures = {
  /** DLE EOT 4: the paper roll sensor query the driver sends before every receipt. */
  paperQuery: b(0x10, 0x04, 0x04),
  /** Answers: fixed bits 0x12; +0x0C paper near its end; +0x60 no paper. */
  paperPresent: b(0x12),
  paperNearEnd: b(0x1e),
  paperOut: b(0x7e),
  /** Bytes that cannot be a status answer (fixed bits wrong): ignored while waiting. */
  noise: b(0x00, 0xff, 0x0a),
} as const;
