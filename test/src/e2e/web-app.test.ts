// The people's web app in a real browser (Debian's Chromium driven by playwright-core) against a
// real hub in this process (PostgreSQL, Redis), on a phone-sized screen: sign-in for every role (a
// wrong password, a throttled one, the language switch, large type, sign-out, a session ended on the
// hub), and the hall's intake desk scanning like a keyboard-wedge scanner: a picked-up parcel
// (received), the same again (already received, by whom and when), an unknown number. Screenshots
// go to test/artifacts/web/ for a person to look at; their paths are printed.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { makeTrackingNumber } from '@xinbao/hub/domain/tracking-number';
import { launchChromium, WEB_ARTIFACTS, WebSession } from '../support/browser.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { DEMO_PASSWORD } from '../support/http.js';
import { parcelIn } from '../support/parcels.js';

describe('web app in Chromium', () => {
  let hub: TestHub;
  let browser: Browser;
  let session: WebSession | undefined;
  let page: Page;
  /** console errors and CSP refusals: the app must cause none */
  let problems: string[] = [];
  const shots: string[] = [];

  const shot = async (name: string) => {
    const path = join(WEB_ARTIFACTS, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    shots.push(path);
  };
  /** Runs a page expression (the test's own code has no DOM types). */
  const js = <T>(expression: string): Promise<T> => page.evaluate<T>(expression);
  const text = async (selector: string) => ((await page.locator(selector).first().textContent()) ?? '').trim();
  /** A new phone at the sign-in page; what goes wrong on it is collected in `problems`. */
  const fresh = async () => {
    await session?.close();
    session = await WebSession.open(browser, hub.url, 'phone');
    page = session.page;
    problems = session.problems;
  };
  const toLanguage = async (lang: 'zh-CN' | 'en') => {
    if ((await page.getAttribute('html', 'lang')) !== lang) await page.click('#lang');
    await page.locator(`html[lang="${lang}"]`).waitFor();
  };
  const signIn = async (username: string, password = DEMO_PASSWORD) => {
    await page.fill('#username', username);
    await page.fill('#password', password);
    await page.click('#sign-in');
  };

  beforeAll(async () => {
    hub = await startTestHub();
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await session?.close();
    await browser?.close();
    await hub?.stop();
    if (shots.length > 0) console.log(`web app screenshots:\n${shots.join('\n')}`);
  });

  it('is served by the hub with its CSP: the page for a browser, the JSON 404 for anything else', async () => {
    const pageRes = await fetch(`${hub.url}/intake`, { headers: { accept: 'text/html' } });
    expect(pageRes.status).toBe(200);
    expect(await pageRes.text()).toContain('<div id="root">');
    const csp = pageRes.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https:/);
    const api = await fetch(`${hub.url}/api/nothing`, { headers: { accept: 'text/html' } });
    expect([api.status, ((await api.json()) as { error: { code: string } }).error.code]).toEqual([404, 'not_found']);
    const script = await fetch(`${hub.url}/nothing/here`);
    expect(script.status).toBe(404);
  });

  it('sign-in: a wrong password, the language switch and large type (remembered), then the throttle', async () => {
    problems = [];
    await fresh();
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    expect(await text('h1')).toBe('登录');
    await signIn('li.si', 'not-the-password');
    await page.locator('#sign-in-error').waitFor();
    expect(await text('#sign-in-error')).toBe('用户名或密码错误。');
    await shot('sign-in-wrong-password-zh-CN');

    await toLanguage('en');
    expect(await text('h1')).toBe('Sign in');
    expect(await text('#lang')).toBe('中文');
    await page.click('#large-type');
    expect(await page.getAttribute('html', 'class')).toContain('large');
    expect(await page.getAttribute('#large-type', 'aria-pressed')).toBe('true');
    const small = await js<number>(`parseFloat(getComputedStyle(document.querySelector('#sign-in')).fontSize)`);
    expect(small).toBeGreaterThanOrEqual(22);
    await page.reload();
    await page.locator('#username').waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.getAttribute('html', 'class')).toContain('large');
    await shot('sign-in-en-large');

    // Wrong again and again: the hub throttles this account from this address, and the page says for how long.
    let said = '';
    for (let i = 0; i < 6 && !said.startsWith('Too many'); i++) {
      await signIn('li.si', `wrong-${i}`);
      await page.locator('#sign-in:not([disabled])').waitFor();
      said = await text('#sign-in-error');
    }
    expect(said).toMatch(/^Too many tries\. Try again in \d+ s\.$/);
    await shot('sign-in-throttled-en-large');
    await page.click('#large-type');
    await toLanguage('zh-CN');
    expect(new Set(problems)).toEqual(new Set(['401 POST /api/auth/login', '429 POST /api/auth/login']));
  }, 60_000);

  it.each([
    ['zhang.san', 'home', '#hello', '您好，张*', '当前身份：申请人'],
    ['ops.admin', 'home', '#hello', '您好，运*', '当前身份：运维人员'],
    ['ems.courier', 'courier', '#no-tasks', '今天没有您的任务。', null],
    ['hall.staff', 'intake', 'h1', '签收入库', null],
  ])(
    '%s signs in and lands on their home (#/%s), then signs out',
    async (username, home, selector, shown, role) => {
      problems = [];
      await fresh();
      await signIn(username);
      await page.waitForURL(`**/#/${home}`);
      await page.locator(selector).waitFor();
      expect(await text(selector)).toBe(shown);
      if (role) expect(await text('#role')).toBe(role);
      // The token is this tab's only, and every call sends it.
      expect(await js<string | null>(`sessionStorage.getItem('xinbao.token')`)).toMatch(/^[\w-]{20,}$/);
      await shot(`home-${username}-zh-CN`);
      // A reload keeps the sign-in (the same tab).
      await page.reload();
      await page.locator(selector).waitFor();
      await page.click('#sign-out');
      await page.locator('#username').waitFor();
      expect(await text('.notice')).toBe('您已退出登录。');
      expect(await js<string | null>(`sessionStorage.getItem('xinbao.token')`)).toBeNull();
      const sessions = await hub.db.pool.query(
        `SELECT count(*)::int AS n FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = $1`,
        [username],
      );
      expect(sessions.rows[0].n).toBe(0);
      expect(problems).toEqual([]);
    },
    60_000,
  );

  it('the intake desk: received, the same again (already received, by whom), an unknown number; a session ended on the hub returns to sign-in', async () => {
    problems = [];
    const parcel = await parcelIn(hub, 'picked_up');
    let digits = 5;
    const unknown = makeTrackingNumber(() => (digits = (digits * 3 + 1) % 10));
    await fresh();
    await signIn('hall.staff');
    await page.waitForURL('**/#/intake');
    const scanField = page.locator('#scan');
    await scanField.waitFor();
    expect(await js<string>('document.activeElement?.id')).toBe('scan');
    const rows = page.locator('#scans li');

    // A keyboard-wedge scanner: the characters, then Enter, into whatever has the focus.
    await page.keyboard.type(parcel.trackingNumber.toLowerCase());
    await page.keyboard.press('Enter');
    await page.locator('#scans li[data-outcome="received"]').waitFor();
    expect(await rows.first().locator('.tn').textContent()).toBe(parcel.trackingNumber);
    expect(await rows.first().locator('.what').textContent()).toBe('签收成功：已进入办理队列');
    expect(await rows.first().getAttribute('class')).toContain('tone-accepted');
    expect(await text('#count-received')).toBe('1');
    expect(await js<string>('document.body.dataset.beeps')).toBe('a');
    expect((await hub.db.pool.query(`SELECT state FROM parcels WHERE id = $1`, [parcel.id])).rows[0].state).toBe('received_at_hall');
    expect(await js<string>('document.activeElement?.id')).toBe('scan');

    // The same envelope again: amber, when and by whom, nothing written. Newest on top.
    await page.keyboard.type(parcel.trackingNumber);
    await page.keyboard.press('Enter');
    await page.locator('#scans li[data-outcome="already_received"]').waitFor();
    expect(await rows.count()).toBe(2);
    expect(await rows.first().locator('.what').textContent()).toMatch(/^已于 \d\d:\d\d 由 王\* 签收$/);
    expect(await rows.first().getAttribute('class')).toContain('tone-warning');
    expect((await hub.db.pool.query(`SELECT count(*)::int AS n FROM intake_scans WHERE parcel_id = $1`, [parcel.id])).rows[0].n).toBe(1);

    // An unknown number, with the envelope's condition and a note chosen first: red, two low beeps.
    await page.click('text=破损');
    expect(await js<string>('document.activeElement?.id')).toBe('scan');
    await page.fill('#note', '信封角破');
    await page.keyboard.press('Enter');
    expect(await js<string>('document.activeElement?.id')).toBe('scan');
    await page.keyboard.type(unknown);
    await page.keyboard.press('Enter');
    await page.locator('#scans li[data-outcome="unannounced"]').waitFor();
    expect(await rows.first().locator('.what').textContent()).toBe('未知件：请放到一边（已记录并标记）');
    expect(await rows.first().getAttribute('class')).toContain('tone-refused');
    expect(await js<string>('document.body.dataset.beeps')).toBe('awr');
    const recorded = await hub.db.pool.query(`SELECT condition, note, flagged FROM intake_scans WHERE tracking_number = $1`, [unknown]);
    expect(recorded.rows).toEqual([{ condition: 'damaged', note: '信封角破', flagged: true }]);
    // The condition and note were for that envelope only.
    expect(await page.locator('input[name="condition"][value="ok"]').isChecked()).toBe(true);
    expect(await page.inputValue('#note')).toBe('');

    // A mistyped number is caught before the hub looks anything up.
    await scanField.focus();
    await page.keyboard.type(`${unknown.slice(0, -1)}${(Number(unknown.at(-1)) + 1) % 10}`);
    await page.keyboard.press('Enter');
    await page.locator('#scans li[data-outcome="error"]').waitFor();
    expect(await rows.first().locator('.what').textContent()).toBe('单号无效，请核对数字');
    expect([
      await text('#count-received'),
      await text('#count-already_received'),
      await text('#count-unannounced'),
      await text('#count-error'),
    ]).toEqual(['1', '1', '1', '1']);
    await shot('intake-session-zh-CN');
    await toLanguage('en');
    expect(await rows.nth(2).locator('.what').textContent()).toMatch(/^Already received at \d\d:\d\d by 王\*$/);
    await page.click('#large-type');
    await shot('intake-session-en-large');
    await page.click('#large-type');
    await toLanguage('zh-CN');

    // The hub ends the session (signed out elsewhere): the next scan returns the desk to sign-in.
    await hub.db.pool.query(`DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = 'hall.staff')`);
    await scanField.focus();
    await page.keyboard.type(parcel.trackingNumber);
    await page.keyboard.press('Enter');
    await page.locator('#username').waitFor();
    expect(await text('.notice')).toBe('登录已失效，请重新登录。');
    // The refusals the hub was meant to answer, and nothing else.
    expect(problems).toEqual(['400 POST /api/intake/scans', '401 POST /api/intake/scans']);
  }, 90_000);
});
