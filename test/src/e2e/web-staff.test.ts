// The staff console in a real browser (Debian's Chromium on a desk screen) against a real hub in this
// process (PostgreSQL, Redis), the SMS gateway simulator as its gateway and a notifications worker
// sending the outbox (ADR 0034). Pre-review: the queue in arrival order, applicants masked; one
// application returned with a one-time notice (the editor starts with every missing core material;
// with one removed the hub refuses, said in words; the issued notice is what the preview showed),
// one passed (its applicant now has a deposit code), one 容缺-accepted. Search: by tracking number
// and by the last 4 digits of the phone (masked in the list), an application opened read-only and
// its materials to follow marked received. Follow-ups: a bad rating replied to; it shows closed with
// its reply and the applicant's SMS arrives; an overdue one is flagged and listed first. The lists are
// live: an application arriving or passed elsewhere shows without a reload, and a list whose socket
// dropped says so and catches up on reconnection. Screenshots go to test/artifacts/web/.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { Browser, WebSocketRoute } from 'playwright-core';
import type { Worker } from 'bullmq';
import { OpenCodeCipher } from '@xinbao/hub/features/partner/open-code';
import { HttpSmsGateway } from '@xinbao/hub/features/notifications/http-gateway';
import { startNotificationsWorker, sweepNotices, enqueueNotice } from '@xinbao/hub/features/notifications/jobs';
import { DEMO_USERS } from '@xinbao/hub/store/seed';
import { startSmsGatewaySimulator, type SmsGatewaySimulator } from '@xinbao/simulators/sms-gateway';
import { attributesOf, launchChromium, WebSession } from '../support/browser.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { signIn, type Json } from '../support/http.js';
import { applyPassed } from '../support/apply.js';
import { redisUrl } from '../support/db.js';
import { eventually } from '../support/eventually.js';

const SMS_SECRET = 'sms-secret-for-the-staff-console';
const phoneOf = (username: string) => DEMO_USERS.find((u) => u.username === username)!.phone;
const CORE = ['application-form', 'shareholder-resolution', 'licence-original'];
const REPLY = '已检修该柜门并向您致歉；如再遇故障请拨打大厅电话。';

