import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Readable } from 'node:stream';
import {
  KerongCmd,
  KerongFrameReader,
  KerongParser,
  decodeKerongFrame,
  encodeKerongBusStatusReply,
  encodeKerongFrame,
  encodeKerongReadBusStatus,
  encodeKerongReadStatus,
  encodeKerongSetPulseTime,
  encodeKerongStatusReply,
  encodeKerongUnlock,
  kerongChecksum,
  toHex,
  type KerongFrame,
  type KerongStatusBlock,
} from './index.js';
import { KerongFixtures as F } from './kerong.fixtures.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/ /g, ''), 'hex');
const all = (v: boolean): boolean[] => Array<boolean>(16).fill(v);

describe('KR-CU16 frames: LOCKBOARD.md vectors', () => {
  it('"open lock 1 on board 0" is 02 00 31 03 36 (lock channel 0)', () => {
    expect(encodeKerongUnlock(0, 0)).toEqual(hex('02 00 31 03 36'));
    expect(encodeKerongUnlock(0, 0)).toEqual(F.unlockBoard0Lock0);
  });
  it('board 0 lock channel 3 unlock is 02 03 31 03 39', () => {
    expect(toHex(encodeKerongUnlock(0, 3))).toBe('02 03 31 03 39');
  });
  it('ADDR puts the board in the high nibble: board 2, lock 0 → 0x20', () => {
    expect(encodeKerongUnlock(2, 0)).toEqual(F.unlockBoard2Lock0);
    expect(encodeKerongUnlock(0, 1)[1]).toBe(0x01);
  });
  it('SUM is the low byte of the sum of every byte before it', () => {
    expect(kerongChecksum(hex('02 00 31 03'))).toBe(0x36);
    expect(kerongChecksum(hex('02 00 35 FF FF 00 00 03'))).toBe(0x38);
  });
  it('every fixture except the deliberately broken ones carries a correct SUM', () => {
    const broken = new Set<keyof typeof F>(['statusBoard0BadChecksum', 'statusBoard0MissingByte', 'noise']);
    expect(Object.keys(F).length - broken.size).toBeGreaterThanOrEqual(15);
    for (const [name, bytes] of Object.entries(F) as Array<[keyof typeof F, Buffer]>) {
      if (broken.has(name)) continue;
      expect({ name, sum: bytes.at(-1) }).toEqual({ name, sum: kerongChecksum(bytes, bytes.length - 1) });
    }
  });
  it('encodes read-status, pulse time and status replies byte for byte', () => {
    expect(encodeKerongReadStatus(0)).toEqual(F.readStatusBoard0);
    expect(encodeKerongFrame({ board: 0, lock: 0, cmd: KerongCmd.setPulseTime, data: Buffer.from([0x0a]) })).toEqual(F.setPulseTimeBoard0);
    const latch = all(true);
    latch[3] = false;
    const item = all(false);
    item[5] = true;
    expect(encodeKerongStatusReply(0, 3, { latchClosed: latch, itemPresent: item })).toEqual(F.statusBoard0Lock3OpenItemIn5);
    const board1 = all(true);
    board1[15] = false;
    expect(
      encodeKerongBusStatusReply([
        { latchClosed: all(true), itemPresent: all(false) },
        { latchClosed: board1, itemPresent: all(false) },
      ]),
    ).toEqual(F.busStatusTwoBoards);
  });
  it('rejects a board or lock outside 0–15', () => {
    expect(() => encodeKerongUnlock(0, 16)).toThrow(RangeError);
    expect(() => encodeKerongUnlock(-1, 0)).toThrow(RangeError);
  });
});

