// The ops slice (hub/src/features/ops): /health, /metrics and /openapi.json, unauthenticated, as
// app.ts mounts them — health says which dependency answers, metrics count every answered request
// by method and status, and the API document lists every feature's routes.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestHub, type TestHub } from '../support/hub.js';

describe('hub: the ops routes', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('GET /health: 200 with both dependencies ok', async () => {
    const r = await fetch(`${t.url}/health`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ postgres: 'ok', redis: 'ok' });
  });

  it('GET /metrics: Prometheus text counting answered requests by method and status', async () => {
    const counted = async () => {
      const text = await (await fetch(`${t.url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('xinbao_http_requests_total{method="GET",status="404"}'));
      return line ? Number(line.split(' ').pop()) : 0;
    };
    const before = await counted();
    for (let i = 0; i < 3; i++) expect((await fetch(`${t.url}/api/no-such-route`)).status).toBe(404);
    for (let i = 0; i < 2; i++) expect((await fetch(`${t.url}/no-such-page`)).status).toBe(404);
    expect(await counted()).toBe(before + 5);
    const res = await fetch(`${t.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toContain('process_cpu_user_seconds_total');
  });

  it('GET /openapi.json: the document with every feature’s paths, /health among them', async () => {
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    for (const p of ['/health', '/api/auth/login', '/api/applications', '/api/sites/nearby', '/api/admin/kiosks', '/api/partner/webhooks'])
      expect(Object.keys(doc.paths)).toContain(p);
  });
});
