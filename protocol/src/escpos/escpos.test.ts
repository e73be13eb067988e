import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  EscPosDecoder,
  EscPosEncoder,
  PAPER_STATUS_QUERY,
  decodeEscPos,
  decodePaperStatus,
  encodePaperStatus,
  encodeRealtimeStatus,
  hasControlCharacter,
  isStatusByte,
  receiptLines,
  receiptQrCodes,
  toHex,
  type Align,
  type DecodedReceipt,
  type EscPosOutput,
  type QrErrorCorrection,
  type ReceiptItem,
} from '../index.js';
import { EscPosFixtures as F, FIXTURE_TRACKING_NUMBER as TN } from './escpos.fixtures.js';

const cat = (...parts: Buffer[]): Buffer => Buffer.concat(parts);
const text = (t: string, style: Partial<Extract<ReceiptItem, { kind: 'text' }>> = {}): ReceiptItem => ({
  kind: 'text',
  text: t,
  align: 'left',
  bold: false,
  width: 1,
  height: 1,
  ...style,
});

/** The receipt the fixtures spell: a big bold centred heading, a site line, a QR, a feed, a cut. */
const fixtureReceipt = cat(
  F.init,
  F.alignCenter,
  F.boldOn,
  F.size2x2,
  F.lineDanHao,
  F.boldOff,
  F.size1x1,
  F.lineSiteZh,
  F.qrTrackingNumber,
  F.feed3,
  F.cutPartial,
);
const fixtureItems: ReceiptItem[] = [
  text('单号', { align: 'center', bold: true, width: 2, height: 2 }),
  text('站点：港务区', { align: 'center' }),
  { kind: 'qr', data: TN, align: 'center', moduleSize: 6, errorCorrection: 'M' },
  { kind: 'feed', lines: 3 },
];

describe('ESC/POS encoder, byte for byte', () => {
  it('spells each command as in the fixtures', () => {
    expect(new EscPosEncoder().init().bytes()).toEqual(F.init);
    expect(new EscPosEncoder().align('center').bold(true).size(2, 2).bytes()).toEqual(cat(F.alignCenter, F.boldOn, F.size2x2));
    expect(new EscPosEncoder().line('单号').line('站点：港务区').bytes()).toEqual(cat(F.lineDanHao, F.lineSiteZh));
    expect(new EscPosEncoder().feed(3).cut().cut('full').bytes()).toEqual(cat(F.feed3, F.cutPartial, F.cutFull));
  });
  it('a QR code is model 2, module size, error correction, store, print', () => {
    expect(toHex(new EscPosEncoder().qr(TN, { moduleSize: 6, errorCorrection: 'M' }).bytes())).toBe(toHex(F.qrTrackingNumber));
  });
  it('builds the whole fixture receipt', () => {
    const bytes = new EscPosEncoder()
      .init()
      .align('center')
      .bold(true)
      .size(2, 2)
      .line('单号')
      .bold(false)
      .size(1, 1)
      .line('站点：港务区')
      .qr(TN, { moduleSize: 6, errorCorrection: 'M' })
      .feed(3)
      .cut()
      .bytes();
    expect(bytes).toEqual(fixtureReceipt);
  });
  it('refuses what a printer would misread, before writing anything', () => {
    expect(() => new EscPosEncoder().text('a\nb')).toThrow(RangeError);
    expect(() => new EscPosEncoder().line('\u001b@')).toThrow(/control characters/);
    expect(() => new EscPosEncoder().size(9, 1)).toThrow(RangeError);
    expect(() => new EscPosEncoder().qr('')).toThrow(RangeError);
    expect(() => new EscPosEncoder().qr('x'.repeat(7090))).toThrow(RangeError);
    expect(() => new EscPosEncoder().qr('x', { moduleSize: 17 })).toThrow(RangeError);
    expect(() => new EscPosEncoder().feed(256)).toThrow(RangeError);
  });
});

