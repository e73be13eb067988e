// The kiosk with the hub stopped, across real processes: PostgreSQL, Redis, the hub, a kiosk agent
// and a KR-CU16 board simulator on a real pseudo-terminal, with the courier dispatch simulator
// beside them. The kiosk syncs its site's codes; the hub process is stopped; two residents deposit
// and one collects (the kiosk is restarted in between, hub still down); wrong and reused codes are
// refused; the hub comes back, the kiosk's journal drains, and the hub's records are exactly the
// journal's: the same events once each, the parcels moved by them, custody chains intact, and every
// code used offline refused online from then on.
//
// No route puts a result back into a locker yet, so the parcel to collect is placed there through
// the hub's own store functions (moveParcel / appendCustody / issueCode, custody for every step).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createPrivateKey, generateKeyPairSync, randomInt, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { v7 as uuidv7 } from 'uuid';
import type { KioskEvent } from '@xinbao/protocol';
import { loadConfig } from '@xinbao/hub/config';
import { firstBrokenLink } from '@xinbao/hub/domain/custody';
import { makeTrackingNumber } from '@xinbao/hub/domain/tracking-number';
import { codeKeysFrom, issueCode } from '@xinbao/hub/features/codes/service';
import { withTransaction } from '@xinbao/hub/store/db';
import { appendCustody, insertParcel, moveParcel, type Parcel } from '@xinbao/hub/store/parcels';
import { signedHandshake } from '@xinbao/kiosk-agent/hub-link';
import { startCourierDispatchSimulator, type CourierDispatchSimulator } from '@xinbao/simulators/courier-dispatch';
import { createTestDatabase, redisUrl, type TestDatabase } from '../support/db.js';
import { startProgram, type RunningProgram } from '../support/processes.js';
import { eventually } from '../support/eventually.js';
import { factorOf, hubApi, signIn, type Json } from '../support/http.js';
import { freshQueuePrefix, removeQueues } from '../support/hub.js';
import { applyPassed } from '../support/apply.js';

const SECRET = 'e2e-courier-dispatch-secret';

