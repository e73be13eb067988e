// The cable pulled between "code accepted" and "unlock", every part its own process: PostgreSQL,
// Redis, the hub, the kiosk agent program and a KR-CU16 board simulator on a real pty. The hub
// accepts the code and grants the open; the agent cannot write the unlock frame (its port is gone),
// reports `not_sent`, and the hub gives the code back in the same transaction with an alarm. Nothing
// opened, no frame reached the board. The cable comes back at the same path: the agent reopens
// its port by itself, and the same code opens the compartment with exactly one unlock frame.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
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

describe('own kiosk: the cable pulled between "code accepted" and "unlock"', () => {
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
  const dir = mkdtempSync(join(tmpdir(), 'xinbao-e2e-cable-'));
  const api = hubApi(() => hubUrl);

  const typeAtKiosk = (code: string, factor = factorOf('zhang.san')) => typeCode(kioskUrl, code, factor);
  const busState = async () => ((await (await fetch(`${kioskUrl}/api/status`)).json()) as { buses: Array<{ state: string }> }).buses[0];
  const unlockFrames = () => kerongUnlockFrames(controlUrl);
  const line = async (action: 'unplug' | 'replug') => {
    const res = await fetch(`${controlUrl}/line/${action}`, { method: 'POST' });
    expect(res.status).toBe(204);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    mkdirSync(join(dir, 'pty'));
    board = await startProgram('simulators/dist/lockboard/main.js', ['--family', 'kerong', '--boards', '0', '--dir', join(dir, 'pty')], {
      isReady: (l) => l.event === 'ready',
    });
    controlUrl = board.ready.controlUrl as string;
    ({ hub, hubUrl, queuePrefix } = await startHubProgram({ databaseUrl: db.url, dir, env: { RUN_WORKERS: 'false' } }));
    ({ agent, kioskUrl, siteId, deviceId } = await startKiosk({
      api,
      hubUrl,
      site: 'own-hall',
      dir,
      buses: [{ id: 'bus0', family: 'kerong', path: board.ready.ptyPath, reopenBackoffMs: { min: 50, max: 400 } }],
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

  it('not_sent: nothing opened, the code given back, an alarm; the port returns and the same code opens once', async () => {
    const created = await applyPassed(api, await signIn(api, 'zhang.san'), {
      matterCode: 'business-licence-change',
      dropOff: { channel: 'own_kiosk', siteId },
    });
    expect(created.status).toBe(201);
    const code = created.json.deposit.code as string;
    const compartment = created.json.compartment as number;
    const parcelId = created.json.parcel.id as string;
    await eventually(async () => ((await busState())?.state === 'up' ? true : undefined), 'the bus up');

    await line('unplug');
    await eventually(async () => ((await busState())?.state !== 'up' ? true : undefined), 'the agent to see its bus down');
    const first = await typeAtKiosk(code);
    expect(first.status).not.toBe('opened');
    expect(await unlockFrames()).toEqual([]);

    // The hub: the code given back with the outcome, the parcel still waiting for its deposit, an alarm raised.
    const kinds = async () =>
      (await db.pool.query(`SELECT kind FROM custody_events WHERE parcel_id = $1 ORDER BY seq`, [parcelId])).rows.map(
        (r) => r.kind as string,
      );
    await eventually(async () => ((await kinds()).includes('unlock_not_sent') ? true : undefined), 'the not_sent outcome at the hub');
    const parcel = (await db.pool.query(`SELECT state FROM parcels WHERE id = $1`, [parcelId])).rows[0];
    expect(parcel).toEqual({ state: 'awaiting_deposit' });
    const alarms = (await db.pool.query(`SELECT kind FROM kiosk_alarms WHERE device_id = $1 ORDER BY raised_at`, [deviceId])).rows.map(
      (r) => r.kind as string,
    );
    expect(alarms).toContain('unlock_not_sent');
    await eventually(
      async () =>
        (await db.pool.query(`SELECT 1 FROM kiosk_alarms WHERE device_id = $1 AND kind = 'board_unreachable'`, [deviceId])).rowCount
          ? true
          : undefined,
      'the board alarm at the hub',
    );

    // The cable comes back at the same path: the agent reopens by itself, and the same code opens, once.
    await line('replug');
    await eventually(async () => ((await busState())?.state === 'up' ? true : undefined), 'the agent to reopen its port', {
      timeoutMs: 15_000,
    });
    expect(await busState()).toMatchObject({ state: 'up', reopenings: 1 });
    expect(await typeAtKiosk(code)).toMatchObject({ status: 'opened', compartment });
    expect(await unlockFrames()).toHaveLength(1);
  }, 60_000);
});
