// A SIMULATED ESC/POS receipt printer: reads what the kiosk sends with the protocol's decoder and
// keeps each cut receipt as text lines and QR payloads, so a test (or a person watching the demo)
// can read what would have come out. It answers the real-time status queries (DLE EOT n) from its
// paper state at once, as a real printer does. Shared by the simulator program and unit tests;
// nothing about timing.
//
// Paper states: 'ok' prints and answers "paper present"; 'low' prints and answers "near end";
// 'out' answers "no paper" and prints nothing (a receipt that arrives anyway is counted as lost);
// 'absent' is a printer switched off or unplugged: it hears nothing and answers nothing.
import {
  EscPosDecoder,
  encodeRealtimeStatus,
  receiptLines,
  receiptQrCodes,
  type CutKind,
  type EscPosDecoderStats,
  type PaperStatus,
  type ReceiptItem,
} from '@xinbao/protocol';

export const PAPER_STATES = ['ok', 'low', 'out', 'absent'] as const;
export type PaperState = (typeof PAPER_STATES)[number];

export const PRINTER_PRESETS = ['paper ok', 'paper low', 'out of paper', 'absent'] as const;
export type PrinterPreset = (typeof PRINTER_PRESETS)[number];
const PRESET_PAPER: Readonly<Record<PrinterPreset, PaperState>> = {
  'paper ok': 'ok',
  'paper low': 'low',
  'out of paper': 'out',
  absent: 'absent',
};
const SENSOR: Readonly<Record<Exclude<PaperState, 'absent'>, PaperStatus>> = { ok: 'present', low: 'near_end', out: 'out' };

export interface PrintedReceipt {
  /** 1, 2, 3, … in the order they were cut */
  seq: number;
  /** ISO time of the cut */
  at: string;
  lines: string[];
  qrCodes: string[];
  items: ReceiptItem[];
  cut: CutKind | null;
}

export interface PrinterModelStats {
  statusQueries: number;
  /** receipts that arrived while the paper was out */
  lostReceipts: number;
  decoder: EscPosDecoderStats;
}

export class PrinterModel {
  private state: PaperState;
  private decoder = new EscPosDecoder();
  private printed: PrintedReceipt[] = [];
  private seq = 0;
  private statusQueries = 0;
  private lostReceipts = 0;

  constructor(
    paper: PaperState = 'ok',
    private readonly maxReceipts = 1000,
  ) {
    this.state = paper;
  }

  static preset(name: PrinterPreset): PrinterModel {
    return new PrinterModel(PRESET_PAPER[name]);
  }

  get paper(): PaperState {
    return this.state;
  }

  setPaper(state: PaperState): this {
    this.state = state;
    return this;
  }

  get receipts(): readonly PrintedReceipt[] {
    return this.printed;
  }

  clearReceipts(): void {
    this.printed = [];
  }

  get stats(): PrinterModelStats {
    return { statusQueries: this.statusQueries, lostReceipts: this.lostReceipts, decoder: this.decoder.stats };
  }

  /** Bytes from the kiosk; returns the printer's answer (empty when it has nothing to say). */
  receive(chunk: Uint8Array, now: Date = new Date()): Buffer {
    const state = this.state;
    if (state === 'absent') return Buffer.alloc(0);
    const answer: number[] = [];
    for (const out of this.decoder.push(chunk)) {
      if (out.kind === 'status_query') {
        this.statusQueries++;
        answer.push(encodeRealtimeStatus(out.fn, SENSOR[state]));
      } else if (state === 'out') {
        this.lostReceipts++;
      } else {
        const r = out.receipt;
        this.printed.push({
          seq: ++this.seq,
          at: now.toISOString(),
          lines: receiptLines(r),
          qrCodes: receiptQrCodes(r),
          items: r.items,
          cut: r.cut,
        });
        if (this.printed.length > this.maxReceipts) this.printed.shift();
      }
    }
    return Buffer.from(answer);
  }
}
