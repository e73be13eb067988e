// The kiosk agent program: `node kiosk-agent/dist/main.js <config.json>` (or KIOSK_CONFIG). Opens
// the lock-board buses (serial ports, network lock controllers), connects to the hub and serves
// the local API; a serial bus whose port goes away is opened again by its path with backoff, and
// its health goes to the hub and the log (bus-report.ts); prints one JSON line {"event":"ready",...} on stdout when it is up, logs JSON to
// stderr. A configuration mistake (including an unreadable controller token file) exits with 2.
// A configured scanner or receipt printer that is not there does not stop it: the scanner is tried
// again, the printer is reported 'absent' and found at its next status check.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { SerialPort } from 'serialport';
import type { Logger } from 'pino';
import { KioskAgent } from './agent.js';
import { BusReporter } from './bus-report.js';
import { KioskConfigError, controllerToken, loadKioskConfig, type BusConfig } from './config.js';
import { HubLink } from './hub-link.js';
import { KioskJournal } from './journal.js';
import { startLocalServer } from './local-server.js';
import { OfflineCodeBook } from './offline-codes.js';
import { Cabinet, EightADriver, HttpLockControllerDriver, KerongDriver, type LockBoardDriver } from './lockboard/index.js';
import { CodeScanner, DEFAULT_SITE_NAME, ReceiptPrinter, printDepositReceipts } from './terminal/index.js';

/** How often the printer's paper is checked between receipts, for the local API's status. */
const PRINTER_STATUS_POLL_MS = 30_000;

async function openPort(path: string, baudRate: number): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate, dataBits: 8, parity: 'none', stopBits: 1, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  return port;
}

/** The driver for one configured bus: a serial port opened for a board family, or a network lock controller. */
async function driverFor(b: BusConfig, log: Logger, onBusState: () => void): Promise<LockBoardDriver> {
  const replyTimeout = b.replyTimeoutMs ? { replyTimeoutMs: b.replyTimeoutMs } : {};
  switch (b.family) {
    case 'kerong':
    case '8a': {
      // An adapter unplugged at start does not stop the kiosk: the bus starts down and is opened when it appears.
      const port = await openPort(b.path, b.baudRate).catch((err: unknown) => {
        log.warn({ bus: b.id, path: b.path, err: err instanceof Error ? err.message : String(err) }, 'lock-board port not there at start');
        return null;
      });
      const timing = {
        ...replyTimeout,
        ...(b.quietGapMs !== undefined && { quietGapMs: b.quietGapMs }),
        ...(b.pollTimeoutMs !== undefined && { pollTimeoutMs: b.pollTimeoutMs }),
        ...(b.confirmWindowMs !== undefined && { confirmWindowMs: b.confirmWindowMs }),
        ...(b.reopenBackoffMs !== undefined && { reopenBackoffMs: b.reopenBackoffMs }),
        // The same path again: a /dev/serial/by-id/… name (or the simulator's pty link) survives the adapter coming back.
        reopen: () => openPort(b.path, b.baudRate),
        onState: (state: string, reason?: string) => {
          if (state === 'down') log.warn({ bus: b.id, path: b.path, reason }, 'lock-board bus down');
          else if (state === 'up') log.warn({ bus: b.id, path: b.path }, 'lock-board bus up again');
          else log.debug({ bus: b.id, path: b.path }, 'lock-board bus: opening the port again');
          onBusState();
        },
      };
      return b.family === 'kerong'
        ? new KerongDriver({ port, itemSensors: b.itemSensors, ...timing })
        : new EightADriver({ port, openPolarity: b.openPolarity, ...timing });
    }
    case 'http':
      return new HttpLockControllerDriver({
        url: b.url,
        token: controllerToken(b),
        locks: b.locks,
        itemSensors: b.itemSensors,
        ...replyTimeout,
      });
  }
}

