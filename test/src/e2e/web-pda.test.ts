// The courier's PDA page in a real browser (Debian's Chromium on a phone-sized screen) on real parts,
// each its own process: PostgreSQL, Redis, the hub program (its workers), the courier dispatch
// simulator (it assigns the orders and tells the hub by signed webhooks), a kiosk agent with a
// KR-CU16 board simulator and a QR scanner simulator on real pseudo-terminals at the hall's site,
// and a second own site with a parcel waiting. A courier's day at two sites: the PDA lists both
// sites' visits grouped by site (and a result to deliver into the hall's kiosk); the QR on the page,
// read back from a screenshot, is the token the hub issued, and fed to the kiosk's scanner it opens
// the doors; each step is confirmed; a failure reported with its reason at the second site shows on
// the hall's exceptions page. Screenshots go to test/artifacts/web/.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { startCourierDispatchSimulator, type CourierDispatchSimulator } from '@xinbao/simulators/courier-dispatch';
import { withTransaction } from '@xinbao/hub/store/db';
import { lockParcel, moveParcel } from '@xinbao/hub/store/parcels';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { attributesOf, launchChromium, WebSession } from '../support/browser.js';
import { eventually } from '../support/eventually.js';
import { removeQueues, startHubProgram } from '../support/hub.js';
import { factorOf, hubApi, signIn, type Json } from '../support/http.js';
import { applyPassed } from '../support/apply.js';
import { startKiosk } from '../support/kiosk.js';
import { kerongUnlockFrames, typeCode } from '../support/kiosk-local.js';
import { startProgram, type RunningProgram } from '../support/processes.js';

const SECRET = 'e2e-web-pda-secret';
const HALL = 'own-hall';
const SECOND = 'own-huanancheng';

