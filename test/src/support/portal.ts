// The applicant's portal in a browser test, as a person would use it: sign in by SMS (the code read
// from the SMS gateway simulator's inbox, as the phone would show it) and apply on the apply page,
// choosing lockers with the locker picker's schematic or list (no map tiles in tests).
import type { Page } from 'playwright-core';
import { eventually } from './eventually.js';

/**
 * Where a phone's text messages can be read: the SMS gateway simulator's base URL (its
 * `GET /api/messages?to=<phone>` lists what it received, oldest first). Works for the simulator in
 * this process (`startSmsGatewaySimulator(...).url`) and for one started as a program (its ready
 * line's `url`).
 */
export interface SmsInbox {
  url: string;
}

interface InboxMessage {
  to: string;
  text: string;
}

async function messagesTo(sms: SmsInbox, phone: string): Promise<InboxMessage[]> {
  const res = await fetch(`${sms.url}/api/messages?to=${encodeURIComponent(phone)}`);
  if (!res.ok) throw new Error(`SMS inbox ${sms.url}: ${res.status}`);
  return ((await res.json()) as { messages: InboxMessage[] }).messages;
}

/** The sign-in code in a text, or null. */
export function signInCodeIn(text: string): string | null {
  return /验证码为 (\d{6})/.exec(text)?.[1] ?? null;
}

/**
 * Asks the sign-in page for a code for `phone` and waits until it is in the inbox; the code. The
 * page must show the sign-in page.
 */
export async function askSignInCode(page: Page, sms: SmsInbox, phone: string): Promise<string> {
  const before = (await messagesTo(sms, phone)).length;
  await page.fill('#sms-phone', phone);
  await page.locator('#sms-send:not([disabled])').click();
  await page.locator('#sms-sent, #sms-error').first().waitFor();
  if (await page.locator('#sms-error').count()) throw new Error(`no code sent: ${await page.locator('#sms-error').textContent()}`);
  return eventually(
    async () => {
      // The newest code among what came since (a notice may arrive after it).
      const codes = (await messagesTo(sms, phone)).slice(before).map((m) => signInCodeIn(m.text));
      return codes.filter((c) => c !== null).at(-1);
    },
    `a sign-in code texted to ${phone}`,
    { timeoutMs: 10_000, intervalMs: 100 },
  );
}

/**
 * Signs `phone` in on the sign-in page by SMS: asks for a code, reads it from the inbox, types it,
 * accepts the terms and locker delivery, and waits for the applicant's home.
 */
export async function signInBySms(page: Page, sms: SmsInbox, phone: string): Promise<void> {
  const code = await askSignInCode(page, sms, phone);
  await page.fill('#sms-code', code);
  await page.check('#consent-terms');
  await page.check('#consent-locker');
  await page.click('#sms-sign-in');
  await page.locator('#home').waitFor();
}

export interface ApplyChoice {
  matterCode: string;
  /** the material codes ticked; the others stay unticked */
  materials: string[];
  /** an own kiosk or a partner locker by its name (its network decides the channel); without it the counter, or none for a matter without paper */
  dropOffSiteName?: string;
  returnChannel: 'counter' | 'mail' | 'own_kiosk';
  /** the own kiosk for the result, by its name */
  returnSiteName?: string;
}

/** The address the helper mails results to. */
export const TEST_MAIL_ADDRESS = '西安市未央区凤城八路 109 号 3 单元 502 室';

interface SiteRow {
  id: string;
  name: string;
  network: string;
  lat: number;
  lng: number;
}

/** A live site by its name, read through the hub with the page's own session. */
async function siteNamed(page: Page, name: string): Promise<SiteRow> {
  const sites = await page.evaluate<SiteRow[]>(`(async () => {
    const res = await fetch('/api/sites', { headers: { authorization: 'Bearer ' + sessionStorage.getItem('xinbao.token') } });
    return (await res.json()).sites;
  })()`);
  const site = sites.find((s) => s.name === name);
  if (!site) throw new Error(`no live site is called ${name}`);
  return site;
}

/**
 * Chooses `name` in the picker `prefix` (drop / return): the browser's position is put at the site
 * and "near me" pressed; an own kiosk is then chosen on the schematic, a partner locker in the list.
 */
async function pickSite(page: Page, prefix: 'drop' | 'return', name: string): Promise<SiteRow> {
  const site = await siteNamed(page, name);
  await page.context().grantPermissions(['geolocation']);
  await page.context().setGeolocation({ latitude: site.lat, longitude: site.lng });
  await page.click(`#${prefix}-locate`);
  if (site.network === 'own') await page.locator(`#${prefix}-schematic g.point[data-site-id="${site.id}"]`).click();
  else await page.locator(`#${prefix}-list input[value="${site.id}"]`).check();
  await page.locator(`#${prefix}-chosen[data-site-id="${site.id}"]`).waitFor();
  return site;
}

/**
 * Applies on the apply page as the signed-in applicant; the new application's id (from the answer the
 * page shows before it opens the application's page).
 */
export async function applyOnPage(page: Page, choice: ApplyChoice): Promise<{ applicationId: string }> {
  // By way of the home page, so the apply page starts afresh even if it showed an earlier answer.
  await page.evaluate(`window.location.hash = '#/home'`);
  await page.locator('#home').waitFor();
  await page.evaluate(`window.location.hash = '#/apply'`);
  await page.locator('#matter').waitFor();
  await page.selectOption('#matter', choice.matterCode);
  const boxes = page.locator('#materials input[type="checkbox"]');
  for (let i = 0; i < (await boxes.count()); i++) {
    const box = boxes.nth(i);
    const code = ((await box.getAttribute('id')) ?? '').replace(/^material-/, '');
    if (choice.materials.includes(code)) await box.check();
    else await box.uncheck();
  }
  if (choice.dropOffSiteName) {
    const site = await siteNamed(page, choice.dropOffSiteName);
    await page.check(site.network === 'own' ? '#in-own_kiosk' : '#in-partner_locker');
    await pickSite(page, 'drop', choice.dropOffSiteName);
  } else if (await page.locator('#in-counter').count()) await page.check('#in-counter');
  await page.check(`#out-${choice.returnChannel}`);
  if (choice.returnChannel === 'own_kiosk') {
    if (!choice.returnSiteName) throw new Error('returnSiteName is needed for own_kiosk');
    await pickSite(page, 'return', choice.returnSiteName);
  } else if (choice.returnChannel === 'mail') await page.fill('#mail-address', TEST_MAIL_ADDRESS);
  await page.click('#apply-submit');
  const answer = page.locator('#apply-result, #apply-error').first();
  await answer.waitFor();
  if (await page.locator('#apply-error').count()) throw new Error(`not applied: ${await page.locator('#apply-error').textContent()}`);
  const applicationId = await page.locator('#apply-result').getAttribute('data-application-id');
  if (!applicationId) throw new Error('the apply page showed no application id');
  return { applicationId };
}
