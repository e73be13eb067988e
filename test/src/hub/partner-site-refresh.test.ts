// The partner site registry refresh, against the partner simulator with 1,200 generated sites (three
// pages): an admin queues it and follows its progress by job id; it pages through the partner's
// list into the registry, is idempotent, picks up a change, is retried with backoff when the partner
// fails, and the sites it brings are found by the nearby search.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { QueueEvents } from 'bullmq';
import { siteFreeBySize } from '@xinbao/protocol';
import { generateSites } from '@xinbao/simulators/partner-network';
import { redisUrl } from '../support/db.js';
import { startPartnerRig, type PartnerRig } from '../support/partner-rig.js';
import { eventually } from '../support/eventually.js';
import type { Json } from '../support/http.js';

const SITES = 1200;
let rig: PartnerRig;
let admin = '';

beforeAll(async () => {
  rig = await startPartnerRig({ sim: { sites: generateSites(SITES, 7) } });
  admin = await rig.token('ops.admin');
  // Let the refresh the worker runs at start finish, so each test's refresh is alone.
  await eventually(
    async () => {
      const jobs = await rig.hub.partner!.queue.getJobs(['active', 'waiting', 'prioritized']);
      return jobs.some((j) => j.data.kind === 'refresh') ? undefined : true;
    },
    'the start-up refresh',
    30_000,
  );
}, 90_000);

afterAll(async () => {
  await rig?.stop();
});

async function refresh(): Promise<Json> {
  const queued = await rig.api('POST', '/api/admin/partner/sites/refresh', admin);
  expect(queued.status).toBe(202);
  expect(queued.json.jobId).toMatch(/^refresh-/);
  return eventually(
    async () => {
      const s = await rig.api('GET', `/api/admin/partner/sites/refresh/${queued.json.jobId}`, admin);
      expect(s.status).toBe(200);
      if (s.json.state === 'failed') throw new Error(`refresh failed: ${JSON.stringify(s.json)}`);
      return s.json.state === 'completed' ? s.json : undefined;
    },
    'the refresh to complete',
    30_000,
  );
}

describe('partner site registry refresh', () => {
  it('has imported every partner site, mapped from the partner record', async () => {
    const count = await rig.db.pool.query(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE retired_at IS NULL)::int AS live FROM sites WHERE network = 'postal'`,
    );
    expect(count.rows[0]).toEqual({ n: SITES, live: SITES });
    const partnerSite = rig.sim.network.listSites({ page: 7, pageSize: 100 }).sites[3]!;
    const row = (
      await rig.db.pool.query(
        `SELECT s.code, s.name, s.address, s.district, s.lat, s.lng, s.online,
           jsonb_object_agg(c.size, jsonb_build_object('total', c.total, 'free', c.free)) AS capacity
         FROM sites s JOIN site_capacity c ON c.site_id = s.id WHERE s.network = 'postal' AND s.external_id = $1 GROUP BY s.id`,
        [partnerSite.siteId],
      )
    ).rows[0];
    const free = siteFreeBySize(partnerSite);
    expect(row).toMatchObject({
      code: `postal:${partnerSite.siteId}`,
      name: partnerSite.name,
      address: partnerSite.address,
      district: partnerSite.district,
      lat: partnerSite.lat,
      lng: partnerSite.lng,
      online: partnerSite.status === 'online',
    });
    for (const size of ['S', 'M', 'L', 'XL'] as const) {
      expect(row.capacity[size]).toEqual({
        total: partnerSite.devices.reduce((n, d) => n + d.compartments[size].total, 0),
        free: free[size],
      });
    }
  });

  it('is only for admins, and says what is wrong with a job id', async () => {
    const applicant = await rig.token('zhang.san');
    expect((await rig.api('POST', '/api/admin/partner/sites/refresh', applicant)).status).toBe(403);
    expect((await rig.api('POST', '/api/admin/partner/sites/refresh')).status).toBe(401);
    expect((await rig.api('GET', '/api/admin/partner/sites/refresh/refresh-0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', admin)).status).toBe(404);
    const bad = await rig.api('GET', '/api/admin/partner/sites/refresh/nonsense', admin);
    expect(bad.status).toBe(400);
  });

  it('pages through the partner list reporting progress, and writes nothing the second time', async () => {
    const events = new QueueEvents('partner', { connection: { url: redisUrl() }, prefix: rig.hub.partner!.queue.opts.prefix! });
    await events.waitUntilReady();
    const progress: Json[] = [];
    events.on('progress', ({ data }) => progress.push(data as Json));
    try {
      const done = await refresh();
      expect(done.result).toMatchObject({
        network: 'postal',
        pages: 3,
        fetched: SITES,
        received: SITES,
        inserted: 0,
        updated: 0,
        unchanged: SITES,
        retired: 0,
        invalid: 0,
      });
      expect(done.progress).toMatchObject({ phase: 'done', pagesFetched: 3, pages: 3, sitesFetched: SITES, total: SITES });
      await eventually(async () => progress.some((p) => p.phase === 'done'), 'the last progress event');
      const fetching = progress.filter((p) => p.phase === 'fetching').map((p) => [p.pagesFetched, p.sitesFetched]);
      expect(fetching).toEqual([
        [1, 500],
        [2, 1000],
        [3, SITES],
      ]);
      const importing = progress.filter((p) => p.phase === 'importing').map((p) => p.import.done as number);
      expect(importing).toEqual([500, 1000, SITES]);
    } finally {
      await events.close();
    }
  });

  it('picks up what changed at the partner', async () => {
    const partnerSite = rig.sim.network
      .listSites({ page: 1, pageSize: 10 })
      .sites.find((s) => s.status === 'online' && s.devices.some((d) => d.status === 'online' && d.compartments.M.free > 0))!;
    const device = partnerSite.devices.find((d) => d.status === 'online' && d.compartments.M.free > 0)!;
    expect((await rig.control('PUT', `/devices/${device.deviceId}`, { free: { M: 0 } })).status).toBe(200);
    const done = await refresh();
    expect(done.result).toMatchObject({ inserted: 0, updated: 1, unchanged: SITES - 1 });
    const freeM = await rig.db.pool.query(
      `SELECT c.free FROM site_capacity c JOIN sites s ON s.id = c.site_id WHERE s.network = 'postal' AND s.external_id = $1 AND c.size = 'M'`,
      [partnerSite.siteId],
    );
    expect(freeM.rows[0].free).toBe(siteFreeBySize(rig.sim.network.site(partnerSite.siteId)).M);
  });

  it('retries with backoff when the partner fails, then completes', async () => {
    const f = await rig.control('POST', '/faults', { mode: 'server_error', count: 2, method: 'GET', pathPrefix: '/v1/sites' });
    expect(f.status).toBe(201);
    const done = await refresh();
    expect(done.attemptsMade).toBeGreaterThanOrEqual(3);
    expect(done.result).toMatchObject({ fetched: SITES, unchanged: SITES });
    expect((await rig.control('GET', '/faults')).body.apiFaults).toEqual([]);
  });

  it('feeds the nearby search', async () => {
    const applicant = await rig.token('zhang.san');
    const one = rig.sim.network.listSites({ page: 2, pageSize: 10 }).sites[0]!;
    const r = await rig.api('GET', `/api/sites/nearby?lat=${one.lat}&lng=${one.lng}&radiusM=1000`, applicant);
    expect(r.status).toBe(200);
    const found = (r.json.sites as Json[]).find((s) => s.name === one.name);
    expect(found).toMatchObject({ network: 'postal', distanceM: 0 });
  });
});