describe('KR-CU16 broadcast status (0x32 → 0x36) and pulse time (0x37)', () => {
  const blockOf = (closed: number[], items: number[]): KerongStatusBlock => ({
    latchClosed: Array.from({ length: 16 }, (_, i) => closed.includes(i)),
    itemPresent: Array.from({ length: 16 }, (_, i) => items.includes(i)),
  });
  const allClosed = Array.from({ length: 16 }, (_, i) => i);

  it('encodes the broadcast read and the pulse time byte for byte', () => {
    expect(encodeKerongReadBusStatus()).toEqual(F.readBusStatus);
    expect(toHex(encodeKerongReadBusStatus())).toBe('02 F0 32 03 27');
    expect(encodeKerongSetPulseTime(1, 20)).toEqual(F.setPulseTimeBoard1);
    expect(encodeKerongSetPulseTime(0, 10)).toEqual(F.setPulseTimeBoard0);
  });
  it('rejects a pulse time outside one byte and a bus status of 0 or 17 blocks', () => {
    expect(() => encodeKerongSetPulseTime(0, 256)).toThrow(RangeError);
    expect(() => encodeKerongSetPulseTime(0, -1)).toThrow(RangeError);
    expect(() => encodeKerongSetPulseTime(0, 1.5)).toThrow(RangeError);
    expect(() => encodeKerongBusStatusReply([])).toThrow(RangeError);
    expect(() => encodeKerongBusStatusReply(Array.from({ length: 17 }, () => blockOf([], [])))).toThrow(RangeError);
    expect(encodeKerongBusStatusReply(Array.from({ length: 16 }, () => blockOf([], [])))).toHaveLength(5 + 64);
  });
  it('decodes the requests a board hears', () => {
    expect(decodeKerongFrame(F.readBusStatus)).toMatchObject({ kind: 'request', board: 15, lock: 0, cmd: 0x32 });
    const pulse = decodeKerongFrame(F.setPulseTimeBoard1);
    expect(pulse).toMatchObject({ kind: 'request', board: 1, cmd: 0x37 });
    expect(pulse?.kind === 'request' && [...pulse.data]).toEqual([20]);
  });
  it('decodes a one-board bus status', () => {
    expect(decodeKerongFrame(F.busStatusOneBoard)).toMatchObject({ kind: 'bus-status', blocks: [blockOf(allClosed, [])] });
    expect(encodeKerongBusStatusReply([blockOf(allClosed, [])])).toEqual(F.busStatusOneBoard);
  });
  it('a block byte equal to ETX does not end a bus status early (its SUM does not fit there)', () => {
    const f = decodeKerongFrame(F.busStatusEtxInBlock);
    expect(f).toMatchObject({ kind: 'bus-status', blocks: [blockOf(allClosed, [0]), blockOf([0, 1, ...allClosed.slice(8)], [])] });
    expect(encodeKerongBusStatusReply([blockOf(allClosed, [0]), blockOf([0, 1, ...allClosed.slice(8)], [])])).toEqual(
      F.busStatusEtxInBlock,
    );
    const r = new KerongFrameReader({ commands: [KerongCmd.busStatus] });
    expect(r.push(F.busStatusEtxInBlock).map((x) => x.raw)).toEqual([F.busStatusEtxInBlock]);
    expect(r.stats).toMatchObject({ frames: 1, badChecksum: 0, noiseBytes: 0 });
  });
  it('a host reading the 0x36 reply skips junk and its own echoed 0x32 and reassembles a split reply', () => {
    const r = new KerongFrameReader({ commands: [KerongCmd.busStatus] });
    const bytes = Buffer.concat([F.noise, F.readBusStatus, F.busStatusEtxInBlock]);
    const frames: KerongFrame[] = [];
    for (let at = 0; at < bytes.length; at += 3) frames.push(...r.push(bytes.subarray(at, at + 3)));
    expect(frames.map((f) => f.raw)).toEqual([F.busStatusEtxInBlock]);
    expect(r.stats).toMatchObject({ frames: 1, unknownCommand: 1, noiseBytes: F.noise.length + F.readBusStatus.length - 1 });
  });
  it('drops a bus status with a bad SUM and finds the one behind it', () => {
    const broken = Buffer.from(F.busStatusTwoBoards);
    broken[broken.length - 1] = (broken.at(-1) ?? 0) ^ 0x01;
    const fixed = new KerongFrameReader({ busBoards: 2 });
    expect(fixed.push(Buffer.concat([broken, F.busStatusTwoBoards])).map((f) => f.raw)).toEqual([F.busStatusTwoBoards]);
    expect(fixed.stats.badChecksum).toBe(1);
    // Without a board count the reader must see up to 16 blocks' worth of bytes before it gives up on the broken one.
    const open = new KerongFrameReader();
    const quiet = Buffer.alloc(5 + 16 * 4);
    expect(open.push(Buffer.concat([broken, F.busStatusTwoBoards, quiet])).map((f) => f.raw)).toEqual([F.busStatusTwoBoards]);
    expect(open.stats.badChecksum).toBe(1);
  });
  it("a pulse-time exchange: the host hears its echoed 0x37, then the board's 0x35 acknowledgement", () => {
    const host = new KerongFrameReader({ commands: [KerongCmd.status] });
    expect(host.push(Buffer.concat([F.setPulseTimeBoard1, F.statusBoard1AllClosedEmpty])).map((f) => f.raw)).toEqual([
      F.statusBoard1AllClosedEmpty,
    ]);
    const board = new KerongFrameReader({ commands: [0x30, 0x31, 0x32, 0x33, 0x37, 0x39] });
    expect(board.push(Buffer.concat([F.statusBoard1AllClosedEmpty, F.setPulseTimeBoard1])).map((f) => f.raw)).toEqual([
      F.setPulseTimeBoard1,
    ]);
  });
  it('bus statuses of 1–16 boards round-trip through any chunking, with and without a board count', () => {
    const blockArb: fc.Arbitrary<KerongStatusBlock> = fc.record({
      latchClosed: fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }),
      itemPresent: fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }),
    });
    const junk = fc
      .array(
        fc.integer({ min: 0, max: 255 }).filter((x) => x !== 0x02),
        { maxLength: 12 },
      )
      .map((a) => Buffer.from(a));
    fc.assert(
      fc.property(
        fc.array(blockArb, { minLength: 1, maxLength: 16 }),
        junk,
        fc.integer({ min: 1, max: 9 }),
        fc.boolean(),
        (blocks, before, cut, counted) => {
          const frame = encodeKerongBusStatusReply(blocks);
          const r = new KerongFrameReader({ commands: [KerongCmd.busStatus], ...(counted && { busBoards: blocks.length }) });
          const bytes = Buffer.concat([before, frame]);
          const out: KerongFrame[] = [];
          for (let at = 0; at < bytes.length; at += cut) out.push(...r.push(bytes.subarray(at, at + cut)));
          // Without a count, a shorter reading can fit by chance (ETX and SUM both right: 1 in 65536).
          if (!counted && out[0]?.raw.length !== frame.length) return;
          expect(out).toEqual([{ kind: 'bus-status', blocks, raw: frame }]);
          expect(r.pending).toBe(0);
        },
      ),
    );
  });
});

