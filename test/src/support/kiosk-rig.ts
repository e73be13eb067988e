// One own kiosk and its hub in this process, on real parts: the hub (startTestHub) on its own test
// database and Redis, a KR-CU16 board simulator on a real pseudo-terminal, and the kiosk agent
// (KioskAgent + Cabinet + KerongDriver over `serialport` on that pty, journal on disk, signed hub
// link). Tests drive the locker through the agent's local server and "the person at the locker"
// through the simulator's control API.
import { generateKeyPairSync } from 'node:crypto';
import type { Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { SerialPort } from 'serialport';
import { KioskAgent } from '@xinbao/kiosk-agent/agent';
import { HubLink } from '@xinbao/kiosk-agent/hub-link';
import { KioskJournal } from '@xinbao/kiosk-agent/journal';
import { startLocalServer, type LocalServerOptions } from '@xinbao/kiosk-agent/local-server';
import { Cabinet, KerongDriver } from '@xinbao/kiosk-agent/lockboard';
import { startKerongSimulator, type RunningKerongSimulator } from '@xinbao/simulators/lockboard';
import type { TestDatabase } from './db.js';
import { eventually } from './eventually.js';
import { factorOf, signIn, type HubApi, type Json } from './http.js';
import { startTestHub } from './hub.js';
import { applyPassed } from './apply.js';

export interface KioskRig {
  db: TestDatabase;
  hubUrl: string;
  api: HubApi;
  siteId: string;
  deviceId: string;
  agent: KioskAgent;
  board: RunningKerongSimulator;
  /** Starts another local server (the screen's origin) on the same agent. */
  localServer(options?: LocalServerOptions): Promise<string>;
  /** The person at the locker, through the simulator's control API (board 0; lock = compartment − 1). */
  person(compartment: number, action: 'item' | 'close' | 'jam', body?: unknown): Promise<void>;
  /** Every unlock frame the board received, as hex. */
  unlockFrames(): Promise<string[]>;
  /** A fresh deposit application at this kiosk's site: its code and second factor, QR token, compartment and tracking number. */
  apply(
    username?: string,
    matterCode?: string,
  ): Promise<{ code: string; factor: string; qrToken: string; compartment: number; trackingNumber: string; parcelId: string }>;
  stop(): Promise<void>;
}

export const COMPARTMENTS = 16;

export { unlockHex } from './kiosk-local.js';

export async function startKioskRig(): Promise<KioskRig> {
  const dir = mkdtempSync(join(tmpdir(), 'xinbao-rig-'));
  const log = pino({ level: 'silent' });
  // These tests make refused attempts on purpose; the lock-out has its own test.
  const hub = await startTestHub({ env: { CODE_MAX_FAILURES: '50' } });
  const { db, url: hubUrl, api } = hub;
  const admin = await signIn(api, 'ops.admin');
  const siteId = ((await api('GET', '/api/sites', admin)).json.sites as Json[]).find((s) => s.code === 'own-hall')!.id as string;
  const keys = generateKeyPairSync('ed25519');
  const reg = await api('POST', '/api/admin/kiosks', admin, {
    siteId,
    label: 'screen kiosk',
    publicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }),
  });
  if (reg.status !== 201) throw new Error(`could not register the kiosk: ${JSON.stringify(reg.json)}`);
  const deviceId = reg.json.deviceId as string;

  const board = await startKerongSimulator({ boards: [0] });
  const port = new SerialPort({ path: board.ptyPath, baudRate: 19200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  const openPort = async (): Promise<SerialPort> => {
    const p = new SerialPort({ path: board.ptyPath, baudRate: 19200, autoOpen: false });
    await new Promise<void>((resolve, reject) => p.open((err) => (err ? reject(err) : resolve())));
    return p;
  };
  // Opened again by its path when the simulator's cable is plugged back (board.replug()).
  const driver = new KerongDriver({ port, itemSensors: true, reopen: openPort, reopenBackoffMs: { min: 50, max: 200 } });
  const cabinet = new Cabinet({
    buses: new Map([['bus0', driver]]),
    compartments: Array.from({ length: COMPARTMENTS }, (_, i) => ({ compartment: i + 1, bus: 'bus0', board: 0, lock: i })),
    pollIntervalMs: 100,
    leftOpenAfterMs: 120_000,
    openGraceMs: 3_000,
  });
  const journal = new KioskJournal(join(dir, 'kiosk'));
  const link = new HubLink({ hubUrl, deviceId, privateKey: keys.privateKey });
  const agent = new KioskAgent({ cabinet, link, journal, log });
  agent.start();
  await eventually(async () => link.connected, 'the kiosk to connect to the hub');

  const servers: Server[] = [];
  const control = (path: string, init?: RequestInit) => fetch(`${board.controlUrl}${path}`, init);

  return {
    db,
    hubUrl,
    api,
    siteId,
    deviceId,
    agent,
    board,
    localServer: async (options = {}) => {
      const local = await startLocalServer({ agent, link, journal, cabinet }, '127.0.0.1', 0, options);
      servers.push(local.server);
      return local.url;
    },
    person: async (compartment, action, body) => {
      const res = await control(`/boards/0/locks/${compartment - 1}/${action}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      });
      if (res.status >= 300) throw new Error(`simulator ${action} on compartment ${compartment}: ${res.status} ${await res.text()}`);
    },
    unlockFrames: async () => {
      const r = (await (await control('/frames')).json()) as { frames: Array<{ hex: string }> };
      return r.frames.map((f) => f.hex.toLowerCase()).filter((h) => h.split(' ')[2] === '31');
    },
    apply: async (username = 'zhang.san', matterCode = 'business-licence-change') => {
      const created = await applyPassed(api, await signIn(api, username), {
        matterCode,
        dropOff: { channel: 'own_kiosk', siteId },
      });
      if (created.status !== 201) throw new Error(`could not apply: ${JSON.stringify(created.json)}`);
      return {
        code: created.json.deposit.code as string,
        factor: factorOf(username),
        qrToken: created.json.deposit.qrToken as string,
        compartment: created.json.compartment as number,
        trackingNumber: created.json.parcel.trackingNumber as string,
        parcelId: created.json.parcel.id as string,
      };
    },
    stop: async () => {
      for (const s of servers) {
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
      await agent.stop();
      await driver.close();
      journal.close();
      await board.stop();
      await hub.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