describe('ESC/POS decoder', () => {
  it('reads the fixture receipt back: styles, GB18030 text, QR payload, cut', () => {
    const { receipts, stats } = decodeEscPos(fixtureReceipt);
    expect(receipts).toEqual([{ items: fixtureItems, cut: 'partial' }]);
    expect(stats).toMatchObject({ unknown: 0, dropped: 0, receipts: 1 });
  });
  it('gives the same result fed one byte at a time', () => {
    const d = new EscPosDecoder();
    const out: EscPosOutput[] = [];
    for (const byte of fixtureReceipt) out.push(...d.push(Buffer.from([byte])));
    expect(out).toEqual([{ kind: 'receipt', receipt: { items: fixtureItems, cut: 'partial' } }]);
    expect(d.pendingBytes).toBe(0);
  });
  it('reports DLE EOT 4 where it stands in the stream, even in the middle of a receipt', () => {
    const d = new EscPosDecoder();
    const out = d.push(cat(F.paperStatusQuery, F.init, F.lineDanHao, F.paperStatusQuery, F.cutFull));
    expect(out.map((o) => o.kind)).toEqual(['status_query', 'status_query', 'receipt']);
    expect(out[0]).toEqual({ kind: 'status_query', fn: 4 });
    expect(out[2]).toEqual({ kind: 'receipt', receipt: { items: [text('单号')], cut: 'full' } });
  });
  it('counts unknown sequences, skips them and keeps the text around them', () => {
    const { receipts, stats } = decodeEscPos(cat(Buffer.from('A'), F.unknownSequences, Buffer.from('B\n'), F.cutFullNoFeed));
    expect(receipts).toEqual([{ items: [text('AB')], cut: 'full' }]);
    expect(stats.unknown).toBe(2);
  });
  it('skips a non-QR two-dimensional code and a raster image whole, by their lengths', () => {
    const { receipts, stats } = decodeEscPos(cat(F.pdf417Store, F.rasterImage, Buffer.from('after\n'), F.cutPartial));
    // The image's data ends in 0A: had it not been skipped, it would have printed a line.
    expect(receipts).toEqual([{ items: [text('after')], cut: 'partial' }]);
    expect(stats).toMatchObject({ unknown: 1, dropped: 0 });
  });
  it('a QR print without stored data prints nothing and is counted', () => {
    const printOnly = F.qrTrackingNumber.subarray(F.qrTrackingNumber.length - 8);
    const { receipts, stats } = decodeEscPos(cat(printOnly, F.cutPartial));
    expect(receipts).toEqual([{ items: [], cut: 'partial' }]);
    expect(stats.unknown).toBe(1);
  });
  it('ESC @ throws away buffered text; text without LF at the end was never printed', () => {
    const { receipts } = decodeEscPos(cat(Buffer.from('lost'), F.init, Buffer.from('kept\n'), Buffer.from('never printed')));
    expect(receipts).toEqual([{ items: [text('kept')], cut: null }]);
  });
  it('a line keeps the style it started with; LF on an empty buffer is an empty line', () => {
    const { receipts } = decodeEscPos(cat(F.boldOn, Buffer.from('a'), F.boldOff, Buffer.from('b\n\n'), F.cutPartial));
    expect(receipts[0]?.items).toEqual([text('ab', { bold: true }), text('')]);
  });
  it('keeps a line bounded and says how much it dropped', () => {
    const { receipts, stats } = decodeEscPos(Buffer.from(`${'x'.repeat(10)}\n`), { maxLineBytes: 4 });
    expect(receipts[0]?.items).toEqual([text('xxxx')]);
    expect(stats.dropped).toBe(6);
  });
  it('lines and QR codes of a receipt, for tests', () => {
    const r: DecodedReceipt = { items: fixtureItems, cut: 'partial' };
    expect(receiptLines(r)).toEqual(['单号', '站点：港务区']);
    expect(receiptQrCodes(r)).toEqual([TN]);
  });
});

describe('DLE EOT 4 paper status', () => {
  it('the query is 10 04 04', () => {
    expect(PAPER_STATUS_QUERY).toEqual(F.paperStatusQuery);
  });
  it('encodes and decodes present, near end and out', () => {
    expect([encodePaperStatus('present'), encodePaperStatus('near_end'), encodePaperStatus('out')]).toEqual([
      F.paperPresent[0],
      F.paperNearEnd[0],
      F.paperOut[0],
    ]);
    expect([0x12, 0x1e, 0x7e].map(decodePaperStatus)).toEqual(['present', 'near_end', 'out']);
    // One end-sensor bit is enough to call the roll empty.
    expect(decodePaperStatus(0x12 | 0x20)).toBe('out');
    expect(decodePaperStatus(0x12 | 0x04)).toBe('near_end');
  });
  it('a byte with the fixed bits wrong is no status at all', () => {
    for (const noise of [0x00, 0xff, 0x13, 0x92, 0x0a]) {
      expect(isStatusByte(noise)).toBe(false);
      expect(decodePaperStatus(noise)).toBeNull();
    }
  });
  it('the other real-time answers say offline / paper-end stop when the roll is out', () => {
    expect(encodeRealtimeStatus(1, 'present')).toBe(0x12);
    expect(encodeRealtimeStatus(1, 'out')).toBe(0x1a);
    expect(encodeRealtimeStatus(2, 'out')).toBe(0x32);
    expect(encodeRealtimeStatus(3, 'out')).toBe(0x12);
  });
});

// Text any receipt may carry: ASCII, Chinese, full-width punctuation, emoji; no control characters.
const receiptText = fc
  .string({
    unit: fc.oneof(
      fc.constantFrom('站', '点', '格', '口', '：', '，', '号', '😀', '€', ' '),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
    ),
    maxLength: 30,
  })
  .filter((s) => !hasControlCharacter(s));
