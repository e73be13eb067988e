// The kiosk touch screen in a real browser (Debian's Chromium driven by playwright-core) against the
// real agent: hub in-process on its own database, a KR-CU16 board simulator on a real pty, the
// agent's Cabinet and KerongDriver on that pty. The test taps the keypad like a resident, and plays
// the person at the locker through the simulator's control API (close the door, jam a latch).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { firstBrokenLink } from '@xinbao/hub/domain/custody';
import { REPO_ROOT } from '../support/processes.js';
import { eventually } from '../support/eventually.js';
import { signIn, type Json } from '../support/http.js';
import { startKioskRig, unlockHex, type KioskRig } from '../support/kiosk-rig.js';

const SCREENSHOTS = join(REPO_ROOT, '.data', 'screenshots');
/** A portrait kiosk screen. */
const VIEWPORT = { width: 1080, height: 1920 };

describe('kiosk touch screen in Chromium', () => {
  let rig: KioskRig;
  let screenUrl = '';
  let idleUrl = '';
  let browser: BrowserContext;
  let page: Page;
  const profile = mkdtempSync(join(tmpdir(), 'xinbao-chromium-'));

  const visible = (screen: string) => page.locator(`#screen-${screen}`).waitFor({ state: 'visible', timeout: 15_000 });
  const text = async (selector: string) => ((await page.textContent(selector)) ?? '').trim();
  /** The keypad's two steps (ADR 0018): the 8-digit code, then the 6 digits that go with it. */
  const typeCode = async (code: string, factor: string) => {
    await visible('start');
    for (const d of code) await page.tap(`[data-digit="${d}"]`);
    await page.tap('#submit');
    await page.locator('body[data-step="factor"]').waitFor({ timeout: 15_000 });
    for (const d of factor) await page.tap(`[data-digit="${d}"]`);
    await page.tap('#submit');
  };
  /** The same two steps on a hardware keypad (key presses and Enter): quicker, for many wrong codes in a row. */
  const keyCode = async (code: string, factor: string) => {
    await visible('start');
    await page.keyboard.type(code);
    await page.keyboard.press('Enter');
    await page.locator('body[data-step="factor"]').waitFor({ timeout: 15_000 });
    await page.keyboard.type(factor);
    await page.keyboard.press('Enter');
  };
  const toLanguage = async (lang: 'zh-CN' | 'en') => {
    if ((await page.getAttribute('html', 'lang')) !== lang) await page.tap('#lang');
    expect(await page.getAttribute('html', 'lang')).toBe(lang);
  };
  const fresh = async (url = screenUrl) => {
    await page.goto(url);
    await page.locator('body[data-events="connected"]').waitFor({ timeout: 15_000 });
    await visible('start');
  };
  /** Takes a screenshot for a person to look at, after checking that nothing on the screen overflows it. */
  const shot = async (name: string) => {
    const spill = await page.evaluate(() => {
      type Box = { scrollWidth: number; scrollHeight: number; clientWidth: number; clientHeight: number };
      const doc = (globalThis as unknown as { document: { querySelector(s: string): Box | null; documentElement: Box } }).document;
      const screen = doc.querySelector('.screen:not([hidden])')!;
      const html = doc.documentElement;
      return [
        screen.scrollWidth - screen.clientWidth,
        screen.scrollHeight - screen.clientHeight,
        html.scrollWidth - html.clientWidth,
        html.scrollHeight - html.clientHeight,
      ];
    });
    expect(spill).toEqual([0, 0, 0, 0]);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  };
  const custody = async (parcelId: string) =>
    (
      await rig.db.pool.query(
        `SELECT kind, to_state AS "toState", compartment, evidence FROM custody_events WHERE parcel_id = $1 ORDER BY seq`,
        [parcelId],
      )
    ).rows;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    rig = await startKioskRig();
    screenUrl = await rig.localServer({ screenIdleMs: 120_000 });
    idleUrl = await rig.localServer({ screenIdleMs: 1_500 });
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: VIEWPORT,
      hasTouch: true,
    });
    page = browser.pages()[0] ?? (await browser.newPage());
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await rig?.stop();
    rmSync(profile, { recursive: true, force: true });
  });

  it('deposits with the keypad: door N open → door closed → thank you with the tracking number', async () => {
    const a = await rig.apply();
    await fresh();
    expect(await text('#screen-start h1')).toBe('请输入开箱码');
    for (const d of a.code.slice(0, 7)) await page.tap(`[data-digit="${d}"]`);
    expect(await page.isDisabled('#submit')).toBe(true);
    await page.tap(`[data-digit="${a.code[7]!}"]`);
    expect(await page.isDisabled('#submit')).toBe(false);
    expect(await text('#submit')).toBe('下一步');
    await shot('kiosk-start-zh-CN');
    await page.tap('#submit');

    // The second step asks the last 6 digits of the phone; nothing has been sent or opened yet.
    expect(await text('#screen-start h1')).toBe('请输入手机号后 6 位');
    expect(await page.locator('#digits .digit:visible').count()).toBe(6);
    expect(await page.isDisabled('#submit')).toBe(true);
    expect(await rig.unlockFrames()).toEqual([]);
    // Delete at the empty second step goes back to the code as typed, to correct it.
    await page.tap('#back');
    expect(await text('#screen-start h1')).toBe('请输入开箱码');
    expect(await page.locator('.digit.filled').count()).toBe(8);
    await page.tap('#submit');
    await page.locator('body[data-step="factor"]').waitFor({ timeout: 15_000 });
    for (const d of a.factor) await page.tap(`[data-digit="${d}"]`);
    expect(await page.isDisabled('#submit')).toBe(false);
    expect(await text('#submit')).toBe('开门');
    await shot('kiosk-factor-zh-CN');
    await page.tap('#submit');

    await visible('open');
    expect(await text('#open-heading')).toBe(`${a.compartment}号箱门已打开`);
    expect(await text('#open-body')).toBe('请把材料放进去，然后关好箱门。');
    expect(await rig.unlockFrames()).toEqual([unlockHex(a.compartment)]);

    await rig.person(a.compartment, 'item', { present: true });
    await rig.person(a.compartment, 'close');
    await visible('done');
    expect(await text('#done-heading')).toBe(`谢谢！${a.compartment}号箱门已关好`);
    expect((await text('#tracking-number')).replace(/\s/g, '')).toBe(a.trackingNumber);
    await eventually(async () => (await custody(a.parcelId)).some((e) => e.kind === 'deposited'), 'the deposit at the hub');

    await page.tap('#finish');
    await visible('start');
  }, 60_000);

  it('says a wrong code is wrong, in Chinese and in English, and opens nothing', async () => {
    const before = await rig.unlockFrames();
    await fresh();
    await typeCode('00000001', '000001');
    await visible('error');
    expect(await text('#error-heading')).toBe('开箱码不对');
    expect(await text('#error-body')).toBe('请核对短信里的 8 位开箱码和接收短信的手机号后 6 位，再输入一次。扫描二维码可以直接开门。');
    expect(await page.isVisible('#retry')).toBe(true);

    await page.tap('#retry');
    await toLanguage('en');
    await typeCode('00000002', '000002');
    await visible('error');
    expect(await text('#error-heading')).toBe('That code is not right');
    expect(await text('#error-body')).toBe(
      'Check the 8-digit code in your text message and the last 6 digits of the phone it was sent to, and enter them again. Scanning the QR code opens at once.',
    );
    // Nothing on screen in English betrays a machine code.
    expect(await page.textContent('body')).not.toMatch(/code_invalid|refused|Error:/);
    expect(await rig.unlockFrames()).toEqual(before);

    // "Try again" keeps the resident's language; the start screen after the session does not.
    await page.tap('#retry');
    expect(await text('#screen-start h1')).toBe('Enter your open-code');
    await shot('kiosk-start-en');
    // A genuine code with a wrong second factor is refused exactly like a wrong code.
    const a = await rig.apply();
    await typeCode(a.code, a.factor === '999999' ? '999998' : '999999');
    await visible('error');
    expect(await text('#error-heading')).toBe('That code is not right');
    expect(await rig.unlockFrames()).toEqual(before);
    await page.tap('#retry');
    expect(await text('#screen-start h1')).toBe('Enter your open-code');
  }, 60_000);

  it('says an expired code has expired and what to do', async () => {
    const a = await rig.apply('li.si', 'customs-declarant-record');
    await rig.db.pool.query(`UPDATE access_codes SET expires_at = now() - interval '1 minute' WHERE parcel_id = $1`, [a.parcelId]);
    const before = await rig.unlockFrames();
    await fresh();
    await typeCode(a.code, a.factor);
    await visible('error');
    expect(await text('#error-heading')).toBe('开箱码已过期');
    expect(await text('#error-body')).toContain('重新获取开箱码');
    expect(await page.isVisible('#retry')).toBe(false);
    await page.tap('#lang');
    expect(await text('#error-heading')).toBe('This code has expired');
    expect(await rig.unlockFrames()).toEqual(before);
  });

  it('offers another compartment when the door jams, and opens exactly one door per command', async () => {
    const a = await rig.apply();
    await rig.person(a.compartment, 'jam', { jammed: true });
    const before = await rig.unlockFrames();
    await fresh();
    await typeCode(a.code, a.factor);
    await visible('error');
    expect(await text('#error-heading')).toBe(`${a.compartment}号箱门卡住了，没有打开`);
    expect(await text('#error-body')).toBe('您可以改用另一个空箱格存放材料。');
    expect(await page.isVisible('#another')).toBe(true);
    await shot('kiosk-jammed-zh-CN');

    await page.tap('#another');
    await visible('open');
    const heading = await text('#open-heading');
    const moved = Number(/^(\d+)号箱门已打开$/.exec(heading)?.[1]);
    expect(moved).toBeGreaterThan(0);
    expect(moved).not.toBe(a.compartment);
    expect((await rig.unlockFrames()).slice(before.length)).toEqual([unlockHex(a.compartment), unlockHex(moved)]);

    await page.tap('#lang');
    expect(await text('#open-heading')).toBe(`Door ${moved} is open`);
    await rig.person(moved, 'item', { present: true });
    await rig.person(moved, 'close');
    await visible('done');
    expect(await text('#done-heading')).toBe(`Thank you! Door ${moved} is closed`);
    await shot('kiosk-done-en');

    // The hub moved the parcel and its code, kept the jammed door out of service, and the deposit counted.
    await eventually(async () => (await custody(a.parcelId)).some((e) => e.kind === 'deposited'), 'the deposit at the hub');
    const events = await custody(a.parcelId);
    expect(events.map((e) => e.kind)).toEqual([
      'created',
      'deposit_code_used',
      'alarm_jammed',
      'unlock_jammed',
      'compartment_reassigned',
      'deposited',
    ]);
    expect(events[4]).toMatchObject({ compartment: moved, evidence: { fromCompartment: a.compartment, toCompartment: moved } });
    const states = await rig.db.pool.query(
      `SELECT number, state FROM compartments WHERE site_id = $1 AND number = ANY($2) ORDER BY number`,
      [rig.siteId, [a.compartment, moved]],
    );
    expect(Object.fromEntries(states.rows.map((r) => [r.number, r.state]))).toEqual({ [a.compartment]: 'faulty', [moved]: 'occupied' });
    const applicant = await signIn(rig.api, 'zhang.san');
    const view = (await rig.api('GET', `/api/parcels/${a.trackingNumber}`, applicant)).json;
    // (This hub runs no courier workers, so the parcel waits at `deposited`.)
    expect(view.parcel).toMatchObject({ state: 'deposited', trackingNumber: a.trackingNumber });
    const chain = (view.events as Json[]).map((e) => ({ ...e, at: new Date(e.at as string) }));
    expect(firstBrokenLink(chain as never)).toBe(-1);
    // The jammed latch is freed for the next tests.
    await rig.person(a.compartment, 'jam', { jammed: false });
  }, 60_000);

  it('asks "did the door open?" when the unlock cannot be confirmed: "no" gives the code back at the hub, and the same code opens', async () => {
    const faults = (method: 'POST' | 'DELETE', body?: unknown) =>
      fetch(`${rig.board.controlUrl}/faults`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    const a = await rig.apply();
    const before = await rig.unlockFrames();
    // The latch does not give and every reply is lost: the unlock went out, nothing shows what it did.
    await rig.person(a.compartment, 'jam', { jammed: true });
    expect((await faults('POST', { kind: 'lost_reply' })).status).toBe(200);
    await fresh();
    await typeCode(a.code, a.factor);
    await visible('ask');
    expect(await text('#ask-heading')).toBe(`${a.compartment}号箱门打开了吗？`);
    expect(await page.isVisible('#answer-opened')).toBe(true);
    await shot('kiosk-unconfirmed-zh-CN');
    expect((await faults('DELETE')).status).toBeLessThan(300);
    await rig.person(a.compartment, 'jam', { jammed: false });

    await page.tap('#answer-not-opened');
    await visible('error');
    expect(await text('#error-heading')).toBe(`谢谢，已记录${a.compartment}号箱门没有打开`);
    expect(await page.isVisible('#retry')).toBe(true);
    // The hub: the unconfirmed outcome, then the person's answer, the code given back in that transaction.
    await eventually(async () => (await custody(a.parcelId)).some((e) => e.kind === 'unlock_answered_not_opened'), 'the answer at the hub');
    expect((await custody(a.parcelId)).map((e) => e.kind)).toEqual([
      'created',
      'deposit_code_used',
      'unlock_unconfirmed',
      'unlock_answered_not_opened',
    ]);
    const code = await rig.db.pool.query(`SELECT used_at FROM access_codes WHERE parcel_id = $1 AND purpose = 'deposit'`, [a.parcelId]);
    expect(code.rows).toEqual([{ used_at: null }]);
    const alarm = await rig.db.pool.query(
      `SELECT cleared_at IS NOT NULL AS cleared FROM kiosk_alarms WHERE device_id = $1 AND kind = 'unlock_unconfirmed'`,
      [rig.deviceId],
    );
    expect(alarm.rows).toEqual([{ cleared: true }]);
    expect((await rig.unlockFrames()).slice(before.length)).toEqual([unlockHex(a.compartment)]);

    // The same code again: it opens, with one more unlock frame.
    await page.tap('#retry');
    await typeCode(a.code, a.factor);
    await visible('open');
    expect((await rig.unlockFrames()).slice(before.length)).toEqual([unlockHex(a.compartment), unlockHex(a.compartment)]);
    await rig.person(a.compartment, 'item', { present: true });
    await rig.person(a.compartment, 'close');
    await visible('done');
    await eventually(async () => (await custody(a.parcelId)).some((e) => e.kind === 'deposited'), 'the deposit at the hub');
  });

  it('says a door was not opened because the locker could not work it (not_sent), and that the code was not used', async () => {
    const a = await rig.apply();
    const before = await rig.unlockFrames();
    const bus = async () =>
      ((await (await fetch(`${screenUrl}/api/status`)).json()) as { buses: Array<{ state: string }> }).buses[0]?.state;
    await rig.board.unplug();
    try {
      await eventually(async () => ((await bus()) === 'up' ? undefined : true), 'the agent to see its bus down');
      await fresh();
      await typeCode(a.code, a.factor);
      await visible('error');
      expect(await text('#error-heading')).toBe(`${a.compartment}号箱门没有打开`);
      expect(await text('#error-body')).toContain('您的开箱码没有被使用');
      expect(await page.isVisible('#retry')).toBe(true);
      await eventually(
        async () => (await custody(a.parcelId)).some((e) => e.kind === 'unlock_not_sent'),
        'the not_sent outcome at the hub',
      );
      expect(await rig.unlockFrames()).toEqual(before);
    } finally {
      await rig.board.replug();
      await eventually(async () => ((await bus()) === 'up' ? true : undefined), 'the agent to open its port again', { timeoutMs: 15_000 });
    }
  });

  it('shows a code scanned at the QR scanner (on a smaller 800×1280 screen)', async () => {
    const a = await rig.apply('li.si', 'customs-declarant-record');
    await page.setViewportSize({ width: 800, height: 1280 });
    await fresh();
    await shot('kiosk-start-zh-CN-800x1280');
    await toLanguage('en');
    const result = await rig.agent.enterCode(a.qrToken, 'scanner');
    expect(result).toMatchObject({ status: 'opened', compartment: a.compartment });
    await visible('open');
    expect(await text('#open-heading')).toBe(`Door ${a.compartment} is open`);
    expect(await text('#open-body')).toBe('Put your documents in, then close the door.');
    await shot('kiosk-open-en-800x1280');
    await rig.person(a.compartment, 'item', { present: true });
    await rig.person(a.compartment, 'close');
    await visible('done');
    expect((await text('#tracking-number')).replace(/\s/g, '')).toBe(a.trackingNumber);
    await page.setViewportSize(VIEWPORT);
  });

  it('returns to the start, in Chinese and with no digits, after a while without a touch', async () => {
    await fresh(idleUrl);
    await toLanguage('en');
    for (const d of '1234') await page.tap(`[data-digit="${d}"]`);
    expect(await page.locator('.digit.filled').count()).toBe(4);
    await eventually(
      async () => (await page.getAttribute('html', 'lang')) === 'zh-CN' && (await page.locator('.digit.filled').count()) === 0,
      'the screen to return to its start',
    );
    expect(await text('#screen-start h1')).toBe('请输入开箱码');
  });
  it('says how long to wait when wrong codes have slowed the keypad, in Chinese and in English, and opens nothing', async () => {
    const before = await rig.unlockFrames();
    await fresh();
    // Wrong codes typed quickly: after the free ones the keypad asks for a wait (ADR 0015), never a lock-out.
    // (Each wait doubles, so within a few codes it is longer than typing the next one takes.)
    let typed = 0;
    const untilSlowed = async (prefix: string) => {
      let heading = '';
      // At most the site's free failures (10) and a few doubling waits, whatever the tests before left.
      for (let i = 0; i < 16 && !heading.startsWith(prefix); i++) {
        if (heading) await page.tap('#retry');
        await keyCode(String(90_000_000 + ++typed), '123456'); // a new code each time: the same one again is a repeat
        await visible('error');
        heading = await text('#error-heading');
      }
      return heading;
    };
    expect(await untilSlowed('请稍候')).toMatch(/^请稍候 \d+ 秒再试$/);
    await page.tap('#retry');
    await toLanguage('en');
    expect(await untilSlowed('Please wait')).toMatch(/^Please wait \d+ s, then try again$/);
    expect(await text('#error-body')).toContain('QR code');
    expect(await page.textContent('body')).not.toMatch(/keypad_slowed|retryAfter/);
    await shot('kiosk-keypad-slowed-en');
    expect(await rig.unlockFrames()).toEqual(before);
    // (each attempt is 14 taps in two steps, ADR 0018)
  }, 120_000);
});
