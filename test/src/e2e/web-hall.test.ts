// The hall's processing queue and exceptions pages in a real browser (Debian's Chromium on a desk
// screen) against a real hub in this process (PostgreSQL, Redis), its clock moved on so that the
// queue has waited. The queue: arrival order, the time waited, the filter by matter; accept, approve
// and reject (with a reason), and each refusal said in words (approve before accept, accept twice, a
// decision another desk made meanwhile). The exceptions page: a damaged envelope with its parcel's
// custody trail; close without a note and retry are refused in words, contact is recorded, close
// with a note closes it. Screenshots go to test/artifacts/web/.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { withTransaction } from '@xinbao/hub/store/db';
import { lockParcel, moveParcel, type Parcel } from '@xinbao/hub/store/parcels';
import { attributesOf, launchChromium, WebSession } from '../support/browser.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { signIn, type Json } from '../support/http.js';
import { applyPassed } from '../support/apply.js';

type Move = Parameters<typeof moveParcel>[2];
const TO_PICKED_UP: Move[] = ['deposited', 'pickup_ordered', 'picked_up'];
const TO_RECEIVED: Move[] = [...TO_PICKED_UP, 'received_at_hall'];
const QUEUE_WAIT_MS = 75 * 60_000;

describe("the hall's queue and exceptions pages in Chromium", () => {
  let hub: TestHub;
  let browser: Browser;
  let desk: WebSession;
  /** the hub's clock runs this far ahead of the test's */
  let ahead = 0;
  const sessions: WebSession[] = [];

  /**
   * The one way this file applies (the lead may switch how an application is made at merge): an
   * own-kiosk application whose parcel is then moved as the kiosk, the courier and the intake desk would.
   */
  async function applied(matterCode: string, moves: Move[]): Promise<{ applicationId: string; parcelId: string; tn: string }> {
    const token = await signIn(hub.api, 'zhang.san');
    const sites = (await hub.api('GET', '/api/sites', token)).json.sites as Json[];
    const created = await applyPassed(hub.api, token, {
      matterCode,
      dropOff: { channel: 'own_kiosk', siteId: sites.find((s) => s.code === 'own-hall')!.id },
    });
    expect(created.status).toBe(201);
    const parcelId = created.json.parcel.id as string;
    await withTransaction(hub.db.pool, async (tx) => {
      let parcel: Parcel = await lockParcel(tx, parcelId);
      for (const move of moves) {
        const kind =
          move === 'picked_up' ? 'courier' : move === 'received_at_hall' ? 'staff' : move === 'deposited' ? 'applicant' : 'system';
        parcel = await moveParcel(tx, parcel, move, { actor: { kind, id: null }, at: new Date() });
      }
    });
    return { applicationId: created.json.application.id as string, parcelId, tn: created.json.parcel.trackingNumber as string };
  }
  const applicationStatus = async (id: string) =>
    (await hub.db.pool.query<{ status: string }>('SELECT status FROM applications WHERE id = $1', [id])).rows[0]!.status;

  beforeAll(async () => {
    hub = await startTestHub({ deps: { now: () => new Date(Date.now() + ahead) } });
    browser = await launchChromium();
    desk = await WebSession.open(browser, hub.url, 'desk');
    sessions.push(desk);
    await desk.signIn('hall.staff');
    await desk.page.waitForURL('**/#/intake');
  }, 120_000);

  afterAll(async () => {
    for (const s of sessions) await s.close();
    await browser?.close();
    await hub?.stop();
    const shots = sessions.flatMap((s) => s.shots);
    if (shots.length > 0) console.log(`hall screenshots:\n${shots.join('\n')}`);
  });

  it('the queue: arrival order, time waited, the matter filter; accept, approve, reject, and the refusals in words', async () => {
    const first = await applied('business-licence-change', TO_RECEIVED);
    const second = await applied('business-licence-change', TO_RECEIVED);
    const third = await applied('customs-declarant-record', TO_RECEIVED);
    ahead = QUEUE_WAIT_MS;
    const page = desk.page;
    desk.problems.length = 0;

    await page.click('#nav-queue');
    await page.waitForURL('**/#/queue');
    const rows = page.locator('li.queue-row');
    await rows.nth(2).waitFor();
    expect(await attributesOf(rows, 'data-tn')).toEqual([first.tn, second.tn, third.tn]);
    expect(await rows.first().locator('.waited').textContent()).toMatch(/^已等待 1 小时 1[56] 分钟$/);
    expect(await rows.first().locator('.what').textContent()).toBe('事项: 营业执照变更登记 (business licence change) · 申请人: 张*');
    await desk.shot('queue-zh-CN');

    // The filter by matter asks the hub for that matter only.
    await page.selectOption('#matter-filter', 'customs-declarant-record');
    await page.locator(`li.queue-row[data-tn="${first.tn}"]`).waitFor({ state: 'detached' });
    expect(await attributesOf(rows, 'data-tn')).toEqual([third.tn]);
    await page.selectOption('#matter-filter', '');
    await rows.nth(2).waitFor();

    // Approve before the documents are accepted: refused, in words; nothing decided.
    const firstRow = page.locator(`li.queue-row[data-tn="${first.tn}"]`);
    await firstRow.locator('button.approve').click();
    await page.locator('#queue-message.tone-refused', { hasText: '尚未受理：请先受理材料' }).waitFor();
    expect(await applicationStatus(first.applicationId)).toBe('submitted');
    await desk.shot('queue-refused-not-accepted-zh-CN');

    // Accept, and again (already accepted, by whom), then approve: the result goes to the counter.
    await firstRow.locator('button.accept').click();
    await page.locator('#queue-message.tone-accepted', { hasText: `${first.tn}：已受理` }).waitFor();
    await page.locator(`li.queue-row[data-tn="${first.tn}"][data-state="accepted"]`).waitFor();
    expect(await firstRow.locator('.state').textContent()).toBe('已受理');
    await firstRow.locator('button.accept').click();
    await page.locator('#queue-message.tone-refused', { hasText: '已受理过' }).waitFor();
    expect(await desk.text('#queue-message')).toMatch(/by 王\*\)$/);
    await firstRow.locator('button.approve').click();
    await page.locator('#queue-message.tone-accepted', { hasText: `${first.tn}：已办结，证照即将寄回` }).waitFor();
    await firstRow.waitFor({ state: 'detached' });
    expect(await applicationStatus(first.applicationId)).toBe('approved');
    const result = await hub.db.pool.query(`SELECT state FROM parcels WHERE application_id = $1 AND direction = 'outbound'`, [
      first.applicationId,
    ]);
    expect(result.rows).toEqual([{ state: 'at_counter' }]);

    // Reject with a reason: the reason is asked for, recorded, and the row leaves the queue.
    const secondRow = page.locator(`li.queue-row[data-tn="${second.tn}"]`);
    await secondRow.locator('button.reject').click();
    expect(await secondRow.locator('button.confirm-reject').isDisabled()).toBe(true);
    await secondRow.locator('input.reject-reason').fill('材料不全：缺股东会决议');
    await secondRow.locator('button.confirm-reject').click();
    await page.locator('#queue-message.tone-accepted', { hasText: `${second.tn}：已不予通过` }).waitFor();
    await secondRow.waitFor({ state: 'detached' });
    const rejected = await hub.db.pool.query('SELECT status, decision_note FROM applications WHERE id = $1', [second.applicationId]);
    expect(rejected.rows).toEqual([{ status: 'rejected', decision_note: '材料不全：缺股东会决议' }]);

    // Another desk decided the third meanwhile, and this page has not read the queue again yet (its
    // readings held at what it last saw): its approve is refused as already decided.
    const staff = await signIn(hub.api, 'hall.staff');
    const lastSeen = (await hub.api('GET', '/api/intake/queue', staff)).json;
    await page.route('**/api/intake/queue*', (route) => route.fulfill({ json: lastSeen }));
    expect((await hub.api('POST', `/api/applications/${third.applicationId}/accept`, staff)).status).toBe(200);
    expect((await hub.api('POST', `/api/applications/${third.applicationId}/reject`, staff, { reason: '重复申请' })).status).toBe(200);
    await page.locator(`li.queue-row[data-tn="${third.tn}"] button.approve`).click();
    await page.locator('#queue-message.tone-refused', { hasText: '已办结，不能重复处理' }).waitFor();
    await page.unroute('**/api/intake/queue*');
    await page.click('#refresh');
    await page.locator('#queue-empty').waitFor();
    expect(await desk.text('#queue-empty')).toBe('队列中没有待办件。');
    await desk.shot('queue-done-zh-CN');

    // In English.
    await page.click('#lang');
    await page.locator('html[lang="en"]').waitFor();
    expect(await desk.text('#queue-empty')).toBe('Nothing is waiting in the queue.');
    expect(await desk.text('#nav-queue')).toBe('Processing queue');
    await page.click('#lang');
    await page.locator('html[lang="zh-CN"]').waitFor();

    const refused = (id: string, what: string) => `409 POST /api/applications/${id}/${what}`;
    expect(desk.problems).toEqual([
      refused(first.applicationId, 'approve'),
      refused(first.applicationId, 'accept'),
      refused(third.applicationId, 'approve'),
    ]);
  }, 120_000);

  it('the exceptions page: a damaged envelope with its custody trail; refusals in words, contact recorded, closed with a note', async () => {
    ahead = 0;
    const damaged = await applied('business-licence-change', TO_PICKED_UP);
    const staff = await signIn(hub.api, 'hall.staff');
    const scanned = await hub.api('POST', '/api/intake/scans', staff, {
      trackingNumber: damaged.tn,
      condition: 'damaged',
      note: '信封角破',
    });
    expect(scanned.json).toMatchObject({ result: 'received' });
    const page = desk.page;
    desk.problems.length = 0;

    await page.click('#nav-exceptions');
    await page.waitForURL('**/#/exceptions');
    const card = page.locator(`li.exception[data-tn="${damaged.tn}"]`);
    await card.waitFor();
    expect(await card.getAttribute('data-kind')).toBe('damaged');
    expect(await card.locator('h2').textContent()).toBe('文件袋破损');
    expect(await card.locator('.site').textContent()).toMatch(/自助信包箱/);
    expect(await card.locator('.detail').textContent()).toContain('note: 信封角破');
    await card.locator('summary').click();
    expect(await attributesOf(card.locator('.trail li'), 'data-kind')).toEqual([
      'created',
      'deposited',
      'pickup_ordered',
      'picked_up',
      'received_at_hall',
    ]);
    // People in the trail are masked: the staff member who received it is 王*.
    expect(await card.locator('.trail li').last().textContent()).toContain('工作人员 王*');
    await desk.shot('exceptions-damaged-trail-zh-CN');

    // Close without a note, and retry (nothing to retry for a damaged envelope): refused in words, nothing written.
    await card.locator('button.act-close').click();
    await page.locator('#exceptions-message.tone-refused', { hasText: '关闭异常需要填写处理说明。' }).waitFor();
    await card.locator('button.act-retry').click();
    await page.locator('#exceptions-message.tone-refused', { hasText: '不适用：' }).waitFor();
    const id = (await card.getAttribute('data-exception'))!;
    expect((await hub.db.pool.query('SELECT count(*)::int AS n FROM exception_actions WHERE exception_id = $1', [id])).rows[0].n).toBe(0);

    // Contact, with a note: recorded and shown, still open.
    await card.locator('input.action-note').fill('已电话联系申请人');
    await card.locator('button.act-contact').click();
    await page.locator('#exceptions-message.tone-accepted', { hasText: `已联系：已记录（文件袋破损，${damaged.tn}）` }).waitFor();
    await card.locator('.done-actions li', { hasText: '已电话联系申请人' }).waitFor();

    // Close with a note: it leaves the list of open exceptions.
    await card.locator('input.action-note').fill('申请人确认材料完好，继续办理');
    await card.locator('button.act-close').click();
    await page.locator('#exceptions-message.tone-accepted', { hasText: `文件袋破损（${damaged.tn}）已关闭` }).waitFor();
    await card.waitFor({ state: 'detached' });
    await desk.shot('exceptions-closed-zh-CN');
    const closed = await hub.db.pool.query(
      `SELECT e.note, e.closed_at IS NOT NULL AS closed, u.username FROM exceptions e JOIN users u ON u.id = e.closed_by WHERE e.id = $1`,
      [id],
    );
    expect(closed.rows).toEqual([{ note: '申请人确认材料完好，继续办理', closed: true, username: 'hall.staff' }]);
    const actions = await hub.db.pool.query('SELECT action, note FROM exception_actions WHERE exception_id = $1 ORDER BY at', [id]);
    expect(actions.rows).toEqual([
      { action: 'contact', note: '已电话联系申请人' },
      { action: 'close', note: '申请人确认材料完好，继续办理' },
    ]);
    // The read route for one exception: closed now, with its trail (people masked), for staff and operators only.
    const one = await hub.api('GET', `/api/exceptions/${id}`, staff);
    expect(one.status).toBe(200);
    expect(one.json.exception).toMatchObject({ id, kind: 'damaged', open: false, note: '申请人确认材料完好，继续办理', closedBy: '王*' });
    expect((one.json.exception.custody as Json[]).at(-1)).toMatchObject({
      kind: 'received_at_hall',
      actor: { kind: 'staff', name: '王*' },
    });
    expect((await hub.api('GET', `/api/exceptions/${id}`, await signIn(hub.api, 'ops.admin'))).status).toBe(200);
    expect((await hub.api('GET', `/api/exceptions/${id}`, await signIn(hub.api, 'ems.courier'))).status).toBe(403);
    expect((await hub.api('GET', `/api/exceptions/${id.replace(/.$/, (d) => (d === '0' ? '1' : '0'))}`, staff)).status).toBe(404);
    expect((await hub.api('GET', '/api/exceptions/not-an-id', staff)).status).toBe(400);
    const actionsPath = `/api/exceptions/${id}/actions`;
    expect(desk.problems).toEqual([`400 POST ${actionsPath}`, `409 POST ${actionsPath}`]);

    // An operator may open the exceptions page too; an applicant may not (their home instead).
    const admin = await WebSession.open(browser, hub.url, 'desk');
    sessions.push(admin);
    await admin.signIn('ops.admin');
    await admin.page.waitForURL('**/#/home');
    await admin.page.click('#nav-exceptions');
    await admin.page.locator('#exceptions h1').waitFor();
    expect(await admin.text('#exceptions h1')).toBe('异常处理');
    const applicant = await WebSession.open(browser, hub.url, 'phone');
    sessions.push(applicant);
    await applicant.signIn('zhang.san');
    await applicant.page.waitForURL('**/#/home');
    await applicant.page.goto(`${hub.url}/#/exceptions`);
    await applicant.page.locator('#home').waitFor();
    expect(await applicant.page.locator('#exceptions').count()).toBe(0);
    expect([...admin.problems, ...applicant.problems]).toEqual([]);
  }, 120_000);
});
