// The partner network simulator (simulators/src/partner-network) over real HTTP (in-process server, real sockets, real webhooks to a
// real receiver): signing, sites, reservations, the locker lifecycle, events, webhooks, every
// injected fault and the rate limits. The clock is the real one except where a test drives it.
import { afterEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  EventsPage,
  NearestSites,
  PartnerEvent,
  PartnerSite,
  Reservation,
  SitePage,
  partnerRequestHeaders,
  verifyPartnerWebhook,
  type PartnerCredentials,
} from '@xinbao/protocol';
import {
  startPartnerNetworkSimulator,
  tinyXian,
  type PartnerApp,
  type PartnerSimulatorOptions,
  type RunningPartnerSimulator,
} from '@xinbao/simulators/partner-network';
import { eventually } from '../support/processes.js';

const HUB: PartnerApp = { appId: 'hub', appSecret: 'hub-app-secret', webhookSecret: 'hub-webhook-secret' };
const OTHER: PartnerApp = { appId: 'other', appSecret: 'other-app-secret', webhookSecret: 'other-webhook-secret' };

const running: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

async function start(extra: Partial<PartnerSimulatorOptions> = {}): Promise<RunningPartnerSimulator> {
  const sim = await startPartnerNetworkSimulator({ apps: [HUB, OTHER], sites: tinyXian(), webhookRetryDelaysMs: [20, 20], ...extra });
  running.push(sim);
  return sim;
}

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text), headers: res.headers };
}

/** A signed call, as the hub's client will make it. */
async function api(
  sim: RunningPartnerSimulator,
  method: string,
  path: string,
  body?: unknown,
  o: { app?: PartnerCredentials; now?: number; nonce?: string; signal?: AbortSignal } = {},
): Promise<Answer> {
  const url = new URL(path, sim.url);
  const raw = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  const headers = partnerRequestHeaders(
    o.app ?? HUB,
    { method, target: url.pathname + url.search, body: raw },
    o.now ?? Date.now(),
    o.nonce ?? randomBytes(16).toString('hex'),
  );
  if (raw !== '') headers['content-type'] = 'application/json';
  return answer(await fetch(url, { method, headers, ...(raw !== '' && { body: raw }), ...(o.signal && { signal: o.signal }) }));
}

async function control(sim: RunningPartnerSimulator, method: string, path: string, body?: unknown): Promise<Answer> {
  return answer(
    await fetch(`${sim.url}/control${path}`, {
      method,
      ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    }),
  );
}

const reserveBody = (requestId: string, extra: Record<string, unknown> = {}) => ({
  requestId,
  deviceId: 'BELL-1',
  size: 'M',
  durationMinutes: 60,
  ...extra,
});

async function reserve(sim: RunningPartnerSimulator, requestId: string, extra: Record<string, unknown> = {}): Promise<Reservation> {
  const r = await api(sim, 'POST', '/v1/reservations', reserveBody(requestId, extra));
  expect(r.status).toBe(201);
  return Reservation.parse(r.body);
}

async function freeOf(sim: RunningPartnerSimulator, deviceId: string): Promise<Record<string, number>> {
  const d = await api(sim, 'GET', `/v1/devices/${deviceId}`);
  return Object.fromEntries(Object.entries(d.body.compartments as Record<string, { free: number }>).map(([k, v]) => [k, v.free]));
}

interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  event: PartnerEvent;
}

