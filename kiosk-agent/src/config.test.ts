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

describe('KioskConfig terminal devices', () => {
  const bus = { buses: [{ id: 'k', family: 'kerong', path: '/dev/ttyUSB0' }], compartments: [{ compartment: 1, bus: 'k', board: 0, lock: 0 }] };

  it('scanner, printer and site name are optional: a kiosk without them is valid', () => {
    const c = KioskConfig.parse({ ...base, ...bus });
    expect(c.scanner).toBeUndefined();
    expect(c.printer).toBeUndefined();
    expect(c.siteName).toBeUndefined();
  });

  it('both devices default to 9600 baud; the printer waits 500 ms for its paper status', () => {
    const c = KioskConfig.parse({ ...base, ...bus, scanner: { path: '/dev/ttyUSB1' }, printer: { path: '/dev/ttyUSB2' }, siteName: '  港务区政务服务中心 ' });
    expect(c.scanner).toEqual({ path: '/dev/ttyUSB1', baudRate: 9600 });
    expect(c.printer).toEqual({ path: '/dev/ttyUSB2', baudRate: 9600, statusTimeoutMs: 500 });
    expect(c.siteName).toBe('港务区政务服务中心');
  });

  it('says clearly what is wrong with a device or the site name', () => {
    expect(
      issues({
        ...base,
        ...bus,
        scanner: { path: '', baudRate: 9600 },
        printer: { path: '/dev/ttyUSB2', baud: 9600, statusTimeoutMs: 10 },
        siteName: 'hall\u001b@',
      }),
    ).toEqual([
      'scanner.path: scanner.path names the serial device, e.g. /dev/ttyUSB1',
      'printer.statusTimeoutMs: Too small: expected number to be >=50',
      'printer: Unrecognized key: "baud"',
      'siteName: siteName must not contain control characters (a printer would read them as commands)',
    ]);
    expect(issues({ ...base, ...bus, siteName: '   ' })).toEqual(['siteName: siteName must not be empty (leave it out for the default)']);
    expect(issues({ ...base, ...bus, siteName: '站'.repeat(41) })).toEqual(['siteName: siteName is printed on receipts: at most 40 characters']);
  });

  it('refuses one serial device for two things', () => {
    expect(issues({ ...base, ...bus, scanner: { path: '/dev/ttyUSB0' }, printer: { path: '/dev/ttyUSB0' } })).toEqual([
      'scanner.path: serial device /dev/ttyUSB0 is already used by bus "k"',
      'printer.path: serial device /dev/ttyUSB0 is already used by bus "k"',
    ]);
    expect(issues({ ...base, ...bus, scanner: { path: '/dev/ttyUSB1' }, printer: { path: '/dev/ttyUSB1' } })).toEqual([
      'printer.path: serial device /dev/ttyUSB1 is already used by the scanner',
    ]);
  });
});
