// The inbound journey through own kiosks built on the other lock hardware, every part its own
// process: PostgreSQL, Redis, the hub, and per kiosk a kiosk agent with its simulated locks — an
// 8A board on a real pseudo-terminal (no item sensor), and a network lock controller over HTTP
// (with item sensors, bearer token from a file). A resident deposits with a code, the hub orders
// the courier, the courier collects with the pickup code. Each code opens its lock exactly once,
// and the custody chain records what the item sensor could (or could not) say.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstBrokenLink } from '@xinbao/hub/domain/custody';
import { encodeEightAOpen, toHex } from '@xinbao/protocol';
import { startCourierDispatchSimulator, type CourierDispatchSimulator } from '@xinbao/simulators/courier-dispatch';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startKiosk } from '../support/kiosk.js';
import { startProgram, type RunningProgram } from '../support/processes.js';
import { eventually } from '../support/eventually.js';
import { removeQueues, startHubProgram } from '../support/hub.js';
import { factorOf, hubApi, signIn, type Json } from '../support/http.js';
import { applyPassed } from '../support/apply.js';

const SECRET = 'e2e-courier-dispatch-secret';

interface LockHardware {
  name: string;
  site: string;
  /** Simulator program arguments; `dir` is this kiosk's scratch directory. */
  simArgs(dir: string): string[];
  /** The agent's bus entry for the simulator that printed `ready`. */
  bus(ready: Record<string, unknown>): object;
  itemSensors: boolean;
  /** Whether one entry of the simulator's /frames is the unlock of `lock`. */
  isUnlock(entry: { hex?: string; request?: string }, lock: number): boolean;
}

const HARDWARE: LockHardware[] = [
  {
    name: '8A board on RS485',
    site: 'own-huanancheng',
    simArgs: (dir) => {
      mkdirSync(join(dir, 'pty'));
      return ['--family', '8a', '--boards', '1', '--dir', join(dir, 'pty')];
    },
    bus: (ready) => ({ id: 'bus0', family: '8a', path: ready.ptyPath }),
    itemSensors: false,
    isUnlock: (entry, lock) => entry.hex === toHex(encodeEightAOpen(1, lock)),
  },
  {
    name: 'network lock controller over HTTP',
    site: 'own-bonded',
    simArgs: (dir) => {
      writeFileSync(join(dir, 'controller.token'), `${randomUUID()}\n`);
      return ['--family', 'http', '--locks', '16', '--item-sensors', '--token-file', join(dir, 'controller.token')];
    },
    bus: (ready) => ({ id: 'bus0', family: 'http', url: ready.url, tokenFile: 'controller.token', locks: 16, itemSensors: true }),
    itemSensors: true,
    isUnlock: (entry, lock) => entry.request === `POST /api/v1/locks/${lock}/open`,
  },
];

