import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { SerialPortMock } from 'serialport';
import { CodeScanner, type CodeScannerOptions, type ScanOutcome } from './scanner.js';
import { SCANNED_KEYPAD_CODE as CODE, SCANNED_QR_TOKEN as TOKEN, ScannerFixtures as F } from './terminal.fixtures.js';

// See kerong-driver.test.ts: the binding comes from SerialPortMock to avoid a second binding-mock.
const MockBinding = SerialPortMock.binding;
let seq = 0;
let path: string;
let port: SerialPortMock | null;
let opens: number;
let scanner: CodeScanner;
let logs: string[];
let entered: Array<{ code: string; source: string; finish: (v?: unknown) => void; fail: (e: Error) => void }>;
let clock: number;

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const emit = (...chunks: Buffer[]): void => {
  if (!port?.port) throw new Error('mock port not open');
  for (const c of chunks) port.port.emitData(c);
};
/** Collects the scanner's outcomes until `n` have come. */
async function outcomes(n: number, during: () => void): Promise<ScanOutcome[]> {
  const seen: ScanOutcome[] = [];
  const on = (o: ScanOutcome) => seen.push(o);
  scanner.on('scan', on);
  during();
  for (let i = 0; i < 500 && seen.length < n; i++) await tick();
  for (let i = 0; i < 5; i++) await tick();
  scanner.off('scan', on);
  return seen;
}
const sink = {
  enterCode: (code: string, source: string) =>
    new Promise<unknown>((finish, fail) => {
      entered.push({ code, source, finish, fail });
    }),
};
const openMock = async (): Promise<SerialPortMock> => {
  const p = new SerialPortMock({ path, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => p.open((err) => (err ? reject(err) : resolve())));
  opens++;
  port = p;
  return p;
};
const newScanner = (options: Partial<CodeScannerOptions> = {}): CodeScanner =>
  new CodeScanner({
    open: openMock,
    sink,
    log: pino({ level: 'info', base: null, timestamp: false }, { write: (s: string) => logs.push(s) }),
    now: () => clock,
    ...options,
  });

beforeEach(async () => {
  path = `/dev/scanner-${++seq}`;
  MockBinding.createPort(path, { echo: false, record: true });
  port = null;
  opens = 0;
  logs = [];
  entered = [];
  clock = 1_000_000;
  scanner = newScanner();
  await scanner.start();
});

afterEach(async () => {
  await scanner.stop();
  MockBinding.reset();
});

describe('CodeScanner on a mock serial port', () => {
  it('hands a code ending in CR LF to the keypad code path, marked as scanned', async () => {
    expect(await outcomes(1, () => emit(F.keypadCodeCrLf))).toEqual(['submitted']);
    expect(entered.map((e) => [e.code, e.source])).toEqual([[CODE, 'scanner']]);
  });

  it('takes CR-only and LF-only scanners too, and a code split into single bytes', async () => {
    expect(await outcomes(1, () => emit(...[...F.qrTokenCr].map((b) => Buffer.from([b]))))).toEqual(['submitted']);
    entered[0]?.finish();
    await tick();
    expect(await outcomes(1, () => emit(F.keypadCodeLf))).toEqual(['submitted']);
    expect(entered.map((e) => e.code)).toEqual([TOKEN, CODE]);
  });

  it('trims the code and skips blank lines', async () => {
    expect(await outcomes(1, () => emit(F.paddedCode))).toEqual(['submitted']);
    expect(entered.map((e) => e.code)).toEqual([CODE]);
  });

  it('drops a garbage line with a log line that has its length but not its content', async () => {
    expect(await outcomes(1, () => emit(F.garbageLine))).toEqual(['ignored']);
    expect(entered).toEqual([]);
    expect(scanner.stats.ignored).toBe(1);
    const line = logs.find((l) => l.includes('not a code'));
    expect(JSON.parse(line ?? '{}')).toMatchObject({ length: 6 });
    expect(line).not.toContain('48');
  });

  it('cuts off an endless line, discards it up to its end, then reads the next code', async () => {
    const endless = Buffer.alloc(600, 0x37); // "7777…" with no end, beyond the 512 limit
    const seen = await outcomes(2, () => emit(endless, Buffer.from('777\r\n'), F.keypadCodeCrLf));
    expect(seen).toEqual(['ignored', 'submitted']);
    expect(entered.map((e) => e.code)).toEqual([CODE]);
    expect(logs.join('\n')).not.toContain('7777777');
  });

  it('never logs a code', async () => {
    await outcomes(1, () => emit(F.keypadCodeCrLf));
    entered[0]?.fail(new Error('hub unreachable'));
    for (let i = 0; i < 5; i++) await tick();
    expect(await outcomes(1, () => emit(F.keypadCodeCrLf))).toEqual(['dropped_repeat']);
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.join('\n')).not.toContain(CODE);
  });

  it('drops a scan that arrives while the previous code is being handled, and takes the next one after', async () => {
    expect(await outcomes(2, () => emit(F.keypadCodeCrLf, F.qrTokenCr))).toEqual(['submitted', 'dropped_busy']);
    expect(entered).toHaveLength(1);
    entered[0]?.finish();
    await tick();
    expect(await outcomes(1, () => emit(F.qrTokenCr))).toEqual(['submitted']);
    expect(entered.map((e) => e.code)).toEqual([CODE, TOKEN]);
    expect(scanner.stats).toEqual({ submitted: 2, droppedBusy: 1, droppedRepeat: 0, ignored: 0 });
  });

  it('drops a re-read of the same code for 3 s after it was handled, then takes it again', async () => {
    await outcomes(1, () => emit(F.keypadCodeCrLf));
    entered[0]?.finish();
    await tick();
    clock += 2_999;
    expect(await outcomes(1, () => emit(F.keypadCodeCrLf))).toEqual(['dropped_repeat']);
    // A different code is no re-read.
    expect(await outcomes(1, () => emit(F.qrTokenCr))).toEqual(['submitted']);
    entered[1]?.finish();
    await tick();
    clock += 3_000;
    expect(await outcomes(1, () => emit(F.keypadCodeCrLf))).toEqual(['submitted']);
    expect(entered.map((e) => e.code)).toEqual([CODE, TOKEN, CODE]);
  });

  it('keeps scanning after the code path failed', async () => {
    await outcomes(1, () => emit(F.keypadCodeCrLf));
    entered[0]?.fail(new Error('boom'));
    for (let i = 0; i < 5; i++) await tick();
    expect(await outcomes(1, () => emit(F.qrTokenCr))).toEqual(['submitted']);
    expect(logs.some((l) => l.includes('could not be handled'))).toBe(true);
  });

  it('a line cut short by the port closing is no scan; the line is opened again and works', async () => {
    await scanner.stop();
    scanner = newScanner({ reopenAfterMs: 10 });
    await scanner.start();
    expect(opens).toBe(2);
    emit(Buffer.from(CODE.slice(0, 5)));
    await tick();
    const first = port;
    await new Promise<void>((resolve) => first?.close(() => resolve()));
    for (let i = 0; i < 200 && (port === first || !scanner.connected); i++) await new Promise((r) => setTimeout(r, 5));
    expect(opens).toBe(3);
    expect(scanner.connected).toBe(true);
    expect(await outcomes(1, () => emit(F.keypadCodeCrLf))).toEqual(['submitted']);
    expect(entered.map((e) => e.code)).toEqual([CODE]);
  });

  it('a scanner that is not there does not stop the agent: start resolves and it is tried again', async () => {
    await scanner.stop();
    const missing = `/dev/scanner-missing-${seq}`;
    let tries = 0;
    scanner = newScanner({
      reopenAfterMs: 10,
      open: async () => {
        tries++;
        if (tries < 3) {
          const p = new SerialPortMock({ path: missing, baudRate: 9600, autoOpen: false });
          await new Promise<void>((resolve, reject) => p.open((err) => (err ? reject(err) : resolve())));
        }
        return openMock();
      },
    });
    await expect(scanner.start()).resolves.toBeUndefined();
    expect(scanner.connected).toBe(false);
    for (let i = 0; i < 200 && !scanner.connected; i++) await new Promise((r) => setTimeout(r, 5));
    expect(tries).toBe(3);
    expect(await outcomes(1, () => emit(F.keypadCodeCrLf))).toEqual(['submitted']);
  });
});
