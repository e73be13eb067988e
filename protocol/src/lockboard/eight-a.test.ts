import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Readable } from 'node:stream';
import {
  EIGHT_A_ALL_KINDS,
  EIGHT_A_REQUEST_KINDS,
  EightAFrameReader,
  EightAParser,
  decodeEightAFrame,
  eightAXor,
  encodeEightAAddressReply,
  encodeEightAAllStatus,
  encodeEightAFindAddress,
  encodeEightALockStatus,
  encodeEightAOpen,
  encodeEightAQuery,
  encodeEightAQueryAll,
  toHex,
  type EightAFrame,
  type EightAFrameKind,
} from './index.js';
import { EightAFixtures as F } from './eight-a.fixtures.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/ /g, ''), 'hex');
const bitsWith = (...locks: number[]): boolean[] => Array.from({ length: 32 }, (_, i) => locks.includes(i + 1));

describe('8A frames: LOCKBOARD.md vectors', () => {
  it('open board 1 lock 1 is 8A 01 01 11 9B', () => {
    expect(encodeEightAOpen(1, 1)).toEqual(hex('8A 01 01 11 9B'));
    expect(encodeEightAOpen(1, 1)).toEqual(F.openBoard1Lock1);
  });
  it('find address is 80 01 00 99 18', () => {
    expect(encodeEightAFindAddress()).toEqual(hex('80 01 00 99 18'));
  });
  it('XOR covers the bytes before it', () => {
    expect(eightAXor(hex('8A 01 01 11'))).toBe(0x9b);
    expect(eightAXor(hex('80 01 00 00 00 00 33'))).toBe(0xb2);
  });
  it('every fixture except the deliberately broken ones carries a correct XOR', () => {
    const broken = new Set<keyof typeof F>(['statusBoard1Lock3BadXor', 'allStatusBoard1BadXor', 'allStatusTruncated', 'noise']);
    for (const [name, bytes] of Object.entries(F) as Array<[keyof typeof F, Buffer]>) {
      if (broken.has(name)) continue;
      expect({ name, xor: bytes.at(-1) }).toEqual({ name, xor: eightAXor(bytes, bytes.length - 1) });
    }
  });
  it('encodes queries and replies byte for byte', () => {
    expect(encodeEightAOpen(1, 3)).toEqual(F.openBoard1Lock3);
    expect(encodeEightAOpen(2, 32)).toEqual(F.openBoard2Lock32);
    expect(encodeEightAQuery(1, 3)).toEqual(F.queryBoard1Lock3);
    expect(encodeEightAQueryAll(1)).toEqual(F.queryAllBoard1);
    expect(encodeEightALockStatus(1, 1, true)).toEqual(F.statusBoard1Lock1Set);
    expect(encodeEightALockStatus(1, 3, false)).toEqual(F.statusBoard1Lock3Clear);
    expect(encodeEightAAllStatus(1, bitsWith())).toEqual(F.allStatusBoard1AllClear);
    expect(encodeEightAAllStatus(1, bitsWith(1))).toEqual(F.allStatusBoard1Lock1Set);
    expect(encodeEightAAllStatus(1, bitsWith(9, 17, 32))).toEqual(F.allStatusBoard1Locks9_17_32Set);
    expect(encodeEightAAllStatus(1, Array<boolean>(32).fill(true))).toEqual(F.allStatusBoard1AllSet);
  });
  it('rejects a board outside 1–64 or a lock outside 1–32', () => {
    expect(() => encodeEightAOpen(0, 1)).toThrow(RangeError);
    expect(() => encodeEightAOpen(65, 1)).toThrow(RangeError);
    expect(() => encodeEightAOpen(1, 0)).toThrow(RangeError);
    expect(() => encodeEightAOpen(1, 33)).toThrow(RangeError);
    expect(() => encodeEightAQueryAll(64)).not.toThrow();
  });
});