describe('own kiosk offline: the hub stopped, two deposits and one collection, then the journal replayed', () => {
  let db: TestDatabase;
  let dispatch: CourierDispatchSimulator;
  let board: RunningProgram;
  let hub: RunningProgram;
  let agent: RunningProgram;
  let hubPort = 0;
  let controlUrl = '';
  let kioskUrl = '';
  let siteId = '';
  let deviceId = '';
  const dir = mkdtempSync(join(tmpdir(), 'xinbao-e2e-offline-'));
  const queuePrefix = freshQueuePrefix('e2e');
  const sockets: Socket[] = [];

  const hubUrl = () => `http://127.0.0.1:${hubPort}`;
  const api = hubApi(hubUrl);
  const login = (username: string) => signIn(api, username);
  const hubEnv = (port: number) => ({
    DATABASE_URL: db.url,
    REDIS_URL: redisUrl(),
    PORT: String(port),
    DATA_DIR: join(dir, 'hub'),
    QUEUE_PREFIX: queuePrefix,
    COURIER_DISPATCH_URL: dispatch.url,
    COURIER_DISPATCH_SECRET: SECRET,
    SEED_DEMO: 'true',
    SWEEP_INTERVAL_MS: '1000',
    // This test makes several refused attempts on purpose; the lock-out has its own test.
    CODE_MAX_FAILURES: '20',
  });
  const startHub = async (port: number) => {
    hub = await startProgram('hub/dist/main.js', [], { env: hubEnv(port), isReady: (l) => l.msg === 'listening' });
    hubPort = hub.ready.port as number;
  };
  const startAgent = async () => {
    agent = await startProgram('kiosk-agent/dist/main.js', [join(dir, 'kiosk.json')], { isReady: (l) => l.event === 'ready' });
    kioskUrl = agent.ready.localUrl as string;
  };
  const kioskStatus = async () => (await (await fetch(`${kioskUrl}/api/status`)).json()) as Json;
  /** A keypad code with its second factor (zhang.san's, whose codes these are), or a scanned QR code. */
  const typeAtKiosk = async (code: string, factor = factorOf('zhang.san')) => {
    const res = await fetch(`${kioskUrl}/api/code`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, factor }),
    });
    return (await res.json()) as Json;
  };
  const unlockHex = (compartment: number) => {
    const lock = compartment - 1;
    return `02 ${lock.toString(16).padStart(2, '0')} 31 03 ${((0x02 + lock + 0x31 + 0x03) & 0xff).toString(16).padStart(2, '0')}`;
  };
  const unlockFrames = async (): Promise<string[]> => {
    const r = (await (await fetch(`${controlUrl}/frames`)).json()) as { frames: Array<{ hex: string }> };
    return r.frames.map((f) => f.hex.toLowerCase()).filter((h) => h.split(' ')[2] === '31');
  };
  const person = async (compartment: number, action: 'item' | 'close', body?: unknown) => {
    const res = await fetch(`${controlUrl}/boards/0/locks/${compartment - 1}/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body ?? {}),
    });
    expect(res.status).toBeLessThan(300);
  };
  /** The events the kiosk's journal holds and the hub has not acknowledged, in journal order. */
  const journalPending = (): KioskEvent[] => {
    const file = join(dir, 'kiosk-data', 'journal.jsonl');
    const pending = new Map<string, KioskEvent>();
    for (const line of existsSync(file) ? readFileSync(file, 'utf8').split('\n') : []) {
      if (!line.trim()) continue;
      const e = JSON.parse(line) as Json;
      if (e.t === 'event') pending.set(e.event.eventId as string, e.event as KioskEvent);
      if (e.t === 'command' && e.report) pending.set(e.report.eventId as string, e.report as KioskEvent);
      if (e.t === 'acked') pending.delete(e.eventId as string);
    }
    return [...pending.values()];
  };
  const doorClosedInJournal = (compartment: number) =>
    eventually(
      async () => journalPending().find((e) => e.type === 'door_closed' && e.compartment === compartment),
      `door_closed of ${compartment} in the journal`,
    );
  /** A second connection as the kiosk device itself, to ask the hub directly. */
  const asDevice = async () => {
    const socket = io(`${hubUrl()}/kiosk`, {
      transports: ['websocket'],
      auth: signedHandshake(deviceId, createPrivateKey(readFileSync(join(dir, 'kiosk.key'))), Date.now()),
      reconnection: false,
    });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.on('hello', () => resolve());
      socket.on('connect_error', reject);
    });
    return {
      submit: (code: string, via: 'keypad' | 'qr' = 'keypad') =>
        socket.timeout(5_000).emitWithAck('code:submit', {
          requestId: randomUUID(),
          via,
          code,
          ...(via === 'keypad' ? { factor: factorOf('zhang.san') } : {}),
        }) as Promise<Json>,
      send: (event: KioskEvent) => socket.timeout(5_000).emitWithAck('kiosk:event', event) as Promise<Json>,
    };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    dispatch = await startCourierDispatchSimulator({ secret: SECRET });
    mkdirSync(join(dir, 'pty'));
    board = await startProgram('simulators/dist/lockboard/main.js', ['--family', 'kerong', '--boards', '0', '--dir', join(dir, 'pty')], {
      isReady: (l) => l.event === 'ready',
    });
    controlUrl = board.ready.controlUrl as string;
    await startHub(0);

    const admin = await login('ops.admin');
    siteId = ((await api('GET', '/api/sites', admin)).json.sites as Json[]).find((s) => s.code === 'own-hall')!.id as string;
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const reg = await api('POST', '/api/admin/kiosks', admin, {
      siteId,
      label: 'hall kiosk 1',
      publicKey: publicKey.export({ type: 'spki', format: 'pem' }),
    });
    expect(reg.status).toBe(201);
    deviceId = reg.json.deviceId as string;
    writeFileSync(join(dir, 'kiosk.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(
      join(dir, 'kiosk.json'),
      JSON.stringify({
        hubUrl: hubUrl(),
        deviceId,
        privateKeyFile: 'kiosk.key',
        dataDir: 'kiosk-data',
        localPort: 0,
        pollIntervalMs: 100,
        // Likewise offline (kiosk-agent/src/offline.test.ts tests that lock-out).
        offline: { maxFailures: 20 },
        buses: [{ id: 'bus0', family: 'kerong', path: board.ready.ptyPath }],
        compartments: Array.from({ length: 16 }, (_, i) => ({ compartment: i + 1, bus: 'bus0', board: 0, lock: i })),
      }),
    );
    await startAgent();
    await eventually(async () => (await kioskStatus()).hubConnected === true, 'the kiosk to connect');
  }, 90_000);

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await agent?.stop();
    await hub?.stop();
    await removeQueues(queuePrefix);
    await board?.stop();
    await dispatch?.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('deposits and collects with the hub stopped; afterwards the hub holds exactly what the journal held, once', async () => {
    // Two residents apply: two deposit codes.
    const d1 = (
      await applyPassed(api, await login('zhang.san'), {
        matterCode: 'business-licence-change',
        dropOff: { channel: 'own_kiosk', siteId },
      })
    ).json;
    const d2 = (
      await applyPassed(api, await login('li.si'), {
        matterCode: 'customs-declarant-record',
        dropOff: { channel: 'own_kiosk', siteId },
      })
    ).json;
    expect([d1.parcel?.state, d2.parcel?.state]).toEqual(['awaiting_deposit', 'awaiting_deposit']);

    // A result is in a locker for zhang.san: placed through the hub's store (no route for it yet).
    const keys = codeKeysFrom(loadConfig(hubEnv(hubPort)));
    const collect = await withTransaction(db.pool, async (tx) => {
      const k = (
        await tx.query<{ id: string; number: number }>(
          `SELECT id, number FROM compartments WHERE site_id = $1 AND state = 'free' ORDER BY number LIMIT 1 FOR UPDATE`,
          [siteId],
        )
      ).rows[0]!;
      let parcel: Parcel = {
        id: uuidv7(),
        applicationId: d1.application.id as string,
        direction: 'outbound',
        trackingNumber: makeTrackingNumber(() => randomInt(0, 10)),
        state: 'result_ready',
        siteId,
        compartmentId: k.id,
      };
      const at = new Date();
      const where = { siteId, compartment: k.number, at };
      await insertParcel(tx, parcel);
      await appendCustody(tx, parcel, 'result_ready', null, 'result_ready', {
        actor: { kind: 'staff', id: null },
        at,
        evidence: { placedBy: 'e2e test through the hub store' },
      });
      parcel = await moveParcel(tx, parcel, 'delivery_ordered', { actor: { kind: 'system', id: null }, at });
      parcel = await moveParcel(tx, parcel, 'out_for_delivery', { actor: { kind: 'courier', id: null }, at });
      parcel = await moveParcel(tx, parcel, 'in_locker', { actor: { kind: 'courier', id: null }, ...where });
      await tx.query(`UPDATE compartments SET state = 'occupied' WHERE id = $1`, [k.id]);
      const code = await issueCode(tx, keys, {
        purpose: 'collect',
        siteId,
        compartmentId: k.id,
        parcelId: parcel.id,
        holder: 'applicant',
        holderPhone: '13800000001', // zhang.san's
        now: at,
        lifetimes: loadConfig(hubEnv(hubPort)).codeLifetimesHours,
      });
      return { parcel, compartment: k.number, code };
    });
    await person(collect.compartment, 'item', { present: true });

    // The kiosk learns the three codes ahead of time, and has sent everything it saw so far.
    await eventually(async () => {
      const s = await kioskStatus();
      return s.offlineCodes?.codes === 3 && s.unsentEvents === 0;
    }, 'the kiosk to sync three codes');
    const eventsBefore = new Set(
      (await db.pool.query<{ event_id: string }>('SELECT event_id FROM kiosk_events')).rows.map((r) => r.event_id),
    );

    // The hub stops.
    await hub.stop();
    await eventually(async () => (await kioskStatus()).hubConnected === false, 'the kiosk to notice');

    // A wrong code opens nothing, offline too.
    const wrong = String((Number(d1.deposit.code) + 1) % 100_000_000).padStart(8, '0');
    expect(await typeAtKiosk(wrong)).toMatchObject({ status: 'refused', code: 'code_invalid' });
    // … nor does the right code with a wrong second factor (ADR 0018): the same refusal, word for word.
    const wrongFactor = await typeAtKiosk(d1.deposit.code as string, '999999');
    expect(wrongFactor).toEqual(await typeAtKiosk(String((Number(d1.deposit.code) + 2) % 100_000_000).padStart(8, '0')));
    expect(wrongFactor).toMatchObject({ status: 'refused', code: 'code_invalid' });
    expect(await unlockFrames()).toEqual([]);

    // First deposit: the 8-digit code, checked by the kiosk itself.
    expect(await typeAtKiosk(d1.deposit.code as string)).toEqual({
      status: 'opened',
      compartment: d1.compartment,
      purpose: 'deposit',
      trackingNumber: d1.parcel.trackingNumber,
      commandId: expect.any(String),
      offline: true,
    });
    expect(await unlockFrames()).toEqual([unlockHex(d1.compartment as number)]);
    await person(d1.compartment as number, 'item', { present: true });
    await person(d1.compartment as number, 'close');
    await doorClosedInJournal(d1.compartment as number);
    expect(await typeAtKiosk(d1.deposit.code as string)).toMatchObject({ status: 'refused', code: 'code_used' });
    expect(await typeAtKiosk(d1.deposit.qrToken as string)).toMatchObject({ status: 'refused', code: 'code_used' });

    // The kiosk restarts, the hub still away: its codes and what it spent are on disk.
    await agent.stop();
    await startAgent();
    expect(await kioskStatus()).toMatchObject({ hubConnected: false, offlineCodes: { codes: 3 } });
    expect(await typeAtKiosk(d1.deposit.code as string)).toMatchObject({ status: 'refused', code: 'code_used' });

    // Second deposit with the signed QR code; a forged one (d1's payload, d2's signature) is refused.
    const [, body1] = (d1.deposit.qrToken as string).split('.');
    const [, , sig2] = (d2.deposit.qrToken as string).split('.');
    expect(await typeAtKiosk(`XB1.${body1}.${sig2}`)).toMatchObject({ status: 'refused', code: 'code_invalid' });
    expect(await typeAtKiosk(d2.deposit.qrToken as string)).toMatchObject({
      status: 'opened',
      compartment: d2.compartment,
      purpose: 'deposit',
      commandId: expect.any(String),
      offline: true,
    });
    await person(d2.compartment as number, 'item', { present: true });
    await person(d2.compartment as number, 'close');
    await doorClosedInJournal(d2.compartment as number);

    // The collection: zhang.san takes the result out.
    expect(await typeAtKiosk(collect.code.code)).toEqual({
      status: 'opened',
      compartment: collect.compartment,
      purpose: 'collect',
      trackingNumber: collect.parcel.trackingNumber,
      commandId: expect.any(String),
      offline: true,
    });
    await person(collect.compartment, 'item', { present: false });
    await person(collect.compartment, 'close');
    await doorClosedInJournal(collect.compartment);
    const unlocks = [unlockHex(d1.compartment as number), unlockHex(d2.compartment as number), unlockHex(collect.compartment)];
    expect(await unlockFrames()).toEqual(unlocks);

    const journal = journalPending();
    const uses = journal.filter((e): e is Extract<KioskEvent, { type: 'code_used_offline' }> => e.type === 'code_used_offline');
    expect(uses.map((u) => [u.codeId, u.compartment, u.via])).toEqual([
      [d1.deposit.id, d1.compartment, 'keypad'],
      [d2.deposit.id, d2.compartment, 'qr'],
      [collect.code.id, collect.compartment, 'keypad'],
    ]);

    // The hub comes back on its address; the kiosk replays its journal.
    await startHub(hubPort);
    await eventually(
      async () => {
        const s = await kioskStatus();
        return s.hubConnected === true && s.unsentEvents === 0;
      },
      'the journal to drain',
      30_000,
    );

    // The hub's kiosk events since the stop are exactly the journal's: same ids, same content, once each.
    const stored = (
      await db.pool.query<{ event_id: string; payload: KioskEvent; device_id: string }>(
        'SELECT event_id, payload, device_id FROM kiosk_events',
      )
    ).rows.filter((r) => !eventsBefore.has(r.event_id));
    const byId = (a: { eventId: string }, b: { eventId: string }) => a.eventId.localeCompare(b.eventId);
    expect(stored.map((r) => r.payload).sort(byId)).toEqual([...journal].sort(byId));
    expect(new Set(stored.map((r) => r.device_id))).toEqual(new Set([deviceId]));

    // The parcels moved as the journal says; the deposits then went on to the courier.
    const staff = await login('hall.staff');
    const tracked = async (tn: string) => (await api('GET', `/api/parcels/${tn}`, staff)).json;
    await eventually(
      async () => {
        const states = await Promise.all([d1, d2].map(async (d) => (await tracked(d.parcel.trackingNumber as string)).parcel.state));
        return states.every((s) => s === 'pickup_ordered');
      },
      'both deposits to be ordered for pickup',
      30_000,
    );
    const closedAt = (compartment: number) => journal.find((e) => e.type === 'door_closed' && e.compartment === compartment)!;
    for (const [d, use] of [
      [d1, uses[0]!],
      [d2, uses[1]!],
    ] as const) {
      const { events } = await tracked(d.parcel.trackingNumber as string);
      expect((events as Json[]).map((e) => [e.kind, e.toState])).toEqual([
        ['created', 'awaiting_deposit'],
        ['deposit_code_used', 'awaiting_deposit'],
        ['deposited', 'deposited'],
        ['pickup_ordered', 'pickup_ordered'],
      ]);
      expect((events as Json[])[1]!.evidence).toEqual({
        deviceId,
        via: use.via,
        commandId: use.commandId,
        eventId: use.eventId,
        offline: true,
      });
      expect((events as Json[])[2]!.evidence).toMatchObject({ eventId: closedAt(d.compartment as number).eventId, itemSensor: 'present' });
      expect(firstBrokenLink((events as Json[]).map((e) => ({ ...e, at: new Date(e.at as string) })) as never)).toBe(-1);
    }
    const collected = await tracked(collect.parcel.trackingNumber);
    expect(collected.parcel.state).toBe('collected');
    expect((collected.events as Json[]).map((e) => [e.kind, e.toState])).toEqual([
      ['result_ready', 'result_ready'],
      ['delivery_ordered', 'delivery_ordered'],
      ['out_for_delivery', 'out_for_delivery'],
      ['in_locker', 'in_locker'],
      ['collect_code_used', 'in_locker'],
      ['collected', 'collected'],
    ]);
    expect((collected.events as Json[])[4]!.evidence).toEqual({
      deviceId,
      via: 'keypad',
      commandId: uses[2]!.commandId,
      eventId: uses[2]!.eventId,
      offline: true,
    });
    expect((collected.events as Json[])[5]!.evidence).toMatchObject({
      eventId: closedAt(collect.compartment).eventId,
      itemSensor: 'absent',
    });
    expect(firstBrokenLink((collected.events as Json[]).map((e) => ({ ...e, at: new Date(e.at as string) })) as never)).toBe(-1);
    const compartments = await db.pool.query<{ number: number; state: string }>(
      `SELECT number, state FROM compartments WHERE site_id = $1 AND number = ANY($2) ORDER BY number`,
      [siteId, [d1.compartment, d2.compartment, collect.compartment]],
    );
    expect(Object.fromEntries(compartments.rows.map((r) => [r.number, r.state]))).toEqual({
      [d1.compartment]: 'occupied',
      [d2.compartment]: 'occupied',
      [collect.compartment]: 'free',
    });
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM custody_events WHERE kind = 'offline_code_conflict'`)).rows[0].n).toBe(0);

    // Each code is spent at the hub under the kiosk's own command, and refused online from now on.
    const codes = await db.pool.query(
      `SELECT id, used_offline, used_by_device, command_id FROM access_codes WHERE id = ANY($1) ORDER BY id`,
      [uses.map((u) => u.codeId)],
    );
    expect(codes.rows).toEqual(
      uses
        .map((u) => ({ id: u.codeId, used_offline: true, used_by_device: deviceId, command_id: u.commandId }))
        .sort((a, b) => a.id.localeCompare(b.id)),
    );
    expect(await typeAtKiosk(d1.deposit.code as string)).toMatchObject({ status: 'refused', code: 'code_used' });
    expect(await typeAtKiosk(collect.code.code)).toMatchObject({ status: 'refused', code: 'code_used' });
    const direct = await asDevice();
    expect(await direct.submit(d1.deposit.code as string)).toMatchObject({ status: 'error', error: { code: 'code_used' } });
    expect(await direct.submit(d2.deposit.qrToken as string, 'qr')).toMatchObject({ status: 'error', error: { code: 'code_used' } });
    expect(await direct.submit(collect.code.code)).toMatchObject({ status: 'error', error: { code: 'code_used' } });
    expect(await direct.submit(collect.code.qrToken, 'qr')).toMatchObject({ status: 'error', error: { code: 'code_used' } });

    // Sent again, a journaled event changes nothing.
    const custodyCount = async () => (await db.pool.query('SELECT count(*)::int AS n FROM custody_events')).rows[0].n as number;
    const before = { events: stored.length, custody: await custodyCount() };
    for (const e of [uses[0]!, closedAt(d1.compartment as number)]) {
      expect(await direct.send(e)).toEqual({ status: 'ok', data: { eventId: e.eventId, duplicate: true } });
    }
    expect(
      (await db.pool.query<{ event_id: string }>('SELECT event_id FROM kiosk_events')).rows.filter((r) => !eventsBefore.has(r.event_id)),
    ).toHaveLength(before.events);
    expect(await custodyCount()).toBe(before.custody);
    expect(await unlockFrames()).toEqual(unlocks);

    // Once the hub is back the kiosk's book shrinks to what is still live and usable offline: the two
    // deposits are one courier visit with one code (ADR 0023), which needs the hub and is never in the book.
    const live = (
      await db.pool.query(
        `SELECT visit_id IS NOT NULL AS visit, count(*)::int AS n FROM access_codes
         WHERE site_id = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now() GROUP BY 1`,
        [siteId],
      )
    ).rows;
    expect(live).toEqual([{ visit: true, n: 1 }]);
    await eventually(async () => (await kioskStatus()).offlineCodes?.codes === 0, 'the book to shrink');
  }, 180_000);
});
