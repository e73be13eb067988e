// The applicant's first steps in a real browser on a phone (issue 12, ADR 0035), against a hub in this
// process with the SMS gateway simulator and a partner locker network (its simulator), no map tiles:
// a new phone signs in by SMS (the code read from the simulator's inbox; a wrong code refused in words
// first), applies for a matter with one core material missing (the page says so), chooses an own kiosk
// on the schematic (found by an address) and a partner locker in the list (found by the browser's
// position), and submits: the application exists with those choices, waiting for pre-review. A second
// application, for a matter the rules pass, is passed at once. Screenshots (phone) of the sign-in, the
// apply page, the schematic and the large-type version go to test/artifacts/web/.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomInt } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import type { Browser, Page } from 'playwright-core';
import { startSmsGatewaySimulator, type SmsGatewaySimulator } from '@xinbao/simulators/sms-gateway';
import { attributesOf, launchChromium, WEB_ARTIFACTS, WebSession } from '../support/browser.js';
import type { Json } from '../support/http.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { startPartnerRig, type PartnerRig } from '../support/partner-rig.js';
import { applyOnPage, askSignInCode, signInBySms } from '../support/portal.js';

const SECRET = 'sms-secret-for-web-apply-tests';
const BELL_TOWER = { latitude: 34.261, longitude: 108.9423 };