describe('8A find address (80 01 00 99 18 → 80 BB 00 99 XX)', () => {
  it("encodes the assumed reply: the request sent back with the board's own address", () => {
    expect(encodeEightAAddressReply(5)).toEqual(F.addressReplyBoard5);
    expect(encodeEightAAddressReply(1)).toEqual(F.findAddress);
    expect(() => encodeEightAAddressReply(0)).toThrow(RangeError);
    expect(() => encodeEightAAddressReply(65)).toThrow(RangeError);
  });
  it('a host expecting find-address reads the board named in the reply', () => {
    expect(decodeEightAFrame(F.addressReplyBoard5, ['find-address'])).toMatchObject({ kind: 'find-address', board: 5 });
    expect(decodeEightAFrame(F.addressReplyBoard5, ['lock-status', 'all-status'])).toBeNull();
  });
  it('the echoed request comes first and is told apart by its bytes; noise and a bad XOR are dropped', () => {
    const bad = Buffer.from(F.addressReplyBoard5);
    bad[4] = 0x1d;
    const r = new EightAFrameReader({ expect: ['find-address'] });
    const bytes = Buffer.concat([F.noise, F.findAddress, bad, F.statusBoard1Lock1Set, F.addressReplyBoard5]);
    const frames: EightAFrame[] = [];
    for (let at = 0; at < bytes.length; at += 2) frames.push(...r.push(bytes.subarray(at, at + 2)));
    expect(frames.map((f) => toHex(f.raw))).toEqual([toHex(F.findAddress), toHex(F.addressReplyBoard5)]);
    const answer = frames.find((f) => !f.raw.equals(encodeEightAFindAddress()));
    expect(answer).toMatchObject({ kind: 'find-address', board: 5 });
    expect(r.stats).toMatchObject({ frames: 2, badChecksum: 1, unexpected: 1 });
  });
  it('address replies of every board round-trip through any chunking behind noise without a head byte', () => {
    const junk = fc
      .array(
        fc.integer({ min: 0, max: 255 }).filter((x) => x !== 0x80 && x !== 0x8a),
        { maxLength: 12 },
      )
      .map((a) => Buffer.from(a));
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        junk,
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1 }),
        (board, before, cuts) => {
          const frame = encodeEightAAddressReply(board);
          const r = new EightAFrameReader({ expect: ['find-address'] });
          const out: EightAFrame[] = [];
          const bytes = Buffer.concat([before, frame]);
          for (let at = 0, i = 0; at < bytes.length; i++) {
            const n = cuts[i % cuts.length] ?? 1;
            out.push(...r.push(bytes.subarray(at, at + n)));
            at += n;
          }
          expect(out).toEqual([{ kind: 'find-address', board, raw: frame }]);
        },
      ),
    );
  });
});

describe('8A decoding', () => {
  it('decodes requests', () => {
    expect(decodeEightAFrame(F.openBoard1Lock1, EIGHT_A_REQUEST_KINDS)).toMatchObject({ kind: 'open', board: 1, lock: 1 });
    expect(decodeEightAFrame(F.queryBoard1Lock3, EIGHT_A_REQUEST_KINDS)).toMatchObject({ kind: 'query', board: 1, lock: 3 });
    expect(decodeEightAFrame(F.queryAllBoard1, EIGHT_A_REQUEST_KINDS)).toMatchObject({ kind: 'query', board: 1, lock: 0 });
    expect(decodeEightAFrame(F.findAddress, EIGHT_A_REQUEST_KINDS)).toMatchObject({ kind: 'find-address', board: 1 });
  });
  it('decodes a one-lock reply raw: SS 0x11 → set, 0x00 → clear', () => {
    expect(decodeEightAFrame(F.statusBoard1Lock1Set, ['lock-status'])).toMatchObject({ kind: 'lock-status', board: 1, lock: 1, set: true });
    expect(decodeEightAFrame(F.statusBoard1Lock1Clear, ['lock-status'])).toMatchObject({
      kind: 'lock-status',
      board: 1,
      lock: 1,
      set: false,
    });
  });
  it('decodes a query-all reply: D1 bit 0 = lock 1 … D4 bit 7 = lock 32', () => {
    const f = decodeEightAFrame(F.allStatusBoard1Locks9_17_32Set, ['all-status']);
    expect(f?.kind).toBe('all-status');
    if (f?.kind !== 'all-status') return;
    expect(f.board).toBe(1);
    expect(f.bits.map((s, i) => (s ? i + 1 : 0)).filter(Boolean)).toEqual([9, 17, 32]);
  });
  it('the expected kind settles the 0x80 ambiguity', () => {
    expect(decodeEightAFrame(F.allStatusBoard1AmbiguousPrefix, ['all-status'])).toMatchObject({
      kind: 'all-status',
      bits: bitsWith(9, 16),
    });
    const r = new EightAFrameReader({ expect: ['lock-status'] });
    expect(r.push(F.allStatusBoard1AmbiguousPrefix).map((f) => f.kind)).toEqual(['lock-status']);
  });
  it('a requests-only reader does not take a board reply for a request, nor the reverse', () => {
    expect(decodeEightAFrame(F.statusBoard1Lock1Set, EIGHT_A_REQUEST_KINDS)).toBeNull();
    expect(decodeEightAFrame(F.queryBoard1Lock3, ['lock-status'])).toBeNull();
    expect(decodeEightAFrame(F.openBoard1Lock1, ['lock-status', 'all-status'])).toBeNull();
  });
  it('returns null for anything but exactly one valid frame', () => {
    expect(decodeEightAFrame(F.statusBoard1Lock3BadXor)).toBeNull();
    expect(decodeEightAFrame(F.allStatusBoard1BadXor, ['all-status'])).toBeNull();
    expect(decodeEightAFrame(Buffer.concat([F.openBoard1Lock1, F.openBoard1Lock3]))).toBeNull();
  });
});

