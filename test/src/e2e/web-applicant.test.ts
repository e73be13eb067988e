// The applicant's whole path in a real browser (Debian's Chromium on a phone-sized screen) on real
// parts, each its own process: PostgreSQL, Redis, the hub program (its workers), the courier dispatch
// simulator with its signed webhooks, a kiosk agent on a KR-CU16 board simulator on a real
// pseudo-terminal. The applicant applies for a matter staff pre-review with a core material missing,
// handing in at the hall's kiosk and collecting there; staff return it with a one-time notice, which
// the page shows in full and as a print sheet; the applicant resubmits corrected; staff pass it; the
// deposit code and its QR show, and the envelope's cover sheet whose QR (read from a screenshot) is
// the tracking number; at the kiosk the deposit shows on the tracking timeline without a reload, and
// so does every step after (courier pickup, intake, acceptance, the result delivered into the kiosk);
// the collection code shows, with the result's actions (more time, the code resent, someone else
// authorised and revoked) and in English and large type; collected; a bad rating; staff's reply shows.
// The applicant signs in by SMS (the code read from the SMS gateway simulator's inbox) and applies on
// the apply page, choosing the kiosk on the locker picker's schematic (no map tiles here).
// Screenshots go to test/artifacts/web/.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { DEMO_USERS } from '@xinbao/hub/store/seed';
import { startSmsGatewaySimulator, type SmsGatewaySimulator } from '@xinbao/simulators/sms-gateway';
import { launchChromium, WebSession } from '../support/browser.js';
import { startCourierRig, type CourierRig } from '../support/courier-rig.js';
import { eventually } from '../support/eventually.js';
import { factorOf, signIn as apiSignIn, type Json } from '../support/http.js';
import { applyOnPage, signInBySms } from '../support/portal.js';

const SECRET = 'e2e-web-applicant-secret';