/** A webhook receiver: keeps every request; answers the queued statuses, then 200. */
async function startReceiver(): Promise<{ url: string; received: Received[]; statuses: number[] }> {
  const received: Received[] = [];
  const statuses: number[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      received.push({ headers: req.headers, raw, event: PartnerEvent.parse(JSON.parse(raw)) });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  running.push({ stop: () => new Promise<void>((resolve) => server.close(() => resolve())) });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/partner/webhook`, received, statuses };
}

function verifies(r: Received, secret = HUB.webhookSecret): boolean {
  const h = (n: string) => r.headers[n] as string | undefined;
  return verifyPartnerWebhook(
    secret,
    { timestamp: h('x-partner-event-timestamp'), signature: h('x-partner-event-signature') },
    r.raw,
    Date.now(),
  ).ok;
}

async function deliveries(
  sim: RunningPartnerSimulator,
  query = '',
): Promise<Array<{ eventId: string; attempt: number; outcome: string; status?: number; type: string; seq: number }>> {
  return (await control(sim, 'GET', `/deliveries${query}`)).body.deliveries;
}

describe('signed requests', () => {
  it('refuses unsigned, wrongly signed, unknown, stale, replayed and tampered requests with 401 BAD_SIGNATURE', async () => {
    const sim = await start();
    const unsigned = await answer(await fetch(`${sim.url}/v1/sites`));
    expect([unsigned.status, unsigned.body.code]).toEqual([401, 'BAD_SIGNATURE']);
    expect((await api(sim, 'GET', '/v1/sites', undefined, { app: { appId: 'hub', appSecret: 'not-the-secret' } })).status).toBe(401);
    expect((await api(sim, 'GET', '/v1/sites', undefined, { app: { appId: 'ghost', appSecret: 'x' } })).body.message).toMatch(
      /unknown app/,
    );
    const stale = await api(sim, 'GET', '/v1/sites', undefined, { now: Date.now() - 6 * 60_000 });
    expect([stale.status, stale.body.message]).toEqual([401, expect.stringMatching(/timestamp/)]);
    expect((await api(sim, 'GET', '/v1/sites', undefined, { now: Date.now() + 6 * 60_000 })).status).toBe(401);

    const nonce = randomBytes(16).toString('hex');
    expect((await api(sim, 'GET', '/v1/sites', undefined, { nonce })).status).toBe(200);
    const replay = await api(sim, 'GET', '/v1/sites', undefined, { nonce });
    expect([replay.status, replay.body.message]).toEqual([401, expect.stringMatching(/nonce/)]);

    // signed for one query, sent with another
    const signedFor = partnerRequestHeaders(
      HUB,
      { method: 'GET', target: '/v1/sites?page=1', body: '' },
      Date.now(),
      randomBytes(16).toString('hex'),
    );
    expect((await fetch(`${sim.url}/v1/sites?page=2`, { headers: signedFor })).status).toBe(401);
    // signed for one body, sent with another
    const body = JSON.stringify(reserveBody('tamper-1'));
    const h = partnerRequestHeaders(HUB, { method: 'POST', target: '/v1/reservations', body }, Date.now(), randomBytes(16).toString('hex'));
    const tampered = await fetch(`${sim.url}/v1/reservations`, {
      method: 'POST',
      headers: { ...h, 'content-type': 'application/json' },
      body: body.replace('"M"', '"XL"'),
    });
    expect(tampered.status).toBe(401);
    expect((await control(sim, 'GET', '/reservations')).body.reservations).toEqual([]);
  });
});

describe('sites', () => {
  it('lists sites page by page, by district, and those changed since a time', async () => {
    let wall = Date.UTC(2025, 5, 1, 2, 0, 0);
    const sim = await start({ now: () => wall });
    const call = (path: string) => api(sim, 'GET', path, undefined, { now: wall });
    const p1 = SitePage.parse((await call('/v1/sites?pageSize=3')).body);
    expect([p1.total, p1.sites.map((s) => s.siteId)]).toEqual([4, ['BELL', 'XIAOZHAI', 'PORT']]);
    expect(SitePage.parse((await call('/v1/sites?pageSize=3&page=2')).body).sites.map((s) => s.siteId)).toEqual(['NORTH']);
    expect(SitePage.parse((await call('/v1/sites?pageSize=3&page=3')).body).sites).toEqual([]);
    expect(SitePage.parse((await call(`/v1/sites?district=${encodeURIComponent('碑林区')}`)).body).sites.map((s) => s.siteId)).toEqual([
      'BELL',
    ]);
    expect((await call('/v1/sites?pageSize=0')).body.code).toBe('INVALID_REQUEST');

    const before = new Date(wall + 1).toISOString();
    wall += 60_000;
    expect((await api(sim, 'POST', '/v1/reservations', reserveBody('since-1'), { now: wall })).status).toBe(201);
    const changed = SitePage.parse((await call(`/v1/sites?updatedSince=${before}`)).body);
    expect(changed.sites.map((s) => [s.siteId, s.updatedAt])).toEqual([['BELL', new Date(wall).toISOString()]]);
  });

  it('answers one site and one device with free compartments per size, NOT_FOUND otherwise', async () => {
    const sim = await start();
    const bell = PartnerSite.parse((await api(sim, 'GET', '/v1/sites/BELL')).body);
    expect(bell.status).toBe('online');
    expect(bell.devices.map((d) => [d.deviceId, d.status])).toEqual([
      ['BELL-1', 'online'],
      ['BELL-2', 'offline'],
    ]);
    expect(bell.devices[0]!.compartments).toEqual({
      S: { total: 2, free: 1 },
      M: { total: 2, free: 2 },
      L: { total: 1, free: 0 },
      XL: { total: 1, free: 1 },
    });
    expect((await api(sim, 'GET', '/v1/sites/NORTH')).body.status).toBe('offline');
    expect((await api(sim, 'GET', '/v1/devices/PORT-1')).body).toMatchObject({
      deviceId: 'PORT-1',
      siteId: 'PORT',
      compartments: { S: { total: 3, free: 3 } },
    });
    const missing = await api(sim, 'GET', '/v1/sites/NOPE');
    expect([missing.status, missing.body.code]).toEqual([404, 'NOT_FOUND']);
    expect((await api(sim, 'GET', '/v1/devices/NOPE')).status).toBe(404);
    expect((await api(sim, 'GET', '/v1/no-such-thing')).body.code).toBe('NOT_FOUND');
  });

  it('finds the nearest sites within a radius, nearest first, optionally only with a free size', async () => {
    const sim = await start();
    const near = async (q: string) =>
      NearestSites.parse((await api(sim, 'GET', `/v1/sites/nearest?lat=34.2610&lng=108.9423&${q}`)).body).sites;
    const five = await near('radius=5000');
    expect(five.map((s) => s.siteId)).toEqual(['BELL', 'XIAOZHAI']);
    expect(five[0]!.distanceMeters).toBe(0);
    expect(five[1]!.distanceMeters).toBeGreaterThan(4000);
    expect(five[1]!.distanceMeters).toBeLessThan(4400);
    expect((await near('radius=50000')).map((s) => s.siteId)).toEqual(['BELL', 'XIAOZHAI', 'NORTH', 'PORT']);
    expect((await near('radius=50000&limit=2')).map((s) => s.siteId)).toEqual(['BELL', 'XIAOZHAI']);
    expect((await near('radius=5000&size=L')).map((s) => s.siteId)).toEqual(['XIAOZHAI']);
    expect((await near('radius=5000&size=XL')).map((s) => s.siteId)).toEqual(['BELL']);
    expect((await near('radius=100')).map((s) => s.siteId)).toEqual(['BELL']);
    for (const bad of [
      '/v1/sites/nearest?lng=108.9',
      '/v1/sites/nearest?lat=91&lng=108.9',
      '/v1/sites/nearest?lat=34&lng=108&radius=50001',
      '/v1/sites/nearest?lat=34&lng=108&size=XXL',
    ]) {
      const r = await api(sim, 'GET', bad);
      expect([bad, r.status, r.body.code]).toEqual([bad, 400, 'INVALID_REQUEST']);
    }
  });
});

describe('reservations', () => {
  it('reserves a compartment with the open-code in the answer; the free count drops; code_issued is logged', async () => {
    const sim = await start();
    const r = await reserve(sim, 'req-1', { reference: 'XB1234567890' });
    expect(r).toMatchObject({
      requestId: 'req-1',
      reference: 'XB1234567890',
      siteId: 'BELL',
      deviceId: 'BELL-1',
      size: 'M',
      requestedSize: 'M',
      state: 'reserved',
      compartmentNo: 3,
    });
    expect(r.openCode).toMatch(/^\d{8}$/);
    expect(Date.parse(r.expiresAt) - Date.parse(r.createdAt)).toBe(60 * 60_000);
    expect(await freeOf(sim, 'BELL-1')).toEqual({ S: 1, M: 1, L: 0, XL: 1 });
    const events = EventsPage.parse((await api(sim, 'GET', '/v1/events')).body).events;
    expect(events.map((e) => [e.type, e.reservationId, e.reference])).toEqual([['code_issued', r.reservationId, 'XB1234567890']]);
    const issued = events[0]!;
    expect(issued.type === 'code_issued' && issued.data.openCode).toBe(r.openCode);
  });

  it('is idempotent by requestId: the same request answers the same reservation, a different one is refused', async () => {
    const sim = await start();
    const first = await reserve(sim, 'req-1');
    const again = await api(sim, 'POST', '/v1/reservations', reserveBody('req-1'));
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first);
    expect(await freeOf(sim, 'BELL-1')).toMatchObject({ M: 1 });
    expect(EventsPage.parse((await api(sim, 'GET', '/v1/events')).body).events).toHaveLength(1);
    const conflict = await api(sim, 'POST', '/v1/reservations', reserveBody('req-1', { size: 'S' }));
    expect([conflict.status, conflict.body.code]).toEqual([409, 'REQUEST_ID_CONFLICT']);
    // requestIds belong to an app: another app's req-1 is its own reservation
    const theirs = await api(sim, 'POST', '/v1/reservations', reserveBody('req-1'), { app: OTHER });
    expect(theirs.status).toBe(201);
    expect(theirs.body.reservationId).not.toBe(first.reservationId);
    expect(await freeOf(sim, 'BELL-1')).toMatchObject({ M: 0 });
  });

  it('takes the next larger size only with allowLarger', async () => {
    const sim = await start();
    const full = await api(sim, 'POST', '/v1/reservations', reserveBody('z-1', { deviceId: 'XIAOZHAI-1', size: 'S' }));
    expect([full.status, full.body.code]).toEqual([409, 'NO_COMPARTMENT']);
    expect(await reserve(sim, 'z-2', { deviceId: 'XIAOZHAI-1', size: 'S', allowLarger: true })).toMatchObject({
      requestedSize: 'S',
      size: 'L',
      allowLarger: true,
    });

    // BELL-1: S 1 free, M 2, L 0, XL 1
    expect((await reserve(sim, 'b-1', { size: 'S', allowLarger: true })).size).toBe('S');
    expect((await reserve(sim, 'b-2', { size: 'S', allowLarger: true })).size).toBe('M');
    expect((await reserve(sim, 'b-3', { size: 'L', allowLarger: true })).size).toBe('XL');
    const none = await api(sim, 'POST', '/v1/reservations', reserveBody('b-4', { size: 'L', allowLarger: true }));
    expect([none.status, none.body.code]).toEqual([409, 'NO_COMPARTMENT']);
    expect(await freeOf(sim, 'BELL-1')).toEqual({ S: 0, M: 1, L: 0, XL: 0 });
  });

  it('reserves at a site on an online device with room', async () => {
    const sim = await start();
    const r = await api(sim, 'POST', '/v1/reservations', { requestId: 's-1', siteId: 'BELL', size: 'S', durationMinutes: 30 });
    expect([r.status, r.body.deviceId]).toEqual([201, 'BELL-1']);
    const again = await api(sim, 'POST', '/v1/reservations', { requestId: 's-2', siteId: 'BELL', size: 'S', durationMinutes: 30 });
    expect([again.status, again.body.code]).toEqual([409, 'NO_COMPARTMENT']); // BELL-2 has room but is offline
    const north = await api(sim, 'POST', '/v1/reservations', { requestId: 's-3', siteId: 'NORTH', size: 'S', durationMinutes: 30 });
    expect([north.status, north.body.code]).toEqual([409, 'DEVICE_OFFLINE']);
  });

  it('refuses offline and faulty devices, unknown devices and malformed requests, creating nothing', async () => {
    const sim = await start();
    for (const [body, status, code] of [
      [reserveBody('x-1', { deviceId: 'BELL-2' }), 409, 'DEVICE_OFFLINE'],
      [reserveBody('x-2', { deviceId: 'NORTH-1' }), 409, 'DEVICE_OFFLINE'],
      [reserveBody('x-3', { deviceId: 'NOPE' }), 404, 'NOT_FOUND'],
      [reserveBody('x-4', { siteId: 'BELL' }), 400, 'INVALID_REQUEST'],
      [{ requestId: 'x-5', deviceId: 'BELL-1', size: 'M' }, 400, 'INVALID_REQUEST'],
      [reserveBody('x-6', { size: 'XXL' }), 400, 'INVALID_REQUEST'],
      [reserveBody('x-7', { codeDelivery: 'callback' }), 400, 'INVALID_REQUEST'],
      [reserveBody('x 8'), 400, 'INVALID_REQUEST'],
      ['{"requestId":', 400, 'INVALID_REQUEST'],
      ['', 400, 'INVALID_REQUEST'],
    ] as const) {
      const r = await api(sim, 'POST', '/v1/reservations', body);
      expect([JSON.stringify(body), r.status, r.body.code]).toEqual([JSON.stringify(body), status, code]);
      expect(typeof r.body.message).toBe('string');
    }
    expect((await control(sim, 'GET', '/reservations')).body.reservations).toEqual([]);
  });

  it('shows a reservation, its code and its events only to the app that made it', async () => {
    const sim = await start();
    const r = await reserve(sim, 'mine-1');
    expect((await api(sim, 'GET', `/v1/reservations/${r.reservationId}`)).body.openCode).toBe(r.openCode);
    for (const [method, path] of [
      ['GET', `/v1/reservations/${r.reservationId}`],
      ['POST', `/v1/reservations/${r.reservationId}/cancel`],
      ['POST', `/v1/reservations/${r.reservationId}/pickup-code`],
    ] as const) {
      const theirs = await api(sim, method, path, undefined, { app: OTHER });
      expect([path, theirs.status, theirs.body.code]).toEqual([path, 404, 'NOT_FOUND']);
    }
    expect(EventsPage.parse((await api(sim, 'GET', '/v1/events', undefined, { app: OTHER })).body).events).toEqual([]);
    expect((await api(sim, 'GET', `/v1/reservations/${r.reservationId}`)).body.state).toBe('reserved');
  });

  it('delivers the open-code by a signed code_issued webhook when asked for callback delivery', async () => {
    const hook = await startReceiver();
    const sim = await start();
    const res = await api(sim, 'POST', '/v1/reservations', reserveBody('cb-1', { codeDelivery: 'callback', callbackUrl: hook.url }));
    expect(res.status).toBe(201);
    expect(res.body.openCode).toBeUndefined();
    const got = await eventually(async () => hook.received[0], 'the code_issued webhook');
    expect(verifies(got)).toBe(true);
    expect(verifies(got, OTHER.webhookSecret)).toBe(false);
    expect(got.headers['x-partner-event-id']).toBe(got.event.eventId);
    expect(got.headers['x-partner-app-id']).toBe('hub');
    const full = (await control(sim, 'GET', `/reservations/${res.body.reservationId}`)).body;
    expect(got.event).toMatchObject({
      type: 'code_issued',
      reservationId: res.body.reservationId,
      requestId: 'cb-1',
      data: { openCode: full.openCode, compartmentNo: 3, size: 'M' },
    });
    expect((await api(sim, 'GET', `/v1/reservations/${res.body.reservationId}`)).body.openCode).toBe(full.openCode);
  });
});

describe('at the locker', () => {
  it('deposit → pickup code → collection, each with its event and its signed webhook, in order', async () => {
    const hook = await startReceiver();
    const sim = await start();
    const r = await reserve(sim, 'life-1', { callbackUrl: hook.url });
    const early = await api(sim, 'POST', `/v1/reservations/${r.reservationId}/pickup-code`);
    expect([early.status, early.body.code]).toEqual([409, 'INVALID_STATE']);

    const wrongDevice = await control(sim, 'POST', '/devices/XIAOZHAI-1/keypad', { code: r.openCode });
    expect([wrongDevice.status, wrongDevice.body.code]).toEqual([403, 'WRONG_CODE']);
    expect((await control(sim, 'POST', '/devices/BELL-1/keypad', { code: r.openCode })).body.state).toBe('deposited');
    const deposited = Reservation.parse((await api(sim, 'GET', `/v1/reservations/${r.reservationId}`)).body);
    expect(deposited.state).toBe('deposited');
    expect(deposited.openCode).toBeUndefined();
    expect(deposited.depositedAt).not.toBeNull();
    expect((await control(sim, 'POST', '/devices/BELL-1/keypad', { code: r.openCode })).status).toBe(403); // an open-code works once

    const pickup = await api(sim, 'POST', `/v1/reservations/${r.reservationId}/pickup-code`);
    expect(pickup.status).toBe(200);
    expect(pickup.body.pickupCode).toMatch(/^\d{8}$/);
    expect((await api(sim, 'POST', `/v1/reservations/${r.reservationId}/pickup-code`)).body.pickupCode).toBe(pickup.body.pickupCode);
    expect((await api(sim, 'GET', `/v1/reservations/${r.reservationId}`)).body.pickupCode).toBe(pickup.body.pickupCode);
    const wrong = pickup.body.pickupCode === '00000000' ? '11111111' : '00000000';
    expect((await control(sim, 'POST', `/reservations/${r.reservationId}/collect`, { code: wrong })).body.code).toBe('WRONG_CODE');
    expect(await freeOf(sim, 'BELL-1')).toMatchObject({ M: 1 });
    expect((await control(sim, 'POST', '/devices/BELL-1/keypad', { code: pickup.body.pickupCode })).body.state).toBe('collected');
    expect(await freeOf(sim, 'BELL-1')).toMatchObject({ M: 2 });
    const done = (await api(sim, 'GET', `/v1/reservations/${r.reservationId}`)).body;
    expect([done.state, done.pickupCode, typeof done.collectedAt]).toEqual(['collected', undefined, 'string']);
    expect((await api(sim, 'POST', `/v1/reservations/${r.reservationId}/cancel`)).body.code).toBe('INVALID_STATE');

    const got = await eventually(async () => (hook.received.length >= 3 ? hook.received : undefined), 'three webhooks');
    expect(got.map((g) => g.event.type).sort()).toEqual(['code_issued', 'collected', 'deposited']);
    expect(got.every((g) => verifies(g))).toBe(true);
    const byType = Object.fromEntries(got.map((g) => [g.event.type, g.event]));
    expect(byType.code_issued!.seq).toBeLessThan(byType.deposited!.seq);
    expect(byType.deposited!.seq).toBeLessThan(byType.collected!.seq);
    expect(byType.deposited).toMatchObject({
      reservationId: r.reservationId,
      siteId: 'BELL',
      deviceId: 'BELL-1',
      data: { compartmentNo: 3, size: 'M' },
    });
    expect(new Set(got.map((g) => g.event.eventId)).size).toBe(3);
  });

  it('cancels a reserved compartment once; cancelling again changes nothing; a deposited one cannot be cancelled', async () => {
    const sim = await start();
    const r = await reserve(sim, 'c-1');
    const cancelled = await api(sim, 'POST', `/v1/reservations/${r.reservationId}/cancel`);
    expect([cancelled.status, cancelled.body.state, cancelled.body.openCode]).toEqual([200, 'cancelled', undefined]);
    expect(await freeOf(sim, 'BELL-1')).toMatchObject({ M: 2 });
    const again = await api(sim, 'POST', `/v1/reservations/${r.reservationId}/cancel`);
    expect([again.status, again.body.cancelledAt]).toEqual([200, cancelled.body.cancelledAt]);
    expect(EventsPage.parse((await api(sim, 'GET', '/v1/events')).body).events.map((e) => e.type)).toEqual(['code_issued', 'cancelled']);
    expect((await control(sim, 'POST', '/devices/BELL-1/keypad', { code: r.openCode })).body.code).toBe('WRONG_CODE');

    const d = await reserve(sim, 'c-2');
    await control(sim, 'POST', `/reservations/${d.reservationId}/deposit`, { code: d.openCode });
    const refused = await api(sim, 'POST', `/v1/reservations/${d.reservationId}/cancel`);
    expect([refused.status, refused.body.code]).toEqual([409, 'INVALID_STATE']);
    expect((await control(sim, 'POST', `/reservations/${d.reservationId}/deposit`)).body.code).toBe('INVALID_STATE');
  });

  it('expires a reservation when its time is up on the network clock, with an event and a webhook, and frees the compartment', async () => {
    const hook = await startReceiver();
    const sim = await start();
    const r = await reserve(sim, 'e-1', { durationMinutes: 30, callbackUrl: hook.url });
    expect((await control(sim, 'PUT', '/config', { clockOffsetMs: 29 * 60_000 })).body.expired).toEqual([]);
    expect((await api(sim, 'GET', `/v1/reservations/${r.reservationId}`)).body.state).toBe('reserved');
    expect((await control(sim, 'PUT', '/config', { clockOffsetMs: 31 * 60_000 })).body.expired).toEqual([r.reservationId]);
    const expired = (await api(sim, 'GET', `/v1/reservations/${r.reservationId}`)).body;
    expect([expired.state, expired.openCode, typeof expired.expiredAt]).toEqual(['expired', undefined, 'string']);
    expect(Date.parse(expired.expiredAt)).toBeGreaterThanOrEqual(Date.parse(r.expiresAt));
    expect(await freeOf(sim, 'BELL-1')).toMatchObject({ M: 2 });
    expect((await control(sim, 'POST', '/devices/BELL-1/keypad', { code: r.openCode })).body.code).toBe('WRONG_CODE');
    // the hub cancelling an already expired reservation is harmless
    expect((await api(sim, 'POST', `/v1/reservations/${r.reservationId}/cancel`)).body.state).toBe('expired');
    const got = await eventually(async () => hook.received.find((g) => g.event.type === 'expired'), 'the expired webhook');
    expect(got.event).toMatchObject({ reservationId: r.reservationId, data: { compartmentNo: 3 } });
    expect(verifies(got)).toBe(true);
    expect(EventsPage.parse((await api(sim, 'GET', '/v1/events')).body).events.map((e) => e.type)).toEqual(['code_issued', 'expired']);
  });

  it('expires reservations now when told, and gives new reservations a shorter life when told', async () => {
    const sim = await start();
    const a = await reserve(sim, 'n-1');
    const b = await reserve(sim, 'n-2', { deviceId: 'PORT-1', size: 'S' });
    expect((await control(sim, 'POST', '/expire', { reservationId: a.reservationId })).body.expired).toEqual([a.reservationId]);
    expect((await control(sim, 'POST', '/expire', { reservationId: a.reservationId })).body.code).toBe('INVALID_STATE');
    expect((await control(sim, 'POST', '/expire', {})).body.expired).toEqual([b.reservationId]);
    expect((await api(sim, 'GET', `/v1/reservations/${b.reservationId}`)).body.state).toBe('expired');

    await control(sim, 'PUT', '/config', { reservationDurationSeconds: 90 });
    const c = await reserve(sim, 'n-3', { durationMinutes: 600 });
    expect(Date.parse(c.expiresAt) - Date.parse(c.createdAt)).toBe(90_000);
    await control(sim, 'PUT', '/config', { reservationDurationSeconds: null });
    const d = await reserve(sim, 'n-4', { durationMinutes: 600 });
    expect(Date.parse(d.expiresAt) - Date.parse(d.createdAt)).toBe(600 * 60_000);
  });

  it('lets a test fill or take offline a device', async () => {
    const sim = await start();
    expect((await control(sim, 'PUT', '/devices/PORT-1', { free: { S: 0 } })).body.compartments.S).toEqual({ total: 3, free: 0 });
    expect((await api(sim, 'POST', '/v1/reservations', reserveBody('f-1', { deviceId: 'PORT-1', size: 'S' }))).body.code).toBe(
      'NO_COMPARTMENT',
    );
    await control(sim, 'PUT', '/devices/PORT-1', { free: { S: 3 }, status: 'offline' });
    expect((await api(sim, 'POST', '/v1/reservations', reserveBody('f-2', { deviceId: 'PORT-1', size: 'S' }))).body.code).toBe(
      'DEVICE_OFFLINE',
    );
    // A size the partner does not have is a field the control API does not know (ADR 0020).
    const refused = await control(sim, 'PUT', '/devices/PORT-1', { free: { XXL: 1 } });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('unknown_field');
    expect(refused.body.message).toContain('"free.XXL"');
    expect((await control(sim, 'PUT', '/devices/PORT-1', { free: { S: 'many' } })).body.code).toBe('INVALID_REQUEST');
  });
});

describe('events pull', () => {
  it("pages through the app's events after a cursor, in seq order", async () => {
    const sim = await start();
    const a = await reserve(sim, 'p-1');
    const b = await reserve(sim, 'p-2');
    await reserve(sim, 'p-3', { deviceId: 'PORT-1', size: 'S' });
    await reserve(sim, 'o-1', { deviceId: 'PORT-1', size: 'S' });
    await api(sim, 'POST', '/v1/reservations', reserveBody('theirs-1', { deviceId: 'PORT-1', size: 'S' }), { app: OTHER });
    await control(sim, 'POST', `/reservations/${a.reservationId}/deposit`);
    await api(sim, 'POST', `/v1/reservations/${b.reservationId}/cancel`);

    const seen: PartnerEvent[] = [];
    let cursor: string | undefined;
    const pages: boolean[] = [];
    for (;;) {
      const page = EventsPage.parse((await api(sim, 'GET', `/v1/events?limit=2${cursor === undefined ? '' : `&after=${cursor}`}`)).body);
      if (page.events.length === 0) {
        expect(page.nextCursor).toBe(cursor);
        break;
      }
      seen.push(...page.events);
      pages.push(page.hasMore);
      cursor = page.nextCursor;
    }
    expect(seen.map((e) => [e.type, e.requestId])).toEqual([
      ['code_issued', 'p-1'],
      ['code_issued', 'p-2'],
      ['code_issued', 'p-3'],
      ['code_issued', 'o-1'],
      ['deposited', 'p-1'],
      ['cancelled', 'p-2'],
    ]);
    expect(pages).toEqual([true, true, false]);
    expect(seen.every((e, i) => i === 0 || e.seq > seen[i - 1]!.seq)).toBe(true);
    expect(new Set(seen.map((e) => e.eventId)).size).toBe(seen.length);
    expect(EventsPage.parse((await api(sim, 'GET', '/v1/events', undefined, { app: OTHER })).body).events.map((e) => e.requestId)).toEqual([
      'theirs-1',
    ]);
    expect((await api(sim, 'GET', '/v1/events?after=abc')).body.code).toBe('INVALID_REQUEST');
    expect((await api(sim, 'GET', '/v1/events?limit=501')).body.code).toBe('INVALID_REQUEST');
  });
});

describe('webhooks', () => {
  it('retries a delivery until the receiver accepts it, logging every attempt', async () => {
    const hook = await startReceiver();
    hook.statuses.push(500, 503);
    const sim = await start();
    const r = await reserve(sim, 'w-1', { callbackUrl: hook.url });
    const log = await eventually(async () => {
      const d = await deliveries(sim, `?reservationId=${r.reservationId}`);
      return d.some((x) => x.outcome === 'delivered') ? d : undefined;
    }, 'a delivered webhook');
    expect(log.map((d) => [d.attempt, d.outcome, d.status])).toEqual([
      [1, 'failed', 500],
      [2, 'failed', 503],
      [3, 'delivered', 200],
    ]);
    expect(hook.received).toHaveLength(3);
    expect(new Set(hook.received.map((g) => g.event.eventId)).size).toBe(1);
    expect(hook.received.every((g) => verifies(g))).toBe(true);
  });

  it('gives up after the last retry, and an unreachable receiver counts as a failure', async () => {
    const hook = await startReceiver();
    hook.statuses.push(500, 500, 500);
    const sim = await start();
    const r = await reserve(sim, 'w-2', { callbackUrl: hook.url });
    const log = await eventually(async () => {
      const d = await deliveries(sim, `?reservationId=${r.reservationId}`);
      return d.some((x) => x.outcome === 'gave_up') ? d : undefined;
    }, 'a delivery that gave up');
    expect(log.map((d) => [d.attempt, d.outcome])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'gave_up'],
    ]);

    const dead = await reserve(sim, 'w-3', { callbackUrl: 'http://127.0.0.1:9/nobody-listens' });
    const deadLog = await eventually(async () => {
      const d = await deliveries(sim, `?reservationId=${dead.reservationId}`);
      return d.some((x) => x.outcome === 'gave_up') ? d : undefined;
    }, 'the unreachable delivery to give up');
    expect(deadLog.every((d) => d.status === undefined && typeof (d as { error?: string }).error === 'string')).toBe(true);
  });

  it('drops, duplicates and reorders the next deliveries when told; the event log keeps everything', async () => {
    const hook = await startReceiver();
    const sim = await start();
    await control(sim, 'POST', '/webhooks/faults', { mode: 'drop', count: 1 });
    const r = await reserve(sim, 'f-1', { callbackUrl: hook.url });
    expect((await deliveries(sim, `?reservationId=${r.reservationId}`)).map((d) => d.outcome)).toEqual(['dropped']);
    expect(EventsPage.parse((await api(sim, 'GET', '/v1/events')).body).events.map((e) => e.type)).toEqual(['code_issued']);

    await control(sim, 'POST', '/webhooks/faults', { mode: 'duplicate', count: 1 });
    await control(sim, 'POST', `/reservations/${r.reservationId}/deposit`);
    const twice = await eventually(async () => (hook.received.length >= 2 ? hook.received : undefined), 'the deposited webhook twice');
    expect(twice.map((g) => g.event.type)).toEqual(['deposited', 'deposited']);
    expect(twice[0]!.event.eventId).toBe(twice[1]!.event.eventId);

    await control(sim, 'POST', '/webhooks/faults', { mode: 'reorder', count: 2 });
    const a = await reserve(sim, 'f-2', { deviceId: 'PORT-1', size: 'S', callbackUrl: hook.url }); // code_issued: held
    await api(sim, 'POST', `/v1/reservations/${a.reservationId}/cancel`); // cancelled: held, then both go, newest first
    const all = await eventually(async () => (hook.received.length >= 4 ? hook.received : undefined), 'the reordered webhooks');
    expect(all.slice(2).map((g) => g.event.type)).toEqual(['cancelled', 'code_issued']);
    expect(all[2]!.event.seq).toBeGreaterThan(all[3]!.event.seq);
    expect((await control(sim, 'GET', '/faults')).body.webhookFaults).toEqual({ drop: 0, duplicate: 0, reorder: 0 });
  });
});

describe('API faults', () => {
  it('fails the next N requests with 500 INTERNAL, then serves again', async () => {
    const sim = await start();
    await control(sim, 'POST', '/faults', { mode: 'server_error', count: 2 });
    for (let i = 0; i < 2; i++) {
      const r = await api(sim, 'GET', '/v1/sites');
      expect([r.status, r.body.code]).toEqual([500, 'INTERNAL']);
    }
    expect((await api(sim, 'GET', '/v1/sites')).status).toBe(200);
  });

  it('answers injected 429s with their codes and a Retry-After', async () => {
    const sim = await start();
    await control(sim, 'POST', '/faults', { mode: 'too_frequent', count: 1 });
    await control(sim, 'POST', '/faults', { mode: 'limit_reached', count: 1 });
    const a = await api(sim, 'GET', '/v1/sites');
    expect([a.status, a.body.code, a.headers.get('retry-after')]).toEqual([429, 'TOO_FREQUENT', '1']);
    const b = await api(sim, 'GET', '/v1/sites');
    expect([b.status, b.body.code, Number(b.headers.get('retry-after')) > 0]).toEqual([429, 'LIMIT_REACHED', true]);
    expect((await api(sim, 'GET', '/v1/sites')).status).toBe(200);
  });

  it('hangs a request unprocessed until the caller gives up; the retry then succeeds', async () => {
    const sim = await start();
    await control(sim, 'POST', '/faults', { mode: 'hang', count: 1, method: 'POST', pathPrefix: '/v1/reservations' });
    expect((await api(sim, 'GET', '/v1/sites')).status).toBe(200); // not matched
    await expect(api(sim, 'POST', '/v1/reservations', reserveBody('h-1'), { signal: AbortSignal.timeout(300) })).rejects.toThrow();
    expect((await control(sim, 'GET', '/reservations')).body.reservations).toEqual([]);
    expect((await api(sim, 'POST', '/v1/reservations', reserveBody('h-1'))).status).toBe(201);
  });

  it('processes a request but loses its answer; the retry with the same requestId gets the same reservation', async () => {
    const sim = await start();
    await control(sim, 'POST', '/faults', { mode: 'lost_response', count: 1, pathPrefix: '/v1/reservations' });
    await expect(api(sim, 'POST', '/v1/reservations', reserveBody('l-1'))).rejects.toThrow();
    const made = (await control(sim, 'GET', '/reservations')).body.reservations as Reservation[];
    expect(made.map((r) => [r.requestId, r.state])).toEqual([['l-1', 'reserved']]);
    const retry = await api(sim, 'POST', '/v1/reservations', reserveBody('l-1'));
    expect([retry.status, retry.body.reservationId, retry.body.openCode]).toEqual([200, made[0]!.reservationId, made[0]!.openCode]);
    expect(await freeOf(sim, 'BELL-1')).toMatchObject({ M: 1 });
  });

  it('refuses malformed control requests and clears faults', async () => {
    const sim = await start();
    expect((await control(sim, 'POST', '/faults', { mode: 'explode', count: 1 })).body.code).toBe('INVALID_REQUEST');
    expect((await control(sim, 'POST', '/faults', { mode: 'server_error', count: 0 })).body.code).toBe('INVALID_REQUEST');
    expect((await control(sim, 'PUT', '/config', { clockOffsetMs: 'soon' })).body.code).toBe('INVALID_REQUEST');
    await control(sim, 'POST', '/faults', { mode: 'server_error', count: 5 });
    expect((await control(sim, 'DELETE', '/faults')).body.apiFaults).toEqual([]);
    expect((await api(sim, 'GET', '/v1/sites')).status).toBe(200);
  });
});

describe('rate limits', () => {
  it('answers TOO_FREQUENT above the per-second rate, per app, and serves again in the next second', async () => {
    let wall = Date.UTC(2025, 5, 1, 2, 0, 0, 100);
    const sim = await start({ now: () => wall, config: { ratePerSecond: 3 } });
    const get = (app: PartnerApp = HUB) => api(sim, 'GET', '/v1/sites?pageSize=1', undefined, { app, now: wall });
    for (let i = 0; i < 3; i++) expect((await get()).status).toBe(200);
    const refused = await get();
    expect([refused.status, refused.body.code, refused.headers.get('retry-after')]).toEqual([429, 'TOO_FREQUENT', '1']);
    expect((await get(OTHER)).status).toBe(200);
    wall += 1000;
    expect((await get()).status).toBe(200);
  });

  it("answers LIMIT_REACHED once the daily quota is used, until the network's day turns", async () => {
    const wall = Date.UTC(2025, 5, 1, 2, 0, 0); // 10:00 in Xi'an
    const sim = await start({ now: () => wall, config: { dailyQuota: 3, ratePerSecond: 100 } });
    const get = () => api(sim, 'GET', '/v1/sites?pageSize=1', undefined, { now: wall });
    for (let i = 0; i < 3; i++) expect((await get()).status).toBe(200);
    const refused = await get();
    expect([refused.status, refused.body.code, refused.headers.get('retry-after')]).toEqual([429, 'LIMIT_REACHED', String(14 * 3600)]);
    await control(sim, 'PUT', '/config', { clockOffsetMs: 14 * 3600_000 }); // midnight in Xi'an
    expect((await get()).status).toBe(200);
    for (let i = 0; i < 2; i++) await get();
    expect((await get()).body.code).toBe('LIMIT_REACHED');
    await control(sim, 'POST', '/limits/reset');
    expect((await get()).status).toBe(200);
  });
});
