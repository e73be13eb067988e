import { describe, expect, it } from '@jest/globals';
import { KioskConfig } from './config.js';

const base = {
  hubUrl: 'http://127.0.0.1:8080',
  deviceId: '6f1c2b8e-3d4a-4f5b-9c6d-7e8f9a0b1c2d',
  privateKeyFile: 'device.pem',
  dataDir: 'data',
};
const issues = (raw: unknown): string[] => {
  const r = KioskConfig.safeParse(raw);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('KioskConfig buses', () => {
  it('a kerong bus keeps its defaults (19200 baud, item sensors)', () => {
    const c = KioskConfig.parse({ ...base, buses: [{ id: 'k', family: 'kerong', path: '/dev/ttyUSB0' }], compartments: [{ compartment: 1, bus: 'k', board: 0, lock: 0 }] });
    expect(c.buses[0]).toEqual({ id: 'k', family: 'kerong', path: '/dev/ttyUSB0', baudRate: 19200, itemSensors: true });
  });

  it('an 8a bus defaults to 9600 baud and open_is_set wiring', () => {
    const c = KioskConfig.parse({ ...base, buses: [{ id: 'a', family: '8a', path: '/dev/ttyUSB1' }], compartments: [{ compartment: 1, bus: 'a', board: 64, lock: 32 }] });
    expect(c.buses[0]).toEqual({ id: 'a', family: '8a', path: '/dev/ttyUSB1', baudRate: 9600, openPolarity: 'open_is_set' });
    const inverted = KioskConfig.parse({ ...base, buses: [{ id: 'a', family: '8a', path: 'p', openPolarity: 'open_is_clear' }], compartments: [{ compartment: 1, bus: 'a', board: 1, lock: 1 }] });
    expect(inverted.buses[0]).toMatchObject({ openPolarity: 'open_is_clear' });
  });

  it('one kiosk can mix both families on separate buses', () => {
    expect(
      issues({
        ...base,
        buses: [
          { id: 'k', family: 'kerong', path: 'p0' },
          { id: 'a', family: '8a', path: 'p1' },
        ],
        compartments: [
          { compartment: 1, bus: 'k', board: 0, lock: 0 },
          { compartment: 2, bus: 'a', board: 1, lock: 1 },
        ],
      }),
    ).toEqual([]);
  });

  it('checks board and lock numbers against the bus family, with a clear message', () => {
    expect(
      issues({
        ...base,
        buses: [
          { id: 'k', family: 'kerong', path: 'p0' },
          { id: 'a', family: '8a', path: 'p1' },
        ],
        compartments: [
          { compartment: 1, bus: 'k', board: 16, lock: 16 },
          { compartment: 2, bus: 'a', board: 0, lock: 0 },
          { compartment: 3, bus: 'a', board: 1, lock: 32 },
        ],
      }),
    ).toEqual([
      'compartments.0.board: board 16 is outside 0–15, the board numbers of kerong bus "k"',
      'compartments.0.lock: lock 16 is outside 0–15, the lock numbers of kerong bus "k"',
      'compartments.1.board: board 0 is outside 1–64, the board numbers of 8a bus "a"',
      'compartments.1.lock: lock 0 is outside 1–32, the lock numbers of 8a bus "a"',
    ]);
  });

  it('refuses an unknown family, an unknown wiring, item sensors on an 8a bus and a duplicated bus id', () => {
    expect(issues({ ...base, buses: [{ id: 'x', family: 'acme', path: 'p' }], compartments: [{ compartment: 1, bus: 'x', board: 0, lock: 0 }] })).not.toEqual([]);
    const r = KioskConfig.safeParse({ ...base, buses: [{ id: 'a', family: '8a', path: 'p', openPolarity: 'sideways' }], compartments: [{ compartment: 1, bus: 'a', board: 1, lock: 1 }] });
    expect(r.success).toBe(false);
    expect(issues({ ...base, buses: [{ id: 'a', family: '8a', path: 'p', itemSensors: true }], compartments: [{ compartment: 1, bus: 'a', board: 1, lock: 1 }] })).toEqual([
      'buses.0.itemSensors: 8a boards have no item sensor: leave itemSensors out',
    ]);
    expect(
      issues({
        ...base,
        buses: [
          { id: 'a', family: '8a', path: 'p0' },
          { id: 'a', family: '8a', path: 'p1' },
        ],
        compartments: [{ compartment: 1, bus: 'a', board: 1, lock: 1 }],
      }),
    ).toEqual(['buses.1.id: bus id "a" is used twice']);
  });
});