describe('KR-CU16 decoding', () => {
  it('decodes a status reply: bit i of L1/L2 is lock channel i', () => {
    const f = decodeKerongFrame(F.statusBoard0Lock3OpenItemIn5);
    expect(f?.kind).toBe('status');
    if (f?.kind !== 'status') return;
    expect(f.board).toBe(0);
    expect(f.lock).toBe(3);
    expect(f.latchClosed.map((c, i) => (c ? -1 : i)).filter((i) => i >= 0)).toEqual([3]);
    expect(f.itemPresent.map((p, i) => (p ? i : -1)).filter((i) => i >= 0)).toEqual([5]);
  });
  it('decodes request frames, with and without data', () => {
    expect(decodeKerongFrame(F.unlockBoard0Lock3)).toMatchObject({ kind: 'request', board: 0, lock: 3, cmd: 0x31 });
    const pulse = decodeKerongFrame(F.setPulseTimeBoard0);
    expect(pulse).toMatchObject({ kind: 'request', cmd: 0x37 });
    expect(pulse?.kind === 'request' && [...pulse.data]).toEqual([0x0a]);
  });
  it('decodes a 0x36 bus status with one block per board', () => {
    const f = decodeKerongFrame(F.busStatusTwoBoards);
    expect(f?.kind).toBe('bus-status');
    if (f?.kind !== 'bus-status') return;
    expect(f.blocks).toHaveLength(2);
    expect(f.blocks[1]?.latchClosed[15]).toBe(false);
    expect(f.blocks[1]?.latchClosed.slice(0, 15)).toEqual(Array<boolean>(15).fill(true));
  });
  it('a data byte equal to ETX does not end the frame early', () => {
    const f = decodeKerongFrame(F.statusBoard0EtxInData);
    expect(f?.kind === 'status' && f.latchClosed.slice(0, 3)).toEqual([true, true, false]);
  });
  it('returns null for anything but exactly one valid frame', () => {
    expect(decodeKerongFrame(F.statusBoard0BadChecksum)).toBeNull();
    expect(decodeKerongFrame(F.statusBoard0MissingByte)).toBeNull();
    expect(decodeKerongFrame(Buffer.concat([F.unlockBoard0Lock0, F.unlockBoard0Lock3]))).toBeNull();
    expect(decodeKerongFrame(Buffer.concat([F.noise, F.unlockBoard0Lock0]))).toBeNull();
  });
});