describe('own kiosks on 8A boards and on a network lock controller: deposit → courier pickup', () => {
  let db: TestDatabase;
  let dispatch: CourierDispatchSimulator;
  let hub: RunningProgram;
  let hubUrl = '';
  let queuePrefix = '';
  const dir = mkdtempSync(join(tmpdir(), 'xinbao-e2e-locks-'));
  const api = hubApi(() => hubUrl);

  beforeAll(async () => {
    db = await createTestDatabase();
    dispatch = await startCourierDispatchSimulator({ secret: SECRET });
    ({ hub, hubUrl, queuePrefix } = await startHubProgram({
      databaseUrl: db.url,
      dir,
      env: { COURIER_DISPATCH_URL: dispatch.url, COURIER_DISPATCH_SECRET: SECRET },
    }));
  }, 60_000);

  afterAll(async () => {
    await hub?.stop();
    if (queuePrefix) await removeQueues(queuePrefix);
    await dispatch?.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe.each(HARDWARE)('$name', (hw) => {
    let locks: RunningProgram;
    let agent: RunningProgram;
    let kioskUrl = '';
    let siteId = '';
    const kioskDir = join(dir, hw.site);

    const typeAtKiosk = async (code: string, factor = factorOf('zhang.san')) => {
      const res = await fetch(`${kioskUrl}/api/code`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code, factor }),
      });
      return (await res.json()) as Json;
    };
    const control = async (path: string, body?: unknown) => {
      const res = await fetch(`${String(locks.ready.controlUrl)}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      expect(res.status).toBeLessThan(300);
      return (await res.json()) as Json;
    };
    const unlocks = async (lock: number) =>
      ((await control('/frames')).frames as Array<{ hex?: string; request?: string }>).filter((f) => hw.isUnlock(f, lock)).length;

    beforeAll(async () => {
      mkdirSync(kioskDir);
      locks = await startProgram('simulators/dist/lockboard/main.js', hw.simArgs(kioskDir), { isReady: (l) => l.event === 'ready' });
      ({ agent, kioskUrl, siteId } = await startKiosk({
        api,
        hubUrl,
        site: hw.site,
        dir: kioskDir,
        buses: [hw.bus(locks.ready)],
        // Both lock families number from 1: compartment n is lock n of board 1.
        compartments: Array.from({ length: 16 }, (_, i) => ({ compartment: i + 1, bus: 'bus0', board: 1, lock: i + 1 })),
      }));
    }, 60_000);

    afterAll(async () => {
      await agent?.stop();
      await locks?.stop();
    });

    it('takes the documents from the resident to the courier, one open per code, custody as the sensors saw it', async () => {
      const applicant = await signIn(api, 'zhang.san');
      const created = await applyPassed(api, applicant, {
        matterCode: 'customs-declarant-record',
        dropOff: { channel: 'own_kiosk', siteId },
      });
      expect(created.status).toBe(201);
      const lock = created.json.compartment as number;
      const tn = created.json.parcel.trackingNumber as string;
      const state = async () => (await api('GET', `/api/parcels/${tn}`, applicant)).json.parcel.state as string;
      const boardLock = `/boards/1/locks/${lock}`;

      const opened = await typeAtKiosk(created.json.deposit.code as string);
      expect(opened).toMatchObject({
        status: 'opened',
        compartment: lock,
        purpose: 'deposit',
      });
      expect(await unlocks(lock)).toBe(1);
      // Typed again while its door is open (a double tap): the same answer, no second unlock (ADR 0015).
      expect(await typeAtKiosk(created.json.deposit.code as string)).toEqual(opened);
      expect(await unlocks(lock)).toBe(1);

      if (hw.itemSensors) await control(`${boardLock}/item`, { present: true });
      await control(`${boardLock}/close`, {});
      await eventually(async () => (await state()) === 'pickup_ordered', 'pickup_ordered');
      expect(await typeAtKiosk(created.json.deposit.code as string)).toMatchObject({ status: 'refused', code: 'code_used' });
      expect(await unlocks(lock)).toBe(1);

      const order = [...dispatch.orders.values()].find((o) => o.trackingNumber === tn)!;
      expect(await typeAtKiosk(order.code!, order.pin)).toMatchObject({ status: 'opened', compartment: lock, purpose: 'courier_pickup' });
      expect(await unlocks(lock)).toBe(2);
      if (hw.itemSensors) await control(`${boardLock}/item`, { present: false });
      await control(`${boardLock}/close`, {});
      await eventually(async () => (await state()) === 'picked_up', 'picked_up');

      const { events } = (await api('GET', `/api/parcels/${tn}`, applicant)).json;
      expect((events as Json[]).map((e) => [e.kind, e.toState])).toEqual([
        ['created', 'awaiting_deposit'],
        ['deposit_code_used', 'awaiting_deposit'],
        ['deposited', 'deposited'],
        ['pickup_ordered', 'pickup_ordered'],
        ['courier_pickup_code_used', 'pickup_ordered'],
        ['picked_up', 'picked_up'],
      ]);
      expect(firstBrokenLink((events as Json[]).map((e) => ({ ...e, at: new Date(e.at as string) })) as never)).toBe(-1);
      const sensed = await db.pool.query<{ itemSensor: string }>(
        `SELECT evidence->>'itemSensor' AS "itemSensor" FROM custody_events WHERE parcel_id = $1 AND kind IN ('deposited', 'picked_up') ORDER BY seq`,
        [created.json.parcel.id],
      );
      expect(sensed.rows.map((r) => r.itemSensor)).toEqual(hw.itemSensors ? ['present', 'absent'] : ['none', 'none']);
    });
  });
});
