import { describe, expect, it } from '@jest/globals';
import { decodeKerongFrame, toHex, type KerongFrame } from '@xinbao/protocol';
import { KerongFixtures as F } from '@xinbao/protocol/lockboard/kerong.fixtures';
import { KERONG_PRESETS, KerongBusModel } from './kerong-model.js';

const frame = (bytes: Buffer): KerongFrame => {
  const f = decodeKerongFrame(bytes);
  if (!f) throw new Error(`fixture ${toHex(bytes)} does not decode`);
  return f;
};

describe('KerongBusModel', () => {
  it('answers a status read with the board status block', () => {
    const model = KerongBusModel.preset('16 locks, all closed');
    expect(model.handle(frame(F.readStatusBoard0))).toEqual(F.statusBoard0AllClosedEmpty);
  });

  it('opens the latch on unlock and replies with the status after it; the door stays open until closed', () => {
    const model = KerongBusModel.preset('16 locks, all closed').withItem(0, 5);
    expect(model.handle(frame(F.unlockBoard0Lock3))).toEqual(F.statusBoard0Lock3OpenItemIn5);
    expect(model.lock(0, 3).latchClosed).toBe(false);
    expect(model.handle(frame(F.readStatusBoard0))?.[3]).toBe(0xf7);
    model.setItem(0, 5, false);
    model.setItem(0, 3, true);
    model.closeDoor(0, 3);
    expect(model.handle(frame(F.readStatusBoard0))).toEqual(F.statusBoard0AllClosedItemIn3);
  });

  it('a jammed latch stays closed on unlock', () => {
    const model = KerongBusModel.preset('16 locks, all closed, lock 3 jammed');
    expect(model.handle(frame(F.unlockBoard0Lock3))?.[3]).toBe(0xff);
    expect(model.lock(0, 3)).toMatchObject({ latchClosed: true, jammed: true });
  });

  it('a broken latch switch reports open whatever the latch does', () => {
    const model = KerongBusModel.preset('16 locks, all closed').withSensorBroken(0, 3);
    expect(model.handle(frame(F.readStatusBoard0))?.[3]).toBe(0xf7);
    expect(model.lock(0, 3).latchClosed).toBe(true);
  });

  it('a forced door reads open', () => {
    const model = KerongBusModel.preset('16 locks, all closed');
    model.forceOpen(0, 3);
    expect(model.handle(frame(F.readStatusBoard0))?.[3]).toBe(0xf7);
  });

  it('is silent for boards not on the bus, for replies, and for commands whose reply is undocumented', () => {
    const model = KerongBusModel.preset('16 locks, all closed');
    expect(model.handle(frame(F.unlockBoard2Lock0))).toBeNull();
    expect(model.handle(frame(F.statusBoard0AllClosedEmpty))).toBeNull();
    expect(model.handle(frame(F.setPulseTimeBoard0))).toBeNull();
    expect(model.board(0)?.unlockPulse).toBe(0x0a);
  });

  it('answers 0x32 with one block per board on the bus', () => {
    const model = KerongBusModel.preset('16 locks, all closed', [0, 1]).withOpen(1, 15);
    const broadcast = frame(Buffer.from([0x02, 0xf0, 0x32, 0x03, 0x27]));
    expect(model.handle(broadcast)).toEqual(F.busStatusTwoBoards);
  });

  it('builds every named preset', () => {
    for (const p of KERONG_PRESETS) expect(KerongBusModel.preset(p, [0, 2]).boardNumbers).toEqual([0, 2]);
    expect(KerongBusModel.preset('16 locks, all open and empty', [2]).lock(2, 15).latchClosed).toBe(false);
    expect(() => new KerongBusModel([15])).toThrow(RangeError);
  });
});