describe('KerongFrameReader', () => {
  it('reassembles a frame split across chunks, one byte at a time', () => {
    const r = new KerongFrameReader();
    const frames: KerongFrame[] = [];
    for (const byte of F.statusBoard0AllClosedItemIn3) frames.push(...r.push(Buffer.from([byte])));
    expect(frames.map((f) => f.raw)).toEqual([F.statusBoard0AllClosedItemIn3]);
    expect(r.pending).toBe(0);
  });
  it('skips junk before STX and counts it', () => {
    const r = new KerongFrameReader();
    const frames = r.push(Buffer.concat([F.noise, F.unlockBoard0Lock3]));
    expect(frames.map((f) => f.raw)).toEqual([F.unlockBoard0Lock3]);
    expect(r.stats).toMatchObject({ frames: 1, noiseBytes: F.noise.length, badChecksum: 0 });
  });
  it('drops a frame with a bad checksum, counts it, and finds the next good one', () => {
    const r = new KerongFrameReader();
    const frames = r.push(Buffer.concat([F.statusBoard0BadChecksum, F.statusBoard0AllClosedEmpty]));
    expect(frames.map((f) => f.raw)).toEqual([F.statusBoard0AllClosedEmpty]);
    expect(r.stats).toMatchObject({ frames: 1, badChecksum: 1 });
  });
  it('drops a frame of the wrong length and recovers the frame right behind it', () => {
    const r = new KerongFrameReader();
    const frames = r.push(Buffer.concat([F.statusBoard0MissingByte, F.statusBoard1AllClosedEmpty]));
    expect(frames.map((f) => f.raw)).toEqual([F.statusBoard1AllClosedEmpty]);
    expect(r.stats).toMatchObject({ frames: 1, badLength: 1 });
  });
  it('treats STX followed by an unknown command as noise', () => {
    const r = new KerongFrameReader();
    const frames = r.push(Buffer.concat([hex('02 00 99'), F.unlockBoard0Lock0]));
    expect(frames).toHaveLength(1);
    expect(r.stats.unknownCommand).toBe(1);
  });
  it('a host accepting only 0x35 ignores its own echoed request and a stray 0x36 start', () => {
    const r = new KerongFrameReader({ commands: [KerongCmd.status] });
    const frames = r.push(Buffer.concat([F.unlockBoard0Lock3, hex('02 00 36'), F.statusBoard0Lock3OpenItemIn5]));
    expect(frames.map((f) => f.raw)).toEqual([F.statusBoard0Lock3OpenItemIn5]);
  });
  it('honours a fixed number of boards for 0x36', () => {
    const r = new KerongFrameReader({ busBoards: 2 });
    expect(r.push(F.busStatusTwoBoards)).toHaveLength(1);
    const one = new KerongFrameReader({ busBoards: 1 });
    expect(one.push(F.busStatusTwoBoards)).toHaveLength(0);
    expect(one.stats.badLength).toBe(1);
  });
});

