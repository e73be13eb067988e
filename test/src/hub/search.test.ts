// Staff search over the API (ADR 0034): GET /api/search finds applications by a tracking number, an
// application number, a full phone number or its last four digits, newest first and at most 20,
// each with its parcels; names and phones masked whatever was typed; staff and operators only; a
// query that is none of these is refused (400); the log keeps each search without a phone in clear.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { DEMO_USERS } from '@xinbao/hub/store/seed';
import { startTestHub, type TestHub } from '../support/hub.js';
import { signIn, type Json } from '../support/http.js';
import { applyPassed } from '../support/apply.js';

const phoneOf = (username: string) => DEMO_USERS.find((u) => u.username === username)!.phone;

describe('staff search', () => {
  let hub: TestHub;
  const logLines: string[] = [];
  let staff = '';
  let admin = '';
  let zhang = '';
  let li = '';
  let passed: { id: string; tn: string };
  let pending = '';
  let hallSite = '';

  const searchAs = (token: string | undefined, q: string) => hub.api('GET', `/api/search?q=${encodeURIComponent(q)}`, token);
  const ids = (r: { json: Json }) => (r.json.results as Json[]).map((x) => x.applicationId as string);
  const applyPending = async (token: string): Promise<string> => {
    const r = await hub.api('POST', '/api/applications', token, { matterCode: 'business-licence-change', dropOff: { channel: 'none' } });
    expect(r.json.application.prereview).toBe('pending');
    return r.json.application.id as string;
  };

  beforeAll(async () => {
    hub = await startTestHub({ log: pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) }) });
    staff = await signIn(hub.api, 'hall.staff');
    admin = await signIn(hub.api, 'ops.admin');
    zhang = await signIn(hub.api, 'zhang.san');
    li = await signIn(hub.api, 'li.si');
    hallSite = ((await hub.api('GET', '/api/sites', staff)).json.sites as Json[]).find((s) => s.code === 'own-hall')!.id as string;
    const a = await applyPassed(hub.api, zhang, {
      matterCode: 'business-licence-change',
      dropOff: { channel: 'own_kiosk', siteId: hallSite },
    });
    expect(a.status).toBe(201);
    passed = { id: a.json.application.id as string, tn: a.json.parcel.trackingNumber as string };
    pending = await applyPending(zhang);
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it('finds an application by its parcel’s tracking number, typed in any case, with its parcels; masked', async () => {
    const r = await searchAs(staff, passed.tn);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      matchedBy: 'tracking_number',
      results: [
        {
          applicationId: passed.id,
          matter: { code: 'business-licence-change', name: expect.any(String), nameEn: expect.any(String) },
          applicant: '张*',
          phone: `尾号${phoneOf('zhang.san').slice(-4)}`,
          status: 'submitted',
          prereview: 'passed',
          parcels: [{ trackingNumber: passed.tn, direction: 'inbound', state: 'awaiting_deposit' }],
          createdAt: expect.any(String),
        },
      ],
    });
    expect(ids(await searchAs(staff, ` ${passed.tn.toLowerCase()} `))).toEqual([passed.id]);
    const text = JSON.stringify(r.json);
    expect(text).not.toContain(phoneOf('zhang.san'));
    expect(text).not.toContain('张三');
  });

  it('finds an application by its number, in either case; one with no parcel yet has none', async () => {
    const r = await searchAs(staff, pending.toUpperCase());
    expect(r.json.matchedBy).toBe('application');
    expect(ids(r)).toEqual([pending]);
    expect((r.json.results as Json[])[0]).toMatchObject({ prereview: 'pending', parcels: [] });
    // Not found is an empty list, not an error.
    expect(await searchAs(staff, '01930a4e-7b2c-7def-8a12-3456789abcde')).toMatchObject({ status: 200, json: { results: [] } });
  });

  it('finds an applicant’s applications by the full phone number or its last 4 digits, the newest first; never the phone in clear', async () => {
    const phone = phoneOf('zhang.san');
    const full = await searchAs(staff, phone);
    expect(full.json.matchedBy).toBe('phone');
    expect(ids(full)).toEqual([pending, passed.id]);
    expect(ids(await searchAs(staff, `${phone.slice(0, 3)} ${phone.slice(3, 7)} ${phone.slice(7)}`))).toEqual([pending, passed.id]);
    const last4 = await searchAs(admin, phone.slice(-4));
    expect(last4.json.matchedBy).toBe('phone_last4');
    expect(ids(last4)).toEqual([pending, passed.id]);
    for (const r of [full, last4]) {
      expect(JSON.stringify(r.json)).not.toContain(phone);
      for (const x of r.json.results as Json[]) expect(x.phone).toBe(`尾号${phone.slice(-4)}`);
    }
    // li.si's are not among them; a number nobody has finds nothing.
    const lis = await applyPending(li);
    expect(ids(full)).not.toContain(lis);
    expect(ids(await searchAs(staff, phoneOf('li.si').slice(-4)))).toEqual([lis]);
    expect((await searchAs(staff, '13912345678')).json.results).toEqual([]);
  });

  it('answers at most 20, the newest first', async () => {
    const made: string[] = [];
    for (let i = 0; i < 22; i++) made.push(await applyPending(li));
    const r = await searchAs(staff, phoneOf('li.si'));
    expect(ids(r)).toEqual(made.reverse().slice(0, 20));
    const times = (r.json.results as Json[]).map((x) => Date.parse(x.createdAt as string));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('is for staff and operators only', async () => {
    expect((await searchAs(zhang, passed.tn)).status).toBe(403);
    expect((await searchAs(await signIn(hub.api, 'ems.courier'), passed.tn)).status).toBe(403);
    expect((await searchAs(undefined, passed.tn)).status).toBe(401);
    expect((await searchAs(admin, passed.tn)).status).toBe(200);
  });

  it('refuses an empty, too long or garbage query, and a tracking number with a wrong check digit', async () => {
    for (const q of ['', '   ', 'x'.repeat(65), 'abc', '123', '12345', '张三', "'; DROP TABLE users; --", '23800000001']) {
      const r = await searchAs(staff, q);
      expect({ q, status: r.status }).toEqual({ q, status: 400 });
    }
    expect((await searchAs(staff, 'abc')).json.error.code).toBe('bad_query');
    const last = Number(passed.tn.slice(-1));
    expect((await searchAs(staff, `${passed.tn.slice(0, -1)}${(last + 1) % 10}`)).json.error.code).toBe('bad_check_digit');
    expect((await hub.api('GET', '/api/search', staff)).status).toBe(400);
    expect((await hub.api('GET', `/api/search?q=${passed.tn}&q=0001`, staff)).status).toBe(400);
    expect((await hub.api('GET', `/api/search?q=${passed.tn}&limit=5`, staff)).json.error.code).toBe('unknown_field');
  });

  it('logs each search with its kind, a phone number never in clear', async () => {
    logLines.length = 0;
    const phone = phoneOf('zhang.san');
    await searchAs(staff, phone);
    await searchAs(staff, phone.slice(-4));
    await searchAs(staff, passed.tn);
    const searches = logLines.map((l) => JSON.parse(l) as Json).filter((l) => l.msg === 'staff search');
    expect(searches.map((l) => [l.kind, l.query, l.results])).toEqual([
      ['phone', `尾号${phone.slice(-4)}`, 2],
      ['phone_last4', '(last 4 digits of a phone)', 2],
      ['tracking_number', passed.tn, 1],
    ]);
    expect(logLines.join('\n')).not.toContain(phone);
  });
});
