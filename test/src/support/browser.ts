// The web app in a real browser for tests: Debian's Chromium driven by playwright-core, a fresh
// context per person (a phone or a desk screen), every console error, page error and HTTP refusal
// collected (a page must cause none it was not meant to), screenshots kept under test/artifacts/web/,
// and the QR code an element shows decoded from its screenshot (jsQR over the PNG), as a scanner would.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import jsqr from 'jsqr';
import { PNG } from 'pngjs';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { REPO_ROOT } from './processes.js';
import { DEMO_PASSWORD } from './http.js';

export const WEB_ARTIFACTS = join(REPO_ROOT, 'test', 'artifacts', 'web');
export const PHONE = { width: 390, height: 844 };
export const DESK = { width: 1280, height: 900 };
/** jsqr is CommonJS: its function is the module's `default` (ESM sees module.exports as the default import). */
const jsQR = jsqr.default;
const WEB_INDEX = join(REPO_ROOT, 'hub', 'web', 'dist', 'index.html');

/** Chromium, headless, with nothing of its own on the network. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(WEB_INDEX)) throw new Error(`the web app is not built (${WEB_INDEX}): run npm run build -w @xinbao/web`);
  mkdirSync(WEB_ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** One person at the web app: a browser context of their own, and what went wrong on its pages. */
export class WebSession {
  /** console errors, page errors and HTTP answers ≥ 400 (method and path) */
  readonly problems: string[] = [];
  /** the screenshots taken, by path */
  readonly shots: string[] = [];

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
  ) {}

  static async open(browser: Browser, hubUrl: string, screen: 'phone' | 'desk' = 'phone', locale = 'zh-CN'): Promise<WebSession> {
    const context = await browser.newContext(
      screen === 'phone' ? { viewport: PHONE, hasTouch: true, isMobile: true, locale } : { viewport: DESK, locale },
    );
    const page = await context.newPage();
    const session = new WebSession(context, page);
    // Failed loads are listed by their address below, not by the console's line for them.
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) session.problems.push(m.text());
    });
    page.on('response', (r) => {
      if (r.status() >= 400) session.problems.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
    });
    page.on('pageerror', (e) => session.problems.push(e.message));
    await page.goto(hubUrl);
    await page.locator('#username').waitFor();
    return session;
  }

  async signIn(username: string, password = DEMO_PASSWORD): Promise<void> {
    await this.page.fill('#username', username);
    await this.page.fill('#password', password);
    await this.page.click('#sign-in');
  }

  async text(selector: string): Promise<string> {
    return ((await this.page.locator(selector).first().textContent()) ?? '').trim();
  }

  async shot(name: string): Promise<string> {
    const path = join(WEB_ARTIFACTS, `${name}.png`);
    await this.page.screenshot({ path, fullPage: true });
    this.shots.push(path);
    return path;
  }

  /** The text of the QR code the element shows, read from a screenshot of it (null: none found). */
  async readQr(selector: string): Promise<string | null> {
    const element = this.page.locator(selector).first();
    await element.scrollIntoViewIfNeeded();
    const png = PNG.sync.read(await element.screenshot());
    return jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height)?.data ?? null;
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}

/** An attribute of every element the locator finds, in document order. */
export async function attributesOf(locator: Locator, name: string): Promise<Array<string | null>> {
  const values: Array<string | null> = [];
  const n = await locator.count();
  for (let i = 0; i < n; i++) values.push(await locator.nth(i).getAttribute(name));
  return values;
}
