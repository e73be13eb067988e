// Across processes on real pseudo-terminals: the terminal simulator program (scanner, printer),
// each its own child process, and the kiosk agent's scanner and printer drivers on the real
// `serialport` at the other end of the pty. Runs dist/ (npm test builds first).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { SerialPort } from 'serialport';
import type { CodeResult, KioskAgentEvents } from '@xinbao/kiosk-agent/agent';
import { CodeScanner, ReceiptPrinter, printDepositReceipts } from '@xinbao/kiosk-agent/terminal';
import { startProgram, type RunningProgram } from '../support/processes.js';
import { eventually } from '../support/eventually.js';
import type { Json } from '../support/http.js';

const SIM = 'simulators/dist/terminal/main.js';
const silent = pino({ level: 'silent' });

async function openPort(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  return port;
}

async function control(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${base}${path}`, {
    method,
    ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: res.status, json: res.status === 204 ? {} : ((await res.json()) as Json) };
}

describe('terminal simulator programs ↔ the agent’s scanner and printer drivers over real ptys', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xinbao-terminal-'));
  let scannerSim: RunningProgram;
  let printerSim: RunningProgram;
  let scanner: CodeScanner;
  let printer: ReceiptPrinter;
  const entered: string[] = [];
  const agent = new EventEmitter<KioskAgentEvents>();
  const scanUrl = () => scannerSim.ready.controlUrl as string;
  const printUrl = () => printerSim.ready.controlUrl as string;

  beforeAll(async () => {
    [scannerSim, printerSim] = await Promise.all([
      startProgram(SIM, ['--device', 'scanner', '--dir', dir], { isReady: (l) => l.event === 'ready' }),
      startProgram(SIM, ['--device', 'printer', '--dir', dir], { isReady: (l) => l.event === 'ready' }),
    ]);
    scanner = new CodeScanner({
      open: () => openPort(scannerSim.ready.ptyPath as string),
      sink: {
        enterCode: async (code, source) => {
          entered.push(`${source}:${code}`);
        },
      },
      log: silent,
    });
    await scanner.start();
    printer = new ReceiptPrinter({ open: () => openPort(printerSim.ready.ptyPath as string), log: silent });
    printDepositReceipts(agent, { printer, siteName: '港务区政务服务中心', log: silent, now: () => new Date('2025-03-04T23:30:05Z') });
  });

  afterAll(async () => {
    await scanner?.stop();
    await printer?.close();
    expect(await scannerSim?.stop()).toBe(0);
    expect(await printerSim?.stop()).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it('each program announces itself with one JSON line naming the pty the agent opens', () => {
    expect(scannerSim.ready).toEqual({
      event: 'ready',
      device: 'scanner',
      ptyPath: join(dir, 'scanner', 'agent'),
      controlUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
    });
    expect(printerSim.ready).toEqual({
      event: 'ready',
      device: 'printer',
      ptyPath: join(dir, 'printer', 'agent'),
      controlUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
    });
  });

  it('a code scanned at the simulator reaches the code path, marked as scanned', async () => {
    expect((await control(scanUrl(), 'POST', '/scan', { code: '48213097' })).json).toEqual({ scans: 1 });
    await eventually(async () => entered.length === 1, 'the keypad code');
    expect((await control(scanUrl(), 'POST', '/scan', { code: 'XB1.eyJjaWQiOiJ4In0.c2ln' })).status).toBe(200);
    await eventually(async () => entered.length === 2, 'the QR token');
    expect(entered).toEqual(['scanner:48213097', 'scanner:XB1.eyJjaWQiOiJ4In0.c2ln']);
    expect(scanner.stats).toMatchObject({ submitted: 2, ignored: 0 });
  });

  it('a deposit receipt comes out with exactly the tracking number, compartment, site, time and QR payload', async () => {
    await control(printUrl(), 'DELETE', '/receipts');
    const opened: CodeResult = {
      status: 'opened',
      compartment: 7,
      purpose: 'deposit',
      trackingNumber: 'XB104829375161',
      commandId: '0193a5d2-7c3e-7b2a-9f10-4c5d6e7f8a9b',
    };
    agent.emit('result', opened, 'scanner');
    const receipts = await eventually(async () => {
      const r = (await control(printUrl(), 'GET', '/receipts')).json.receipts as Json[];
      return r.length > 0 ? r : undefined;
    }, 'the receipt');
    expect(receipts).toHaveLength(1);
    const [receipt] = receipts;
    expect(receipt!.cut).toBe('partial');
    expect(receipt!.qrCodes).toEqual(['XB104829375161']);
    const lines = receipt!.lines as string[];
    expect(lines.filter((l) => /^(站点|格口|单号|时间)：/.test(l))).toEqual([
      '站点：港务区政务服务中心',
      '格口：7',
      '单号：XB104829375161',
      '时间：2025-03-05 07:30:05',
    ]);
    expect(printer.status).toBe('ready');
    expect((await control(printUrl(), 'GET', '/receipts')).json.stats).toMatchObject({
      statusQueries: 1,
      decoder: { unknown: 0, dropped: 0 },
    });
  });

  it('out of paper: the driver sends no receipt and says why; paper low still prints', async () => {
    await control(printUrl(), 'DELETE', '/receipts');
    expect((await control(printUrl(), 'POST', '/paper', { state: 'out' })).json).toEqual({ paper: 'out' });
    const receipt = Buffer.from('\x1b@out of paper\n\x1dVB\x00', 'latin1');
    await expect(printer.print(receipt)).resolves.toEqual({ printed: false, status: 'out_of_paper', reason: 'out_of_paper' });
    expect(printer.status).toBe('out_of_paper');
    const after = (await control(printUrl(), 'GET', '/receipts')).json;
    // The simulator would have counted a receipt sent anyway as lost: none was sent.
    expect(after).toMatchObject({ receipts: [], stats: { lostReceipts: 0 } });

    await control(printUrl(), 'POST', '/paper', { state: 'low' });
    await expect(printer.print(receipt)).resolves.toEqual({ printed: true, status: 'paper_low' });
    const low = await eventually(async () => {
      const r = (await control(printUrl(), 'GET', '/receipts')).json.receipts as Json[];
      return r.length > 0 ? r : undefined;
    }, 'the receipt on low paper');
    expect(low.map((r) => r.lines)).toEqual([['out of paper']]);
  });

  it('a printer switched off is absent: nothing printed, status absent, and it is found again', async () => {
    await control(printUrl(), 'DELETE', '/receipts');
    await control(printUrl(), 'POST', '/paper', { state: 'absent' });
    await expect(printer.print(Buffer.from('x\n', 'latin1'))).resolves.toEqual({ printed: false, status: 'absent', reason: 'absent' });
    expect(printer.status).toBe('absent');
    await control(printUrl(), 'POST', '/paper', { state: 'ok' });
    await expect(printer.refresh()).resolves.toBe('ready');
    expect((await control(printUrl(), 'GET', '/receipts')).json.receipts).toEqual([]);
  });

  it('answers control API mistakes with an error body and a 4xx', async () => {
    expect(await control(scanUrl(), 'POST', '/scan', { code: '1234\r\n5678' })).toMatchObject({
      status: 400,
      json: { error: { code: 'bad_code' } },
    });
    // A misspelled field is named as unknown (ADR 0020); a field of the wrong type is a bad request.
    expect(await control(scanUrl(), 'POST', '/scan', { kode: '1' })).toMatchObject({
      status: 400,
      json: { error: { code: 'unknown_field', message: expect.stringContaining('"kode"') } },
    });
    expect(await control(scanUrl(), 'POST', '/scan', { code: 1 })).toMatchObject({
      status: 400,
      json: { error: { code: 'bad_request' } },
    });
    expect(await control(printUrl(), 'POST', '/paper', { state: 'wet' })).toMatchObject({
      status: 400,
      json: { error: { code: 'bad_request' } },
    });
    expect(await control(printUrl(), 'GET', '/nothing')).toMatchObject({ status: 404, json: { error: { code: 'not_found' } } });
  });
});