describe("the applicant's path on the web: apply, a one-time notice, resubmit, deposit, follow live, collect, rate", () => {
  let rig: CourierRig;
  let sms: SmsGatewaySimulator;
  let browser: Browser;
  let me: WebSession;

  beforeAll(async () => {
    sms = await startSmsGatewaySimulator({ secret: SECRET });
    [rig, browser] = await Promise.all([
      startCourierRig({
        name: 'web-applicant',
        secret: SECRET,
        webhooks: true,
        retryDelaysMs: [100, 200, 500],
        hubEnv: { SMS_GATEWAY_URL: sms.url, SMS_GATEWAY_SECRET: SECRET },
      }),
      launchChromium(),
    ]);
  }, 120_000);

  afterAll(async () => {
    await me?.close();
    await browser?.close();
    await rig?.stop();
    await sms?.stop();
  });

  it('walks the whole path; the page follows it live', async () => {
    const staff = await apiSignIn(rig.api, 'hall.staff');
    const zhang = await apiSignIn(rig.api, 'zhang.san');
    me = await WebSession.open(browser, rig.hubUrl, 'phone');
    const { page } = me;
    const timeline = page.locator('#timeline');
    const stepShown = (words: string) => timeline.locator('.what', { hasText: words }).first().waitFor({ timeout: 20_000 });

    // 1. Signed in by SMS (张三's phone), the list (empty); apply on the apply page with the
    // shareholders' resolution (a core material) missing, dropping off and collecting at the hall's kiosk.
    await signInBySms(page, { url: sms.url }, DEMO_USERS.find((u) => u.username === 'zhang.san')!.phone);
    expect(await me.text('#my-applications .empty')).toBe('还没有办件。');
    expect(await page.locator('#new-application').getAttribute('href')).toBe('#/apply');
    const hall = ((await rig.api('GET', '/api/sites', zhang)).json.sites as Json[]).find((s) => s.id === rig.siteId)!;
    const { applicationId: id } = await applyOnPage(page, {
      matterCode: 'business-licence-change',
      materials: ['application-form', 'licence-original'],
      dropOffSiteName: hall.name as string,
      returnChannel: 'own_kiosk',
      returnSiteName: hall.name as string,
    });
    // The apply page shows its answer, then opens the application's page.
    await page.locator('#app-title').waitFor();
    expect(await me.text('#app-title')).toBe('营业执照变更登记 (business licence change)');
    expect(await me.text('#app-status')).toBe('等待预审');
    expect(await me.text('#app-no')).toBe(id);
    await page.locator('#live.live-live').waitFor();
    await me.shot('applicant-01-applied');

    // 2. Staff return it with a one-time notice listing every problem; the page shows it in full.
    const returned = await rig.api('POST', `/api/prereview/${id}/return`, staff, {
      items: [
        { material: 'shareholder-resolution', problem: 'missing', whatToDo: '补交股东会决议原件，全体股东签字' },
        { material: 'application-form', problem: 'unsigned', whatToDo: '法定代表人签字并加盖公章' },
      ],
      note: '请一次补齐后重新提交',
    });
    expect(returned.status).toBe(200);
    // Told live (`tracking:application`): no reload, no refresh.
    const notice = page.locator('#notice-1');
    await notice.waitFor();
    expect(await me.text('#app-status')).toBe('已退回：请按一次性告知补正后重新提交');
    const rows = await notice.locator('tbody tr').allTextContents();
    expect(rows).toEqual(['股东会决议缺少补交股东会决议原件，全体股东签字', '变更登记申请书未签字盖章法定代表人签字并加盖公章']);
    expect(await me.text('#notice-1 .notice-note')).toBe('请一次补齐后重新提交');
    await me.shot('applicant-02-one-time-notice');

    // Its print view: the notice alone; printed, the app's header and buttons are left off.
    await page.click('#print-notice-1');
    await page.locator('#print-view #notice-1').waitFor();
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('header.bar').isVisible()).toBe(false);
    expect(await page.locator('#print-now').isVisible()).toBe(false);
    expect(await page.locator('#print-view .sheet h1').textContent()).toBe('一次性告知书');
    await me.shot('applicant-03-notice-print');
    await page.emulateMedia({ media: 'screen' });
    await page.click('#print-back');

    // 3. Resubmitted with the resolution; staff pass it; the deposit code and its QR show.
    await page.check('#material-shareholder-resolution');
    await page.click('#resubmit');
    await page.locator('#prereview-said').waitFor();
    await eventually(async () => (await me.text('#app-status')) === '等待预审', 'waiting for pre-review again');
    expect((await rig.api('POST', `/api/prereview/${id}/pass`, staff, {})).status).toBe(200);
    await page.locator('#deposit-code').waitFor();
    const mine = (await rig.api('GET', `/api/applications/${id}`, zhang)).json.application as Json;
    const deposit = mine.deposit as Json;
    const inbound = (mine.parcels as Json[]).find((p) => p.direction === 'inbound')!;
    const tn = inbound.trackingNumber as string;
    expect(await me.text('#deposit-code')).toBe(deposit.code);
    expect(await me.readQr('#deposit-qr')).toBe(deposit.qrToken);
    expect(await me.text('#deposit-factor')).toBe('输入投件码后，键盘会要求输入您手机号的后 6 位。');
    expect(await me.text('#deposit-where')).toContain(`${deposit.compartment as number} 号格口`);
    expect(await me.text('#app-status')).toBe('等待您交件');
    // Passed, the notice is kept with the application, folded away.
    expect(await me.text('#notices summary')).toBe('一次性告知书（1 份，随办件保存）');
    expect(await page.locator('#notices #notice-1').count()).toBe(1);
    expect(await page.locator('#prereview-said').count()).toBe(0);
    await me.shot('applicant-04-deposit-code');

    // The cover sheet: application no., matter, the applicant masked, the tracking number and its QR, the hall.
    await page.click('#cover-sheet-button');
    await page.locator('#cover-qr').waitFor();
    expect(await me.text('#cover-tn')).toBe(tn);
    expect(await me.text('#cover-applicant')).toBe('张*');
    expect(await me.text('#cover-app-no')).toBe(id);
    expect(await me.text('#cover-hall')).toContain('政务服务中心');
    expect(await me.readQr('#cover-qr')).toBe(tn);
    await page.emulateMedia({ media: 'print' });
    await me.shot('applicant-05-cover-sheet-print');
    await page.emulateMedia({ media: 'screen' });
    await page.click('#print-back');
    await page.locator('#live.live-live').waitFor();

    // 4. At the kiosk: code, phone digits, envelope in, door shut. The timeline says so with no reload.
    await page.evaluate('window.stillHere = true');
    const compartment = deposit.compartment as number;
    expect(await rig.typeAtKiosk(deposit.code as string, factorOf('zhang.san'))).toMatchObject({ status: 'opened', compartment });
    await rig.person(compartment, 'item', { present: true });
    await rig.person(compartment, 'close');
    await stepShown('已投入信包箱');
    await stepShown('已通知快递员揽收');
    await me.shot('applicant-06-deposited-live');

    // 5. The courier collects it; the hall scans it in and accepts it; approved: the result goes into the kiosk.
    await eventually(async () => [...rig.dispatch.orders.values()].some((o) => o.kind === 'pickup'), 'the pickup order');
    const visit = [...rig.dispatch.orders.values()].find((o) => o.kind === 'pickup')!;
    await eventually(
      async () =>
        (await rig.db.pool.query(`SELECT 1 FROM courier_visits WHERE id = $1 AND courier_id IS NOT NULL`, [visit.orderId])).rowCount === 1,
      'the pickup assigned',
    );
    const courier = rig.courier({ awaitWebhooks: true });
    expect((await courier.roundOnce()).map((r) => r.outcome)).toEqual(['picked_up']);
    await stepShown('快递员已揽收');
    expect((await rig.api('POST', '/api/intake/scans', staff, { trackingNumber: tn })).status).toBe(201);
    expect((await rig.api('POST', `/api/applications/${id}/accept`, staff)).status).toBe(200);
    await stepShown('已受理');
    const approved = await rig.api('POST', `/api/applications/${id}/approve`, staff, { note: '准予变更' });
    expect(approved.status).toBe(201);
    const result = approved.json.result as Json;
    await eventually(
      async () => [...rig.dispatch.orders.values()].some((o) => o.kind === 'delivery' && o.trackingNumber === result.trackingNumber),
      'the delivery order',
    );
    const delivery = [...rig.dispatch.orders.values()].find((o) => o.trackingNumber === result.trackingNumber)!;
    await eventually(
      async () =>
        (await rig.db.pool.query(`SELECT 1 FROM courier_events WHERE order_id = $1 AND type = 'assigned'`, [delivery.orderId])).rowCount ===
        1,
      'the delivery assigned',
    );
    expect((await courier.roundOnce()).map((r) => r.outcome)).toEqual(['delivered']);

    // 6. In the locker: the collection code, where and until when, shown live.
    await page.locator('#collect-code').waitFor({ timeout: 20_000 });
    const inLocker = ((await rig.api('GET', '/api/me/notices', zhang)).json.notices as Json[]).find(
      (n) => n.parcelId === result.id && n.kind === 'result_in_locker',
    )!;
    const collectCode = (inLocker.details as Json).code as string;
    expect(await me.text('#collect-code')).toBe(collectCode);
    expect(await me.text('#collect-where')).toContain(`${(inLocker.details as Json).compartment as number} 号格口`);
    expect(await me.text('#collect-until')).toMatch(/^请于 \d{4}-\d\d-\d\d \d\d:\d\d 前取件$/);
    expect(await me.text('#app-status')).toBe('已放入信包箱，待取件');
    expect(await page.locator('#switch-counter').isVisible()).toBe(true);
    await me.shot('applicant-07-result-in-locker');
    // The result's actions (ADR 0033): more time (once), the same code sent again, someone else
    // authorised to collect with a code of their own, and revoked.
    const resultView = async () => (await rig.api('GET', `/api/applications/${id}`, zhang)).json.application.result as Json;
    const before = await resultView();
    expect(before).toMatchObject({ extensionsLeft: 1, delegate: null, delegateSupported: true });
    await page.locator('#extend').click();
    await eventually(async () => (await me.text('#result-said')).startsWith('已为您保留至'), 'more time');
    await page.locator('#extend').waitFor({ state: 'detached' });
    const extended = await resultView();
    expect(extended.extensionsLeft).toBe(0);
    expect(Date.parse(extended.holdUntil as string)).toBeGreaterThan(Date.parse(before.holdUntil as string));
    await page.click('#resend-collect');
    await eventually(
      async () => (await me.text('#result-said')) === `已重新发送短信（还可发送 ${(before.resendsLeft as number) - 1} 次）。`,
      'the code resent',
    );
    expect((await resultView()).resendsLeft).toBe((before.resendsLeft as number) - 1);
    await page.fill('#delegate-name', '王小明');
    await page.fill('#delegate-phone', '13900005678');
    await page.click('#authorise');
    await page.locator('#delegate-shown').waitFor();
    expect(await me.text('#delegate-shown')).toBe('已委托：王*（尾号5678）');
    await me.shot('applicant-07a-delegate');
    await page.click('#revoke-delegate');
    await page.locator('#delegate-name').waitFor();
    expect(((await resultView()).delegate as Json).revokedAt).toEqual(expect.any(String));

    // In English and in large type, high contrast, for an older applicant; then back.
    await page.click('#lang');
    await eventually(async () => (await me.text('#app-status')) === 'In the locker: ready to collect', 'the page in English');
    expect(await me.text('#result-title')).toBe('Result');
    expect(await me.text('#app-title')).toBe('Business licence change');
    await page.click('#large-type');
    expect(await page.evaluate('getComputedStyle(document.documentElement).fontSize')).toBe('22px');
    await me.shot('applicant-07b-result-in-locker-en-large');
    await page.click('#large-type');
    await page.click('#lang');
    await eventually(async () => (await me.text('#app-status')) === '已放入信包箱，待取件', 'the page in Chinese again');

    // 7. Collected at the kiosk; the rating form appears; a bad rating opens a follow-up.
    const target = (inLocker.details as Json).compartment as number;
    expect(await rig.typeAtKiosk(collectCode, factorOf('zhang.san'))).toMatchObject({ status: 'opened', compartment: target });
    await rig.person(target, 'item', { present: false });
    await rig.person(target, 'close');
    await stepShown('已取件');
    await page.locator('#rating-form').waitFor({ timeout: 20_000 });
    // Nothing above reloaded the page.
    expect(await page.evaluate('window.stillHere')).toBe(true);
    await me.shot('applicant-08-collected');
    await page.click('label:has(#grade-2)');
    await page.fill('#rating-comment-input', '格口门很难关上');
    await page.click('#rate');
    await page.locator('#rating-follow-up').waitFor();
    expect(await me.text('#rating-grade')).toMatch(/^您的评价：不满意 · /);

    // 8. Staff reply; the applicant reads it with their rating.
    const followUp = ((await rig.api('GET', `/api/applications/${id}/rating`, staff)).json.rating as Json).followUp as Json;
    const reply = '已检修该格口门并向您致歉。';
    expect((await rig.api('POST', `/api/ratings/follow-ups/${followUp.id as string}/reply`, staff, { reply })).status).toBe(200);
    await page.locator('#rating-reply').waitFor();
    expect(await me.text('#rating-reply .reply-text')).toBe(reply);
    await me.shot('applicant-09-rating-replied');

    // The whole journey on the timeline, newest first, and every step named in words.
    const steps = await timeline.locator('.what').allTextContents();
    expect(steps[0]).toBe('已取件');
    expect(steps.at(-1)).toBe('提交申请');
    for (const s of ['退回并出具一次性告知', '重新提交补正材料', '预审通过', '在信包箱输入投件码', '大厅已签收', '已放入信包箱，待取件'])
      expect(steps).toContain(s);
    expect(steps).not.toContain('更新');

    // The list shows it collected, in words.
    await page.click('#back-home');
    await page.locator(`#app-${id}`).waitFor();
    expect(await me.text(`#app-${id} .status-line`)).toBe('已取件');
    expect(me.problems).toEqual([]);
  }, 150_000);
});