describe('KerongParser (stream)', () => {
  it('emits frame objects from a byte stream in arbitrary chunks', async () => {
    const bytes = Buffer.concat([F.noise, F.unlockBoard0Lock3, F.statusBoard0BadChecksum, F.statusBoard0Lock3OpenItemIn5]);
    const chunks = [bytes.subarray(0, 4), bytes.subarray(4, 9), bytes.subarray(9, 20), bytes.subarray(20)];
    const parser = new KerongParser();
    const frames: KerongFrame[] = [];
    for await (const f of Readable.from(chunks).pipe(parser)) frames.push(f as KerongFrame);
    expect(frames.map((f) => toHex(f.raw))).toEqual(['02 03 31 03 39', toHex(F.statusBoard0Lock3OpenItemIn5)]);
    // The dropped frame's bytes after its STX are skipped as noise too.
    expect(parser.stats).toMatchObject({ frames: 2, badChecksum: 1, noiseBytes: F.noise.length + F.statusBoard0BadChecksum.length - 1 });
  });
});

const nibble = fc.integer({ min: 0, max: 15 });
const bits = fc.array(fc.boolean(), { minLength: 16, maxLength: 16 });
const block: fc.Arbitrary<KerongStatusBlock> = fc.record({ latchClosed: bits, itemPresent: bits });
const anyFrame = fc.oneof(
  fc
    .record({ board: nibble, lock: nibble, cmd: fc.constantFrom(0x30, 0x31, 0x32, 0x33) })
    .map((s) => encodeKerongFrame({ ...s, cmd: s.cmd })),
  fc
    .record({ board: nibble, lock: nibble, cmd: fc.constantFrom(0x37, 0x39), d: fc.integer({ min: 0, max: 255 }) })
    .map((s) => encodeKerongFrame({ board: s.board, lock: s.lock, cmd: s.cmd, data: Buffer.from([s.d]) })),
  fc.record({ board: nibble, lock: nibble, block }).map((s) => encodeKerongStatusReply(s.board, s.lock, s.block)),
);

describe('KR-CU16 properties', () => {
  it('encode → parse round-trips through any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(anyFrame, { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1 }),
        (frames, cuts) => {
          const bytes = Buffer.concat(frames);
          const r = new KerongFrameReader();
          const out: KerongFrame[] = [];
          for (let at = 0, i = 0; at < bytes.length; i++) {
            const n = cuts[i % cuts.length] ?? 1;
            out.push(...r.push(bytes.subarray(at, at + n)));
            at += n;
          }
          expect(out.map((f) => f.raw)).toEqual(frames);
          expect(r.stats).toMatchObject({ badChecksum: 0, badLength: 0, unknownCommand: 0, noiseBytes: 0 });
        },
      ),
    );
  });
  it('status blocks round-trip bit for bit', () => {
    fc.assert(
      fc.property(nibble, nibble, block, (board, lock, s) => {
        expect(decodeKerongFrame(encodeKerongStatusReply(board, lock, s))).toMatchObject({ kind: 'status', board, lock, ...s });
      }),
    );
  });
  it('random byte streams never throw and never yield a frame with a wrong checksum or ETX', () => {
    const byte = fc.oneof(fc.constantFrom(0x02, 0x03, 0x30, 0x31, 0x35, 0x36, 0x37), fc.integer({ min: 0, max: 255 }));
    fc.assert(
      fc.property(fc.array(fc.array(byte, { maxLength: 40 }), { maxLength: 10 }), (chunks) => {
        const r = new KerongFrameReader();
        for (const c of chunks) {
          for (const f of r.push(Buffer.from(c))) {
            expect(f.raw[0]).toBe(0x02);
            expect(f.raw.at(-2)).toBe(0x03);
            expect(f.raw.at(-1)).toBe(kerongChecksum(f.raw, f.raw.length - 1));
          }
        }
      }),
      { numRuns: 500 },
    );
  });
  it('valid frames survive being surrounded by noise without STX', () => {
    const junk = fc
      .array(
        fc.integer({ min: 0, max: 255 }).filter((x) => x !== 0x02),
        { maxLength: 12 },
      )
      .map((a) => Buffer.from(a));
    fc.assert(
      fc.property(junk, anyFrame, junk, (before, frame, after) => {
        const r = new KerongFrameReader();
        expect(r.push(Buffer.concat([before, frame, after])).map((f) => f.raw)).toEqual([frame]);
      }),
    );
  });
});
