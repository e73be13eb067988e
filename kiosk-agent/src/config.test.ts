import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KioskConfig, KioskConfigError, controllerToken, loadKioskConfig, type HttpBusConfig } from './config.js';

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
    const c = KioskConfig.parse({
      ...base,
      buses: [{ id: 'k', family: 'kerong', path: '/dev/ttyUSB0' }],
      compartments: [{ compartment: 1, bus: 'k', board: 0, lock: 0 }],
    });
    expect(c.buses[0]).toEqual({ id: 'k', family: 'kerong', path: '/dev/ttyUSB0', baudRate: 19200, itemSensors: true });
  });

  it('an 8a bus defaults to 9600 baud and open_is_set wiring', () => {
    const c = KioskConfig.parse({
      ...base,
      buses: [{ id: 'a', family: '8a', path: '/dev/ttyUSB1' }],
      compartments: [{ compartment: 1, bus: 'a', board: 64, lock: 32 }],
    });
    expect(c.buses[0]).toEqual({ id: 'a', family: '8a', path: '/dev/ttyUSB1', baudRate: 9600, openPolarity: 'open_is_set' });
    const inverted = KioskConfig.parse({
      ...base,
      buses: [{ id: 'a', family: '8a', path: 'p', openPolarity: 'open_is_clear' }],
      compartments: [{ compartment: 1, bus: 'a', board: 1, lock: 1 }],
    });
    expect(inverted.buses[0]).toMatchObject({ openPolarity: 'open_is_clear' });
  });

  it('bus timing (poll timeout, confirmation window, reopen backoff) and the board alarm threshold: defaults and checks', () => {
    const c = KioskConfig.parse({
      ...base,
      buses: [
        {
          id: 'k',
          family: 'kerong',
          path: '/dev/serial/by-id/usb-rs485',
          pollTimeoutMs: 80,
          confirmWindowMs: 2000,
          reopenBackoffMs: { min: 100, max: 3000 },
        },
      ],
      compartments: [{ compartment: 1, bus: 'k', board: 0, lock: 0 }],
    });
    expect(c.boardUnreachableAfter).toBe(3);
    expect(c.buses[0]).toMatchObject({ pollTimeoutMs: 80, confirmWindowMs: 2000, reopenBackoffMs: { min: 100, max: 3000 } });
    expect(
      issues({
        ...base,
        boardUnreachableAfter: 0,
        buses: [{ id: 'k', family: 'kerong', path: 'p', confirmWindowMs: 50, pollTimeoutMs: 0 }],
        compartments: [{ compartment: 1, bus: 'k', board: 0, lock: 0 }],
      }).map((i) => i.split(':')[0]),
    ).toEqual(expect.arrayContaining(['boardUnreachableAfter', 'buses.0.confirmWindowMs', 'buses.0.pollTimeoutMs']));
  });

  it('numbers out of range: a compartment the hub cannot name, timers past what they mean', () => {
    expect(
      issues({
        ...base,
        pollIntervalMs: 60_001,
        leftOpenAfterMs: 2 ** 31,
        offline: { syncIntervalSeconds: 86_401 },
        buses: [{ id: 'k', family: 'kerong', path: 'p', replyTimeoutMs: 60_001, baudRate: 10_000_000 }],
        compartments: [{ compartment: 10_000, bus: 'k', board: 0, lock: 0 }],
      }).map((i) => i.split(':')[0]),
    ).toEqual(
      expect.arrayContaining([
        'pollIntervalMs',
        'leftOpenAfterMs',
        'offline.syncIntervalSeconds',
        'buses.0.replyTimeoutMs',
        'buses.0.baudRate',
        'compartments.0.compartment',
      ]),
    );
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
    expect(
      issues({ ...base, buses: [{ id: 'x', family: 'acme', path: 'p' }], compartments: [{ compartment: 1, bus: 'x', board: 0, lock: 0 }] }),
    ).not.toEqual([]);
    const r = KioskConfig.safeParse({
      ...base,
      buses: [{ id: 'a', family: '8a', path: 'p', openPolarity: 'sideways' }],
      compartments: [{ compartment: 1, bus: 'a', board: 1, lock: 1 }],
    });
    expect(r.success).toBe(false);
    expect(
      issues({
        ...base,
        buses: [{ id: 'a', family: '8a', path: 'p', itemSensors: true }],
        compartments: [{ compartment: 1, bus: 'a', board: 1, lock: 1 }],
      }),
    ).toEqual(['buses.0.itemSensors: 8a boards have no item sensor: leave itemSensors out']);
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
  const bus = {
    buses: [{ id: 'k', family: 'kerong', path: '/dev/ttyUSB0' }],
    compartments: [{ compartment: 1, bus: 'k', board: 0, lock: 0 }],
  };

  it('scanner, printer and site name are optional: a kiosk without them is valid', () => {
    const c = KioskConfig.parse({ ...base, ...bus });
    expect(c.scanner).toBeUndefined();
    expect(c.printer).toBeUndefined();
    expect(c.siteName).toBeUndefined();
  });

  it('both devices default to 9600 baud; the printer waits 500 ms for its paper status', () => {
    const c = KioskConfig.parse({
      ...base,
      ...bus,
      scanner: { path: '/dev/ttyUSB1' },
      printer: { path: '/dev/ttyUSB2' },
      siteName: '  港务区政务服务中心 ',
    });
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
    expect(issues({ ...base, ...bus, siteName: '站'.repeat(41) })).toEqual([
      'siteName: siteName is printed on receipts: at most 40 characters',
    ]);
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

describe('KioskConfig network lock controller (http) buses', () => {
  const net = { id: 'net', family: 'http', url: 'http://10.0.0.20:8080', tokenFile: 'controller.token', locks: 8 };
  const one = (bus: object, compartments = [{ compartment: 1, bus: 'net', board: 1, lock: 1 }]) => ({
    ...base,
    buses: [bus],
    compartments,
  });

  it('takes a controller with a token file; no item sensors unless said', () => {
    const c = KioskConfig.parse(one(net));
    expect(c.buses[0]).toEqual({ ...net, itemSensors: false });
    expect(KioskConfig.parse(one({ ...net, itemSensors: true, replyTimeoutMs: 2500 })).buses[0]).toMatchObject({
      itemSensors: true,
      replyTimeoutMs: 2500,
    });
  });

  it('wants the bearer token exactly once: tokenFile or token', () => {
    const { tokenFile: _, ...noToken } = net;
    const message = "buses.0.tokenFile: give the controller's bearer token as tokenFile (preferred) or token: exactly one of them";
    expect(issues(one(noToken))).toEqual([message]);
    expect(issues(one({ ...net, token: 'inline' }))).toEqual([message]);
    expect(issues(one({ ...noToken, token: 'inline' }))).toEqual([]);
  });

  it('wants an http(s) URL and a lock count', () => {
    expect(issues(one({ ...net, url: 'ftp://10.0.0.20' }))).toEqual([
      "buses.0.url: url must be the controller's http:// or https:// base URL",
    ]);
    expect(issues(one({ ...net, url: 'controller' }))).toEqual(["buses.0.url: url must be the controller's http:// or https:// base URL"]);
    const { locks: _, ...noLocks } = net;
    expect(issues(one(noLocks))).toEqual([expect.stringMatching(/^buses\.0\.locks: /)]);
    expect(issues(one({ ...net, locks: 0 }))).toEqual([expect.stringMatching(/^buses\.0\.locks: /)]);
    expect(issues(one({ ...net, locks: 241 }))).toEqual([expect.stringMatching(/^buses\.0\.locks: /)]);
  });

  it("numbers a controller's compartments board 1, locks 1…locks", () => {
    expect(
      issues(
        one(net, [
          { compartment: 1, bus: 'net', board: 0, lock: 1 },
          { compartment: 2, bus: 'net', board: 1, lock: 9 },
          { compartment: 3, bus: 'net', board: 1, lock: 0 },
          { compartment: 4, bus: 'net', board: 1, lock: 8 },
        ]),
      ),
    ).toEqual([
      'compartments.0.board: board 0: a network lock controller is board 1 (http bus "net")',
      'compartments.1.lock: lock 9 is outside 1–8, the lock numbers of http bus "net"',
      'compartments.2.lock: lock 0 is outside 1–8, the lock numbers of http bus "net"',
    ]);
    expect(issues(one({ ...net, locks: 40 }, [{ compartment: 1, bus: 'net', board: 1, lock: 40 }]))).toEqual([]);
  });

  it('mixes with serial buses in one kiosk', () => {
    expect(
      issues({
        ...base,
        buses: [{ id: 'k', family: 'kerong', path: 'p0' }, { id: 'a', family: '8a', path: 'p1' }, net],
        compartments: [
          { compartment: 1, bus: 'k', board: 0, lock: 0 },
          { compartment: 2, bus: 'a', board: 1, lock: 1 },
          { compartment: 3, bus: 'net', board: 1, lock: 1 },
        ],
      }),
    ).toEqual([]);
  });

  it('reads the token file next to the configuration, trimmed; a missing or empty one is a configuration error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xinbao-config-'));
    try {
      writeFileSync(join(dir, 'kiosk.json'), JSON.stringify(one(net)));
      writeFileSync(join(dir, 'controller.token'), 'secret-token\n');
      const bus = loadKioskConfig(join(dir, 'kiosk.json')).buses[0] as HttpBusConfig;
      expect(bus.tokenFile).toBe(join(dir, 'controller.token'));
      expect(controllerToken(bus)).toBe('secret-token');
      expect(controllerToken({ ...bus, tokenFile: undefined, token: 'inline' })).toBe('inline');
      writeFileSync(join(dir, 'controller.token'), '  \n');
      expect(() => controllerToken(bus)).toThrow(KioskConfigError);
      expect(() => controllerToken(bus)).toThrow('is empty');
      expect(() => controllerToken({ ...bus, tokenFile: join(dir, 'missing.token') })).toThrow('cannot read tokenFile');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
