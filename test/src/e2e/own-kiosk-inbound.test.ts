// The first whole journey on real parts, every part its own process: PostgreSQL, Redis, the hub,
// a kiosk agent, and a KR-CU16 board simulator on a real pseudo-terminal, with the courier
// dispatch simulator beside them. A resident deposits with an 8-digit code, the hub orders the
// courier, the courier collects with the pickup code, and the hall receives the parcel.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstBrokenLink } from '@xinbao/hub/domain/custody';
import { startCourierDispatchSimulator, type CourierDispatchSimulator } from '@xinbao/simulators/courier-dispatch';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startKiosk } from '../support/kiosk.js';
import { startProgram, type RunningProgram } from '../support/processes.js';
import { eventually } from '../support/eventually.js';
import { bookCaughtUp, kerongUnlockFrames, typeCode } from '../support/kiosk-local.js';
import { removeQueues, startHubProgram } from '../support/hub.js';
import { factorOf, hubApi, signIn, type Json } from '../support/http.js';
import { applyPassed } from '../support/apply.js';

const SECRET = 'e2e-courier-dispatch-secret';

describe('own kiosk, inbound: deposit → courier pickup → received at hall', () => {
  let db: TestDatabase;
  let dispatch: CourierDispatchSimulator;
  let board: RunningProgram;
  let hub: RunningProgram;
  let agent: RunningProgram;
  let hubUrl = '';
  let queuePrefix = '';
  let controlUrl = '';
  let kioskUrl = '';
  let siteId = '';
  const dir = mkdtempSync(join(tmpdir(), 'xinbao-e2e-'));

  const api = hubApi(() => hubUrl);
  const login = (username: string) => signIn(api, username);
  const typeAtKiosk = (code: string, factor = factorOf('zhang.san')) => typeCode(kioskUrl, code, factor);

  const unlockFrames = () => kerongUnlockFrames(controlUrl);
  const person = async (lock: number, action: 'item' | 'close', body?: unknown) => {
    const res = await fetch(`${controlUrl}/boards/0/locks/${lock}/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body ?? {}),
    });
    expect(res.status).toBeLessThan(300);
  };
  const parcelState = async (token: string, tn: string) => (await api('GET', `/api/parcels/${tn}`, token)).json;

  beforeAll(async () => {
    db = await createTestDatabase();
    dispatch = await startCourierDispatchSimulator({ secret: SECRET });
    mkdirSync(join(dir, 'pty'));
    board = await startProgram('simulators/dist/lockboard/main.js', ['--family', 'kerong', '--boards', '0', '--dir', join(dir, 'pty')], {
      isReady: (l) => l.event === 'ready',
    });
    controlUrl = board.ready.controlUrl as string;
    ({ hub, hubUrl, queuePrefix } = await startHubProgram({
      databaseUrl: db.url,
      dir,
      env: {
        COURIER_DISPATCH_URL: dispatch.url,
        COURIER_DISPATCH_SECRET: SECRET,
        // This test makes several refused attempts on purpose; the lock-out has its own test.
        CODE_MAX_FAILURES: '20',
      },
    }));

    ({ agent, kioskUrl, siteId } = await startKiosk({
      api,
      hubUrl,
      site: 'own-hall',
      dir,
      buses: [{ id: 'bus0', family: 'kerong', path: board.ready.ptyPath }],
      compartments: Array.from({ length: 16 }, (_, i) => ({ compartment: i + 1, bus: 'bus0', board: 0, lock: i })),
    }));
  }, 90_000);

  afterAll(async () => {
    await agent?.stop();
    await hub?.stop();
    if (queuePrefix) await removeQueues(queuePrefix);
    await board?.stop();
    await dispatch?.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes the documents from the resident to the hall, every step in custody', async () => {
    const applicant = await login('zhang.san');
    const created = await applyPassed(api, applicant, {
      matterCode: 'business-licence-change',
      dropOff: { channel: 'own_kiosk', siteId },
    });
    expect(created.status).toBe(201);
    const { code, qrToken } = created.json.deposit as { code: string; qrToken: string };
    const compartment = created.json.compartment as number;
    const tn = created.json.parcel.trackingNumber as string;
    const lock = compartment - 1;
    const sum = (0x02 + lock + 0x31 + 0x03) & 0xff;
    const unlockHex = `02 ${lock.toString(16).padStart(2, '0')} 31 03 ${sum.toString(16).padStart(2, '0')}`;
    expect(code).toMatch(/^\d{8}$/);
    expect(qrToken).toMatch(/^XB1\./);
    // The code itself is nowhere in its row, only its keyed hash.
    const row = await db.pool.query(`SELECT row_to_json(c)::text AS j FROM access_codes c WHERE parcel_id = $1`, [created.json.parcel.id]);
    expect(row.rows).toHaveLength(1);
    expect(row.rows[0].j).not.toContain(code);

    // A wrong code opens nothing.
    const wrong = String((Number(code) + 1) % 100_000_000).padStart(8, '0');
    expect(await typeAtKiosk(wrong)).toMatchObject({ status: 'refused', code: 'code_invalid' });
    expect(await unlockFrames()).toEqual([]);

    // The right code opens exactly its compartment, with exactly one KR-CU16 unlock frame.
    const opened = await typeAtKiosk(code);
    expect(opened).toMatchObject({ status: 'opened', compartment, purpose: 'deposit' });
    expect(await unlockFrames()).toEqual([unlockHex]);

    // Typed again while its door is open (a double tap): the same answer, and no second unlock (ADR 0015).
    expect(await typeAtKiosk(code)).toEqual(opened);
    expect(await unlockFrames()).toEqual([unlockHex]);

    // The resident puts the envelope in and closes the door; the hub orders the courier.
    await person(lock, 'item', { present: true });
    await person(lock, 'close');
    await eventually(async () => (await parcelState(applicant, tn)).parcel.state === 'pickup_ordered', 'pickup_ordered');

    // Used once, it opens nothing again.
    expect(await typeAtKiosk(code)).toMatchObject({ status: 'refused', code: 'code_used' });
    expect(await unlockFrames()).toEqual([unlockHex]);
    const order = [...dispatch.orders.values()].find((o) => o.trackingNumber === tn)!;
    expect(order).toMatchObject({ kind: 'pickup', compartment, site: { code: 'own-hall' } });

    // Hall staff cannot receive what the courier has not picked up yet.
    const staff = await login('hall.staff');
    const early = await api('POST', '/api/intake/receive', staff, { trackingNumber: tn });
    expect(early.status).toBe(409);
    expect(early.json.error.code).toBe('illegal_transition');
    expect((await parcelState(applicant, tn)).parcel.state).toBe('pickup_ordered');

    // The courier opens the compartment with the pickup code, takes the envelope, closes the door.
    expect(await typeAtKiosk(order.code!, order.pin)).toMatchObject({ status: 'opened', compartment, purpose: 'courier_pickup' });
    expect(await unlockFrames()).toEqual([unlockHex, unlockHex]);
    await person(lock, 'item', { present: false });
    await person(lock, 'close');
    await eventually(async () => (await parcelState(applicant, tn)).parcel.state === 'picked_up', 'picked_up');

    // At the hall the tracking number is scanned: into the processing queue.
    const received = await api('POST', '/api/intake/receive', staff, { trackingNumber: tn });
    expect(received.status).toBe(200);
    expect(received.json.parcel.state).toBe('received_at_hall');
    const again = await api('POST', '/api/intake/receive', staff, { trackingNumber: tn });
    expect(again.status).toBe(409);

    const { events } = await parcelState(applicant, tn);
    expect((events as Json[]).map((e) => [e.kind, e.toState, e.actorKind])).toEqual([
      ['created', 'awaiting_deposit', 'applicant'],
      ['deposit_code_used', 'awaiting_deposit', 'applicant'],
      ['deposited', 'deposited', 'applicant'],
      ['pickup_ordered', 'pickup_ordered', 'system'],
      ['courier_pickup_code_used', 'pickup_ordered', 'courier'],
      ['picked_up', 'picked_up', 'courier'],
      ['received_at_hall', 'received_at_hall', 'staff'],
    ]);
    for (const e of events as Json[]) expect(Number.isNaN(Date.parse(e.at as string))).toBe(false);
    const chain = (events as Json[]).map((e) => ({ ...e, at: new Date(e.at as string) }));
    expect(firstBrokenLink(chain as never)).toBe(-1);

    // The compartment is free again; nothing else moved.
    const compartmentRow = await db.pool.query(
      `SELECT k.state FROM compartments k JOIN sites s ON s.id = k.site_id WHERE s.code = 'own-hall' AND k.number = $1`,
      [compartment],
    );
    expect(compartmentRow.rows[0].state).toBe('free');
  });

  it('opens nothing for an expired code, and opens with a signed QR code', async () => {
    const applicant = await login('li.si');
    const a = await applyPassed(api, applicant, {
      matterCode: 'customs-declarant-record',
      dropOff: { channel: 'own_kiosk', siteId },
    });
    const b = await applyPassed(api, applicant, {
      matterCode: 'customs-declarant-record',
      dropOff: { channel: 'own_kiosk', siteId },
    });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.json.compartment).not.toBe(b.json.compartment);
    const before = await unlockFrames();

    // Time passes for a's code: it expired a minute ago.
    await db.pool.query(`UPDATE access_codes SET expires_at = now() - interval '1 minute' WHERE parcel_id = $1`, [a.json.parcel.id]);
    // The kiosk judges codes its book holds itself (ADR 0030): the change reaches it as a sync.
    await bookCaughtUp(kioskUrl, async () => {
      const v = await db.pool.query(
        `SELECT v.version FROM site_code_versions v JOIN sites s ON s.id = v.site_id WHERE s.code = 'own-hall'`,
      );
      return Number(v.rows[0].version);
    });
    expect(await typeAtKiosk(a.json.deposit.code as string, factorOf('li.si'))).toMatchObject({ status: 'refused', code: 'code_expired' });
    expect(await typeAtKiosk(a.json.deposit.qrToken as string)).toMatchObject({ status: 'refused', code: 'code_expired' });
    expect(await unlockFrames()).toEqual(before);

    // A forged QR token (payload of b, signature of a) is refused.
    const [, bodyB] = (b.json.deposit.qrToken as string).split('.');
    const [, , sigA] = (a.json.deposit.qrToken as string).split('.');
    expect(await typeAtKiosk(`XB1.${bodyB}.${sigA}`)).toMatchObject({ status: 'refused', code: 'code_invalid' });

    // b's QR form opens b's compartment.
    expect(await typeAtKiosk(b.json.deposit.qrToken as string)).toMatchObject({ status: 'opened', compartment: b.json.compartment });
    const lock = (b.json.compartment as number) - 1;
    expect((await unlockFrames()).slice(before.length)).toEqual([
      `02 ${lock.toString(16).padStart(2, '0')} 31 03 ${((0x02 + lock + 0x31 + 0x03) & 0xff).toString(16).padStart(2, '0')}`,
    ]);
  });
});
