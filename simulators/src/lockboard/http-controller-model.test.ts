import { describe, expect, it } from '@jest/globals';
import { ControllerLockStatus } from '@xinbao/protocol';
import { HTTP_CONTROLLER_PRESETS, HttpControllerModel } from './http-controller-model.js';

const at = (t: { now: number }) => () => t.now;

describe('HttpControllerModel', () => {
  it('opens a lock: the door reads open, the latch reads released for the pulse time only', () => {
    const t = { now: 1_000 };
    const model = new HttpControllerModel({ locks: 4, itemSensors: true, pulseMs: 300, now: at(t) });
    expect(model.status(2)).toEqual({ lock: 2, door: 'closed', latch: 'locked', item: 'absent' });
    expect(model.open(2)).toEqual({ lock: 2, door: 'open', latch: 'released', item: 'absent' });
    t.now += 299;
    expect(model.status(2).latch).toBe('released');
    t.now += 1;
    expect(model.status(2)).toEqual({ lock: 2, door: 'open', latch: 'locked', item: 'absent' });
    model.closeDoor(1, 2);
    expect(model.status(2).door).toBe('closed');
    expect(ControllerLockStatus.parse(model.status(2))).toEqual(model.status(2));
  });

  it('a jammed latch keeps the door shut; a broken switch reads open; a forced door opens without a pulse', () => {
    const model = new HttpControllerModel({ locks: 4, itemSensors: false }).withJammed(1, 1, true).withSensorBroken(1, 3, true);
    expect(model.open(1)).toMatchObject({ door: 'closed', latch: 'released' });
    expect(model.status(3)).toMatchObject({ door: 'open', latch: 'locked' });
    expect(model.lock(1, 3)).toMatchObject({ latchClosed: true, sensorBroken: true });
    model.forceOpen(1, 4);
    expect(model.status(4)).toMatchObject({ door: 'open', latch: 'locked' });
  });

  it('reports items only where it has sensors', () => {
    const sensed = new HttpControllerModel({ locks: 2, itemSensors: true });
    sensed.setItem(1, 1, true);
    expect([sensed.status(1).item, sensed.status(2).item]).toEqual(['present', 'absent']);
    const blind = new HttpControllerModel({ locks: 2, itemSensors: false });
    blind.setItem(1, 1, true);
    expect(blind.status(1).item).toBeNull();
  });

  it('keeps locks beyond 16 apart (they live on further hidden boards)', () => {
    const model = new HttpControllerModel({ locks: 40, itemSensors: true });
    model.open(17);
    expect([model.status(1).door, model.status(17).door, model.status(33).door]).toEqual(['closed', 'open', 'closed']);
    expect(model.hasLock(1, 40)).toBe(true);
    expect([model.hasLock(1, 0), model.hasLock(1, 41), model.hasLock(0, 1), model.hasLock(2, 1)]).toEqual([false, false, false, false]);
    expect(() => model.status(41)).toThrow('no lock 41');
    expect(() => new HttpControllerModel({ locks: 0, itemSensors: false })).toThrow(RangeError);
  });

  it('has named presets', () => {
    const byName = (name: (typeof HTTP_CONTROLLER_PRESETS)[number]) => HttpControllerModel.preset(name, { locks: 4, itemSensors: true });
    expect(HTTP_CONTROLLER_PRESETS.map((p) => [1, 2, 3, 4].map((l) => byName(p).status(l).door).join(','))).toEqual([
      'closed,closed,closed,closed',
      'closed,closed,closed,closed',
      'open,open,open,open',
      'closed,closed,closed,closed',
    ]);
    expect(byName('all closed, lock 3 jammed').open(3).door).toBe('closed');
    expect(byName('all closed, item in every lock').status(4).item).toBe('present');
  });
});