describe('the staff console in Chromium', () => {
  let hub: TestHub;
  let sms: SmsGatewaySimulator;
  let connection: Redis;
  let worker: Worker | undefined;
  let browser: Browser;
  let desk: WebSession;
  let zhang = '';
  let hallSite = '';
  /** queues every unsent notice, as a hub process with workers does on its sweep */
  let sweep: () => Promise<number> = () => Promise.resolve(0);
  /** the hub's clock runs this far ahead of the test's (negative: behind) */
  let ahead = 0;
  /** the three applications pre-reviewed below, for the search */
  const decided: { returned?: string; passed?: string; pending?: string } = {};

  /** Applies as zhang.san for a matter staff pre-review, declaring `materials`: it waits for pre-review. */
  const applyForPrereview = async (materials: string[]): Promise<string> => {
    const r = await hub.api('POST', '/api/applications', zhang, {
      matterCode: 'business-licence-change',
      materials: materials.map((code) => ({ code })),
      dropOff: { channel: 'own_kiosk', siteId: hallSite },
    });
    expect(r.json.application.prereview).toBe('pending');
    return r.json.application.id as string;
  };
  const applicationOf = async (id: string) => (await hub.api('GET', `/api/applications/${id}`, zhang)).json.application as Json;

  beforeAll(async () => {
    sms = await startSmsGatewaySimulator({ secret: SMS_SECRET, receiptDelayMs: 5 });
    hub = await startTestHub({
      env: { SMS_GATEWAY_URL: sms.url, SMS_GATEWAY_SECRET: SMS_SECRET },
      deps: { now: () => new Date(Date.now() + ahead) },
    });
    connection = new Redis(redisUrl(), { maxRetriesPerRequest: null });
    const deps = {
      db: hub.db.pool,
      gateway: new HttpSmsGateway(sms.url, SMS_SECRET),
      cipher: new OpenCodeCipher(hub.config.codeHashKey),
      now: () => new Date(),
      log: pino({ level: 'silent' }),
    };
    worker = startNotificationsWorker(deps, hub.hub.notificationsQueue, connection, hub.queuePrefix);
    zhang = await signIn(hub.api, 'zhang.san');
    hallSite = ((await hub.api('GET', '/api/sites', zhang)).json.sites as Json[]).find((s) => s.code === 'own-hall')!.id as string;
    browser = await launchChromium();
    desk = await WebSession.open(browser, hub.url, 'desk');
    await desk.signIn('hall.staff');
    await desk.page.waitForURL('**/#/intake');
    sweep = () => sweepNotices(deps, (id) => enqueueNotice(hub.hub.notificationsQueue, id));
  }, 120_000);

  afterAll(async () => {
    await desk?.close();
    await browser?.close();
    await worker?.close();
    connection?.disconnect();
    await hub?.stop();
    await sms?.stop();
    if (desk?.shots.length) console.log(`staff console screenshots:\n${desk.shots.join('\n')}`);
  });

  it('pre-review: returns one with a one-time notice (refused while a missing core material is left out), passes one, 容缺-accepts one', async () => {
    const toReturn = await applyForPrereview(['application-form']);
    const toPass = await applyForPrereview([...CORE, 'articles-amendment']);
    const toFollow = await applyForPrereview(CORE);
    Object.assign(decided, { returned: toReturn, passed: toPass, pending: toFollow });
    const page = desk.page;
    desk.problems.length = 0;

    // The staff navigation: intake, pre-review, queue, search, follow-ups, exceptions.
    expect(await attributesOf(page.locator('nav.pages a'), 'id')).toEqual([
      'nav-intake',
      'nav-prereview',
      'nav-queue',
      'nav-search',
      'nav-follow-ups',
      'nav-exceptions',
    ]);
    await page.click('#nav-prereview');
    await page.waitForURL('**/#/prereview');
    const rows = page.locator('li.prereview-row');
    await page.locator(`li.prereview-row[data-application="${toFollow}"]`).waitFor();
    // Arrival order; the applicant masked, name and phone.
    expect(await attributesOf(rows, 'data-application')).toEqual([toReturn, toPass, toFollow]);
    const first = rows.first();
    expect(await first.locator('.applicant').textContent()).toBe('张*');
    expect(await first.locator('.phone').textContent()).toBe(`尾号${phoneOf('zhang.san').slice(-4)}`);
    expect(await first.locator('.missing-core').textContent()).toContain('股东会决议');
    expect(await page.locator('#prereview').textContent()).not.toContain(phoneOf('zhang.san'));
    await desk.shot('staff-prereview-queue-zh-CN');

    // Return: the editor starts with every missing core material, the preview with them.
    const returned = page.locator(`li.prereview-row[data-application="${toReturn}"]`);
    await returned.locator('button.open').click();
    expect(await returned.locator('tr[data-declared="no"]').count()).toBe(3);
    await returned.locator('button.return').click();
    const editor = returned.locator('#notice-editor');
    expect(await attributesOf(editor.locator('li.notice-row'), 'data-material')).toEqual(['shareholder-resolution', 'licence-original']);
    expect(await editor.locator('#notice-preview').textContent()).toContain('1. 股东会决议 (Shareholders’ resolution) — 缺少 / missing');

    // One missing core material taken out: the page warns, and the hub refuses it, in words.
    await editor.locator('li.notice-row[data-material="licence-original"] button.remove-row').click();
    expect(await editor.locator('#notice-lacking').textContent()).toContain('营业执照正副本');
    await editor.locator('button.send-notice').click();
    await page
      .locator('#prereview-message.tone-refused', { hasText: '一次性告知必须列明全部缺少的核心材料，遗漏了 营业执照正副本' })
      .waitFor();
    expect((await applicationOf(toReturn)).prereview).toBe('pending');
    await desk.shot('staff-prereview-notice-refused-zh-CN');

    // Put back with what to do, one more material found wrong, a note: sent; the preview is the notice issued.
    await editor.locator('#add-material').selectOption('licence-original');
    await editor.locator('#add-row').click();
    const back = editor.locator('li.notice-row[data-material="licence-original"]');
    await back.locator('select.problem').selectOption('missing');
    await back.locator('input.what-to-do-text').fill('请补交营业执照正副本原件。');
    await editor.locator('#add-material').selectOption('application-form');
    await editor.locator('#add-row').click();
    const form = editor.locator('li.notice-row[data-material="application-form"]');
    await form.locator('select.problem').selectOption('unsigned');
    await form.locator('input.what-to-do-text').fill('请法定代表人在申请书上签字并加盖公章。');
    await editor.locator('#notice-note').fill('补齐后可在 App 中重新提交。');
    const preview = (await editor.locator('#notice-preview').textContent())!;
    await desk.shot('staff-prereview-notice-editor-zh-CN');
    await editor.locator('button.send-notice').click();
    await page.locator('#prereview-message.tone-accepted', { hasText: '已一次性告知退回' }).waitFor();
    await returned.waitFor({ state: 'detached' });
    expect(await page.locator('#issued-notice pre').textContent()).toContain('请法定代表人在申请书上签字并加盖公章。');

    // The applicant's application shows the notice, as previewed (but for the date it was issued).
    const withNotice = await applicationOf(toReturn);
    expect(withNotice.prereview).toBe('returned');
    const step = (withNotice.prereviewSteps as Json[]).find((s) => s.step === 'returned')!;
    expect((step.notice.items as Json[]).map((i) => [i.material, i.problem])).toEqual([
      ['shareholder-resolution', 'missing'],
      ['licence-original', 'missing'],
      ['application-form', 'unsigned'],
    ]);
    expect((withNotice.prereviewNotices as Json[]).map((n) => n.kind)).toContain('prereview_returned');
    const printable = await fetch(`${hub.url}/api/applications/${toReturn}/notices/1`, { headers: { authorization: `Bearer ${zhang}` } });
    const undated = (text: string) => text.split('\n').filter((l) => !l.startsWith('日期 / Date:'));
    expect(undated(await printable.text())).toEqual(undated(preview));
    await desk.shot('staff-prereview-notice-issued-zh-CN');

    // Pass: the applicant now has a deposit code.
    const passing = page.locator(`li.prereview-row[data-application="${toPass}"]`);
    await passing.locator('button.open').click();
    await passing.locator('button.pass').click();
    await page.locator('#prereview-message.tone-accepted', { hasText: '预审通过' }).waitFor();
    await passing.waitFor({ state: 'detached' });
    const passed = await applicationOf(toPass);
    expect(passed.prereview).toBe('passed');
    expect(passed.deposit.code).toMatch(/^\d{6,}$/);

    // 容缺: the non-core material not sent follows, by a due date.
    const following = page.locator(`li.prereview-row[data-application="${toFollow}"]`);
    await following.locator('button.open').click();
    await following.locator('button.accept-pending').click();
    expect(await following.locator('label.follow-material input').getAttribute('value')).toBe('articles-amendment');
    await desk.shot('staff-prereview-accept-pending-zh-CN');
    await following.locator('button.confirm-accept-pending').click();
    await page.locator('#prereview-message.tone-accepted', { hasText: '已容缺受理' }).waitFor();
    await following.waitFor({ state: 'detached' });
    const accepted = await applicationOf(toFollow);
    expect(accepted.prereview).toBe('accepted_pending');
    expect(accepted.commitment).toMatchObject({ materials: ['articles-amendment'], receivedAt: null });
    await page.locator('#prereview-empty').waitFor();

    expect(desk.problems).toEqual([`400 POST /api/prereview/${toReturn}/return`]);
  }, 90_000);

  it('search: by tracking number and by the last 4 digits of the phone, masked; an application opened read-only', async () => {
    const passedApp = await applicationOf(decided.passed!);
    const tn = (passedApp.parcels as Json[])[0]!.trackingNumber as string;
    const page = desk.page;
    desk.problems.length = 0;
    await page.click('#nav-search');
    await page.waitForURL('**/#/search');

    await page.fill('#search-q', tn);
    await page.click('#search-go');
    const results = page.locator('li.search-result');
    await page.locator(`li.search-result[data-application="${decided.passed}"]`).waitFor();
    expect(await results.count()).toBe(1);
    expect(await results.first().locator('.phone').textContent()).toBe(`尾号${phoneOf('zhang.san').slice(-4)}`);
    expect(await results.first().locator('.applicant').textContent()).toBe('张*');
    expect(await results.first().locator('.tn').first().getAttribute('data-tn')).toBe(tn);
    await results.first().locator('button.open-result').click();
    const detail = page.locator(`#application-detail[data-application="${decided.passed}"]`);
    await detail.waitFor();
    expect(await attributesOf(detail.locator('.prereview-steps li'), 'data-step')).toEqual(['submitted', 'passed']);
    expect(await detail.locator(`.parcel-trail[data-tn="${tn}"] .trail li`).count()).toBeGreaterThan(0);
    await desk.shot('staff-search-tracking-number-zh-CN');

    // The last 4 digits: every application of zhang.san's, newest first, the phone masked in the list.
    await page.fill('#search-q', phoneOf('zhang.san').slice(-4));
    await page.click('#search-go');
    await page.locator(`li.search-result[data-application="${decided.returned}"]`).waitFor();
    expect(await attributesOf(results, 'data-application')).toEqual([decided.pending, decided.passed, decided.returned]);
    for (const phone of await results.locator('.phone').allTextContents()) expect(phone).toBe(`尾号${phoneOf('zhang.san').slice(-4)}`);
    expect(await page.locator('#search').textContent()).not.toContain(phoneOf('zhang.san'));
    // In English the mask reads "ending 0001".
    await page.click('#lang');
    await page.locator('html[lang="en"]').waitFor();
    expect(await results.first().locator('.phone').textContent()).toBe(`ending ${phoneOf('zhang.san').slice(-4)}`);
    await desk.shot('staff-search-phone-last4-en');
    await page.click('#lang');
    await page.locator('html[lang="zh-CN"]').waitFor();

    // The 容缺 application: its one-time notice history empty, its materials to follow marked received here.
    await page.locator(`li.search-result[data-application="${decided.pending}"] button.open-result`).click();
    const pending = page.locator(`#application-detail[data-application="${decided.pending}"]`);
    await pending.locator('.commitment[data-received="no"] button.materials-received').click();
    await pending.locator('.commitment[data-received="yes"]').waitFor();
    expect((await applicationOf(decided.pending!)).commitment.receivedAt).not.toBeNull();
    // The returned one shows its one-time notice as issued.
    await page.locator(`li.search-result[data-application="${decided.returned}"] button.open-result`).click();
    await page.locator(`#application-detail[data-application="${decided.returned}"] .issued-notice-text`).waitFor();
    await desk.shot('staff-search-phone-last4-zh-CN');

    // Not a search the hall makes: said in words.
    await page.fill('#search-q', 'abc');
    await page.click('#search-go');
    await page.locator('#search-message', { hasText: '请输入运单号' }).waitFor();
    expect(desk.problems).toEqual(['400 GET /api/search']);
  }, 60_000);

  it('follow-ups: a bad rating replied to shows closed with its reply, and the applicant’s SMS arrives', async () => {
    // li.si's applications for the counter, approved, handed over and rated badly (through the API):
    // one rated three weeks ago and not answered since (overdue), one today.
    const staff = await signIn(hub.api, 'hall.staff');
    const li = await signIn(hub.api, 'li.si');
    const ratedBadly = async (comment: string, daysAgo: number): Promise<{ id: string; followUpId: string }> => {
      const applied = await applyPassed(hub.api, li, { matterCode: 'business-licence-change', dropOff: { channel: 'none' } });
      const id = applied.json.application.id as string;
      const approved = await hub.api('POST', `/api/applications/${id}/approve`, staff, {});
      await hub.api('POST', `/api/results/${approved.json.result.id as string}/handover`, staff, { idChecked: true });
      ahead = -daysAgo * 86_400_000;
      const rated = await hub.api('POST', `/api/applications/${id}/rating`, li, { grade: 2, comment });
      ahead = 0;
      expect(rated.status).toBe(201);
      return { id, followUpId: rated.json.rating.followUp.id as string };
    };
    const late = await ratedBadly('三周前打过电话，没人回', 21);
    const { id, followUpId } = await ratedBadly('柜门打不开，等了很久', 0);

    const page = desk.page;
    desk.problems.length = 0;
    await page.click('#nav-follow-ups');
    await page.waitForURL('**/#/follow-ups');
    const card = page.locator(`#follow-ups-open li.follow-up[data-follow-up="${followUpId}"]`);
    await card.waitFor();
    // The overdue one first (the soonest due), flagged; today's not.
    expect(await attributesOf(page.locator('#follow-ups-open li.follow-up'), 'data-follow-up')).toEqual([late.followUpId, followUpId]);
    const overdue = page.locator(`#follow-ups-open li.follow-up[data-follow-up="${late.followUpId}"]`);
    expect(await overdue.getAttribute('class')).toContain('is-overdue');
    expect(await overdue.locator('.overdue').textContent()).toBe('已超期');
    expect(await card.locator('.overdue').count()).toBe(0);
    expect(await card.locator('.applicant').textContent()).toBe('李*');
    expect(await card.locator('.comment').textContent()).toBe('“柜门打不开，等了很久”');
    expect(await card.locator('.grade').textContent()).toBe('2/5 · 不满意');
    await desk.shot('staff-follow-ups-zh-CN');
    await page.click('#large-type');
    await page.locator('html.large').waitFor();
    await desk.shot('staff-follow-ups-large-type-zh-CN');

    await card.locator('textarea.reply-input').fill(REPLY);
    await card.locator('button.send-reply').click();
    await page.locator('#follow-ups-message.tone-accepted').waitFor();
    const closed = page.locator(`#follow-ups-closed li.follow-up[data-follow-up="${followUpId}"][data-closed="yes"]`);
    await closed.waitFor();
    expect(await closed.locator('.reply-text').textContent()).toBe(REPLY);
    await card.waitFor({ state: 'detached' });
    expect(await attributesOf(page.locator('#follow-ups-open li.follow-up'), 'data-follow-up')).toEqual([late.followUpId]);
    await desk.shot('staff-follow-ups-replied-large-type-zh-CN');
    await page.click('#large-type');

    // The applicant reads the reply in the app and is told by SMS, without the reply itself.
    expect((await hub.api('GET', `/api/applications/${id}/rating`, li)).json.rating.followUp.reply).toBe(REPLY);
    const message = await eventually(
      async () => {
        await sweep();
        return sms.inboxOf(phoneOf('li.si')).find((m) => m.text.includes('大厅已回复您对'));
      },
      'the rating reply SMS in the gateway’s inbox',
      { timeoutMs: 20_000, intervalMs: 500 },
    );
    expect(message.text).not.toContain('柜门');
    expect(desk.problems).toEqual([]);
  }, 60_000);

  it('the work lists are live: an application sent for pre-review appears, and one passed elsewhere leaves, with no reload', async () => {
    const page = desk.page;
    desk.problems.length = 0;
    await page.click('#nav-prereview');
    await page.waitForURL('**/#/prereview');
    await page.locator('#live.live-live').waitFor();
    // A mark on this very document: a reload would lose it.
    await page.evaluate('window.unreloaded = true');
    // Well under the lists' 30 s refresh: only the hub's word over /people can bring these in time.
    const live = { timeout: 10_000 };
    const fresh = await applyForPrereview(CORE);
    await page.locator(`li.prereview-row[data-application="${fresh}"]`).waitFor(live);
    const staff = await signIn(hub.api, 'hall.staff');
    expect((await hub.api('POST', `/api/prereview/${fresh}/pass`, staff, {})).status).toBe(200);
    await page.locator(`li.prereview-row[data-application="${fresh}"]`).waitFor({ state: 'detached', ...live });
    expect(await page.evaluate('window.unreloaded')).toBe(true);
    await desk.shot('staff-prereview-live-zh-CN');
    expect(desk.problems).toEqual([]);
  }, 60_000);

  it('a list whose socket dropped says so, and catches up on reconnection with what it missed', async () => {
    const page = desk.page;
    desk.problems.length = 0;
    // The page's sockets go through this route from now on: the test can pull the network.
    let down = false;
    const open: WebSocketRoute[] = [];
    await page.routeWebSocket(/\/socket\.io\//, (ws) => {
      if (down) return void ws.close();
      ws.connectToServer();
      open.push(ws);
    });
    await page.goto(`${hub.url}/#/prereview`);
    await page.reload();
    await page.locator('#live.live-live').waitFor();
    await page.evaluate('window.unreloaded = true');
    // The reload every connection owes (a burst of steps reloads once, 250 ms on) is done.
    await new Promise((r) => setTimeout(r, 600));

    down = true;
    for (const ws of open.splice(0)) await ws.close();
    await page.locator('#live.live-offline').waitFor();
    // Sent for pre-review while the list is cut off: nobody tells it.
    const missed = await applyForPrereview(CORE);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await page.locator(`li.prereview-row[data-application="${missed}"]`).count()).toBe(0);
    await desk.shot('staff-prereview-offline-zh-CN');

    down = false;
    await page.locator('#live.live-live').waitFor({ timeout: 20_000 });
    await page.locator(`li.prereview-row[data-application="${missed}"]`).waitFor({ timeout: 10_000 });
    expect(await page.evaluate('window.unreloaded')).toBe(true);
    await page.unrouteAll();
    const staff = await signIn(hub.api, 'hall.staff');
    expect((await hub.api('POST', `/api/prereview/${missed}/pass`, staff, {})).status).toBe(200);
    // The socket's drop is a console error of the browser's own; nothing else went wrong.
    expect(desk.problems.filter((p) => !/WebSocket|socket\.io/i.test(p))).toEqual([]);
  }, 60_000);
});
