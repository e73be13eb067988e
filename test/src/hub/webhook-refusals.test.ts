// Refused partner webhooks are bounded (issue 10, item 6): 2,000 unsigned requests used to write
// 2,000 rows. Now each refusal is counted per (reason, source address, minute), a sample is kept
// as rows, and an address refused more than so many times a minute is answered 429 with
// Retry-After before its body is read. A correctly signed event is never counted.
import { describe, expect, it } from '@jest/globals';
import { partnerWebhookHeaders } from '@xinbao/protocol';
import { startTestHub, type TestHub } from '../support/hub.js';

const PARTNER_ENV = {
  PARTNER_API_URL: 'http://127.0.0.1:9',
  PARTNER_APP_ID: 'postal-app',
  PARTNER_APP_SECRET: 'test-app-secret-0123456789',
  PARTNER_WEBHOOK_SECRET: 'test-webhook-secret-0123456789',
  PARTNER_NETWORK: 'postal',
  PARTNER_RECONCILE_INTERVAL_MS: '3600000',
  PARTNER_REFRESH_INTERVAL_MS: '3600000',
};

const rowCounts = async (t: TestHub) => {
  const r = await t.db.pool.query<{ rejections: number; counters: number; refusals: number | null }>(
    `SELECT (SELECT count(*)::int FROM partner_webhook_rejections) AS rejections,
            (SELECT count(*)::int FROM partner_webhook_refusal_counts) AS counters,
            (SELECT sum(refusals)::int FROM partner_webhook_refusal_counts) AS refusals`,
  );
  return r.rows[0]!;
};

async function flood(url: string, n: number, headers: Record<string, string> = {}, concurrency = 16) {
  const statuses: Record<number, number> = {};
  const retryAfter = new Set<string>();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++;
        const r = await fetch(`${url}/api/partner/webhooks`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: '{"eventId":"evt_x"}',
        });
        const body = (await r.json()) as { error?: { code?: string; message?: string; requestId?: string } };
        expect(typeof body.error?.code).toBe('string');
        expect(typeof body.error?.requestId).toBe('string');
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        if (r.status === 429) retryAfter.add(r.headers.get('retry-after') ?? 'none');
      }
    }),
  );
  return { statuses, retryAfter };
}

describe('refused webhooks are counted, sampled and slowed down', () => {
  it('2,000 unsigned requests: about 30 refused with 401, the rest 429 with Retry-After; a handful of rows', async () => {
    const t = await startTestHub({ env: PARTNER_ENV });
    try {
      const { statuses, retryAfter } = await flood(t.url, 2000);
      // 30 a minute, and at most the requests already past the gate when the 30th was counted.
      expect(statuses[401]).toBeGreaterThanOrEqual(30);
      expect(statuses[401]).toBeLessThanOrEqual(30 + 16);
      expect(statuses[401]! + statuses[429]!).toBe(2000);
      for (const s of retryAfter) {
        expect(Number(s)).toBeGreaterThanOrEqual(1);
        expect(Number(s)).toBeLessThanOrEqual(60);
      }
      // One counter (missing_header, 127.0.0.1, this minute — or two if the minute turned), ten sample rows each.
      const rows = await rowCounts(t);
      expect(rows.refusals).toBe(statuses[401]);
      expect(rows.counters).toBeLessThanOrEqual(2);
      expect(rows.rejections).toBeLessThanOrEqual(20);

      // A correctly signed event from the same address is slowed down too (it cannot be told from
      // the garbage before its body is read), but nothing of it is counted or recorded.
      const raw = JSON.stringify({ hello: 'world' });
      const signed = partnerWebhookHeaders('postal-app', PARTNER_ENV.PARTNER_WEBHOOK_SECRET, 'evt_1', raw, Date.now());
      const r = await fetch(`${t.url}/api/partner/webhooks`, { method: 'POST', headers: signed, body: raw });
      expect(r.status).toBe(429);
      expect(await rowCounts(t)).toEqual(rows);
    } finally {
      await t.stop();
    }
  }, 120_000);

  it('without the slow-down, 2,000 refusals still write a bounded sample: the first 10 and every 100th', async () => {
    const t = await startTestHub({ env: PARTNER_ENV, deps: { webhookRefusals: { perMinute: 1_000_000 } } });
    const minuteOf = () => Math.floor(Date.now() / 60_000);
    try {
      // Stay inside one minute, or the counters start again (and the test says so).
      while (Date.now() % 60_000 > 40_000) await new Promise((r) => setTimeout(r, 500));
      const minute = minuteOf();
      const { statuses } = await flood(t.url, 2000, { 'x-partner-app-id': 'someone-else' });
      expect(statuses).toEqual({ 401: 2000 });
      const rows = await rowCounts(t);
      expect(rows.refusals).toBe(2000);
      if (minuteOf() === minute) {
        expect(rows.counters).toBe(1);
        expect(rows.rejections).toBe(10 + 20);
      } else expect(rows.rejections).toBeLessThanOrEqual(2 * (10 + 20));
      const reasons = await t.db.pool.query(`SELECT DISTINCT reason, status, remote_address FROM partner_webhook_rejections`);
      expect(reasons.rows).toEqual([{ reason: 'unknown_app', status: 401, remote_address: expect.stringContaining('127.0.0.1') }]);
    } finally {
      await t.stop();
    }
  }, 120_000);

  it('a body the parser cannot read is a counted 4xx, not a 5xx the partner would retry', async () => {
    const t = await startTestHub({ env: PARTNER_ENV });
    try {
      const post = (headers: Record<string, string>, body: string) =>
        fetch(`${t.url}/api/partner/webhooks`, { method: 'POST', headers, body }).then(async (r) => ({
          status: r.status,
          code: ((await r.json()) as { error: { code: string } }).error.code,
        }));
      expect(await post({ 'content-encoding': 'foo' }, '{}')).toEqual({ status: 415, code: 'invalid_event' });
      expect(await post({ 'content-encoding': 'gzip' }, '{"plain":true}')).toEqual({ status: 400, code: 'invalid_event' });
      expect(await post({}, 'x'.repeat(70_000))).toEqual({ status: 413, code: 'invalid_event' });
      expect(await post({ 'content-type': 'application/json; charset=latin1' }, '{}')).toEqual({ status: 401, code: 'missing_header' });
      expect((await rowCounts(t)).refusals).toBe(4);
    } finally {
      await t.stop();
    }
  }, 60_000);
});