describe('web: the applicant signs in by SMS, applies and chooses lockers (no map tiles)', () => {
  let sms: SmsGatewaySimulator;
  let rig: PartnerRig;
  let browser: Browser;
  let session: WebSession;
  let page: Page;
  const phone = `137${String(randomInt(0, 100_000_000)).padStart(8, '0')}`;
  /** the bodies the page posted to /api/applications */
  const posted: Json[] = [];
  let firstId = '';

  const text = async (selector: string) => ((await page.locator(selector).first().textContent()) ?? '').trim();
  const bearer = () => page.evaluate<string>(`sessionStorage.getItem('xinbao.token')`);
  /** The application as its applicant reads it through the API. */
  const application = async (id: string) => {
    const r = await rig.api('GET', `/api/applications/${id}`, await bearer());
    expect(r.status).toBe(200);
    return r.json.application as Json;
  };
  const nearbyOwn = async (address: string) => {
    const r = await rig.api('GET', `/api/sites/nearby?address=${encodeURIComponent(address)}&limit=50`, await bearer());
    return (r.json.sites as Json[]).filter((s) => s.network === 'own');
  };

  beforeAll(async () => {
    sms = await startSmsGatewaySimulator({ secret: SECRET });
    rig = await startPartnerRig({
      env: { SMS_GATEWAY_URL: sms.url, SMS_GATEWAY_SECRET: SECRET, SMS_CODE_PHONE_INTERVAL_SECONDS: '30' },
    });
    browser = await launchChromium();
    session = await WebSession.open(browser, rig.hubUrl, 'phone');
    page = session.page;
    page.setDefaultTimeout(10_000);
    page.on('request', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/applications') posted.push(r.postDataJSON() as Json);
    });
  }, 120_000);

  afterAll(async () => {
    await session?.close();
    await browser?.close();
    await rig?.stop();
    await sms?.stop();
    if (session?.shots.length) console.log(`web apply screenshots:\n${session.shots.join('\n')}`);
  });

  it('signs a new phone in by SMS: the cool-down and a wrong code said in words, the terms required, consent recorded', async () => {
    expect(await text('h1')).toBe('登录');
    await page.locator('#sms-form').waitFor();
    await session.shot('apply-sign-in-sms-zh-CN');

    const code = await askSignInCode(page, { url: sms.url }, phone);
    expect(await text('#sms-sent')).toBe(`验证码已发送至 ${phone.slice(0, 3)}****${phone.slice(7)}，5 分钟内有效。`);
    // The cool-down shows on the button, counting down.
    expect(await text('#sms-send')).toMatch(/^\d+ 秒后可重新发送$/);
    expect(await page.locator('#sms-send').isDisabled()).toBe(true);

    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    await page.fill('#sms-code', wrong);
    await page.click('#sms-sign-in');
    expect(await text('#sms-error')).toBe('请先同意服务条款再登录。');
    expect(await page.locator('#consent-locker').isChecked()).toBe(false);
    await page.check('#consent-terms');
    await page.check('#consent-locker');
    await page.click('#sms-sign-in');
    await page.locator('#sms-error:has-text("验证码错误")').waitFor();
    expect(await text('#sms-error')).toBe('验证码错误，此验证码还可再试 4 次。');
    await session.shot('apply-sign-in-wrong-code');

    await page.fill('#sms-code', code);
    await page.click('#sms-sign-in');
    await page.locator('#home').waitFor();
    expect(await page.locator('#nav-apply').count()).toBe(1);
    const consent = await rig.db.pool.query(
      `SELECT c.terms, c.locker_delivery AS "lockerDelivery", u.role FROM applicant_consents c JOIN users u ON u.id = c.user_id WHERE u.phone = $1`,
      [phone],
    );
    expect(consent.rows).toEqual([{ terms: true, lockerDelivery: true, role: 'applicant' }]);
    // The one refusal on the way was the wrong code's.
    expect(session.problems).toEqual(['401 POST /api/auth/sms-login']);
    session.problems.length = 0;
  });

  it('applies with a core material missing (the page says so): an own kiosk on the schematic, a partner locker in the list', async () => {
    await page.click('#nav-apply');
    await page.selectOption('#matter', 'business-licence-change');
    for (const m of ['application-form', 'shareholder-resolution', 'articles-amendment']) await page.check(`#material-${m}`);
    expect(await text('#missing-core')).toBe('未勾选：营业执照正副本。资料预审时会要求您补齐这些必交材料。');
    await page.check('#material-licence-original');
    expect(await page.locator('#missing-core').count()).toBe(0);
    await page.uncheck('#material-licence-original');
    await page.locator('#missing-core').waitFor();

    // Paper in at an own kiosk near 港务大道: the schematic (no tiles) and the list show the same sites.
    await page.check('#in-own_kiosk');
    await page.fill('#drop-address', '港务大道');
    await page.click('#drop-search');
    await page.locator('#drop-schematic').waitFor();
    const own = await nearbyOwn('港务大道');
    expect(own.length).toBeGreaterThanOrEqual(2);
    expect(await attributesOf(page.locator('#drop-schematic g.point'), 'data-site-name')).toEqual(own.map((s) => s.name));
    expect(await attributesOf(page.locator('#drop-list input[type="radio"]'), 'data-site-name')).toEqual(own.map((s) => s.name));
    expect(await page.locator('#drop-map').count()).toBe(0);
    expect(await text('#drop-schematic figcaption')).toContain('示意图（无底图）');
    const firstRow = await text('#drop-list li');
    expect(firstRow).toContain(own[0]!.name as string);
    expect(firstRow).toMatch(/\d+(\.\d)? (米|公里) · 政务自助信包箱/);
    expect(firstRow).toMatch(/S 格 空闲 \d+/);

    // The keyboard chooses a point too; the list follows the schematic, and the other way round.
    const [first, second] = own as [Json, Json];
    await page.locator(`#drop-schematic g.point[data-site-id="${second.id}"]`).focus();
    await page.keyboard.press('Enter');
    await page.locator(`#drop-chosen[data-site-id="${second.id}"]`).waitFor();
    expect(await page.locator(`#drop-list input[value="${second.id}"]`).isChecked()).toBe(true);
    await page.locator(`#drop-list input[value="${first.id}"]`).check();
    expect(await page.getAttribute(`#drop-schematic g.point[data-site-id="${first.id}"]`, 'aria-pressed')).toBe('true');
    await page.locator(`#drop-schematic g.point[data-site-id="${second.id}"]`).click();
    expect(await page.getAttribute(`#drop-schematic g.point[data-site-id="${second.id}"]`, 'aria-pressed')).toBe('true');
    expect(await page.locator(`#drop-list input[value="${second.id}"]`).isChecked()).toBe(true);
    expect(await text('#drop-chosen')).toBe(`已选择：${second.name as string}`);
    expect(await page.locator('#drop-accessible').isChecked()).toBe(false);
    const schematicShot = join(WEB_ARTIFACTS, 'apply-schematic.png');
    await page.locator('#drop-schematic').screenshot({ path: schematicShot });
    session.shots.push(schematicShot);

    // The result back in a partner locker near the phone's position (钟楼), chosen in the list.
    await page.check('#out-partner_locker');
    await page.context().grantPermissions(['geolocation']);
    await page.context().setGeolocation(BELL_TOWER);
    await page.click('#return-locate');
    await page.locator('#return-list').waitFor();
    expect(await text('#return-centre')).toMatch(/^您的位置 5\.0 公里 范围内有 \d+ 个合作智能柜。$/);
    const bell = page.locator('#return-list input[data-site-name="钟楼小区北门"]');
    await bell.check();
    const bellId = (await bell.getAttribute('value'))!;
    expect(await page.getAttribute(`#return-schematic g.point[data-site-id="${bellId}"]`, 'aria-pressed')).toBe('true');
    expect(await page.locator('#return-accessible').count()).toBe(0);
    await session.shot('apply-page-zh-CN');

    await page.click('#apply-submit');
    await page.locator('#apply-result').waitFor();
    expect(await page.getAttribute('#apply-result', 'data-prereview')).toBe('pending');
    expect(await text('#apply-answer')).toBe('营业执照变更登记：已提交，工作人员将进行资料预审，结果将以短信通知您。');
    firstId = (await page.getAttribute('#apply-result', 'data-application-id'))!;
    await page.waitForURL((url) => url.hash === `#/application/${firstId}`);

    // What was sent, and what the hub keeps: the own kiosk in, the partner locker out, no accessible ask.
    expect(posted).toEqual([
      {
        matterCode: 'business-licence-change',
        materials: [{ code: 'application-form' }, { code: 'shareholder-resolution' }, { code: 'articles-amendment' }],
        dropOff: { channel: 'own_kiosk', siteId: second.id },
        returnChannel: { channel: 'partner_locker', siteId: bellId },
      },
    ]);
    expect(await application(firstId)).toMatchObject({
      matterCode: 'business-licence-change',
      channelIn: 'own_kiosk',
      channelOut: 'partner_locker',
      prereview: 'pending',
      materials: [{ code: 'application-form' }, { code: 'shareholder-resolution' }, { code: 'articles-amendment' }],
    });
    const sites = await rig.db.pool.query('SELECT drop_site_id AS "drop", return_site_id AS "back" FROM applications WHERE id = $1', [
      firstId,
    ]);
    expect(sites.rows).toEqual([{ drop: second.id, back: bellId }]);
    expect(session.problems).toEqual([]);
  });

  it('a second application, for a matter the rules pass, is passed at once (the helper, through the schematic)', async () => {
    const { applicationId } = await applyOnPage(page, {
      matterCode: 'social-insurance-enrolment',
      materials: ['enrolment-form', 'licence-copy'],
      dropOffSiteName: '政务服务中心 自助信包箱',
      returnChannel: 'mail',
    });
    expect(applicationId).not.toBe(firstId);
    expect(await page.getAttribute('#apply-result', 'data-prereview')).toBe('passed');
    expect(await text('#apply-answer')).toBe('单位参保登记：已通过资料预审，投递码见申请详情页。');
    const app = await application(applicationId);
    expect(app).toMatchObject({
      matterCode: 'social-insurance-enrolment',
      channelIn: 'own_kiosk',
      channelOut: 'mail',
      prereview: 'passed',
    });
    expect((app.deposit as Json).code).toMatch(/^\d+$/);
    expect(posted.at(-1)).toMatchObject({ dropOff: { channel: 'own_kiosk' }, returnChannel: { channel: 'mail' } });
    expect(session.problems).toEqual([]);
  });

  it('another phone (signed in by the helper) in English with large type: the apply page and the schematic still work', async () => {
    const other = await WebSession.open(browser, rig.hubUrl, 'phone', 'en');
    try {
      const p = other.page;
      p.setDefaultTimeout(10_000);
      await signInBySms(p, { url: sms.url }, `136${String(randomInt(0, 100_000_000)).padStart(8, '0')}`);
      await p.click('#lang');
      await p.locator('html[lang="en"]').waitFor();
      await p.click('#large-type');
      await p.click('#nav-apply');
      await p.selectOption('#matter', 'food-business-licence');
      expect(await p.locator('#matter option:checked').textContent()).toBe('Food business licence');
      await p.check('#material-application-form');
      expect((await p.locator('#missing-core').textContent())?.trim()).toBe(
        'Not ticked: Copy of the business licence; Floor plan of the premises. Pre-review will ask you for these core materials.',
      );
      await p.check('#in-own_kiosk');
      await p.fill('#drop-address', 'Gangwu Avenue');
      await p.click('#drop-search');
      const point = p.locator('#drop-schematic g.point').first();
      await point.click();
      expect(await point.getAttribute('aria-pressed')).toBe('true');
      expect(await p.locator('#drop-chosen').textContent()).toMatch(/^Chosen: /);
      const size = await p.evaluate<number>(`parseFloat(getComputedStyle(document.querySelector('#apply-submit')).fontSize)`);
      expect(size).toBeGreaterThanOrEqual(22);
      const path = await other.shot('apply-page-en-large');
      session.shots.push(path);
      expect(other.problems).toEqual([]);
    } finally {
      await other.close();
    }
  });
});

