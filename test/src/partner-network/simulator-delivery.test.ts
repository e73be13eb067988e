// The partner network simulator's reservations *for delivery* (a courier deposits, the recipient
// collects) over real HTTP: the deliver code in the answer, the recipient's collection code in the
// `deposited` event and the owner's view, the holding period on the network clock (`hold_expired`,
// the collection code stops), the return code (the pickup code) for a courier taking it back, a
// refused deposit (`deposit_refused`), and the record of every door a code opened.
import { afterEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { PartnerEvent } from '@xinbao/protocol';
import { EventsPage, Reservation, partnerRequestHeaders } from '@xinbao/protocol';
import { startPartnerNetworkSimulator, tinyXian, type PartnerApp, type RunningPartnerSimulator } from '@xinbao/simulators/partner-network';

const HUB: PartnerApp = { appId: 'hub', appSecret: 'hub-app-secret', webhookSecret: 'hub-webhook-secret' };
const OTHER: PartnerApp = { appId: 'other', appSecret: 'other-app-secret', webhookSecret: 'other-webhook-secret' };

const running: RunningPartnerSimulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

async function start(): Promise<RunningPartnerSimulator> {
  const sim = await startPartnerNetworkSimulator({ apps: [HUB, OTHER], sites: tinyXian(), webhookRetryDelaysMs: [20, 20] });
  running.push(sim);
  return sim;
}

async function call(sim: RunningPartnerSimulator, method: string, path: string, body?: unknown, app: PartnerApp = HUB) {
  const url = new URL(path, sim.url);
  const raw = body === undefined ? '' : JSON.stringify(body);
  const headers = partnerRequestHeaders(
    app,
    { method, target: url.pathname + url.search, body: raw },
    Date.now(),
    randomBytes(16).toString('hex'),
  );
  if (raw !== '') headers['content-type'] = 'application/json';
  const res = await fetch(url, { method, headers, ...(raw !== '' && { body: raw }) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

async function control(sim: RunningPartnerSimulator, method: string, path: string, body?: unknown) {
  const res = await fetch(`${sim.url}/control${path}`, {
    method,
    ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

const deliveryRequest = (requestId: string, extra: Record<string, unknown> = {}) => ({
  requestId,
  siteId: 'BELL',
  size: 'M',
  durationMinutes: 60,
  purpose: 'delivery',
  reference: 'XB240601000009',
  ...extra,
});

async function events(sim: RunningPartnerSimulator, reservationId: string): Promise<PartnerEvent[]> {
  const page = EventsPage.parse((await call(sim, 'GET', '/v1/events?limit=500')).body);
  return page.events.filter((e) => e.reservationId === reservationId);
}

async function reserveForDelivery(sim: RunningPartnerSimulator, requestId: string, extra: Record<string, unknown> = {}) {
  const r = await call(sim, 'POST', '/v1/reservations', deliveryRequest(requestId, extra));
  expect(r.status).toBe(201);
  return Reservation.parse(r.body);
}

const doors = async (sim: RunningPartnerSimulator, reservationId: string) =>
  ((await control(sim, 'GET', `/doors?reservationId=${reservationId}`)).body.openings as Array<Record<string, unknown>>).map((o) => [
    o.codeKind,
    o.compartmentNo,
    o.code,
  ]);

describe('a reservation for delivery', () => {
  it('answers the deliver code; the deposit issues the recipient’s collection code; the recipient collects; each code opens its door once', async () => {
    const sim = await start();
    const r = await reserveForDelivery(sim, 'result-1');
    expect(r).toMatchObject({
      purpose: 'delivery',
      state: 'reserved',
      deviceId: 'BELL-1',
      openCode: expect.stringMatching(/^\d{8}$/),
      holdUntil: null,
    });
    const deliverCode = r.openCode!;

    const deposited = await control(sim, 'POST', '/devices/BELL-1/keypad', { code: deliverCode });
    expect(deposited.body).toMatchObject({ state: 'deposited', collectionCode: expect.stringMatching(/^\d{8}$/) });
    const collectionCode = deposited.body.collectionCode as string;
    expect(collectionCode).not.toBe(deliverCode);

    // The deposited event carries the collection code and the end of the holding period (7 days by default).
    const [issued, dep] = await events(sim, r.reservationId);
    expect(issued!.type).toBe('code_issued');
    expect(dep).toMatchObject({ type: 'deposited', data: { compartmentNo: r.compartmentNo, collectionCode } });
    const holdUntil = Date.parse((dep!.data as { holdUntil: string }).holdUntil);
    expect(holdUntil - Date.parse(deposited.body.depositedAt as string)).toBe(7 * 24 * 3_600_000);
    // The owner sees the collection code; another app sees nothing.
    expect((await call(sim, 'GET', `/v1/reservations/${r.reservationId}`)).body).toMatchObject({ state: 'deposited', collectionCode });
    expect((await call(sim, 'GET', `/v1/reservations/${r.reservationId}`, undefined, OTHER)).status).toBe(404);

    // The deliver code does nothing more; the collection code opens the door, once.
    expect((await control(sim, 'POST', '/devices/BELL-1/keypad', { code: deliverCode })).status).toBe(403);
    expect((await control(sim, 'POST', '/devices/BELL-1/keypad', { code: collectionCode })).body.state).toBe('collected');
    expect((await control(sim, 'POST', '/devices/BELL-1/keypad', { code: collectionCode })).status).toBe(403);
    expect((await events(sim, r.reservationId)).at(-1)).toMatchObject({ type: 'collected', data: { by: 'recipient' } });
    expect(await doors(sim, r.reservationId)).toEqual([
      ['deliver', r.compartmentNo, deliverCode],
      ['collection', r.compartmentNo, collectionCode],
    ]);
  });

  it('ends the holding period on the network clock: hold_expired, the collection code stops, the return code takes it back', async () => {
    const sim = await start();
    const r = await reserveForDelivery(sim, 'result-2', { holdMinutes: 30 });
    const collectionCode = (await control(sim, 'POST', '/devices/BELL-1/keypad', { code: r.openCode })).body.collectionCode as string;
    expect((await control(sim, 'PUT', '/config', { clockOffsetMs: 31 * 60_000 })).status).toBe(200);
    await control(sim, 'POST', '/webhooks/flush');
    expect((await events(sim, r.reservationId)).map((e) => e.type)).toEqual(['code_issued', 'deposited', 'hold_expired']);
    expect((await control(sim, 'POST', '/devices/BELL-1/keypad', { code: collectionCode })).status).toBe(403);
    expect((await call(sim, 'GET', `/v1/reservations/${r.reservationId}`)).body.collectionCode).toBeUndefined();

    const back = await call(sim, 'POST', `/v1/reservations/${r.reservationId}/pickup-code`);
    expect(back.status).toBe(200);
    expect((await control(sim, 'POST', '/devices/BELL-1/keypad', { code: back.body.pickupCode })).body.state).toBe('collected');
    expect((await events(sim, r.reservationId)).at(-1)).toMatchObject({ type: 'collected', data: { by: 'courier' } });
    expect((await doors(sim, r.reservationId)).map(([kind]) => kind)).toEqual(['deliver', 'return']);
    // Expiring a hold that is over is refused.
    expect((await control(sim, 'POST', `/reservations/${r.reservationId}/expire-hold`)).status).toBe(409);
  });

  it('ends the collection code as soon as the owner asks for the return code (a courier takes it back early)', async () => {
    const sim = await start();
    const r = await reserveForDelivery(sim, 'result-3');
    const collectionCode = (await control(sim, 'POST', '/devices/BELL-1/keypad', { code: r.openCode })).body.collectionCode as string;
    const back = await call(sim, 'POST', `/v1/reservations/${r.reservationId}/pickup-code`);
    expect(back.status).toBe(200);
    expect((await control(sim, 'POST', '/devices/BELL-1/keypad', { code: collectionCode })).status).toBe(403);
    expect((await control(sim, 'POST', '/devices/BELL-1/keypad', { code: back.body.pickupCode })).body.state).toBe('collected');
    expect((await events(sim, r.reservationId)).map((e) => e.type)).toEqual(['code_issued', 'deposited', 'collected']);
  });

  it('refuses a deposit when told to, or when the device is at fault: deposit_refused, no door opens, the next try goes in', async () => {
    const sim = await start();
    const r = await reserveForDelivery(sim, 'result-4');
    expect(
      (await control(sim, 'POST', `/reservations/${r.reservationId}/refuse-deposit`, { reason: 'the parcel does not fit' })).status,
    ).toBe(200);
    expect((await control(sim, 'POST', '/devices/BELL-1/keypad', { code: r.openCode })).status).toBe(409);
    await control(sim, 'PUT', '/devices/BELL-1', { status: 'fault' });
    expect((await control(sim, 'POST', '/devices/BELL-1/keypad', { code: r.openCode })).status).toBe(409);
    expect((await events(sim, r.reservationId)).filter((e) => e.type === 'deposit_refused').map((e) => e.data)).toEqual([
      { compartmentNo: r.compartmentNo, reason: 'the parcel does not fit' },
      { compartmentNo: r.compartmentNo, reason: 'the device is fault' },
    ]);
    expect(await doors(sim, r.reservationId)).toEqual([]);
    await control(sim, 'PUT', '/devices/BELL-1', { status: 'online' });
    expect((await control(sim, 'POST', '/devices/BELL-1/keypad', { code: r.openCode })).body.state).toBe('deposited');
    expect((await doors(sim, r.reservationId)).map(([kind]) => kind)).toEqual(['deliver']);
  });

  it('refuses holdMinutes on a drop-off, refuse-deposit and expire-hold on what is not a waiting delivery', async () => {
    const sim = await start();
    const dropOff = await call(sim, 'POST', '/v1/reservations', { ...deliveryRequest('drop-1', { holdMinutes: 10 }), purpose: 'drop_off' });
    expect(dropOff).toMatchObject({ status: 400, body: { code: 'INVALID_REQUEST' } });
    const plain = await call(sim, 'POST', '/v1/reservations', { ...deliveryRequest('drop-2'), purpose: undefined });
    expect(plain.status).toBe(201);
    expect(plain.body.purpose).toBeUndefined();
    expect((await control(sim, 'POST', `/reservations/${plain.body.reservationId as string}/refuse-deposit`, { reason: 'x' })).status).toBe(
      409,
    );
    expect((await control(sim, 'POST', `/reservations/${plain.body.reservationId as string}/expire-hold`)).status).toBe(409);
    expect(
      (await control(sim, 'POST', `/reservations/${plain.body.reservationId as string}/refuse-deposit`, { reason: 'x', extra: 1 })).status,
    ).toBe(400);
    // A drop-off's doors are recorded too: the open-code, then the courier's pickup code.
    expect((await control(sim, 'POST', '/devices/BELL-1/keypad', { code: plain.body.openCode })).body.state).toBe('deposited');
    const pickup = await call(sim, 'POST', `/v1/reservations/${plain.body.reservationId as string}/pickup-code`);
    expect((await control(sim, 'POST', '/devices/BELL-1/keypad', { code: pickup.body.pickupCode })).body.state).toBe('collected');
    expect((await doors(sim, plain.body.reservationId as string)).map(([kind]) => kind)).toEqual(['open', 'pickup']);
    const collected = (await events(sim, plain.body.reservationId as string)).at(-1)!;
    expect(collected.data).toEqual({ compartmentNo: plain.body.compartmentNo });
  });
});