describe('EightAFrameReader', () => {
  it('reassembles a frame split across chunks, one byte at a time', () => {
    const r = new EightAFrameReader({ expect: ['all-status'] });
    const frames: EightAFrame[] = [];
    for (const byte of F.allStatusBoard1Lock1Set) frames.push(...r.push(Buffer.from([byte])));
    expect(frames.map((f) => f.raw)).toEqual([F.allStatusBoard1Lock1Set]);
    expect(r.pending).toBe(0);
  });
  it('skips junk before the head byte and counts it', () => {
    const r = new EightAFrameReader({ expect: ['lock-status'] });
    expect(r.push(Buffer.concat([F.noise, F.statusBoard1Lock3Set])).map((f) => f.raw)).toEqual([F.statusBoard1Lock3Set]);
    expect(r.stats).toMatchObject({ frames: 1, noiseBytes: F.noise.length, badChecksum: 0 });
  });
  it('drops a frame with a bad XOR, counts it, and finds the good one after it', () => {
    const r = new EightAFrameReader({ expect: ['lock-status'] });
    expect(r.push(Buffer.concat([F.statusBoard1Lock3BadXor, F.statusBoard1Lock3Clear])).map((f) => f.raw)).toEqual([
      F.statusBoard1Lock3Clear,
    ]);
    expect(r.stats).toMatchObject({ frames: 1, badChecksum: 1 });
    const all = new EightAFrameReader({ expect: ['all-status'] });
    expect(all.push(Buffer.concat([F.allStatusBoard1BadXor, F.allStatusBoard1AllSet])).map((f) => f.raw)).toEqual([
      F.allStatusBoard1AllSet,
    ]);
    expect(all.stats.badChecksum).toBe(1);
  });
  it('drops a reply of the wrong length and recovers the frame right behind it', () => {
    const r = new EightAFrameReader({ expect: ['all-status'] });
    expect(r.push(Buffer.concat([F.allStatusTruncated, F.allStatusBoard1Lock1Set])).map((f) => f.raw)).toEqual([F.allStatusBoard1Lock1Set]);
    expect(r.stats).toMatchObject({ frames: 1, badLength: 1 });
  });
  it('a host waiting for the query-all reply skips its own echoed request', () => {
    const r = new EightAFrameReader({ expect: ['all-status'] });
    expect(r.push(Buffer.concat([F.queryAllBoard1, F.allStatusBoard1Lock1Set])).map((f) => f.raw)).toEqual([F.allStatusBoard1Lock1Set]);
    const open = new EightAFrameReader({ expect: ['lock-status'] });
    expect(open.push(Buffer.concat([F.openBoard1Lock1, F.statusBoard1Lock1Set])).map((f) => f.raw)).toEqual([F.statusBoard1Lock1Set]);
  });
  it('expect() switches kinds and drops a partial frame', () => {
    const r = new EightAFrameReader({ expect: ['lock-status'] });
    expect(r.push(F.statusBoard1Lock1Set.subarray(0, 3))).toEqual([]);
    r.expect(['all-status']);
    expect(r.pending).toBe(0);
    expect(r.expecting).toEqual(['all-status']);
    expect(r.push(F.allStatusBoard1AllClear)).toHaveLength(1);
  });
});

