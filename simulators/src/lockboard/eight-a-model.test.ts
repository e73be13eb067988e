import { describe, expect, it } from '@jest/globals';
import { EIGHT_A_REQUEST_KINDS, decodeEightAFrame, toHex, type EightAFrame } from '@xinbao/protocol';
import { EightAFixtures as F } from '@xinbao/protocol/lockboard/eight-a.fixtures';
import { EIGHT_A_PRESETS, EightABusModel } from './eight-a-model.js';

const frame = (bytes: Buffer): EightAFrame => {
  const f = decodeEightAFrame(bytes);
  if (!f) throw new Error(`fixture ${toHex(bytes)} does not decode`);
  return f;
};
const request = (bytes: Buffer): EightAFrame => {
  const f = decodeEightAFrame(bytes, EIGHT_A_REQUEST_KINDS);
  if (!f) throw new Error(`fixture ${toHex(bytes)} is not a request`);
  return f;
};

describe('EightABusModel', () => {
  it('answers a query-all with every raw bit clear when all doors are closed (open_is_set wiring)', () => {
    const model = EightABusModel.preset('32 locks, all closed');
    expect(model.handle(request(F.queryAllBoard1))).toEqual(F.allStatusBoard1AllClear);
  });

  it('opens the latch on 8A 01 01 11 9B and replies 80 01 01 11 91; the door stays open until closed', () => {
    const model = EightABusModel.preset('32 locks, all closed');
    expect(model.handle(request(F.openBoard1Lock1))).toEqual(F.statusBoard1Lock1Set);
    expect(model.lock(1, 1).latchClosed).toBe(false);
    expect(model.handle(request(F.queryAllBoard1))).toEqual(F.allStatusBoard1Lock1Set);
    model.closeDoor(1, 1);
    expect(model.handle(request(F.queryAllBoard1))).toEqual(F.allStatusBoard1AllClear);
  });

  it('answers a one-lock query', () => {
    const model = EightABusModel.preset('32 locks, all closed').withOpen(1, 3);
    expect(model.handle(request(F.queryBoard1Lock3))).toEqual(F.statusBoard1Lock3Set);
  });

  it('a jammed latch stays closed on open', () => {
    const model = EightABusModel.preset('32 locks, all closed, lock 3 jammed');
    expect(model.handle(request(F.openBoard1Lock3))).toEqual(F.statusBoard1Lock3Clear);
    expect(model.lock(1, 3)).toMatchObject({ latchClosed: true, jammed: true });
  });

  it('open_is_clear wiring inverts every bit on the wire', () => {
    const model = EightABusModel.preset('32 locks, all closed, wired open_is_clear');
    expect(model.handle(request(F.queryAllBoard1))).toEqual(F.allStatusBoard1AllSet);
    expect(model.handle(request(F.openBoard1Lock1))).toEqual(F.statusBoard1Lock1Clear);
  });

  it('a broken switch and a forced door both read open', () => {
    const model = EightABusModel.preset('32 locks, all closed').withSensorBroken(1, 1);
    expect(model.handle(request(F.queryAllBoard1))).toEqual(F.allStatusBoard1Lock1Set);
    expect(model.lock(1, 1).latchClosed).toBe(true);
    const forced = EightABusModel.preset('32 locks, all closed');
    forced.forceOpen(1, 1);
    expect(forced.handle(request(F.queryAllBoard1))).toEqual(F.allStatusBoard1Lock1Set);
  });

  it('is silent for boards not on the bus, for replies and for find-address (its reply is undocumented)', () => {
    const model = EightABusModel.preset('32 locks, all closed');
    expect(model.handle(request(F.openBoard2Lock32))).toBeNull();
    expect(model.handle(frame(F.statusBoard1Lock1Set))).toBeNull();
    expect(model.handle(request(F.findAddress))).toBeNull();
  });

  it('builds every named preset and refuses boards outside 1–64', () => {
    for (const p of EIGHT_A_PRESETS) expect(EightABusModel.preset(p, [1, 64]).boardNumbers).toEqual([1, 64]);
    expect(EightABusModel.preset('32 locks, all open', [2]).lock(2, 32).latchClosed).toBe(false);
    expect(() => new EightABusModel([0])).toThrow(RangeError);
    expect(() => new EightABusModel([65])).toThrow(RangeError);
    expect(() => EightABusModel.preset('32 locks, all closed').lock(1, 0)).toThrow(RangeError);
    expect(EightABusModel.preset('32 locks, all closed').itemSensors).toBe(false);
  });
});
