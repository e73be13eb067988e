// The keypad attempt limit and idempotent submission at the hub (issue 9, ADR 0015), in-process on a
// real PostgreSQL and Redis with a clock the test moves: wrong keypad codes slow the keypad (per
// device and per site) and never lock it; a genuine signed QR is never slowed; a burst raises one
// alarm (its counts in code_attempt_alarms, and a code_burst alarm in kiosk_alarms that a repeat
// counts on); every failure is logged without the code; the same code twice at once opens once, gets
// the same answer and counts nothing. A keypad code is judged with its second factor (ADR 0018): a
// right code with a wrong factor is refused exactly like a wrong code, and counted like one.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { io, type Socket } from 'socket.io-client';
import { signedHandshake } from '@xinbao/kiosk-agent/hub-link';
import type { TestDatabase } from '../support/db.js';
import { factorOf, hubApi, signIn, type Json } from '../support/http.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { applyPassed } from '../support/apply.js';

describe('hub: keypad attempts are slowed, never locked; the same code twice is one answer', () => {
  let testHub: TestHub;
  let db: TestDatabase;
  let base = '';
  let siteId = '';
  let clock = Date.parse('2026-06-01T08:00:00Z');
  const logLines: Json[] = [];
  const sockets: Socket[] = [];
  const api = hubApi(() => base);
  const login = (username: string) => signIn(api, username);

  const capture = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logLines.push(JSON.parse(line) as Json);
      done();
    },
  });

  const kiosk = async (at = siteId) => {
    const keys = generateKeyPairSync('ed25519');
    const admin = await login('ops.admin');
    const deviceId = (
      await api('POST', '/api/admin/kiosks', admin, {
        siteId: at,
        label: 't',
        publicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }),
      })
    ).json.deviceId as string;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = io(`${base}/kiosk`, {
        transports: ['websocket'],
        auth: signedHandshake(deviceId, keys.privateKey, clock) as object,
        reconnection: false,
      });
      sockets.push(s);
      s.on('hello', () => resolve(s));
      s.on('connect_error', reject);
    });
    const submit = (code: string, via: 'keypad' | 'qr' = 'keypad', factor = factorOf('zhang.san')) =>
      socket
        .timeout(10_000)
        .emitWithAck('code:submit', { requestId: randomUUID(), via, code, ...(via === 'keypad' ? { factor } : {}) }) as Promise<Json>;
    return { deviceId, submit };
  };

  const apply = async (at = siteId) =>
    (
      await applyPassed(api, await login('zhang.san'), {
        matterCode: 'business-licence-change',
        dropOff: { channel: 'own_kiosk', siteId: at },
      })
    ).json;

  const wrong = (i: number) => String(10_000_000 + i * 7919).padStart(8, '0');

  beforeAll(async () => {
    testHub = await startTestHub({
      env: {
        CODE_MAX_FAILURES: '3',
        CODE_SITE_FREE_FAILURES: '5',
        CODE_FIRST_DELAY_MS: '1000',
        CODE_MAX_DELAY_SECONDS: '8',
        CODE_FAILURE_WINDOW_SECONDS: '60',
      },
      log: pino({ level: 'info' }, capture),
      deps: { now: () => new Date(clock) },
    });
    ({ db, url: base } = testHub);
    const admin = await login('ops.admin');
    siteId = ((await api('GET', '/api/sites', admin)).json.sites as Json[]).find((s) => s.code === 'own-hall')!.id as string;
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await testHub?.stop();
  });

  it('slows the keypad after wrong codes, per device and per site, while a genuine QR and then a genuine keypad code open', async () => {
    const a = await kiosk();
    const b = await kiosk();
    const forQr = await apply();
    const forKeypad = await apply();
    const typed: string[] = [];
    const genuine = forKeypad.deposit.code as string;
    // Odd guesses: a wrong code with the holder's own factor; even ones: the genuine code with a wrong factor.
    const factors: string[] = [factorOf('zhang.san')];
    let guesses = 0;
    const guess = async (k: typeof a, i: number) => {
      guesses++;
      if (i % 2 === 1) {
        typed.push(wrong(i));
        return k.submit(wrong(i));
      }
      factors.push(String(100_000 + i).slice(-6));
      return k.submit(genuine, 'keypad', factors.at(-1));
    };

    // Three free wrong pairs at kiosk A; the third says how long the next keypad attempt waits. The
    // genuine code with a wrong factor is refused word for word as a wrong code is.
    const wrongCode = (await guess(a, 1)).error;
    expect(wrongCode).toEqual({ code: 'code_invalid', message: expect.any(String) });
    expect((await guess(a, 2)).error).toEqual(wrongCode);
    expect((await guess(a, 3)).error).toMatchObject({ code: 'code_invalid', details: { retryAfterMs: 1000 } });
    // Too soon: not looked at (even a genuine code with its factor), not counted.
    expect((await a.submit(genuine)).error).toMatchObject({
      code: 'keypad_slowed',
      details: { retryAfterMs: 1000 },
    });
    // A genuine signed QR is never slowed.
    const qr = await a.submit(forQr.deposit.qrToken as string, 'qr');
    expect(qr).toMatchObject({ status: 'ok', data: { compartment: forQr.compartment, purpose: 'deposit' } });
    // Kiosk B has its own device count, but the site counts both: its second wrong code is the site's fifth.
    expect((await guess(b, 4)).error).toEqual(wrongCode);
    expect((await guess(b, 5)).error).toMatchObject({ code: 'code_invalid', details: { retryAfterMs: 1000 } });
    expect((await b.submit(wrong(6))).error).toMatchObject({ code: 'keypad_slowed' });

    // Typing as fast as allowed: each wait doubles, up to the cap (8 s); never a lock-out.
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      clock += 8_000;
      const r = await guess(i % 2 === 0 ? a : b, 10 + i);
      expect(r.error.code).toBe('code_invalid');
      waits.push((r.error.details as { retryAfterMs: number }).retryAfterMs);
    }
    expect(waits).toEqual([2000, 4000, 8000, 8000, 8000, 8000]);
    // One second short of the cap: still waiting; at the cap the genuine keypad code opens.
    clock += 7_000;
    expect((await a.submit(forKeypad.deposit.code as string)).error).toMatchObject({
      code: 'keypad_slowed',
      details: { retryAfterMs: 1000 },
    });
    clock += 1_000;
    expect(await a.submit(genuine)).toMatchObject({ status: 'ok', data: { compartment: forKeypad.compartment } });
    // Without its factor the genuine code was never enough: the wrong-factor guesses above did not spend it.
    const row = await db.pool.query('SELECT used_by_device FROM access_codes WHERE id = $1', [forKeypad.deposit.id]);
    expect(row.rows).toEqual([{ used_by_device: a.deviceId }]);

    // One alarm for the burst (when the site began to slow), with counts and no code.
    const alarms = await db.pool.query('SELECT * FROM code_attempt_alarms WHERE site_id = $1', [siteId]);
    expect(alarms.rows).toEqual([
      expect.objectContaining({ kind: 'code_burst', device_id: b.deviceId, site_failures: 5, device_failures: 2, wait_ms: 1000 }),
    ]);
    // … and the same alarm in the one alarm table, on the kiosk that tipped it, where staff see it.
    const raised = await db.pool.query(
      `SELECT device_id, kind, subject, count, cleared_at FROM kiosk_alarms WHERE site_id = $1 AND kind = 'code_burst'`,
      [siteId],
    );
    expect(raised.rows).toEqual([{ device_id: b.deviceId, kind: 'code_burst', subject: `site:${siteId}`, count: 1, cleared_at: null }]);
    const status = await api('GET', `/api/admin/kiosks/${b.deviceId}/status`, await login('hall.staff'));
    expect(status.json.alarms).toEqual([
      expect.objectContaining({ kind: 'code_burst', subject: `site:${siteId}`, count: 1, clearedAt: null, detail: expect.any(String) }),
    ]);
    for (const code of typed) expect(JSON.stringify(status.json)).not.toContain(code);

    // Every failure logged with device, site and counts, and no code (wrong or genuine) in any line.
    const refused = logLines.filter((l) => l.msg === 'keypad code refused');
    expect(refused).toHaveLength(guesses);
    expect(guesses).toBe(11);
    expect(refused[4]).toMatchObject({ deviceId: b.deviceId, siteId, refusal: 'code_invalid', deviceFailures: 2, siteFailures: 5 });
    expect(logLines.filter((l) => l.msg === 'keypad brute-force alarm: the site slows its keypads')).toHaveLength(1);
    const everything = logLines.map((l) => JSON.stringify(l)).join('\n');
    for (const code of [...typed, forKeypad.deposit.code as string, forQr.deposit.code as string]) expect(everything).not.toContain(code);
    // … nor any second factor, right or wrong
    for (const f of factors) expect(everything).not.toContain(`"${f}"`);
    expect(everything).not.toContain('"factor"');
  });

  it('answers two simultaneous submissions of one code with one opening and the same grant, eight times, counting nothing', async () => {
    clock += 3_600_000; // the earlier test's counts are forgotten
    const sites = (await api('GET', '/api/sites', await login('ops.admin'))).json.sites as Json[];
    const other = sites.find((s) => s.code === 'own-huanancheng')!.id as string;
    const k = await kiosk(other);
    for (let i = 0; i < 8; i++) {
      const created = await apply(other);
      const code = created.deposit.code as string;
      const [one, two] = await Promise.all([k.submit(code), k.submit(code)]);
      expect(one).toMatchObject({ status: 'ok', data: { compartment: created.compartment, purpose: 'deposit' } });
      expect(two.data).toEqual(one.data);
      // Just after (a third tap 5 s later) still the same answer; the door opens once for that command.
      clock += 5_000;
      expect((await k.submit(code)).data).toEqual(one.data);
      const used = await db.pool.query('SELECT count(*)::int AS n FROM custody_events WHERE parcel_id = $1 AND kind = $2', [
        created.parcel.id,
        'deposit_code_used',
      ]);
      expect(used.rows[0].n).toBe(1);
    }
    expect(await testHub.redis.hget(`code-failures:device:${k.deviceId}`, 'n')).toBeNull();
    // Nothing locked or slowed: a fresh code opens at once. Long after, the used code is refused (and counted).
    const fresh = await apply(other);
    expect(await k.submit(fresh.deposit.code as string)).toMatchObject({ status: 'ok' });
    clock += 11_000;
    expect((await k.submit(fresh.deposit.code as string)).error).toMatchObject({ code: 'code_used' });
    expect(await testHub.redis.hget(`code-failures:device:${k.deviceId}`, 'n')).toBe('1');
  });

  it('a second burst at the site, tipped by the same kiosk, counts on its open code_burst alarm', async () => {
    clock += 3_600_000; // the earlier tests' counts are forgotten
    const k = await kiosk();
    const burst = async (from: number) => {
      for (let i = 0; i < 5; i++) {
        clock += 8_000; // past any wait the previous guess left
        expect((await k.submit(wrong(from + i))).error.code).toBe('code_invalid');
      }
    };
    const alarmsOf = async () =>
      (
        await db.pool.query(`SELECT subject, count, cleared_at FROM kiosk_alarms WHERE device_id = $1 AND kind = 'code_burst'`, [
          k.deviceId,
        ])
      ).rows;
    await burst(100);
    expect(await alarmsOf()).toEqual([{ subject: `site:${siteId}`, count: 1, cleared_at: null }]);
    clock += 3_600_000;
    await burst(200);
    expect(await alarmsOf()).toEqual([{ subject: `site:${siteId}`, count: 2, cleared_at: null }]);
    const details = await db.pool.query('SELECT site_failures FROM code_attempt_alarms WHERE device_id = $1', [k.deviceId]);
    expect(details.rows).toEqual([{ site_failures: 5 }, { site_failures: 5 }]);
  });
});
