// The catalogue of matters, applying with materials and channels, and pre-review (issue 12, ADR 0027),
// in-process on a real PostgreSQL and Redis with a clock the test moves: an application waits for
// pre-review with no parcel and no code (a kiosk opens nothing for it); a one-time notice lists
// every problem at once, is printable, reaches the applicant and is kept after the resubmission; a
// pass issues the deposit code to the applicant only (sealed in the outbox, opened on their own GET),
// which then opens the compartment at a kiosk; the rules pass a matter with every core material; 容缺
// acceptance takes a commitment reminded once when due. Only staff decide; applicants see only their own.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { io, type Socket } from 'socket.io-client';
import { signedHandshake } from '@xinbao/kiosk-agent/hub-link';
import { remindCommitments } from '@xinbao/hub/features/prereview/service';
import { factorOf, signIn, type Json } from '../support/http.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { applyPassed } from '../support/apply.js';

const T0 = Date.parse('2026-12-01T08:00:00Z');
const DAY = 86_400_000;

const ALL_BLC = [{ code: 'application-form' }, { code: 'shareholder-resolution' }, { code: 'licence-original' }];

describe('hub: matters, applying with materials and channels, pre-review', () => {
  let h: TestHub;
  let clock = T0;
  let siteId = '';
  const tokens: Record<string, string> = {};
  const sockets: Socket[] = [];
  const as = (who: string) => tokens[who];
  const apply = (who: string, body: Json) => h.api('POST', '/api/applications', as(who), body);
  const view = async (id: string, who = 'zhang.san') => h.api('GET', `/api/applications/${id}`, as(who));
  const decide = (id: string, what: string, body: unknown = {}, who = 'hall.staff') =>
    h.api('POST', `/api/prereview/${id}/${what}`, as(who), body);
  const ownKiosk = (materials: Json[] = ALL_BLC, matterCode = 'business-licence-change') => ({
    matterCode,
    materials,
    dropOff: { channel: 'own_kiosk', siteId },
  });
  const counts = async (applicationId: string) =>
    (
      await h.db.pool.query(
        `SELECT (SELECT count(*)::int FROM parcels WHERE application_id = $1) AS parcels,
                (SELECT count(*)::int FROM access_codes c JOIN parcels p ON p.id = c.parcel_id WHERE p.application_id = $1) AS codes`,
        [applicationId],
      )
    ).rows[0] as { parcels: number; codes: number };

  /** A kiosk of the own hall on the socket; submits a keypad code with zhang.san's factor. */
  const kiosk = async () => {
    const keys = generateKeyPairSync('ed25519');
    const deviceId = (
      await h.api('POST', '/api/admin/kiosks', as('ops.admin'), {
        siteId,
        label: 'prereview',
        publicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }),
      })
    ).json.deviceId as string;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = io(`${h.url}/kiosk`, {
        transports: ['websocket'],
        auth: signedHandshake(deviceId, keys.privateKey, clock) as object,
        reconnection: false,
      });
      sockets.push(s);
      s.on('hello', () => resolve(s));
      s.on('connect_error', reject);
    });
    return (code: string) =>
      socket
        .timeout(10_000)
        .emitWithAck('code:submit', { requestId: randomUUID(), via: 'keypad', code, factor: factorOf('zhang.san') }) as Promise<Json>;
  };

  const signInEveryone = async () => {
    for (const u of ['zhang.san', 'li.si', 'hall.staff', 'ems.courier', 'ops.admin']) tokens[u] = await signIn(h.api, u);
  };

  beforeAll(async () => {
    h = await startTestHub({ deps: { now: () => new Date(clock) } });
    await signInEveryone();
    siteId = ((await h.api('GET', '/api/sites', as('ops.admin'))).json.sites as Json[]).find((s) => s.code === 'own-hall')!.id as string;
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await h?.stop();
  });

  it('lists about ten matters, each with its materials (core or not), channels in and out, paper and pre-review mode', async () => {
    const r = await h.api('GET', '/api/matters', as('zhang.san'));
    expect(r.status).toBe(200);
    const matters = r.json.matters as Json[];
    expect(matters.length).toBeGreaterThanOrEqual(10);
    for (const m of matters) {
      expect(m).toMatchObject({ code: expect.any(String), name: expect.stringMatching(/[\u4e00-\u9fff]/), nameEn: expect.any(String) });
      expect((m.materials as Json[]).some((x) => x.core === true)).toBe(true);
      for (const x of m.materials as Json[])
        expect(x).toEqual({ code: expect.any(String), name: expect.any(String), nameEn: expect.any(String), core: expect.any(Boolean) });
      expect(m.channelsOut.length).toBeGreaterThan(0);
      // a matter with no paper in has no way in; one with paper has at least one
      expect(m.channelsIn.length > 0).toBe(m.paperIn);
      expect(['staff', 'rules']).toContain(m.prereview);
    }
    expect(matters.map((m) => m.code)).toEqual(
      expect.arrayContaining(['business-licence-change', 'customs-declarant-record', 'construction-permit']),
    );
    expect(matters.some((m) => m.paperIn === false)).toBe(true);
    expect(matters.some((m) => m.prereview === 'rules')).toBe(true);
    expect(matters.some((m) => (m.channelsIn as string[]).includes('courier_pickup'))).toBe(true);
  });

  it('checks the materials and the channels against the matter', async () => {
    expect(await apply('zhang.san', ownKiosk([{ code: 'application-form' }, { code: 'passport' }]))).toMatchObject({
      status: 400,
      json: { error: { code: 'unknown_material', details: { unknown: ['passport'] } } },
    });
    expect(await apply('zhang.san', ownKiosk([{ code: 'application-form' }, { code: 'application-form' }]))).toMatchObject({
      status: 400,
      json: { error: { code: 'duplicate_material' } },
    });
    // construction permits are not handed in by courier pickup; no paper goes in for a tax registration change
    expect(
      await apply('zhang.san', {
        matterCode: 'construction-permit',
        dropOff: { channel: 'courier_pickup', address: '西安市灞桥区港务大道 88 号' },
      }),
    ).toMatchObject({ status: 400, json: { error: { code: 'channel_not_allowed' } } });
    expect(await apply('zhang.san', { matterCode: 'tax-registration-change', dropOff: { channel: 'counter' } })).toMatchObject({
      status: 400,
      json: { error: { code: 'channel_not_allowed' } },
    });
    // the result of a customs record does not come back by mail
    expect(
      await apply('zhang.san', {
        ...ownKiosk([], 'customs-declarant-record'),
        returnChannel: { channel: 'mail', address: '西安市雁塔区科技路 10 号' },
      }),
    ).toMatchObject({ status: 400, json: { error: { code: 'channel_not_allowed' } } });
    // a courier pickup is accepted where the matter allows it, with its address kept
    const pickup = await apply('zhang.san', {
      matterCode: 'business-licence-change',
      materials: ALL_BLC,
      dropOff: { channel: 'courier_pickup', address: '西安市灞桥区港务大道 88 号' },
    });
    expect(pickup).toMatchObject({ status: 201, json: { application: { prereview: 'pending' }, dropOff: { channel: 'courier_pickup' } } });
  });

  it('keeps an application waiting for pre-review with no parcel and no code: a kiosk opens nothing for it until it passes', async () => {
    const submit = await kiosk();
    const r = await apply('zhang.san', ownKiosk());
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ application: { status: 'submitted', prereview: 'pending' }, passed: null });
    expect(JSON.stringify(r.json)).not.toMatch(/"code"|qrToken|deposit/);
    const id = r.json.application.id as string;
    expect(await counts(id)).toEqual({ parcels: 0, codes: 0 });
    const mine = (await view(id)).json.application;
    expect(mine).toMatchObject({ prereview: 'pending', parcels: [], deposit: null });
    // No code exists, so whatever is typed at the kiosk opens nothing.
    expect(await submit('48151623')).toMatchObject({ status: 'error', error: { code: 'code_invalid' } });
    // Staff cannot approve what has not passed pre-review either.
    expect(await h.api('POST', `/api/applications/${id}/approve`, as('hall.staff'), {})).toMatchObject({
      status: 409,
      json: { error: { code: 'prereview_not_passed' } },
    });

    // The staff queue shows it, people masked, with nothing missing.
    const q = await h.api('GET', '/api/prereview?matter=business-licence-change', as('hall.staff'));
    const item = (q.json.items as Json[]).find((i) => i.applicationId === id);
    expect(item).toMatchObject({
      applicant: { name: '张*', phone: '尾号0001' },
      missingCore: [],
      missingOther: ['articles-amendment'],
      channelIn: 'own_kiosk',
    });
    expect(JSON.stringify(q.json)).not.toContain('13800000001');

    // The pass: the staff answer has where, never the code; the applicant reads it off their own application.
    const passed = await decide(id, 'pass', { note: '材料齐全' });
    expect(passed).toMatchObject({
      status: 200,
      json: { application: { prereview: 'passed' }, dropOff: { compartment: expect.any(Number) } },
    });
    expect(JSON.stringify(passed.json)).not.toMatch(/"code"|qrToken/);
    expect(await counts(id)).toEqual({ parcels: 1, codes: 1 });
    const deposit = (await view(id)).json.application.deposit as Json;
    expect(deposit).toMatchObject({
      code: expect.stringMatching(/^\d{8}$/),
      factor: { kind: 'phone' },
      compartment: passed.json.dropOff.compartment,
    });
    expect((await view(id, 'hall.staff')).json.application.deposit).toBeNull();
    // In the outbox it is sealed: the row holds no code in clear; the applicant's notices open it.
    const row = (
      await h.db.pool.query(`SELECT details::text AS d FROM applicant_notices WHERE application_id = $1 AND kind = 'prereview_passed'`, [
        id,
      ])
    ).rows[0];
    expect(row.d).toContain('sealedCode');
    expect(row.d).not.toContain(deposit.code as string);
    const told = ((await h.api('GET', '/api/me/notices', as('zhang.san'))).json.notices as Json[]).find(
      (n) => n.applicationId === id && n.kind === 'prereview_passed',
    );
    expect(told?.details).toMatchObject({ code: deposit.code, compartment: deposit.compartment });
    // A second decision is refused; the code now opens the compartment.
    expect(await decide(id, 'pass')).toMatchObject({ status: 409, json: { error: { code: 'not_pending' } } });
    expect(await submit(deposit.code as string)).toMatchObject({
      status: 'ok',
      data: { compartment: deposit.compartment, purpose: 'deposit' },
    });
  });

  it('returns with one one-time notice listing every problem, printable and kept after the applicant corrects and resubmits', async () => {
    const declared = [{ code: 'application-form' }, { code: 'licence-original' }];
    const id = (await apply('zhang.san', ownKiosk(declared))).json.application.id as string;
    const queued = (await h.api('GET', '/api/prereview', as('hall.staff'))).json.items as Json[];
    expect(queued.find((i) => i.applicationId === id)).toMatchObject({
      missingCore: ['shareholder-resolution'],
    });
    // A notice that leaves out a missing core material is not one-time: refused, nothing recorded.
    const partial = await decide(id, 'return', {
      items: [{ material: 'application-form', problem: 'unsigned', whatToDo: '法定代表人签字并加盖公章' }],
    });
    expect(partial).toMatchObject({
      status: 400,
      json: { error: { code: 'notice_incomplete', details: { missing: ['shareholder-resolution'] } } },
    });
    expect((await view(id)).json.application.prereview).toBe('pending');
    const twice = await decide(id, 'return', {
      items: [
        { material: 'shareholder-resolution', problem: 'missing', whatToDo: 'a' + 'b' },
        { material: 'shareholder-resolution', problem: 'wrong', whatToDo: 'cd' },
      ],
    });
    expect(twice).toMatchObject({ status: 400, json: { error: { code: 'notice_repeats' } } });

    const items = [
      { material: 'shareholder-resolution', problem: 'missing', whatToDo: '补交全体股东签字的股东会决议原件' },
      { material: 'application-form', problem: 'unsigned', whatToDo: '法定代表人签字并加盖公章' },
    ];
    const returned = await decide(id, 'return', { items, note: '其余材料无误' });
    expect(returned).toMatchObject({ status: 200, json: { application: { prereview: 'returned' }, notice: { number: 1, items } } });
    expect(await decide(id, 'pass')).toMatchObject({ status: 409, json: { error: { code: 'not_pending' } } });
    expect(await counts(id)).toEqual({ parcels: 0, codes: 0 });

    // One notice, every problem in it: as a printable page, on the application and in the applicant's notices.
    const page = await fetch(`${h.url}/api/applications/${id}/notices/1`, { headers: { authorization: `Bearer ${as('zhang.san')}` } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await page.text();
    for (const s of [
      '一次性告知书',
      '股东会决议',
      '补交全体股东签字的股东会决议原件',
      '变更登记申请书',
      '法定代表人签字并加盖公章',
      '其余材料无误',
    ])
      expect(text).toContain(s);
    const outbox = ((await h.api('GET', '/api/me/notices', as('zhang.san'))).json.notices as Json[]).filter((n) => n.applicationId === id);
    expect(outbox).toEqual([expect.objectContaining({ kind: 'prereview_returned', message: text, details: { number: 1, items } })]);
    // Nobody else reads it.
    expect((await h.api('GET', `/api/applications/${id}/notices/1`, as('li.si'))).status).toBe(404);
    expect((await h.api('GET', `/api/applications/${id}/notices/2`, as('zhang.san'))).status).toBe(404);

    // Only its applicant resubmits; then it waits again, and notice 1 is still there as issued.
    expect((await h.api('POST', `/api/applications/${id}/resubmit`, as('li.si'), { materials: ALL_BLC })).status).toBe(404);
    const again = await h.api('POST', `/api/applications/${id}/resubmit`, as('zhang.san'), { materials: ALL_BLC });
    expect(again).toMatchObject({ status: 200, json: { application: { prereview: 'pending' } } });
    expect((await h.api('POST', `/api/applications/${id}/resubmit`, as('zhang.san'), { materials: ALL_BLC })).json.error.code).toBe(
      'not_returned',
    );
    const after = (await view(id)).json.application;
    expect(after).toMatchObject({ prereview: 'pending', materials: ALL_BLC });
    expect((after.prereviewSteps as Json[]).map((s) => s.step)).toEqual(['submitted', 'returned', 'resubmitted']);
    expect((after.prereviewSteps as Json[])[1]!.notice).toMatchObject({ number: 1, items, text });
    expect(
      await (await fetch(`${h.url}/api/applications/${id}/notices/1`, { headers: { authorization: `Bearer ${as('hall.staff')}` } })).text(),
    ).toBe(text);

    // A second return is a second notice; both are kept.
    clock += 60_000;
    const second = await decide(id, 'return', {
      items: [{ material: 'licence-original', problem: 'expired', whatToDo: '提交有效期内的营业执照' }],
    });
    expect(second).toMatchObject({ status: 200, json: { notice: { number: 2 } } });
    const kept = (await view(id)).json.application;
    expect((kept.prereviewNotices as Json[]).map((n) => [n.kind, n.details.number])).toEqual([
      ['prereview_returned', 1],
      ['prereview_returned', 2],
    ]);
    expect(kept.notices).toEqual([]);
    expect(
      (await fetch(`${h.url}/api/applications/${id}/notices/1`, { headers: { authorization: `Bearer ${as('zhang.san')}` } })).status,
    ).toBe(200);
  });

  it('passes by the rules a matter whose core materials are all declared, and leaves the others to staff', async () => {
    const all = [{ code: 'enrolment-form' }, { code: 'licence-copy' }];
    const ruled = await apply('zhang.san', { ...ownKiosk(all, 'social-insurance-enrolment') });
    expect(ruled).toMatchObject({
      status: 201,
      json: { application: { prereview: 'passed' }, passed: { compartment: expect.any(Number) } },
    });
    const id = ruled.json.application.id as string;
    const steps = (await view(id)).json.application.prereviewSteps as Json[];
    expect(steps.map((s) => [s.step, s.byRules])).toEqual([
      ['submitted', false],
      ['passed', true],
    ]);
    expect((await view(id)).json.application.deposit).toMatchObject({ code: expect.stringMatching(/^\d{8}$/) });

    const short = await apply('zhang.san', ownKiosk([{ code: 'enrolment-form' }], 'social-insurance-enrolment'));
    expect(short).toMatchObject({ status: 201, json: { application: { prereview: 'pending' }, passed: null } });
    expect(await counts(short.json.application.id as string)).toEqual({ parcels: 0, codes: 0 });
  });

  it('accepts with non-core materials to follow under a commitment (容缺受理), reminded once when due', async () => {
    const noCore = (await apply('li.si', ownKiosk([{ code: 'application-form' }]))).json.application.id as string;
    const commitment = {
      materials: ['articles-amendment'],
      commitment: '本人承诺于五个工作日内补交章程修正案',
      dueAt: new Date(clock + 5 * DAY).toISOString(),
    };
    expect(await decide(noCore, 'accept-pending', commitment)).toMatchObject({ status: 409, json: { error: { code: 'core_missing' } } });

    const id = (await apply('li.si', ownKiosk(ALL_BLC))).json.application.id as string;
    expect(await decide(id, 'accept-pending', { ...commitment, materials: ['application-form'] })).toMatchObject({
      status: 400,
      json: { error: { code: 'cannot_follow' } },
    });
    expect(await decide(id, 'accept-pending', { ...commitment, dueAt: new Date(clock - DAY).toISOString() })).toMatchObject({
      status: 400,
      json: { error: { code: 'bad_due_date' } },
    });
    const accepted = await decide(id, 'accept-pending', commitment);
    expect(accepted).toMatchObject({
      status: 200,
      json: { application: { prereview: 'accepted_pending' }, dropOff: { compartment: expect.any(Number) } },
    });
    const mine = (await view(id, 'li.si')).json.application;
    expect(mine).toMatchObject({
      prereview: 'accepted_pending',
      commitment: { materials: ['articles-amendment'], commitment: commitment.commitment, remindedAt: null },
    });
    expect(mine.deposit).toMatchObject({ code: expect.stringMatching(/^\d{8}$/) });

    const log = pino({ level: 'silent' });
    const remind = () => remindCommitments({ db: h.db.pool, now: () => new Date(clock), log });
    const due = () =>
      h.db.pool.query(`SELECT count(*)::int AS n FROM applicant_notices WHERE application_id = $1 AND kind = 'materials_due'`, [id]);
    expect(await remind()).toBe(0);
    clock += 5 * DAY - 60_000;
    expect(await remind()).toBe(0);
    clock += 60_000;
    expect(await remind()).toBe(1);
    expect(await remind()).toBe(0);
    expect((await due()).rows[0].n).toBe(1);
    // Five days on, the sessions of the morning have run out.
    await signInEveryone();
    const told = ((await h.api('GET', '/api/me/notices', as('li.si'))).json.notices as Json[]).find((n) => n.kind === 'materials_due');
    expect(told?.message).toContain('章程修正案');

    expect(await decide(id, 'materials-received')).toMatchObject({ status: 200 });
    expect(await decide(id, 'materials-received')).toMatchObject({ status: 409, json: { error: { code: 'already_received' } } });
    expect(await decide(noCore, 'materials-received')).toMatchObject({ status: 409, json: { error: { code: 'no_commitment' } } });
  });

  it('lets only staff run pre-review, and an applicant only their own application', async () => {
    const id = (await apply('zhang.san', ownKiosk())).json.application.id as string;
    for (const who of ['zhang.san', 'ems.courier', 'ops.admin']) {
      expect((await h.api('GET', '/api/prereview', as(who))).status).toBe(403);
      expect((await decide(id, 'pass', {}, who)).status).toBe(403);
      expect(
        (await decide(id, 'return', { items: [{ material: 'application-form', problem: 'wrong', whatToDo: 'xx' }] }, who)).status,
      ).toBe(403);
      expect(
        (await decide(id, 'accept-pending', { materials: ['x'], commitment: 'xxxx', dueAt: new Date(clock + DAY).toISOString() }, who))
          .status,
      ).toBe(403);
    }
    expect((await h.api('GET', '/api/prereview')).status).toBe(401);
    expect((await view(id, 'li.si')).status).toBe(404);
    expect((await decide(randomUUID(), 'pass')).status).toBe(404);
    expect((await decide('not-a-uuid', 'pass')).status).toBe(400);
    expect((await decide(id, 'pass', { note: 'ok', extra: 1 })).json.error.code).toBe('unknown_field');
    expect((await view(id)).json.application.prereview).toBe('pending');
  });

  it('gives the test helper what the apply route gave before: application, parcel, compartment and a working deposit code', async () => {
    const r = await applyPassed(h.api, as('zhang.san'), {
      matterCode: 'business-licence-change',
      dropOff: { channel: 'own_kiosk', siteId },
    });
    expect(r).toMatchObject({
      status: 201,
      json: {
        application: { id: expect.any(String), status: 'submitted', matterCode: 'business-licence-change' },
        parcel: { id: expect.any(String), trackingNumber: expect.any(String), state: 'awaiting_deposit' },
        compartment: expect.any(Number),
        deposit: {
          id: expect.any(String),
          code: expect.stringMatching(/^\d{8}$/),
          qrToken: expect.stringMatching(/^XB1\./),
          factor: { kind: 'phone' },
        },
      },
    });
    const code = (await h.db.pool.query(`SELECT parcel_id FROM access_codes WHERE id = $1`, [r.json.deposit.id])).rows[0];
    expect(code.parcel_id).toBe(r.json.parcel.id);
  });
});
