// The hall's processing queue and acceptance (issue 11), in-process on a real PostgreSQL and Redis
// with a clock the test sets: received applications in arrival order with the time each waited,
// filtered by matter, people masked; accepting moves the inbound parcel received_at_hall → accepted
// with its custody event, once; staff only.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { firstBrokenLink } from '@xinbao/hub/domain/custody';
import { withTransaction } from '@xinbao/hub/store/db';
import { custodyLog, lockParcel, moveParcel } from '@xinbao/hub/store/parcels';
import { signIn, type Json } from '../support/http.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { applyPassed } from '../support/apply.js';

const T0 = new Date('2026-12-01T08:00:00Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

describe('hub: the processing queue and accept', () => {
  let h: TestHub;
  let clock = T0;
  let siteId = '';
  const tokens: Record<string, string> = {};

  /** An own-kiosk application of `username` for `matterCode`; its inbound parcel. */
  const apply = async (username: string, matterCode: string) => {
    const r = await applyPassed(h.api, tokens[username], { matterCode, dropOff: { channel: 'own_kiosk', siteId } });
    expect(r.status).toBe(201);
    return {
      applicationId: r.json.application.id as string,
      parcelId: r.json.parcel.id as string,
      trackingNumber: r.json.parcel.trackingNumber as string,
    };
  };
  /** The parcel along its journey through the one state door, each move at its own time. */
  const move = async (parcelId: string, moves: Array<Parameters<typeof moveParcel>[2]>, at: Date) => {
    for (const m of moves) {
      await withTransaction(h.db.pool, async (tx) => {
        await moveParcel(tx, await lockParcel(tx, parcelId), m, { actor: { kind: 'system', id: null }, at });
      });
    }
  };
  const toHall = (parcelId: string, at: Date) => move(parcelId, ['deposited', 'pickup_ordered', 'picked_up', 'received_at_hall'], at);
  const queue = async (query = '', who = 'hall.staff') => h.api('GET', `/api/intake/queue${query}`, tokens[who]);

  let a: Awaited<ReturnType<typeof apply>>;
  let b: Awaited<ReturnType<typeof apply>>;
  let c: Awaited<ReturnType<typeof apply>>;
  let notYet: Awaited<ReturnType<typeof apply>>;

  beforeAll(async () => {
    h = await startTestHub({ deps: { now: () => clock } });
    for (const u of ['zhang.san', 'li.si', 'hall.staff', 'ems.courier', 'ops.admin']) tokens[u] = await signIn(h.api, u);
    const sites = (await h.api('GET', '/api/sites', tokens['ops.admin'])).json.sites as Json[];
    siteId = sites.find((s) => s.code === 'own-hall')!.id as string;
    a = await apply('zhang.san', 'business-licence-change');
    b = await apply('li.si', 'customs-declarant-record');
    c = await apply('zhang.san', 'business-licence-change');
    notYet = await apply('li.si', 'business-licence-change');
    // Received out of the order they were applied for: the queue follows arrival at the hall.
    await toHall(b.parcelId, minutes(5));
    await toHall(a.parcelId, minutes(0));
    await toHall(c.parcelId, minutes(10));
    await move(notYet.parcelId, ['deposited', 'pickup_ordered', 'picked_up'], minutes(1));
  }, 60_000);

  afterAll(async () => {
    await h?.stop();
  });

  it('lists received applications in arrival order with the minutes each waited, the matter and the applicant masked', async () => {
    clock = minutes(30);
    const r = await queue();
    expect(r.status).toBe(200);
    expect(r.json.items).toEqual([
      {
        applicationId: a.applicationId,
        trackingNumber: a.trackingNumber,
        matter: { code: 'business-licence-change', name: '营业执照变更登记 (business licence change)' },
        applicant: '张*',
        receivedAt: minutes(0).toISOString(),
        waitedMinutes: 30,
        state: 'received_at_hall',
      },
      expect.objectContaining({
        applicationId: b.applicationId,
        applicant: '李*',
        waitedMinutes: 25,
        matter: expect.objectContaining({ code: 'customs-declarant-record' }),
      }),
      expect.objectContaining({ applicationId: c.applicationId, applicant: '张*', waitedMinutes: 20 }),
    ]);
    // Nothing personal beyond the masked name.
    expect(JSON.stringify(r.json)).not.toMatch(/张三|李四|1380000/);
  });

  it('filters by matter, and refuses a malformed filter or an unknown query field', async () => {
    const one = await queue('?matter=customs-declarant-record');
    expect((one.json.items as Json[]).map((i) => i.applicationId)).toEqual([b.applicationId]);
    expect((await queue('?matter=no-such-matter')).json.items).toEqual([]);
    const bad = await queue('?matter=%20DROP');
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('bad_request');
    expect((await queue('?colour=red')).status).toBe(400);
  });

  it('accepts once: received_at_hall → accepted with its custody event; a second accept is a 409 that writes nothing', async () => {
    clock = minutes(40);
    const r = await h.api('POST', `/api/applications/${a.applicationId}/accept`, tokens['hall.staff']);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ applicationId: a.applicationId, status: 'accepted', parcel: { id: a.parcelId, state: 'accepted' } });
    const log = await custodyLog(h.db.pool, a.parcelId);
    expect(log.at(-1)).toMatchObject({ kind: 'accepted', fromState: 'received_at_hall', toState: 'accepted', actorKind: 'staff' });
    expect(log.at(-1)!.at.toISOString()).toBe(minutes(40).toISOString());
    expect(firstBrokenLink(log)).toBe(-1);

    clock = minutes(41);
    const again = await h.api('POST', `/api/applications/${a.applicationId}/accept`, tokens['hall.staff']);
    expect(again.status).toBe(409);
    expect(again.json.error).toMatchObject({
      code: 'already_accepted',
      details: { acceptedAt: minutes(40).toISOString(), acceptedBy: '王*' },
    });
    expect(again.json.error.message).toContain('王*');
    expect(await custodyLog(h.db.pool, a.parcelId)).toHaveLength(log.length);

    // Still in the queue (accepted, awaiting approval), in its place.
    const items = (await queue()).json.items as Json[];
    expect(items.map((i) => [i.applicationId, i.state])).toEqual([
      [a.applicationId, 'accepted'],
      [b.applicationId, 'received_at_hall'],
      [c.applicationId, 'received_at_hall'],
    ]);
  });

  it("moves the application's own status with its parcel: accepted, then approved; a rejected one is not accepted any more", async () => {
    const statusOf = async (applicationId: string, applicant: string) =>
      (await h.api('GET', `/api/applications/${applicationId}`, tokens[applicant])).json.application.status as string;
    // a was accepted above: the application says so, and approval goes on from there.
    expect(await statusOf(a.applicationId, 'zhang.san')).toBe('accepted');
    expect(await statusOf(c.applicationId, 'zhang.san')).toBe('submitted');
    clock = minutes(42);
    const approved = await h.api('POST', `/api/applications/${a.applicationId}/approve`, tokens['hall.staff'], {});
    expect(approved).toMatchObject({ status: 201, json: { application: { id: a.applicationId, status: 'approved' } } });
    expect(await statusOf(a.applicationId, 'zhang.san')).toBe('approved');
    expect(
      (await h.api('POST', `/api/applications/${a.applicationId}/reject`, tokens['hall.staff'], { reason: 'x' })).json.error.code,
    ).toBe('already_decided');

    // c is rejected before anyone accepted its documents: accepting it afterwards is refused and writes nothing.
    const rejected = await h.api('POST', `/api/applications/${c.applicationId}/reject`, tokens['hall.staff'], { reason: '材料不齐' });
    expect(rejected).toMatchObject({ status: 200, json: { application: { status: 'rejected' } } });
    const before = await custodyLog(h.db.pool, c.parcelId);
    const late = await h.api('POST', `/api/applications/${c.applicationId}/accept`, tokens['hall.staff']);
    expect(late).toMatchObject({ status: 409, json: { error: { code: 'already_decided', details: { status: 'rejected' } } } });
    expect(await custodyLog(h.db.pool, c.parcelId)).toEqual(before);
    expect(await statusOf(c.applicationId, 'zhang.san')).toBe('rejected');
    // Both decided: neither waits in the queue any more.
    expect(((await queue()).json.items as Json[]).map((i) => i.applicationId)).toEqual([b.applicationId]);
  });

  it('refuses a parcel not received yet, an unknown application and a malformed id, writing nothing', async () => {
    const before = await custodyLog(h.db.pool, notYet.parcelId);
    const r = await h.api('POST', `/api/applications/${notYet.applicationId}/accept`, tokens['hall.staff']);
    expect(r.status).toBe(409);
    expect(r.json.error).toMatchObject({ code: 'not_received', details: { state: 'picked_up' } });
    expect(await custodyLog(h.db.pool, notYet.parcelId)).toEqual(before);
    expect((await h.api('POST', `/api/applications/${randomUUID()}/accept`, tokens['hall.staff'])).status).toBe(404);
    expect((await h.api('POST', '/api/applications/not-a-uuid/accept', tokens['hall.staff'])).status).toBe(400);
  });

  it('is for staff only: applicants, couriers and admins get 403, nobody signed in 401', async () => {
    for (const who of ['zhang.san', 'ems.courier', 'ops.admin']) {
      expect((await queue('', who)).status).toBe(403);
      const r = await h.api('POST', `/api/applications/${b.applicationId}/accept`, tokens[who]);
      expect(r.status).toBe(403);
      expect(r.json.error.code).toBe('forbidden');
    }
    expect((await h.api('GET', '/api/intake/queue')).status).toBe(401);
    expect((await h.api('POST', `/api/applications/${b.applicationId}/accept`)).status).toBe(401);
    expect((await custodyLog(h.db.pool, b.parcelId)).at(-1)!.kind).toBe('received_at_hall');
  });
});
