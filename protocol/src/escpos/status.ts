// ESC/POS real-time status (DLE EOT n, `10 04 n`): the printer answers one byte at once, even
// while it is busy or offline, which makes it the way to ask "is there paper?" before printing.
// Every status byte has bits 1 and 4 set and bits 0 and 7 clear (the 0x93 mask gives 0x12), so an
// answer can be told apart from line noise.
//
//   n = 4, paper roll sensor:   bits 2–3 (0x0C) set = paper near its end
//                               bits 5–6 (0x60) set = no paper
//   n = 1, printer:             bit 3 (0x08) = offline
//   n = 2, offline cause:       bit 5 (0x20) = stopped because the paper ran out
//   n = 3, error cause:         no error bits are modelled here

import { EscPosByte } from './escpos.js';

const { DLE, EOT } = EscPosByte;

export type RealtimeStatusFn = 1 | 2 | 3 | 4;
export const PAPER_SENSOR_STATUS: RealtimeStatusFn = 4;

export const encodeStatusQuery = (fn: RealtimeStatusFn): Buffer => Buffer.from([DLE, EOT, fn]);
/** DLE EOT 4: `10 04 04`. */
export const PAPER_STATUS_QUERY = encodeStatusQuery(PAPER_SENSOR_STATUS);

export type PaperStatus = 'present' | 'near_end' | 'out';

const FIXED_MASK = 0x93;
const FIXED_BITS = 0x12;
const NEAR_END = 0x0c;
const PAPER_OUT = 0x60;

/** true for a byte that can be a real-time status answer (fixed bits right). */
export const isStatusByte = (byte: number): boolean => (byte & FIXED_MASK) === FIXED_BITS;

/** What DLE EOT 4 answers: 0x12 paper, 0x1E near its end, 0x7E none (both sensors see no paper). */
export function encodePaperStatus(paper: PaperStatus): number {
  switch (paper) {
    case 'present':
      return FIXED_BITS;
    case 'near_end':
      return FIXED_BITS | NEAR_END;
    case 'out':
      return FIXED_BITS | NEAR_END | PAPER_OUT;
  }
}

/** The paper state in a DLE EOT 4 answer, or null for a byte that is not a status byte. */
export function decodePaperStatus(byte: number): PaperStatus | null {
  if (!isStatusByte(byte)) return null;
  // Either end-sensor bit counts: printing on a roll that may be empty loses the receipt.
  if (byte & PAPER_OUT) return 'out';
  if (byte & NEAR_END) return 'near_end';
  return 'present';
}

/** A printer's answer to any DLE EOT n, from its paper state (what a simulated printer sends). */
export function encodeRealtimeStatus(fn: RealtimeStatusFn, paper: PaperStatus): number {
  switch (fn) {
    case 1:
      return FIXED_BITS | (paper === 'out' ? 0x08 : 0);
    case 2:
      return FIXED_BITS | (paper === 'out' ? 0x20 : 0);
    case 3:
      return FIXED_BITS;
    case 4:
      return encodePaperStatus(paper);
  }
}
