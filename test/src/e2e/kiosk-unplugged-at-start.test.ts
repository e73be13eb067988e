// The agent starts with its lock-board adapter unplugged: every part its own process (PostgreSQL,
// Redis, the hub, the kiosk agent program, a KR-CU16 board simulator on a real pty). The bus's pty
// path does not exist when the agent starts; the agent still runs, connects to the hub, reports
// the bus down (local status, the hub's bus state and `bus_down` alarm), and a code typed then is
// `not_sent` with its code given back and no frame at the board. The adapter appears at the
// configured path: the agent opens it by itself, reports the bus up, and the same code opens
// the compartment with exactly one unlock frame.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startKiosk } from '../support/kiosk.js';
import { startProgram, type RunningProgram } from '../support/processes.js';
import { eventually } from '../support/eventually.js';
import { kerongUnlockFrames, typeCode } from '../support/kiosk-local.js';
import { removeQueues, startHubProgram } from '../support/hub.js';
import { factorOf, hubApi, signIn } from '../support/http.js';
import { applyPassed } from '../support/apply.js';

describe('own kiosk: started with its lock-board adapter unplugged', () => {
  let db: TestDatabase;
  let board: RunningProgram;
  let hub: RunningProgram;
  let agent: RunningProgram;
  let hubUrl = '';
  let queuePrefix = '';
  let controlUrl = '';
  let kioskUrl = '';
  let siteId = '';
  let deviceId = '';
  let ptyPath = '';
  const dir = mkdtempSync(join(tmpdir(), 'xinbao-e2e-unplugged-'));
  const api = hubApi(() => hubUrl);

  const typeAtKiosk = (code: string, factor = factorOf('zhang.san')) => typeCode(kioskUrl, code, factor);
  const busState = async () =>
    ((await (await fetch(`${kioskUrl}/api/status`)).json()) as { buses: Array<{ state: string; frames: number }> }).buses[0];
  const unlockFrames = () => kerongUnlockFrames(controlUrl);
  const line = async (action: 'unplug' | 'replug') => {
    const res = await fetch(`${controlUrl}/line/${action}`, { method: 'POST' });
    expect(res.status).toBe(204);
  };
  const openAlarms = async (kind: string) =>
    (await db.pool.query(`SELECT subject FROM kiosk_alarms WHERE device_id = $1 AND kind = $2 AND cleared_at IS NULL`, [deviceId, kind]))
      .rows;

  beforeAll(async () => {
    db = await createTestDatabase();
    mkdirSync(join(dir, 'pty'));
    board = await startProgram('simulators/dist/lockboard/main.js', ['--family', 'kerong', '--boards', '0', '--dir', join(dir, 'pty')], {
      isReady: (l) => l.event === 'ready',
    });
    controlUrl = board.ready.controlUrl as string;
    ptyPath = board.ready.ptyPath as string;
    // The adapter is not there when the agent starts: its path does not exist.
    await line('unplug');
    expect(existsSync(ptyPath)).toBe(false);
    ({ hub, hubUrl, queuePrefix } = await startHubProgram({ databaseUrl: db.url, dir, env: { RUN_WORKERS: 'false' } }));
    ({ agent, kioskUrl, siteId, deviceId } = await startKiosk({
      api,
      hubUrl,
      site: 'own-hall',
      dir,
      buses: [{ id: 'bus0', family: 'kerong', path: ptyPath, reopenBackoffMs: { min: 50, max: 400 } }],
      compartments: Array.from({ length: 16 }, (_, i) => ({ compartment: i + 1, bus: 'bus0', board: 0, lock: i })),
    }));
  }, 90_000);

  afterAll(async () => {
    await agent?.stop();
    await hub?.stop();
    if (queuePrefix) await removeQueues(queuePrefix);
    await board?.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs with the bus down, spends no code on it, and opens the port when it appears', async () => {
    // Running and connected (startKiosk waited for it), the bus reported down here and at the hub.
    expect((await busState())?.state).not.toBe('up');
    expect((await busState())?.frames).toBe(0);
    await eventually(async () => ((await openAlarms('bus_down')).length === 1 ? true : undefined), 'the bus_down alarm at the hub');
    const admin = await signIn(api, 'ops.admin');
    const status = await api('GET', `/api/admin/kiosks/${deviceId}/status`, admin);
    expect(status.status).toBe(200);
    expect(JSON.stringify(status.json)).toMatch(/"state":"(down|reopening)"/);

    const created = await applyPassed(api, await signIn(api, 'zhang.san'), {
      matterCode: 'business-licence-change',
      dropOff: { channel: 'own_kiosk', siteId },
    });
    expect(created.status).toBe(201);
    const code = created.json.deposit.code as string;
    const compartment = created.json.compartment as number;
    const parcelId = created.json.parcel.id as string;

    // A code typed while the bus is down: nothing sent, the kiosk says so, the hub gives the code back.
    expect(await typeAtKiosk(code)).toMatchObject({ status: 'not_sent', compartment });
    const kinds = async () =>
      (await db.pool.query(`SELECT kind FROM custody_events WHERE parcel_id = $1 ORDER BY seq`, [parcelId])).rows.map(
        (r) => r.kind as string,
      );
    await eventually(async () => ((await kinds()).includes('unlock_not_sent') ? true : undefined), 'the not_sent outcome at the hub');
    expect((await db.pool.query(`SELECT state FROM parcels WHERE id = $1`, [parcelId])).rows[0]).toEqual({ state: 'awaiting_deposit' });
    expect(await unlockFrames()).toEqual([]);

    // The adapter appears at the configured path: the agent opens it by itself.
    await line('replug');
    expect(existsSync(ptyPath)).toBe(true);
    await eventually(async () => ((await busState())?.state === 'up' ? true : undefined), 'the agent to open its port', {
      timeoutMs: 15_000,
    });
    expect(await busState()).toMatchObject({ state: 'up', reopenings: 1 });
    await eventually(async () => ((await openAlarms('bus_down')).length === 0 ? true : undefined), 'the bus_down alarm cleared');
    expect(await typeAtKiosk(code)).toMatchObject({ status: 'opened', compartment });
    expect(await unlockFrames()).toHaveLength(1);
  }, 60_000);
});
