// The applicant's own list (GET /api/me/applications): newest first, each with its matter, status,
// pre-review and parcels; paged with before/limit; nobody else's application in it, nor reachable as
// a cursor; other roles refused.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestHub, type TestHub } from '../support/hub.js';
import { signIn, type Json } from '../support/http.js';
import { applyPassed } from '../support/apply.js';

describe('GET /api/me/applications', () => {
  let hub: TestHub;
  const tokens: Record<string, string> = {};
  let siteId = '';
  let clock = new Date('2026-11-30T02:00:00Z');
  /** each application a minute after the one before, so "newest first" is not an accident of ids */
  const tick = () => (clock = new Date(clock.getTime() + 60_000));

  beforeAll(async () => {
    hub = await startTestHub({ deps: { now: () => clock }, env: { SESSION_TTL_HOURS: '720' } });
    for (const u of ['zhang.san', 'li.si', 'hall.staff', 'ems.courier', 'ops.admin']) tokens[u] = await signIn(hub.api, u);
    siteId = ((await hub.api('GET', '/api/sites', tokens['ops.admin'])).json.sites as Json[]).find((s) => s.code === 'own-hall')!
      .id as string;
  });
  afterAll(async () => {
    await hub?.stop();
  });

  const list = (who: string, q = '') => hub.api('GET', `/api/me/applications${q}`, tokens[who]);

  it('lists only the applicant’s own, newest first, with matter, status, pre-review and parcels; paged', async () => {
    // 1. waiting for pre-review (a core material missing), then returned with a one-time notice
    tick();
    const returned = await hub.api('POST', '/api/applications', tokens['zhang.san'], {
      matterCode: 'business-licence-change',
      materials: [{ code: 'application-form' }, { code: 'licence-original' }],
      dropOff: { channel: 'own_kiosk', siteId },
    });
    expect(returned.status).toBe(201);
    const returnedId = returned.json.application.id as string;
    expect(
      (
        await hub.api('POST', `/api/prereview/${returnedId}/return`, tokens['hall.staff'], {
          items: [{ material: 'shareholder-resolution', problem: 'missing', whatToDo: '补交股东会决议原件' }],
        })
      ).status,
    ).toBe(200);
    // 2. passed: a parcel awaiting its deposit
    tick();
    const passed = await applyPassed(hub.api, tokens['zhang.san'], {
      matterCode: 'business-licence-change',
      dropOff: { channel: 'own_kiosk', siteId },
    });
    expect(passed.status).toBe(201);
    const passedId = passed.json.application.id as string;
    const tn = passed.json.parcel.trackingNumber as string;
    // someone else's, in between
    tick();
    const other = await applyPassed(hub.api, tokens['li.si'], { matterCode: 'business-licence-change', dropOff: { channel: 'none' } });
    expect(other.status).toBe(201);
    const otherId = other.json.application.id as string;
    // 3. pending, no parcel yet
    tick();
    const pending = await hub.api('POST', '/api/applications', tokens['zhang.san'], {
      matterCode: 'business-licence-change',
      dropOff: { channel: 'counter' },
    });
    const pendingId = pending.json.application.id as string;

    const all = await list('zhang.san');
    expect(all.status).toBe(200);
    const apps = all.json.applications as Json[];
    expect(apps.map((a) => a.id)).toEqual([pendingId, passedId, returnedId]);
    expect(all.json.nextBefore).toBeNull();
    expect(apps[0]).toEqual({
      id: pendingId,
      matter: { code: 'business-licence-change', name: '营业执照变更登记 (business licence change)', nameEn: 'Business licence change' },
      status: 'submitted',
      prereview: 'pending',
      createdAt: new Date(clock).toISOString(),
      parcels: [],
    });
    expect(apps[1]).toMatchObject({
      prereview: 'passed',
      parcels: [{ trackingNumber: tn, direction: 'inbound', state: 'awaiting_deposit' }],
    });
    expect(apps[2]).toMatchObject({ prereview: 'returned', parcels: [] });
    expect(((await list('li.si')).json.applications as Json[]).map((a) => a.id)).toEqual([otherId]);

    // Paged: two, then the rest after the second; limit bounded.
    const first = await list('zhang.san', '?limit=2');
    expect((first.json.applications as Json[]).map((a) => a.id)).toEqual([pendingId, passedId]);
    expect(first.json.nextBefore).toBe(passedId);
    const second = await list('zhang.san', `?limit=2&before=${first.json.nextBefore as string}`);
    expect((second.json.applications as Json[]).map((a) => a.id)).toEqual([returnedId]);
    expect(second.json.nextBefore).toBeNull();
    expect((await list('zhang.san', '?limit=51')).status).toBe(400);
    expect((await list('zhang.san', '?limit=0')).status).toBe(400);
    expect((await list('zhang.san', '?before=nope')).status).toBe(400);
    expect((await list('zhang.san', '?colour=red')).status).toBe(400);
    // Someone else's application is no cursor: not found, as if it did not exist.
    expect((await list('zhang.san', `?before=${otherId}`)).status).toBe(404);
  });

  it('refuses other roles and no sign-in', async () => {
    for (const who of ['hall.staff', 'ems.courier', 'ops.admin']) {
      const r = await list(who);
      expect([who, r.status]).toEqual([who, 403]);
    }
    expect((await hub.api('GET', '/api/me/applications', undefined)).status).toBe(401);
  });
});