async function main(): Promise<void> {
  const file = process.argv[2] ?? process.env.KIOSK_CONFIG;
  if (!file) {
    console.error('usage: kiosk-agent <config.json>   (or set KIOSK_CONFIG)');
    process.exit(2);
  }
  let config;
  try {
    config = loadKioskConfig(file);
  } catch (e) {
    if (e instanceof KioskConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  const log = pino({ name: 'kiosk-agent', level: process.env.LOG_LEVEL ?? 'info', redact: ['*.code', '*.factor'] }, pino.destination(2));
  const buses = new Map<string, LockBoardDriver>();
  // Set once the hub link exists; a bus changing state before that is reported on connect.
  const busStateChanged: { notify?: () => void } = {};
  try {
    for (const b of config.buses) buses.set(b.id, await driverFor(b, log, () => busStateChanged.notify?.()));
  } catch (e) {
    if (e instanceof KioskConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  const cabinet = new Cabinet({
    buses,
    compartments: config.compartments,
    pollIntervalMs: config.pollIntervalMs,
    leftOpenAfterMs: config.leftOpenAfterMs,
    openGraceMs: config.openGraceMs,
    boardUnreachableAfter: config.boardUnreachableAfter,
  });
  const journal = new KioskJournal(config.dataDir);
  const link = new HubLink({
    hubUrl: config.hubUrl,
    deviceId: config.deviceId,
    privateKey: createPrivateKey(readFileSync(config.privateKeyFile)),
  });
  link.on('hello', (h) => log.info({ protocolVersion: h.protocolVersion, siteId: h.siteId }, 'connected to hub'));
  link.on('disconnected', (reason) => log.warn({ reason }, 'hub link lost'));
  link.on('refused', (code) => log.error({ code }, 'hub refused this kiosk'));
  const { offline } = config;
  const codes = new OfflineCodeBook(
    config.dataDir,
    offline.qrPublicKeyFile ? { pinnedQrPublicKey: createPublicKey(readFileSync(offline.qrPublicKeyFile)) } : {},
  );
  const agent = new KioskAgent({
    cabinet,
    link,
    journal,
    log,
    codes,
    offline: {
      maxFailures: offline.maxFailures,
      failureWindowMs: offline.failureWindowSeconds * 1000,
      firstDelayMs: offline.firstDelayMs,
      maxDelayMs: offline.maxDelaySeconds * 1000,
      syncIntervalMs: offline.syncIntervalSeconds * 1000,
    },
    bookFirst: offline.bookFirst,
  });
  agent.start();
  const busReporter = new BusReporter({ health: () => cabinet.busHealth(), link, log });
  busReporter.start();
  busStateChanged.notify = () => busReporter.changed();

  const { scanner: scannerConfig, printer: printerConfig } = config;
  const scanner = scannerConfig
    ? new CodeScanner({
        open: () => openPort(scannerConfig.path, scannerConfig.baudRate),
        sink: agent,
        log: log.child({ device: 'scanner' }),
      })
    : null;
  await scanner?.start();
  const printer = printerConfig
    ? new ReceiptPrinter({
        open: () => openPort(printerConfig.path, printerConfig.baudRate),
        log: log.child({ device: 'printer' }),
        statusTimeoutMs: printerConfig.statusTimeoutMs,
      })
    : null;
  if (printer) {
    printDepositReceipts(agent, { printer, siteName: config.siteName ?? DEFAULT_SITE_NAME, log: log.child({ device: 'printer' }) });
    const status = await printer.refresh();
    if (status !== 'ready') log.warn({ printer: status }, 'receipt printer not ready; deposits go on without receipts');
    printer.pollStatus(PRINTER_STATUS_POLL_MS);
  }

  const local = await startLocalServer({ agent, link, journal, cabinet, ...(printer && { printer }) }, config.localHost, config.localPort, {
    screenIdleMs: config.screenIdleSeconds * 1000,
  });
  process.stdout.write(`${JSON.stringify({ event: 'ready', localUrl: local.url, deviceId: config.deviceId })}\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    busReporter.stop();
    await agent.stop();
    await scanner?.stop();
    await printer?.close();
    local.server.close();
    for (const d of buses.values()) await d.close();
    journal.close();
    codes.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
