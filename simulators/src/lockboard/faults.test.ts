import { describe, expect, it } from '@jest/globals';
import { EightAFrameReader, KerongCmd, KerongFrameReader, toHex } from '@xinbao/protocol';
import { EightAFixtures as A } from '@xinbao/protocol/lockboard/eight-a.fixtures';
import { KerongFixtures as K } from '@xinbao/protocol/lockboard/kerong.fixtures';
import { FaultSpecError, FaultSwitchboard, HttpFault, LINE_NOISE, WireFault, parseFaultFlag, shapeReply } from './faults.js';

const wire = () => new FaultSwitchboard<WireFault>(WireFault);
const kinds = (faults: readonly { kind: string }[]) => faults.map((f) => f.kind);

describe('FaultSwitchboard', () => {
  it('applies a fault to the next `count` requests, then forgets it', () => {
    const board = wire();
    board.arm(board.parse({ kind: 'bad_checksum', count: 2 }));
    expect(board.list()).toEqual([{ kind: 'bad_checksum', remaining: 2 }]);
    expect(kinds(board.take())).toEqual(['bad_checksum']);
    expect(board.list()).toEqual([{ kind: 'bad_checksum', remaining: 1 }]);
    expect(kinds(board.take())).toEqual(['bad_checksum']);
    expect(board.take()).toEqual([]);
    expect(board.list()).toEqual([]);
  });

  it('keeps a fault without a count until cleared; several kinds at once; re-arming replaces', () => {
    const board = wire();
    board.arm(board.parse({ kind: 'no_reply' }));
    board.arm(board.parse({ kind: 'late_reply', delayMs: 100, count: 1 }));
    board.arm(board.parse({ kind: 'late_reply', delayMs: 900, count: 3 }));
    expect(board.list()).toEqual([
      { kind: 'no_reply', remaining: null },
      { kind: 'late_reply', delayMs: 900, remaining: 3 },
    ]);
    for (let i = 0; i < 5; i++) expect(kinds(board.take())).toContain('no_reply');
    expect(board.list()).toEqual([{ kind: 'no_reply', remaining: null }]);
    board.clear();
    expect(board.take()).toEqual([]);
  });

  it('refuses a bad fault with every reason', () => {
    const board = wire();
    expect(() => board.parse({ kind: 'smoke' })).toThrow(FaultSpecError);
    expect(() => board.parse({ kind: 'late_reply' })).toThrow('delayMs');
    expect(() => board.parse({ kind: 'no_reply', count: 0 })).toThrow('count');
    expect(() => board.parse({ kind: 'garbage', where: 'between' })).toThrow('where');
    expect(() => board.parse({ kind: 'garbage', bytes: 'zz' })).toThrow('hex bytes');
    expect(() => board.parse({ kind: 'bad_checksum', delayMs: 5 })).toThrow(FaultSpecError);
    // An HTTP fault is not a wire fault, and the other way round.
    expect(() => board.parse({ kind: 'server_error' })).toThrow(FaultSpecError);
    expect(new FaultSwitchboard<HttpFault>(HttpFault).parse({ kind: 'server_error' })).toEqual({ kind: 'server_error', status: 500 });
  });
});

describe('parseFaultFlag (the program flag)', () => {
  it('reads KIND[:key=value,...]', () => {
    expect(parseFaultFlag(wire(), 'no_reply')).toEqual({ kind: 'no_reply' });
    expect(parseFaultFlag(wire(), 'late_reply:delayMs=1500,count=2')).toEqual({ kind: 'late_reply', delayMs: 1500, count: 2 });
    expect(parseFaultFlag(wire(), 'garbage:where=inside')).toEqual({ kind: 'garbage', where: 'inside' });
    expect(parseFaultFlag(wire(), 'garbage:bytes=FF 00')).toEqual({ kind: 'garbage', where: 'before', bytes: 'FF 00' });
  });

  it('says what is wrong', () => {
    expect(() => parseFaultFlag(wire(), 'late_reply:1500')).toThrow('"1500" is not key=value');
    expect(() => parseFaultFlag(wire(), 'late_reply:count=2')).toThrow('delayMs');
  });
});

describe('shapeReply', () => {
  const reply = K.statusBoard0Lock3OpenItemIn5;

  it('leaves a reply alone without faults, and delays it by late_reply', () => {
    expect(shapeReply(reply, [], 5)).toEqual({ bytes: reply, delayMs: 5 });
    expect(shapeReply(reply, [{ kind: 'late_reply', delayMs: 700 }], 5).delayMs).toBe(705);
  });

  it('breaks only the last (check) byte for bad_checksum, for both families', () => {
    const k = shapeReply(reply, [{ kind: 'bad_checksum' }], 0).bytes;
    expect(k.subarray(0, -1)).toEqual(reply.subarray(0, -1));
    expect(k.at(-1)).not.toBe(reply.at(-1));
    const reader = new KerongFrameReader({ commands: [KerongCmd.status] });
    expect(reader.push(k)).toEqual([]);
    expect(reader.stats.badChecksum).toBe(1);

    const a = shapeReply(A.statusBoard1Lock1Set, [{ kind: 'bad_checksum' }], 0).bytes;
    const eightA = new EightAFrameReader({ expect: ['lock-status'] });
    expect(eightA.push(a)).toEqual([]);
    expect(eightA.stats.badChecksum).toBe(1);
  });

  it('puts noise before, inside or after the reply', () => {
    const at = (where: 'before' | 'inside' | 'after') => toHex(shapeReply(reply, [{ kind: 'garbage', where }], 0).bytes);
    expect(at('before')).toBe(toHex(Buffer.concat([LINE_NOISE, reply])));
    expect(at('after')).toBe(toHex(Buffer.concat([reply, LINE_NOISE])));
    expect(at('inside')).toBe(toHex(Buffer.concat([reply.subarray(0, 4), LINE_NOISE, reply.subarray(4)])));
    expect(toHex(shapeReply(reply, [{ kind: 'garbage', where: 'before', bytes: '00 11' }], 0).bytes)).toBe(`00 11 ${toHex(reply)}`);
  });

  // The line noise must not be a frame to either family's host reader, whatever it waits for,
  // and a reply right before or after it must still be read; noise inside a reply loses it.
  const readers = {
    kerong: { reply: K.statusBoard0Lock3OpenItemIn5, read: () => new KerongFrameReader({ commands: [KerongCmd.status] }) },
    '8a lock-status': { reply: A.statusBoard1Lock1Set, read: () => new EightAFrameReader({ expect: ['lock-status'] }) },
    '8a all-status': { reply: A.allStatusBoard1Lock1Set, read: () => new EightAFrameReader({ expect: ['all-status'] }) },
  };
  it.each(Object.entries(readers))('LINE_NOISE is no frame to the %s reader, and resync finds the reply next to it', (_name, r) => {
    const alone = r.read();
    expect(alone.push(LINE_NOISE)).toEqual([]);
    expect(alone.push(Buffer.alloc(16))).toEqual([]);
    for (const where of ['before', 'after'] as const) {
      const frames = r.read().push(shapeReply(r.reply, [{ kind: 'garbage', where }], 0).bytes);
      expect(frames.map((f) => toHex(f.raw))).toEqual([toHex(r.reply)]);
    }
    expect(r.read().push(Buffer.concat([shapeReply(r.reply, [{ kind: 'garbage', where: 'inside' }], 0).bytes, Buffer.alloc(16)]))).toEqual(
      [],
    );
  });
});
