// 好差评 over the API: an applicant rates their own finished application once; a bad rating opens a
// follow-up due in working days, which staff close with a reply the applicant reads; refusals for
// an unfinished application, someone else's, a second rating, a wrong role and bad input.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestHub, type TestHub } from '../support/hub.js';
import { signIn, type Json } from '../support/http.js';
import { applyPassed } from '../support/apply.js';

describe('ratings (好差评) and their follow-ups', () => {
  let hub: TestHub;
  let zhang = '';
  let li = '';
  let staff = '';
  let admin = '';
  // Monday 2026-11-30, 10:00 in Beijing: five working days later is the end of Monday 7 December.
  let clock = new Date('2026-11-30T02:00:00Z');

  beforeAll(async () => {
    hub = await startTestHub({ deps: { now: () => clock }, env: { HALL_HOLIDAYS: '2026-12-02', SESSION_TTL_HOURS: '720' } });
    zhang = await signIn(hub.api, 'zhang.san');
    li = await signIn(hub.api, 'li.si');
    staff = await signIn(hub.api, 'hall.staff');
    admin = await signIn(hub.api, 'ops.admin');
  });
  afterAll(async () => {
    await hub?.stop();
  });

  /** The one place this file applies: a result-only application for the counter. */
  const apply = async (token: string): Promise<string> => {
    const r = await applyPassed(hub.api, token, { matterCode: 'business-licence-change', dropOff: { channel: 'none' } });
    expect(r.status).toBe(201);
    return r.json.application.id as string;
  };
  /** Approved for the counter and handed over: the result collected. */
  const finished = async (token: string): Promise<string> => {
    const id = await apply(token);
    const approved = await hub.api('POST', `/api/applications/${id}/approve`, staff, {});
    expect(approved.json.result.state).toBe('at_counter');
    const handed = await hub.api('POST', `/api/results/${approved.json.result.id as string}/handover`, staff, { idChecked: true });
    expect(handed.json.result?.state ?? handed.json.state).toBe('collected');
    return id;
  };
  const rate = (token: string, id: string, body: Json) => hub.api('POST', `/api/applications/${id}/rating`, token, body);

  it('rates a finished application once; a good rating opens no follow-up', async () => {
    const id = await finished(zhang);
    const r = await rate(zhang, id, { grade: 5, comment: '  很方便，半夜也能交  ' });
    expect(r.status).toBe(201);
    expect(r.json.rating).toMatchObject({
      applicationId: id,
      grade: 5,
      gradeName: { zh: '非常满意', en: 'very satisfied' },
      comment: '很方便，半夜也能交',
      followUp: null,
    });
    expect((await rate(zhang, id, { grade: 1 })).json.error.code).toBe('already_rated');
    expect((await hub.api('GET', `/api/applications/${id}/rating`, zhang)).json.rating.grade).toBe(5);
    expect((await hub.api('GET', `/api/applications/${id}/rating`, staff)).json.rating.grade).toBe(5);
  });

  it('opens a follow-up for a bad rating, due in working days, closed by a reply the applicant reads', async () => {
    const id = await finished(li);
    const r = await rate(li, id, { grade: 2, comment: '柜门打不开，等了很久' });
    expect(r.status).toBe(201);
    // Wednesday 2 December is a holiday here: Tue 1, Thu 3, Fri 4, Mon 7, Tue 8 → the end of Tuesday 8 December.
    expect(r.json.rating.followUp).toEqual({ id: expect.any(String), dueAt: '2026-12-08T15:59:59.999Z', repliedAt: null, reply: null });
    const followUpId = r.json.rating.followUp.id as string;

    const open = (await hub.api('GET', '/api/ratings/follow-ups', staff)).json.items as Json[];
    const mine = open.find((f) => f.id === followUpId)!;
    expect(mine).toMatchObject({ applicationId: id, grade: 2, comment: '柜门打不开，等了很久', overdue: false, repliedAt: null });
    // The applicant's name is masked in the list (李四 → 李*).
    expect(mine.applicantName).toBe('李*');
    expect(JSON.stringify(open)).not.toContain('李四');
    expect((await hub.api('GET', '/api/ratings/follow-ups', admin)).status).toBe(200);

    // Past the deadline, unanswered: overdue.
    clock = new Date('2026-12-09T01:00:00Z');
    expect(((await hub.api('GET', '/api/ratings/follow-ups', staff)).json.items as Json[]).find((f) => f.id === followUpId)!.overdue).toBe(
      true,
    );

    const replied = await hub.api('POST', `/api/ratings/follow-ups/${followUpId}/reply`, staff, {
      reply: '已检修该柜门并向您致歉；如再遇故障请拨打大厅电话。',
    });
    expect(replied.status).toBe(200);
    expect(replied.json.rating.followUp).toMatchObject({
      repliedAt: clock.toISOString(),
      reply: '已检修该柜门并向您致歉；如再遇故障请拨打大厅电话。',
    });
    expect((await hub.api('POST', `/api/ratings/follow-ups/${followUpId}/reply`, staff, { reply: 'again' })).json.error.code).toBe(
      'already_replied',
    );
    // The applicant reads the reply with their rating; the open list no longer has it, the whole list does.
    expect((await hub.api('GET', `/api/applications/${id}/rating`, li)).json.rating.followUp.reply).toContain('已检修');
    expect(((await hub.api('GET', '/api/ratings/follow-ups', staff)).json.items as Json[]).some((f) => f.id === followUpId)).toBe(false);
    const all = (await hub.api('GET', '/api/ratings/follow-ups?open=false', staff)).json.items as Json[];
    expect(all.find((f) => f.id === followUpId)).toMatchObject({ repliedBy: expect.stringMatching(/\*/) });
  });

  it('refuses an unfinished application, someone else’s, the wrong role and bad input', async () => {
    const unfinished = await apply(zhang);
    expect((await rate(zhang, unfinished, { grade: 4 })).json.error.code).toBe('not_finished');
    const zhangs = await finished(zhang);
    // Someone else's application: not found, so its existence is not told; not readable either.
    expect((await rate(li, zhangs, { grade: 1 })).status).toBe(404);
    expect((await hub.api('GET', `/api/applications/${zhangs}/rating`, li)).status).toBe(404);
    // Staff do not rate; applicants do not list or reply.
    expect((await rate(staff, zhangs, { grade: 3 })).status).toBe(403);
    expect((await hub.api('GET', '/api/ratings/follow-ups', zhang)).status).toBe(403);
    expect((await hub.api('POST', `/api/ratings/follow-ups/${zhangs}/reply`, zhang, { reply: 'x' })).status).toBe(403);
    expect((await hub.api('POST', `/api/ratings/follow-ups/${zhangs}/reply`, staff, { reply: 'x' })).status).toBe(404);
    for (const body of [{}, { grade: 0 }, { grade: 6 }, { grade: 4.5 }, { grade: '5' }, { grade: 5, comment: 'x'.repeat(501) }]) {
      expect((await rate(zhang, zhangs, body)).status).toBe(400);
    }
    expect((await rate(zhang, zhangs, { grade: 5, stars: 5 })).json.error.code).toBe('unknown_field');
    expect((await rate(zhang, 'not-a-uuid', { grade: 5 })).status).toBe(400);
    expect((await hub.api('POST', `/api/ratings/follow-ups/${zhangs}/reply`, staff, { reply: '' })).status).toBe(400);
    expect((await hub.api('GET', '/api/ratings/follow-ups?open=maybe', staff)).status).toBe(400);
    // Unrated: null, not an error.
    expect((await hub.api('GET', `/api/applications/${zhangs}/rating`, zhang)).json).toEqual({ rating: null });
  });
});
