import { describe, expect, it } from '@jest/globals';
import { EscPosEncoder } from '@xinbao/protocol';
import { EscPosFixtures as F, FIXTURE_TRACKING_NUMBER as TN } from '@xinbao/protocol/escpos/escpos.fixtures';
import { PRINTER_PRESETS, PrinterModel } from './printer-model.js';

const receipt = Buffer.concat([F.init, F.lineDanHao, F.lineSiteZh, F.qrTrackingNumber, F.feed3, F.cutPartial]);
const at = new Date('2025-03-04T23:30:00Z');

describe('PrinterModel (simulated ESC/POS printer)', () => {
  it('answers DLE EOT 4 from its paper state', () => {
    expect(PrinterModel.preset('paper ok').receive(F.paperStatusQuery)).toEqual(F.paperPresent);
    expect(PrinterModel.preset('paper low').receive(F.paperStatusQuery)).toEqual(F.paperNearEnd);
    expect(PrinterModel.preset('out of paper').receive(F.paperStatusQuery)).toEqual(F.paperOut);
    expect(PrinterModel.preset('absent').receive(F.paperStatusQuery)).toEqual(Buffer.alloc(0));
  });

  it('keeps each cut receipt as lines and QR payloads, fed in any chunking', () => {
    const m = PrinterModel.preset('paper ok');
    for (let i = 0; i < receipt.length; i += 5) expect(m.receive(receipt.subarray(i, i + 5), at)).toEqual(Buffer.alloc(0));
    expect(m.receipts).toEqual([
      {
        seq: 1,
        at: '2025-03-04T23:30:00.000Z',
        lines: ['单号', '站点：港务区'],
        qrCodes: [TN],
        items: expect.arrayContaining([{ kind: 'qr', data: TN, align: 'left', moduleSize: 6, errorCorrection: 'M' }]),
        cut: 'partial',
      },
    ]);
  });

  it('answers a query in the middle of a receipt at once, and still prints the receipt', () => {
    const m = PrinterModel.preset('paper low');
    const answer = m.receive(Buffer.concat([receipt.subarray(0, 10), F.paperStatusQuery, receipt.subarray(10)]));
    expect(answer).toEqual(F.paperNearEnd);
    expect(m.receipts.map((r) => r.lines)).toEqual([['单号', '站点：港务区']]);
    expect(m.stats.statusQueries).toBe(1);
  });

  it('prints nothing when the paper is out and counts the receipt as lost', () => {
    const m = PrinterModel.preset('out of paper');
    expect(m.receive(Buffer.concat([F.paperStatusQuery, receipt]))).toEqual(F.paperOut);
    expect(m.receipts).toEqual([]);
    expect(m.stats.lostReceipts).toBe(1);
    m.setPaper('ok');
    m.receive(receipt);
    expect(m.receipts.map((r) => r.seq)).toEqual([1]);
  });

  it('switched off, it hears nothing: what was sent meanwhile never comes out', () => {
    const m = PrinterModel.preset('absent');
    expect(m.receive(Buffer.concat([F.paperStatusQuery, receipt]))).toEqual(Buffer.alloc(0));
    m.setPaper('ok');
    expect(m.receive(F.paperStatusQuery)).toEqual(F.paperPresent);
    expect(m.receipts).toEqual([]);
    expect(m.stats.statusQueries).toBe(1);
  });

  it('keeps the newest receipts up to its limit; clearing empties it', () => {
    const m = new PrinterModel('ok', 2);
    for (const n of [1, 2, 3]) m.receive(new EscPosEncoder().line(`receipt ${n}`).cut().bytes());
    expect(m.receipts.map((r) => [r.seq, r.lines[0]])).toEqual([
      [2, 'receipt 2'],
      [3, 'receipt 3'],
    ]);
    m.clearReceipts();
    expect(m.receipts).toEqual([]);
  });

  it('has a preset for every paper state', () => {
    expect(PRINTER_PRESETS.map((p) => PrinterModel.preset(p).paper)).toEqual(['ok', 'low', 'out', 'absent']);
  });
});