describe('web: the locker picker over a configured tile server (Leaflet), and its fall-back when tiles fail', () => {
  let hub: TestHub;
  let tiles: Server;
  let browser: Browser;
  let session: WebSession;
  /** tiles asked for, and whether the server answers them */
  const asked: string[] = [];
  let serving = true;

  beforeAll(async () => {
    const png = new PNG({ width: 256, height: 256 });
    png.data.fill(0xdd);
    const tile = PNG.sync.write(png);
    tiles = createServer((req, res) => {
      asked.push(req.url ?? '');
      if (!serving) return void res.writeHead(503).end();
      res.writeHead(200, { 'content-type': 'image/png' }).end(tile);
    });
    await new Promise<void>((resolve) => tiles.listen(0, '127.0.0.1', resolve));
    const port = (tiles.address() as AddressInfo).port;
    hub = await startTestHub({ env: { TILE_URL: `http://127.0.0.1:${port}/{z}/{x}/{y}.png`, TILE_ATTRIBUTION: 'test tiles' } });
    browser = await launchChromium();
    session = await WebSession.open(browser, hub.url, 'phone');
    session.page.setDefaultTimeout(10_000);
  }, 120_000);

  afterAll(async () => {
    await session?.close();
    await browser?.close();
    await hub?.stop();
    tiles?.closeAllConnections();
    await new Promise((resolve) => tiles?.close(resolve));
  });

  it('draws the sites on Leaflet over the tiles; a marker chooses the site; failing tiles turn the map into the schematic', async () => {
    const page = session.page;
    await session.signIn('zhang.san');
    await page.locator('#home').waitFor();
    await page.click('#nav-apply');
    await page.selectOption('#matter', 'construction-permit');
    await page.check('#in-own_kiosk');
    await page.fill('#drop-address', '港务大道');
    await page.press('#drop-address', 'Enter');
    await page.locator('#drop-map .leaflet-tile-loaded').first().waitFor();
    expect(asked.length).toBeGreaterThan(0);
    expect(await page.locator('#drop-schematic').count()).toBe(0);
    expect(await page.locator('#drop-map .leaflet-control-attribution').textContent()).toContain('test tiles');
    const names = await attributesOf(page.locator('#drop-list input[type="radio"]'), 'data-site-name');
    const ids = await attributesOf(page.locator('#drop-list input[type="radio"]'), 'value');
    expect(await page.locator('#drop-map .map-point').count()).toBe(names.length);
    await page.locator(`#drop-map .map-point[title="2. ${names[1]}"]`).click();
    await page.locator(`#drop-chosen[data-site-id="${ids[1]}"]`).waitFor();
    expect(await page.locator(`#drop-list input[value="${ids[1]}"]`).isChecked()).toBe(true);
    // The marker is a keyboard stop: Enter on it chooses its site.
    await page.locator(`#drop-map .map-point[title="1. ${names[0]}"]`).focus();
    await page.keyboard.press('Enter');
    await page.locator(`#drop-chosen[data-site-id="${ids[0]}"]`).waitFor();
    await session.shot('apply-map-tiles');
    expect(session.problems).toEqual([]);

    // The tile server fails: a search far away (钟楼, ~15 km: none of its tiles is loaded yet) gets no
    // tiles, and the schematic takes the map's place (there are no own kiosks near it: the list says so).
    serving = false;
    await page.fill('#drop-address', '钟楼');
    await page.click('#drop-search');
    await page.locator('#drop-schematic').waitFor();
    expect(await page.locator('#drop-map').count()).toBe(0);
    expect(await page.locator('#drop-schematic figcaption').textContent()).toContain('底图无法加载');
    expect(await page.locator('#drop-schematic .ring').count()).toBe(2);
    expect(await page.locator('#drop-none').count()).toBe(1);
    expect(session.problems.length).toBeGreaterThan(0);
    expect(session.problems.every((p) => /^503 GET \/\d+\/\d+\/\d+\.png$/.test(p))).toBe(true);
  });
});
