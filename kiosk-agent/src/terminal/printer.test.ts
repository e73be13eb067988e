import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { SerialPortMock } from 'serialport';
import { decodeEscPos, receiptLines, receiptQrCodes, toHex } from '@xinbao/protocol';
import { EscPosFixtures } from '@xinbao/protocol/escpos/escpos.fixtures';
import type { CodeResult, KioskAgentEvents } from '../agent.js';
import { printDepositReceipts } from './deposit-receipts.js';
import { ReceiptPrinter, type PrintOutcome, type ReceiptPrinterOptions } from './printer.js';
import { PrinterFixtures as F } from './terminal.fixtures.js';

// See kerong-driver.test.ts: the binding comes from SerialPortMock to avoid a second binding-mock.
const MockBinding = SerialPortMock.binding;
let seq = 0;
let path: string;
let port: SerialPortMock | null;
let opens: number;
let printer: ReceiptPrinter;
let logs: string[];

const RECEIPT = Buffer.concat([EscPosFixtures.init, EscPosFixtures.lineDanHao, EscPosFixtures.qrTrackingNumber, EscPosFixtures.cutPartial]);

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const binding = () => {
  if (!port?.port) throw new Error('mock port not open');
  return port.port;
};
const written = (): string => (port?.port ? toHex(port.port.recording) : '');
/** Lets the stream machinery run until the driver has written `bytes` bytes in all on the current line. */
async function writtenBytes(bytes: number): Promise<void> {
  for (let i = 0; i < 1000 && (port?.port?.recording.length ?? 0) < bytes; i++) await tick();
  for (let i = 0; i < 5; i++) await tick();
  expect(port?.port?.recording.length ?? 0).toBe(bytes);
}
const answer = (...chunks: Buffer[]): void => {
  for (const c of chunks) binding().emitData(c);
};
const openMock = async (): Promise<SerialPortMock> => {
  const p = new SerialPortMock({ path, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => p.open((err) => (err ? reject(err) : resolve())));
  opens++;
  port = p;
  return p;
};
// Long enough that a loaded machine still delivers an answer in time (60 ms failed under a shared CI
// load); only the test of a printer that never answers waits it out.
const newPrinter = (options: Partial<ReceiptPrinterOptions> = {}): ReceiptPrinter =>
  new ReceiptPrinter({
    open: openMock,
    log: pino({ level: 'info', base: null, timestamp: false }, { write: (s: string) => logs.push(s) }),
    statusTimeoutMs: 500,
    ...options,
  });

beforeEach(() => {
  path = `/dev/printer-${++seq}`;
  MockBinding.createPort(path, { echo: false, record: true });
  port = null;
  opens = 0;
  logs = [];
  printer = newPrinter();
});

afterEach(async () => {
  await printer.close();
  MockBinding.reset();
});

/** Prints RECEIPT with the printer answering the paper query with `status` (or not at all). */
async function printWith(status: Buffer | null): Promise<PrintOutcome> {
  const before = port?.port?.recording.length ?? 0;
  const outcome = printer.print(RECEIPT);
  await writtenBytes(before + 3);
  if (status) answer(status);
  return outcome;
}

describe('ReceiptPrinter on a mock serial port', () => {
  it('asks DLE EOT 4 first, then sends the receipt byte for byte when there is paper', async () => {
    await expect(printWith(F.paperPresent)).resolves.toEqual({ printed: true, status: 'ready' });
    await writtenBytes(3 + RECEIPT.length);
    expect(written()).toBe(toHex(Buffer.concat([F.paperQuery, RECEIPT])));
    expect(printer.status).toBe('ready');
  });

  it('prints on a roll near its end and says the paper is low', async () => {
    await expect(printWith(F.paperNearEnd)).resolves.toEqual({ printed: true, status: 'paper_low' });
    expect(printer.status).toBe('paper_low');
  });

  it('sends nothing but the query when the paper is out', async () => {
    await expect(printWith(F.paperOut)).resolves.toEqual({ printed: false, status: 'out_of_paper', reason: 'out_of_paper' });
    for (let i = 0; i < 10; i++) await tick();
    expect(written()).toBe(toHex(F.paperQuery));
    expect(printer.status).toBe('out_of_paper');
  });

  it('a printer that does not answer is absent: nothing but the query is sent', async () => {
    await expect(printWith(null)).resolves.toEqual({ printed: false, status: 'absent', reason: 'absent' });
    expect(written()).toBe(toHex(F.paperQuery));
    expect(printer.stats.statusTimeouts).toBe(1);
  });

  it('ignores bytes that cannot be a status answer while waiting for one', async () => {
    const outcome = printer.print(RECEIPT);
    await writtenBytes(3);
    answer(F.noise, F.paperNearEnd);
    await expect(outcome).resolves.toEqual({ printed: true, status: 'paper_low' });
    expect(printer.stats.strayBytes).toBe(F.noise.length);
  });

  it('does one job at a time: query, receipt, query, receipt', async () => {
    const first = printer.print(RECEIPT);
    const second = printer.print(RECEIPT);
    await writtenBytes(3);
    answer(F.paperPresent);
    await expect(first).resolves.toMatchObject({ printed: true });
    await writtenBytes(3 + RECEIPT.length + 3);
    answer(F.paperPresent);
    await expect(second).resolves.toMatchObject({ printed: true });
    expect(written()).toBe(toHex(Buffer.concat([F.paperQuery, RECEIPT, F.paperQuery, RECEIPT])));
  });

  it('refresh() asks without printing; a status change is logged once', async () => {
    const status = printer.refresh();
    await writtenBytes(3);
    answer(F.paperOut);
    await expect(status).resolves.toBe('out_of_paper');
    expect(written()).toBe(toHex(F.paperQuery));
    expect(logs.filter((l) => l.includes('status changed'))).toHaveLength(1);
  });

  it('a device path that is not there: absent, never a throw, and found once it is plugged in', async () => {
    MockBinding.reset();
    await expect(printer.print(RECEIPT)).resolves.toEqual({ printed: false, status: 'absent', reason: 'absent' });
    await expect(printer.refresh()).resolves.toBe('absent');
    expect(opens).toBe(0);
    MockBinding.createPort(path, { echo: false, record: true });
    await expect(printWith(F.paperPresent)).resolves.toEqual({ printed: true, status: 'ready' });
    expect(opens).toBe(1);
  });

  it('opens the line again after it was lost', async () => {
    await expect(printWith(F.paperPresent)).resolves.toMatchObject({ printed: true });
    const first = port;
    await new Promise<void>((resolve) => first?.close(() => resolve()));
    port = null;
    await expect(printWith(F.paperPresent)).resolves.toMatchObject({ printed: true });
    expect(opens).toBe(2);
    expect(port).not.toBe(first);
  });

  it('after close it prints nothing and says so', async () => {
    await printer.close();
    await expect(printer.print(RECEIPT)).resolves.toMatchObject({ printed: false, reason: 'closed' });
  });
});

describe('deposit receipts on the agent result event', () => {
  const at = new Date('2025-03-04T23:30:00Z');
  const opened: CodeResult = {
    status: 'opened',
    compartment: 7,
    purpose: 'deposit',
    trackingNumber: 'XB104829375161',
    commandId: '0193a5d2-7c3e-7b2a-9f10-4c5d6e7f8a9b',
  };

  it('prints for an opened deposit, and only for that', async () => {
    const agent = new EventEmitter<KioskAgentEvents>();
    printDepositReceipts(agent, { printer, siteName: '港务区政务服务中心', log: pino({ level: 'silent' }), now: () => at });
    const others: CodeResult[] = [
      { ...opened, status: 'jammed' },
      { ...opened, status: 'failed' },
      { ...opened, purpose: 'collect' },
      { ...opened, purpose: 'courier_pickup' },
    ];
    agent.emit('result', others[0]!, 'scanner');
    agent.emit('result', others[1]!, 'scanner');
    agent.emit('result', others[2]!, 'screen');
    agent.emit('result', others[3]!, 'screen');
    agent.emit('result', { status: 'refused', code: 'code_used', message: 'used' }, 'screen');
    for (let i = 0; i < 20; i++) await tick();
    expect(port).toBeNull();

    agent.emit('result', opened, 'scanner');
    await writtenBytes(3);
    answer(F.paperPresent);
    for (let i = 0; i < 1000 && binding().recording.length <= 3; i++) await tick();
    const { receipts } = decodeEscPos(binding().recording.subarray(3));
    expect(receipts).toHaveLength(1);
    expect(receiptLines(receipts[0]!)).toEqual(
      expect.arrayContaining(['站点：港务区政务服务中心', '格口：7', '单号：XB104829375161', '时间：2025-03-05 07:30:00']),
    );
    expect(receiptQrCodes(receipts[0]!)).toEqual(['XB104829375161']);
  });

  it('never throws into the code path: not for a receipt that cannot be built, not for a printer that hangs', () => {
    const agent = new EventEmitter<KioskAgentEvents>();
    const hanging = { print: () => new Promise<PrintOutcome>(() => undefined) };
    printDepositReceipts(agent, { printer: hanging, siteName: 'bad\u0007name', log: pino({ level: 'silent' }) });
    expect(agent.emit('result', opened, 'screen')).toBe(true);
    const other = new EventEmitter<KioskAgentEvents>();
    printDepositReceipts(other, { printer: hanging, siteName: 'ok', log: pino({ level: 'silent' }) });
    // emit returns at once although the print never finishes.
    expect(other.emit('result', opened, 'screen')).toBe(true);
  });
});