describe("the courier's PDA page: a day at two sites", () => {
  let db: TestDatabase;
  let dispatch: CourierDispatchSimulator;
  let board: RunningProgram;
  let scanner: RunningProgram;
  let hub: RunningProgram;
  let agent: RunningProgram;
  let browser: Browser;
  const sessions: WebSession[] = [];
  let hubUrl = '';
  let queuePrefix = '';
  let controlUrl = '';
  let kioskUrl = '';
  const siteIds: Record<string, string> = {};
  const dir = mkdtempSync(join(tmpdir(), 'xinbao-e2e-web-pda-'));

  const api = hubApi(() => hubUrl);
  const unlockFrames = () => kerongUnlockFrames(controlUrl);
  const unlockHex = (compartment: number) => {
    const lock = compartment - 1;
    const sum = (0x02 + lock + 0x31 + 0x03) & 0xff;
    return `02 ${lock.toString(16).padStart(2, '0')} 31 03 ${sum.toString(16).padStart(2, '0')}`;
  };
  /** A person at the hall's kiosk: the item sensor, or closing the door. */
  const person = async (compartment: number, action: 'item' | 'close', body?: unknown) => {
    const res = await fetch(`${controlUrl}/boards/0/locks/${compartment - 1}/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body ?? {}),
    });
    expect(res.status).toBeLessThan(300);
  };
  const scan = async (code: string) => {
    const res = await fetch(`${scanner.ready.controlUrl as string}/scan`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    });
    expect(res.status).toBeLessThan(300);
  };
  const stateOf = async (parcelId: string) =>
    (await db.pool.query<{ state: string }>('SELECT state FROM parcels WHERE id = $1', [parcelId])).rows[0]!.state;
  const tasksOf = async (token: string) => (await api('GET', '/api/courier/tasks', token)).json.visits as Json[];

  /** The one way this file applies (the lead may switch how an application is made at merge). */
  async function apply(username: string, body: Json): Promise<Json> {
    const created = await applyPassed(api, await signIn(api, username), { matterCode: 'business-licence-change', ...body });
    expect(created.status).toBe(201);
    return created.json;
  }

  /** An applicant hands in a parcel at the hall's kiosk: code and factor typed, envelope in, door closed. */
  async function depositAtHall(username: string): Promise<{ id: string; tn: string; compartment: number }> {
    const created = await apply(username, { dropOff: { channel: 'own_kiosk', siteId: siteIds[HALL] } });
    const compartment = created.compartment as number;
    expect(await typeCode(kioskUrl, created.deposit.code as string, factorOf(username))).toMatchObject({ status: 'opened', compartment });
    await person(compartment, 'item', { present: true });
    await person(compartment, 'close');
    return { id: created.parcel.id as string, tn: created.parcel.trackingNumber as string, compartment };
  }

  /** A parcel deposited at the second site, which has no kiosk process here: moved as its kiosk would have. */
  async function depositedAtSecond(username: string): Promise<{ id: string; tn: string }> {
    const created = await apply(username, { dropOff: { channel: 'own_kiosk', siteId: siteIds[SECOND] } });
    const id = created.parcel.id as string;
    await withTransaction(db.pool, async (tx) => {
      await moveParcel(tx, await lockParcel(tx, id), 'deposited', { actor: { kind: 'applicant', id: null }, at: new Date() });
    });
    return { id, tn: created.parcel.trackingNumber as string };
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    dispatch = await startCourierDispatchSimulator({ secret: SECRET, retryDelaysMs: [100, 200, 500] });
    mkdirSync(join(dir, 'pty'));
    const ready = { isReady: (l: Record<string, unknown>) => l.event === 'ready' };
    [board, scanner] = await Promise.all([
      startProgram('simulators/dist/lockboard/main.js', ['--family', 'kerong', '--boards', '0', '--dir', join(dir, 'pty')], ready),
      startProgram('simulators/dist/terminal/main.js', ['--device', 'scanner', '--dir', join(dir, 'pty')], ready),
    ]);
    controlUrl = board.ready.controlUrl as string;
    ({ hub, hubUrl, queuePrefix } = await startHubProgram({
      databaseUrl: db.url,
      dir,
      env: { COURIER_DISPATCH_URL: dispatch.url, COURIER_DISPATCH_SECRET: SECRET },
    }));
    dispatch.setWebhookUrl(`${hubUrl}/api/courier/webhooks`);
    ({ agent, kioskUrl } = await startKiosk({
      api,
      hubUrl,
      site: HALL,
      dir,
      buses: [{ id: 'bus0', family: 'kerong', path: board.ready.ptyPath }],
      compartments: Array.from({ length: 16 }, (_, i) => ({ compartment: i + 1, bus: 'bus0', board: 0, lock: i })),
      scannerPath: scanner.ready.ptyPath as string,
    }));
    const sites = (await api('GET', '/api/sites', await signIn(api, 'ops.admin'))).json.sites as Json[];
    for (const code of [HALL, SECOND]) siteIds[code] = sites.find((s) => s.code === code)!.id as string;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    for (const s of sessions) await s.close();
    await browser?.close();
    await agent?.stop();
    await hub?.stop();
    if (queuePrefix) await removeQueues(queuePrefix);
    await Promise.all([board?.stop(), scanner?.stop()]);
    await dispatch?.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
    const shots = sessions.flatMap((s) => s.shots);
    if (shots.length > 0) console.log(`PDA screenshots:\n${shots.join('\n')}`);
  });

  it('lists both sites, opens the doors with the QR read off the page, confirms each step and reports a failure', async () => {
    // The day's work: two envelopes in the hall's kiosk, one at the second site, and a result to deliver into the hall's kiosk.
    const a = await depositAtHall('zhang.san');
    const b = await depositAtHall('zhang.san');
    const c = await depositedAtSecond('zhang.san');
    const resultApp = await apply('zhang.san', {
      dropOff: { channel: 'none' },
      returnChannel: { channel: 'own_kiosk', siteId: siteIds[HALL] },
    });
    const approved = await api(
      'POST',
      `/api/applications/${resultApp.application.id as string}/approve`,
      await signIn(api, 'hall.staff'),
      {},
    );
    expect(approved.status).toBe(201);
    const r = { id: approved.json.result.id as string, tn: approved.json.result.trackingNumber as string };

    // Assigned by the dispatch system to the demo courier: the hub lists three tasks for them.
    const courierToken = await signIn(api, 'ems.courier');
    const tasks = await eventually(
      async () => {
        const list = await tasksOf(courierToken);
        const hallVisit = list.find((t) => t.kind === 'pickup' && t.site.code === HALL);
        const secondVisit = list.find((t) => t.kind === 'pickup' && t.site.code === SECOND);
        const delivery = list.find((t) => t.kind === 'delivery');
        return hallVisit?.parcels.length === 2 && secondVisit && delivery ? { hallVisit, secondVisit, delivery } : undefined;
      },
      'the three tasks on the PDA',
      60_000,
    );
    const { hallVisit, secondVisit, delivery } = tasks;
    expect(delivery).toMatchObject({ site: { code: HALL }, parcels: [{ trackingNumber: r.tn, state: 'to_deliver', confirmed: null }] });
    expect(delivery.code).toMatch(/^\d{8}$/);
    expect((hallVisit.parcels as Json[]).map((p) => p.trackingNumber)).toEqual([a.tn, b.tn]);
    expect(secondVisit.parcels).toEqual([{ trackingNumber: c.tn, compartment: expect.any(Number), state: 'to_collect', confirmed: null }]);
    const deliveryCompartment = delivery.parcels[0].compartment as number;
    // The dispatch system got the same codes the PDA shows.
    const sent = [...dispatch.orders.values()];
    expect(sent.find((o) => o.orderId === hallVisit.visitId)).toMatchObject({ code: hallVisit.code, qr: hallVisit.qr });
    expect(sent.find((o) => o.orderId === delivery.visitId)).toMatchObject({ code: delivery.code });

    // The courier's phone.
    const pda = await WebSession.open(browser, hubUrl, 'phone');
    sessions.push(pda);
    const page = pda.page;
    await pda.signIn('ems.courier');
    await page.waitForURL('**/#/courier');
    await page.locator(`section.site[data-site="${SECOND}"]`).waitFor();
    // Grouped by site: the hall's pickup and delivery together, the second site apart; names, addresses, map links, masked contacts.
    expect(await attributesOf(page.locator('section.site'), 'data-site')).toEqual([HALL, SECOND]);
    const hall = page.locator(`section.site[data-site="${HALL}"]`);
    expect(await attributesOf(hall.locator('article.task'), 'data-kind')).toEqual(['pickup', 'delivery']);
    expect(await page.locator(`section.site[data-site="${SECOND}"] article.task`).count()).toBe(1);
    expect(await hall.locator('.address').textContent()).toBe(hallVisit.site.address);
    expect(await hall.locator('a.map').getAttribute('href')).toBe(hallVisit.site.mapUrl);
    const hallCard = page.locator(`article[data-visit="${hallVisit.visitId as string}"]`);
    expect(await hallCard.locator('.contact').textContent()).toMatch(/^联系人: 张\*+ 尾号\d{4}$/);
    expect(await hallCard.locator('.code').textContent()).toBe(hallVisit.code);
    expect(await hallCard.locator('.pin span').textContent()).toBe(hallVisit.pin);
    expect(await hallCard.locator('li.parcel .compartment').allTextContents()).toEqual([
      `${a.compartment} 号格口`,
      `${b.compartment} 号格口`,
    ]);
    await pda.shot('pda-day-two-sites-zh-CN');

    // The QR on the screen is the token the hub issued for the visit; the kiosk's scanner reads it: door a opens.
    const qr = await pda.readQr(`article[data-visit="${hallVisit.visitId as string}"] img.qr`);
    expect(qr).toBe(hallVisit.qr);
    const before = await unlockFrames();
    await scan(qr!);
    await eventually(async () => (await unlockFrames()).length > before.length, 'the first door to open', 30_000);
    expect((await unlockFrames()).slice(before.length)).toEqual([unlockHex(a.compartment)]);

    // The PDA, refreshed, shows door a open; the courier takes the envelope and confirms it, then closes the door.
    await page.click('#refresh');
    await page.locator(`li.parcel[data-tn="${a.tn}"][data-state="door_open"]`).waitFor();
    await hallCard.locator(`li.parcel[data-tn="${a.tn}"] button.confirm`).click();
    await page.locator('#pda-message', { hasText: `${a.tn}：已确认揽收` }).waitFor();
    await page.locator(`li.parcel[data-tn="${a.tn}"] .confirmed`, { hasText: '您已确认：已揽收' }).waitFor();
    await person(a.compartment, 'item', { present: false });
    await person(a.compartment, 'close');
    // The same code goes on to door b.
    await eventually(async () => (await unlockFrames()).length === before.length + 2, 'the second door to open', 30_000);
    expect((await unlockFrames()).slice(before.length)).toEqual([unlockHex(a.compartment), unlockHex(b.compartment)]);
    await page.click('#refresh');
    await page.locator(`li.parcel[data-tn="${b.tn}"][data-state="door_open"]`).waitFor();
    await hallCard.locator(`li.parcel[data-tn="${b.tn}"] button.confirm`).click();
    await page.locator('#pda-message', { hasText: `${b.tn}：已确认揽收` }).waitFor();
    await pda.shot('pda-door-open-zh-CN');
    await person(b.compartment, 'item', { present: false });
    await person(b.compartment, 'close');
    for (const p of [a, b]) await eventually(async () => (await stateOf(p.id)) === 'picked_up', `${p.tn} picked_up`);
    // The visit is done: it leaves the PDA (its code is no longer shown).
    await page.click('#refresh');
    await hallCard.waitFor({ state: 'detached' });
    const steps = await db.pool.query(`SELECT parcel_id, step FROM courier_visit_steps WHERE visit_id = $1 ORDER BY at`, [
      hallVisit.visitId,
    ]);
    expect(steps.rows).toEqual([
      { parcel_id: a.id, step: 'picked_up' },
      { parcel_id: b.id, step: 'picked_up' },
    ]);

    // The delivery: its QR read off the page opens exactly the result's compartment; confirmed, the result goes in.
    const deliveryQr = await pda.readQr(`article[data-visit="${delivery.visitId as string}"] img.qr`);
    expect(deliveryQr).toBe(delivery.qr);
    const beforeDelivery = await unlockFrames();
    await scan(deliveryQr!);
    await eventually(async () => (await unlockFrames()).length > beforeDelivery.length, 'the delivery door to open', 30_000);
    expect((await unlockFrames()).slice(beforeDelivery.length)).toEqual([unlockHex(deliveryCompartment)]);
    const deliveryCard = page.locator(`article[data-visit="${delivery.visitId as string}"]`);
    await deliveryCard.locator('button.confirm').click();
    await page.locator('#pda-message', { hasText: `${r.tn}：已确认投递` }).waitFor();
    await person(deliveryCompartment, 'item', { present: true });
    await person(deliveryCompartment, 'close');
    await eventually(async () => (await stateOf(r.id)) === 'in_locker', 'the result in the locker', 30_000);
    await page.click('#refresh');
    await deliveryCard.waitFor({ state: 'detached' });
    expect((await db.pool.query(`SELECT code_enc FROM courier_orders WHERE id = $1`, [delivery.visitId])).rows[0].code_enc).toBeNull();

    // At the second site the locker will not open: the courier reports it with its reason.
    const secondCard = page.locator(`article[data-visit="${secondVisit.visitId as string}"]`);
    await secondCard.locator(`li.parcel[data-tn="${c.tn}"] select`).selectOption('cannot_open');
    await secondCard.locator(`li.parcel[data-tn="${c.tn}"] button.fail`).click();
    await page.locator('#pda-message', { hasText: `${c.tn}：已上报异常（无法开门）` }).waitFor();
    await secondCard.locator('.confirmed', { hasText: '您已上报异常：无法开门' }).waitFor();
    await pda.shot('pda-failure-reported-zh-CN');
    const exception = await db.pool.query(`SELECT kind, detail, closed_at FROM exceptions WHERE parcel_id = $1`, [c.id]);
    expect(exception.rows).toEqual([
      { kind: 'courier_failed', detail: expect.objectContaining({ reason: 'cannot_open', via: 'pda', task: 'pickup' }), closed_at: null },
    ]);
    // In English too.
    await page.click('#lang');
    await page.locator('html[lang="en"]').waitFor();
    expect(await secondCard.locator('.confirmed').textContent()).toBe('You reported a failure: Cannot open');
    expect(await secondCard.locator('button.confirm').textContent()).toBe('Picked up');
    await pda.shot('pda-after-the-day-en');
    await page.click('#lang');
    expect(pda.problems).toEqual([]);

    // Only the courier's own, and only the steps of its kind: a delivery is not picked up.
    const stepOn = (id: string, body: Json) => api('POST', `/api/courier/visits/${id}/steps`, courierToken, body);
    expect(await stepOn(delivery.visitId as string, { trackingNumber: r.tn, step: 'picked_up' })).toMatchObject({
      status: 409,
      json: { error: { code: 'step_not_applicable' } },
    });
    expect((await stepOn(delivery.visitId as string, { trackingNumber: r.tn, step: 'delivered' })).json).toMatchObject({ recorded: false });
    const admin = await signIn(api, 'ops.admin');
    const courierUserId = (await api('GET', '/api/me', courierToken)).json.user.id as string;
    const relink = async (dispatchCourierId: string) =>
      expect((await api('PUT', `/api/admin/couriers/${courierUserId}/dispatch-courier`, admin, { dispatchCourierId })).status).toBe(200);
    await relink('EMS-XA-002');
    expect(await tasksOf(courierToken)).toEqual([]);
    expect((await stepOn(secondVisit.visitId as string, { trackingNumber: c.tn, step: 'picked_up' })).status).toBe(403);
    expect((await stepOn(delivery.visitId as string, { trackingNumber: r.tn, step: 'delivered' })).status).toBe(403);
    await relink('EMS-XA-001');
    expect((await tasksOf(courierToken)).map((t) => t.visitId)).toEqual([secondVisit.visitId]);

    // The hall sees the failure on its exceptions page, with the parcel, the site and the reason.
    const desk = await WebSession.open(browser, hubUrl, 'desk');
    sessions.push(desk);
    await desk.signIn('hall.staff');
    await desk.page.waitForURL('**/#/intake');
    await desk.page.click('#nav-exceptions');
    const card = desk.page.locator(`li.exception[data-tn="${c.tn}"]`);
    await card.waitFor();
    expect(await card.locator('h2').textContent()).toBe('快递员上报异常');
    expect(await card.locator('.site').textContent()).toBe(secondVisit.site.name);
    expect(await card.locator('.detail').textContent()).toContain('reason: cannot_open');
    await card.locator('summary').click();
    expect(await attributesOf(card.locator('.trail li'), 'data-kind')).toEqual([
      'created',
      'deposited',
      'pickup_ordered',
      'courier_step_failed',
    ]);
    await desk.shot('exceptions-courier-failure-zh-CN');
    expect(desk.problems).toEqual([]);
  }, 240_000);
});
