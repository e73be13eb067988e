// The kiosk's terminal devices in a real deposit, every part its own process: PostgreSQL, Redis,
// the hub, the kiosk agent program, a KR-CU16 board simulator, and the simulated QR scanner and
// receipt printer, each on its own pseudo-terminal. A resident scans their QR code, the
// compartment opens and the receipt comes out; a printer out of paper, switched off or not
// plugged in at all never stops a deposit, and the kiosk's status says why there was no receipt.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startProgram, type RunningProgram } from '../support/processes.js';
import { eventually } from '../support/eventually.js';
import { removeQueues, startHubProgram } from '../support/hub.js';
import { factorOf, hubApi, signIn, type Json } from '../support/http.js';
import { applyPassed } from '../support/apply.js';

const SITE_NAME = '港务区政务服务中心';

describe('own kiosk with a QR scanner and a receipt printer', () => {
  let db: TestDatabase;
  let board: RunningProgram;
  let scanner: RunningProgram;
  let printer: RunningProgram;
  let hub: RunningProgram;
  let agent: RunningProgram;
  let hubUrl = '';
  let queuePrefix = '';
  let kioskUrl = '';
  let siteId = '';
  let kioskConfig: Json = {};
  const dir = mkdtempSync(join(tmpdir(), 'xinbao-e2e-terminal-'));

  const api = hubApi(() => hubUrl);
  const call = async (base: string, method: string, path: string, body?: unknown): Promise<Json> => {
    const res = await fetch(`${base}${path}`, {
      method,
      ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    expect(res.status).toBeLessThan(300);
    return res.status === 204 ? {} : ((await res.json()) as Json);
  };
  const boardUrl = () => board.ready.controlUrl as string;
  const printerUrl = () => printer.ready.controlUrl as string;
  const kioskStatus = () => call(kioskUrl, 'GET', '/api/status');
  const receipts = async () => (await call(printerUrl(), 'GET', '/receipts')).receipts as Json[];
  const unlockFrames = async (): Promise<string[]> =>
    ((await call(boardUrl(), 'GET', '/frames')).frames as Array<{ hex: string }>)
      .map((f) => f.hex.toLowerCase())
      .filter((h) => h.split(' ')[2] === '31');
  const unlockHex = (compartment: number): string => {
    const lock = compartment - 1;
    return `02 ${lock.toString(16).padStart(2, '0')} 31 03 ${((0x02 + lock + 0x31 + 0x03) & 0xff).toString(16).padStart(2, '0')}`;
  };
  const apply = async (): Promise<{ code: string; qrToken: string; compartment: number; trackingNumber: string; parcelId: string }> => {
    const applicant = await signIn(api, 'zhang.san');
    const created = await applyPassed(api, applicant, {
      matterCode: 'business-licence-change',
      dropOff: { channel: 'own_kiosk', siteId },
    });
    expect(created.status).toBe(201);
    return {
      ...(created.json.deposit as { code: string; qrToken: string }),
      compartment: created.json.compartment,
      trackingNumber: created.json.parcel.trackingNumber,
      parcelId: created.json.parcel.id,
    };
  };
  const startAgent = async (config: Json): Promise<void> => {
    writeFileSync(join(dir, 'kiosk.json'), JSON.stringify(config));
    agent = await startProgram('kiosk-agent/dist/main.js', [join(dir, 'kiosk.json')], { isReady: (l) => l.event === 'ready' });
    kioskUrl = agent.ready.localUrl as string;
    await eventually(async () => (await kioskStatus()).hubConnected === true, 'the kiosk to connect');
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    mkdirSync(join(dir, 'pty'));
    const ready = { isReady: (l: Record<string, unknown>) => l.event === 'ready' };
    [board, scanner, printer] = await Promise.all([
      startProgram('simulators/dist/lockboard/main.js', ['--family', 'kerong', '--boards', '0', '--dir', join(dir, 'pty')], ready),
      startProgram('simulators/dist/terminal/main.js', ['--device', 'scanner', '--dir', join(dir, 'pty')], ready),
      startProgram('simulators/dist/terminal/main.js', ['--device', 'printer', '--dir', join(dir, 'pty')], ready),
    ]);
    // Courier pickups are not part of this test.
    ({ hub, hubUrl, queuePrefix } = await startHubProgram({ databaseUrl: db.url, dir, env: { RUN_WORKERS: 'false' } }));

    const admin = await signIn(api, 'ops.admin');
    siteId = ((await api('GET', '/api/sites', admin)).json.sites as Json[]).find((s) => s.code === 'own-hall')!.id as string;
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const reg = await api('POST', '/api/admin/kiosks', admin, {
      siteId,
      label: 'hall kiosk with terminal',
      publicKey: publicKey.export({ type: 'spki', format: 'pem' }),
    });
    expect(reg.status).toBe(201);
    writeFileSync(join(dir, 'kiosk.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    kioskConfig = {
      hubUrl,
      deviceId: reg.json.deviceId,
      privateKeyFile: 'kiosk.key',
      dataDir: 'kiosk-data',
      localPort: 0,
      pollIntervalMs: 100,
      buses: [{ id: 'bus0', family: 'kerong', path: board.ready.ptyPath }],
      compartments: Array.from({ length: 16 }, (_, i) => ({ compartment: i + 1, bus: 'bus0', board: 0, lock: i })),
      scanner: { path: scanner.ready.ptyPath },
      printer: { path: printer.ready.ptyPath },
      siteName: SITE_NAME,
    };
    await startAgent(kioskConfig);
  }, 90_000);

  afterAll(async () => {
    await agent?.stop();
    await hub?.stop();
    if (queuePrefix) await removeQueues(queuePrefix);
    await Promise.all([board?.stop(), scanner?.stop(), printer?.stop()]);
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a scanned QR code opens the compartment and prints the receipt with its tracking number', async () => {
    expect(await kioskStatus()).toMatchObject({ printer: 'ready' });
    const parcel = await apply();
    await call(scanner.ready.controlUrl as string, 'POST', '/scan', { code: parcel.qrToken });

    await eventually(async () => (await unlockFrames()).includes(unlockHex(parcel.compartment)), 'the compartment to open');
    const [receipt] = await eventually(async () => {
      const r = await receipts();
      return r.length > 0 ? r : undefined;
    }, 'the receipt');
    expect(await receipts()).toHaveLength(1);
    expect(receipt!.qrCodes).toEqual([parcel.trackingNumber]);
    const fields = (receipt!.lines as string[]).filter((l) => /^(站点|格口|单号)：/.test(l));
    expect(fields).toEqual([`站点：${SITE_NAME}`, `格口：${parcel.compartment}`, `单号：${parcel.trackingNumber}`]);
    const time = (receipt!.lines as string[]).find((l) => l.startsWith('时间：'));
    expect(time).toMatch(/^时间：\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    // The printed time is Beijing time (UTC+8) and within a minute of the receipt leaving the printer.
    const printedAt = Date.parse(`${time!.slice(3).replace(' ', 'T')}+08:00`);
    expect(Math.abs(printedAt - Date.parse(receipt!.at as string))).toBeLessThan(60_000);
    expect(await kioskStatus()).toMatchObject({ printer: 'ready' });
  });

  it('out of paper: the deposit still opens and is completed, no receipt, and the status says out_of_paper', async () => {
    await call(printerUrl(), 'DELETE', '/receipts');
    await call(printerUrl(), 'POST', '/paper', { state: 'out' });
    const parcel = await apply();
    await call(scanner.ready.controlUrl as string, 'POST', '/scan', { code: parcel.qrToken });
    await eventually(async () => (await unlockFrames()).includes(unlockHex(parcel.compartment)), 'the compartment to open');
    await eventually(async () => (await kioskStatus()).printer === 'out_of_paper', 'the printer status');

    // The resident puts the envelope in and closes the door: deposited, receipt or not.
    const lock = parcel.compartment - 1;
    await call(boardUrl(), 'POST', `/boards/0/locks/${lock}/item`, { present: true });
    await call(boardUrl(), 'POST', `/boards/0/locks/${lock}/close`);
    const applicant = await signIn(api, 'zhang.san');
    await eventually(
      async () => (await api('GET', `/api/parcels/${parcel.trackingNumber}`, applicant)).json.parcel.state === 'deposited',
      'deposited',
    );
    const printed = await call(printerUrl(), 'GET', '/receipts');
    expect(printed).toMatchObject({ receipts: [], stats: { lostReceipts: 0 } });
  });

  it('a printer switched off: a code typed on the screen still opens, and the status says absent', async () => {
    await call(printerUrl(), 'POST', '/paper', { state: 'absent' });
    const parcel = await apply();
    const typed = await call(kioskUrl, 'POST', '/api/code', { code: parcel.code, factor: factorOf('zhang.san') });
    expect(typed).toEqual({
      status: 'opened',
      compartment: parcel.compartment,
      purpose: 'deposit',
      trackingNumber: parcel.trackingNumber,
      commandId: expect.any(String),
    });
    await eventually(async () => (await kioskStatus()).printer === 'absent', 'the printer status');
    expect(await receipts()).toEqual([]);

    // Switched on again with paper: the next deposit has its receipt.
    await call(printerUrl(), 'POST', '/paper', { state: 'ok' });
    const next = await apply();
    expect(await call(kioskUrl, 'POST', '/api/code', { code: next.code, factor: factorOf('zhang.san') })).toMatchObject({
      status: 'opened',
    });
    const back = await eventually(async () => {
      const r = await receipts();
      return r.length > 0 ? r : undefined;
    }, 'the receipt after the printer came back');
    expect(back.map((r) => r.qrCodes)).toEqual([[next.trackingNumber]]);
    expect(await kioskStatus()).toMatchObject({ printer: 'ready' });
  });

  it('a printer that is not plugged in at all: the agent starts, deposits open, the status says absent', async () => {
    expect(await agent.stop()).toBe(0);
    await startAgent({ ...kioskConfig, printer: { path: join(dir, 'pty', 'no-such-printer') } });
    expect(await kioskStatus()).toMatchObject({ hubConnected: true, printer: 'absent' });
    const parcel = await apply();
    await call(scanner.ready.controlUrl as string, 'POST', '/scan', { code: parcel.qrToken });
    await eventually(async () => (await unlockFrames()).includes(unlockHex(parcel.compartment)), 'the compartment to open');
    expect(await kioskStatus()).toMatchObject({ printer: 'absent' });
  });
});
