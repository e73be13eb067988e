// The hub's partner network client against the partner simulator over real HTTP: its signatures are
// accepted, and every failure comes back classified — retryable (timeout, network, 5xx, TOO_FREQUENT
// and LIMIT_REACHED with their Retry-After, an answer that does not parse) or not (a refusal, with
// the partner's code).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpPartnerNetwork, PartnerApiError, parseRetryAfter } from '@xinbao/hub/integrations/partner-network';
import { startPartnerNetworkSimulator, tinyXian, type RunningPartnerSimulator } from '@xinbao/simulators/partner-network';

const APP = { appId: 'hub', appSecret: 'client-test-app-secret', webhookSecret: 'client-test-webhook-secret' };
let sim: RunningPartnerSimulator;
let client: HttpPartnerNetwork;

beforeAll(async () => {
  sim = await startPartnerNetworkSimulator({ apps: [APP], sites: tinyXian() });
  client = new HttpPartnerNetwork({ baseUrl: sim.url, appId: APP.appId, appSecret: APP.appSecret, timeoutMs: 300 });
});

afterAll(async () => {
  await sim?.stop();
});

async function failure(p: Promise<unknown>): Promise<PartnerApiError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(PartnerApiError);
    return e as PartnerApiError;
  }
  throw new Error('expected the call to fail');
}

const fault = (mode: string, pathPrefix = '/v1/sites') =>
  fetch(`${sim.url}/control/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mode, count: 1, pathPrefix }),
  });

describe('the partner network client', () => {
  it('signs requests the partner accepts, and parses the answers', async () => {
    const page = await client.listSites({ page: 1, pageSize: 2 });
    expect(page).toMatchObject({ page: 1, pageSize: 2, total: 4 });
    expect(page.sites.map((s) => s.siteId)).toEqual(['BELL', 'XIAOZHAI']);
    const r = await client.reserve({ requestId: 'client-1', siteId: 'PORT', size: 'S', durationMinutes: 30 });
    expect(r).toMatchObject({ siteId: 'PORT', state: 'reserved' });
    expect(r.openCode).toMatch(/^\d{8}$/);
    expect(await client.reservation(r.reservationId)).toMatchObject({ reservationId: r.reservationId });
    expect((await client.events({ limit: 10 })).events.map((e) => e.type)).toEqual(['code_issued']);
    expect(await client.cancel(r.reservationId)).toMatchObject({ state: 'cancelled' });
  });

  it('a refusal is not retryable and carries the partner code', async () => {
    const e = await failure(client.reserve({ requestId: 'client-2', siteId: 'XIAOZHAI', size: 'M', durationMinutes: 30 }));
    expect(e).toMatchObject({ kind: 'refused', status: 409, code: 'NO_COMPARTMENT', retryable: false });
    const wrong = new HttpPartnerNetwork({ baseUrl: sim.url, appId: APP.appId, appSecret: 'not-the-app-secret', timeoutMs: 300 });
    expect(await failure(wrong.listSites({ page: 1, pageSize: 1 }))).toMatchObject({ kind: 'refused', status: 401, code: 'BAD_SIGNATURE' });
  });

  it('5xx, 429 and timeouts are retryable, with the Retry-After', async () => {
    await fault('server_error');
    expect(await failure(client.listSites({ page: 1, pageSize: 1 }))).toMatchObject({ kind: 'server', status: 500, retryable: true });
    await fault('too_frequent');
    expect(await failure(client.listSites({ page: 1, pageSize: 1 }))).toMatchObject({
      kind: 'rate_limited',
      code: 'TOO_FREQUENT',
      retryAfterMs: 1_000,
      retryable: true,
    });
    await fault('limit_reached');
    expect(await failure(client.listSites({ page: 1, pageSize: 1 }))).toMatchObject({
      kind: 'quota',
      code: 'LIMIT_REACHED',
      retryAfterMs: 3_600_000,
      retryable: true,
    });
    await fault('hang');
    expect(await failure(client.listSites({ page: 1, pageSize: 1 }))).toMatchObject({ kind: 'timeout', retryable: true });
    await fault('lost_response');
    expect(await failure(client.listSites({ page: 1, pageSize: 1 }))).toMatchObject({ kind: 'network', retryable: true });
  });

  it('an answer that is not what the contract says is refused as bad_response; no listener is network', async () => {
    const server: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ sites: 'not a list' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const odd = new HttpPartnerNetwork({ baseUrl: `http://127.0.0.1:${port}`, ...APP, timeoutMs: 300 });
      expect(await failure(odd.listSites({ page: 1, pageSize: 1 }))).toMatchObject({ kind: 'bad_response', status: 200, retryable: true });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const nobody = new HttpPartnerNetwork({ baseUrl: `http://127.0.0.1:${port}`, ...APP, timeoutMs: 300 });
    expect(await failure(nobody.listSites({ page: 1, pageSize: 1 }))).toMatchObject({ kind: 'network', retryable: true });
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-21T08:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Sat, 21 Nov 2026 08:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});
