// The kiosk agent program: `node kiosk-agent/dist/main.js <config.json>` (or KIOSK_CONFIG). Opens
// the lock-board buses, connects to the hub and serves the local API; prints one JSON line
// {"event":"ready",...} on stdout when it is up, logs JSON to stderr.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { SerialPort } from 'serialport';
import { KioskAgent } from './agent.js';
import { KioskConfigError, loadKioskConfig } from './config.js';
import { HubLink } from './hub-link.js';
import { KioskJournal } from './journal.js';
import { startLocalServer } from './local-server.js';
import { OfflineCodeBook } from './offline-codes.js';
import { Cabinet, EightADriver, KerongDriver, type LockBoardDriver } from './lockboard/index.js';

async function openPort(path: string, baudRate: number): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate, dataBits: 8, parity: 'none', stopBits: 1, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  return port;
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
  const log = pino({ name: 'kiosk-agent', level: process.env.LOG_LEVEL ?? 'info', redact: ['*.code'] }, pino.destination(2));
  const buses = new Map<string, LockBoardDriver>();
  for (const b of config.buses) {
    const port = await openPort(b.path, b.baudRate);
    const timing = {
      ...(b.replyTimeoutMs ? { replyTimeoutMs: b.replyTimeoutMs } : {}),
      ...(b.quietGapMs !== undefined ? { quietGapMs: b.quietGapMs } : {}),
    };
    buses.set(
      b.id,
      b.family === 'kerong'
        ? new KerongDriver({ port, itemSensors: b.itemSensors, ...timing })
        : new EightADriver({ port, openPolarity: b.openPolarity, ...timing }),
    );
  }
  const cabinet = new Cabinet({
    buses,
    compartments: config.compartments,
    pollIntervalMs: config.pollIntervalMs,
    leftOpenAfterMs: config.leftOpenAfterMs,
    openGraceMs: config.openGraceMs,
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
  const codes = new OfflineCodeBook(config.dataDir, offline.qrPublicKeyFile ? { pinnedQrPublicKey: createPublicKey(readFileSync(offline.qrPublicKeyFile)) } : {});
  const agent = new KioskAgent({
    cabinet,
    link,
    journal,
    log,
    codes,
    offline: {
      maxFailures: offline.maxFailures,
      failureWindowMs: offline.failureWindowSeconds * 1000,
      syncIntervalMs: offline.syncIntervalSeconds * 1000,
    },
  });
  agent.start();
  const local = await startLocalServer({ agent, link, journal }, config.localHost, config.localPort);
  process.stdout.write(`${JSON.stringify({ event: 'ready', localUrl: local.url, deviceId: config.deviceId })}\n`);

  const stop = async () => {
    await agent.stop();
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