describe('EightAParser (stream)', () => {
  it('emits frame objects from a byte stream in arbitrary chunks', async () => {
    const bytes = Buffer.concat([F.noise, F.openBoard1Lock1, F.statusBoard1Lock3BadXor, F.statusBoard1Lock1Set]);
    const chunks = [bytes.subarray(0, 4), bytes.subarray(4, 9), bytes.subarray(9, 13), bytes.subarray(13)];
    const parser = new EightAParser({ expect: ['lock-status'] });
    const frames: EightAFrame[] = [];
    for await (const f of Readable.from(chunks).pipe(parser)) frames.push(f as EightAFrame);
    expect(frames.map((f) => toHex(f.raw))).toEqual(['80 01 01 11 91']);
    expect(parser.stats).toMatchObject({ frames: 1, badChecksum: 1 });
  });
});

const board = fc.integer({ min: 1, max: 64 });
const lock = fc.integer({ min: 1, max: 32 });
const bits = fc.array(fc.boolean(), { minLength: 32, maxLength: 32 });
const request = fc.oneof(
  fc.tuple(board, lock).map(([b, l]) => encodeEightAOpen(b, l)),
  fc.tuple(board, lock).map(([b, l]) => encodeEightAQuery(b, l)),
  board.map((b) => encodeEightAQueryAll(b)),
  fc.constant(encodeEightAFindAddress()),
);
const lockStatus = fc.tuple(board, lock, fc.boolean()).map(([b, l, s]) => encodeEightALockStatus(b, l, s));
const allStatus = fc.tuple(board, bits).map(([b, s]) => encodeEightAAllStatus(b, s));

function pushInChunks(r: EightAFrameReader, bytes: Buffer, cuts: number[]): EightAFrame[] {
  const out: EightAFrame[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const n = cuts[i % cuts.length] ?? 1;
    out.push(...r.push(bytes.subarray(at, at + n)));
    at += n;
  }
  return out;
}

describe('8A properties', () => {
  const cuts = fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1 });
  const cases: Array<[string, fc.Arbitrary<Buffer>, EightAFrameKind[]]> = [
    ['requests', request, [...EIGHT_A_REQUEST_KINDS]],
    ['one-lock replies', lockStatus, ['lock-status']],
    ['query-all replies', allStatus, ['all-status']],
  ];
  it.each(cases)('encode → parse round-trips %s through any chunking', (_name, frame, expectKinds) => {
    fc.assert(
      fc.property(fc.array(frame, { minLength: 1, maxLength: 8 }), cuts, (frames, c) => {
        const r = new EightAFrameReader({ expect: expectKinds });
        expect(pushInChunks(r, Buffer.concat(frames), c).map((f) => f.raw)).toEqual(frames);
        expect(r.stats).toMatchObject({ badChecksum: 0, badLength: 0, unexpected: 0, noiseBytes: 0 });
      }),
    );
  });
  it('query-all replies round-trip bit for bit', () => {
    fc.assert(
      fc.property(board, bits, (b, s) => {
        expect(decodeEightAFrame(encodeEightAAllStatus(b, s), ['all-status'])).toMatchObject({ kind: 'all-status', board: b, bits: s });
      }),
    );
  });
  it('random byte streams never throw and never yield a frame with a bad XOR', () => {
    const byte = fc.oneof(fc.constantFrom(0x80, 0x8a, 0x00, 0x11, 0x33, 0x99), fc.integer({ min: 0, max: 255 }));
    const kinds = fc.subarray([...EIGHT_A_ALL_KINDS], { minLength: 1 });
    fc.assert(
      fc.property(kinds, fc.array(fc.array(byte, { maxLength: 40 }), { maxLength: 10 }), (k, chunks) => {
        const r = new EightAFrameReader({ expect: k });
        for (const c of chunks) {
          for (const f of r.push(Buffer.from(c))) {
            expect(k).toContain(f.kind);
            expect([5, 8]).toContain(f.raw.length);
            expect(f.raw.at(-1)).toBe(eightAXor(f.raw, f.raw.length - 1));
          }
        }
      }),
      { numRuns: 500 },
    );
  });
  it('valid replies survive noise without head bytes around them', () => {
    const junk = fc
      .array(
        fc.integer({ min: 0, max: 255 }).filter((x) => x !== 0x80 && x !== 0x8a),
        { maxLength: 12 },
      )
      .map((a) => Buffer.from(a));
    fc.assert(
      fc.property(junk, allStatus, junk, (before, frame, after) => {
        const r = new EightAFrameReader({ expect: ['all-status'] });
        expect(r.push(Buffer.concat([before, frame, after])).map((f) => f.raw)).toEqual([frame]);
      }),
    );
  });
});