const align = fc.constantFrom<Align>('left', 'center', 'right');
const ec = fc.constantFrom<QrErrorCorrection>('L', 'M', 'Q', 'H');
const mult = fc.integer({ min: 1, max: 8 });
type Op =
  | { kind: 'text'; text: string; align: Align; bold: boolean; width: number; height: number }
  | { kind: 'qr'; data: string; align: Align; moduleSize: number; errorCorrection: QrErrorCorrection }
  | { kind: 'feed'; lines: number };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('text' as const), text: receiptText, align, bold: fc.boolean(), width: mult, height: mult }),
  fc.record({
    kind: fc.constant('qr' as const),
    data: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }),
    align,
    moduleSize: fc.integer({ min: 1, max: 16 }),
    errorCorrection: ec,
  }),
  fc.record({ kind: fc.constant('feed' as const), lines: fc.integer({ min: 0, max: 255 }) }),
);

function encode(receipts: Op[][], cut: 'full' | 'partial'): Buffer {
  const e = new EscPosEncoder().init();
  for (const ops of receipts) {
    for (const o of ops) {
      if (o.kind === 'text') e.align(o.align).bold(o.bold).size(o.width, o.height).line(o.text);
      else if (o.kind === 'qr') e.align(o.align).qr(o.data, o);
      else e.feed(o.lines);
    }
    e.cut(cut);
  }
  return e.bytes();
}

describe('ESC/POS properties', () => {
  it('encode → decode gives back every line with its style, every QR payload, in any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(op, { maxLength: 8 }), { minLength: 1, maxLength: 3 }),
        fc.constantFrom('full' as const, 'partial' as const),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1 }),
        (receipts, cut, cuts) => {
          const bytes = encode(receipts, cut);
          const d = new EscPosDecoder();
          const out: EscPosOutput[] = [];
          for (let at = 0, i = 0; at < bytes.length; i++) {
            const n = cuts[i % cuts.length] ?? 1;
            out.push(...d.push(bytes.subarray(at, at + n)));
            at += n;
          }
          expect(out).toEqual(receipts.map((items) => ({ kind: 'receipt', receipt: { items, cut } })));
          expect(d.stats).toMatchObject({ unknown: 0, dropped: 0 });
        },
      ),
      { numRuns: 300 },
    );
  });
  it('a NUL-terminated barcode is read the same in any chunking, at and past the length limit (found by the frame fuzz)', () => {
    for (const dataBytes of [255, 256, 300]) {
      const bytes = cat(Buffer.from([0x1d, 0x6b, 0x04]), Buffer.alloc(dataBytes, 0x41), Buffer.from([0x00, 0x0a]), F.cutFull);
      const whole = decodeEscPos(bytes);
      for (const step of [1, 16, 100]) {
        const d = new EscPosDecoder();
        const out: EscPosOutput[] = [];
        for (let at = 0; at < bytes.length; at += step) out.push(...d.push(bytes.subarray(at, at + step)));
        expect({ dataBytes, step, receipts: out.flatMap((o) => (o.kind === 'receipt' ? [receiptLines(o.receipt)] : [])) }).toEqual({
          dataBytes,
          step,
          receipts: whole.receipts.map(receiptLines),
        });
      }
      // Up to 255 data bytes it is a barcode, skipped whole; past that the GS k is noise and the data prints as text.
      expect(receiptLines(whole.receipts[0]!)).toEqual([dataBytes <= 255 ? '' : 'A'.repeat(dataBytes)]);
    }
  });
  it('random byte streams never throw, and chunking never changes what is decoded', () => {
    const byte = fc.oneof(
      fc.constantFrom(0x0a, 0x10, 0x04, 0x1b, 0x1c, 0x1d, 0x28, 0x6b, 0x31, 0x50, 0x51, 0x56, 0x76, 0x30),
      fc.integer({ min: 0, max: 255 }),
    );
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 300 }), fc.integer({ min: 1, max: 17 }), (bytes, step) => {
        const whole = new EscPosDecoder({ maxLineBytes: 64, maxItems: 50 });
        const expected = whole.push(Buffer.from(bytes));
        const chunked = new EscPosDecoder({ maxLineBytes: 64, maxItems: 50 });
        const got: EscPosOutput[] = [];
        for (let at = 0; at < bytes.length; at += step) got.push(...chunked.push(Buffer.from(bytes.slice(at, at + step))));
        expect(got).toEqual(expected);
        expect(chunked.stats).toEqual(whole.stats);
        expect(chunked.flush()).toEqual(whole.flush());
      }),
      { numRuns: 1000 },
    );
  });
});
