// The site registry's import on a real PostgreSQL: batches with progress, a re-import that writes
// nothing, updates, stale records, refused records, retirement and restoration on a full refresh,
// and two imports of one network at once.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { findNearbySites } from '@xinbao/hub/features/sites/store';
import { refreshNetwork, upsertSites, type ImportProgress, type PartnerSiteRecord } from '@xinbao/hub/features/sites/registry';
import { seedDemo } from '@xinbao/hub/store/seed';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const T0 = new Date('2024-06-01T08:00:00Z');
const T1 = new Date('2024-06-01T09:00:00Z');

const record = (i: number, over: Partial<PartnerSiteRecord> = {}): PartnerSiteRecord => ({
  network: 'sudiyi',
  externalId: `SDY-${String(i).padStart(5, '0')}`,
  name: `速递易 ${i} 号柜`,
  address: `雁塔区某路 ${i} 号`,
  district: '雁塔区',
  lat: 34.2 + (i % 100) * 0.001,
  lng: 108.9 + Math.floor(i / 100) * 0.001,
  online: true,
  capacity: [
    { size: 'S', total: 30, free: i % 7 },
    { size: 'M', total: 12, free: i % 3 },
    { size: 'XL', total: 2, free: i % 2 },
  ],
  updatedAt: T0,
  ...over,
});
const records = (n: number) => Array.from({ length: n }, (_, i) => record(i));

describe('site registry import', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });
  beforeEach(async () => {
    await db.pool.query('TRUNCATE site_capacity, compartments, sites CASCADE');
  });

  /** Every row's id and transaction id: a row that was rewritten, even with the same values, gets a new xmin. */
  const versions = async () =>
    (
      await db.pool.query<{ v: string }>(`SELECT string_agg(x, ',' ORDER BY x) AS v FROM (
       SELECT id::text || ':' || xmin::text AS x FROM sites UNION ALL SELECT site_id::text || size || ':' || xmin::text FROM site_capacity) t`)
    ).rows[0]!.v;

  it('imports in batches with progress, and a second import writes nothing', async () => {
    const progress: ImportProgress[] = [];
    const first = await upsertSites(db.pool, records(1_200), { batchSize: 500, onProgress: (p) => progress.push(p), now: T0 });
    expect(first).toMatchObject({ received: 1_200, inserted: 1_200, updated: 0, unchanged: 0, invalid: 0, retired: 0 });
    expect(progress.map((p) => [p.done, p.total, p.inserted])).toEqual([
      [500, 1_200, 500],
      [1_000, 1_200, 1_000],
      [1_200, 1_200, 1_200],
    ]);
    const counts = await db.pool.query(
      'SELECT (SELECT count(*) FROM sites)::int AS sites, (SELECT count(*) FROM site_capacity)::int AS caps',
    );
    expect(counts.rows[0]).toEqual({ sites: 1_200, caps: 3_600 });

    const before = await versions();
    const again = await upsertSites(db.pool, records(1_200), { batchSize: 500, now: T1 });
    expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: 1_200 });
    expect(await versions()).toBe(before);
  });

  it('writes only what changed: fields, capacity, online', async () => {
    await upsertSites(db.pool, records(50), { now: T0 });
    const before = await db.pool.query<{ externalId: string; xmin: string }>('SELECT external_id AS "externalId", xmin::text FROM sites');
    const changed = records(50).map((r, i) =>
      i === 3
        ? { ...r, name: '速递易 新名字', updatedAt: T1 }
        : i === 4
          ? { ...r, online: false, updatedAt: T1 }
          : i === 5
            ? { ...r, capacity: [{ size: 'L' as const, total: 4, free: 4 }], updatedAt: T1 }
            : r,
    );
    const report = await upsertSites(db.pool, changed, { now: T1 });
    expect(report).toMatchObject({ inserted: 0, updated: 3, unchanged: 47 });
    const after = new Map(
      (await db.pool.query<{ externalId: string; xmin: string }>('SELECT external_id AS "externalId", xmin::text FROM sites')).rows.map(
        (r) => [r.externalId, r.xmin],
      ),
    );
    const rewritten = before.rows
      .filter((r) => after.get(r.externalId) !== r.xmin)
      .map((r) => r.externalId)
      .sort();
    // the capacity-only change leaves the site row alone
    expect(rewritten).toEqual(['SDY-00003', 'SDY-00004']);
    const site5 = await db.pool.query(
      `SELECT c.size, c.total, c.free FROM site_capacity c JOIN sites s ON s.id = c.site_id WHERE s.external_id = 'SDY-00005'`,
    );
    expect(site5.rows).toEqual([{ size: 'L', total: 4, free: 4 }]);
    const site3 = await db.pool.query(`SELECT name, source_updated_at AS "sourceUpdatedAt" FROM sites WHERE external_id = 'SDY-00003'`);
    expect(site3.rows[0]).toEqual({ name: '速递易 新名字', sourceUpdatedAt: T1 });
  });

  it('ignores a stale record, keeps the newest of duplicates, and refuses bad records with reasons', async () => {
    await upsertSites(db.pool, [record(1, { updatedAt: T1 })]);
    const report = await upsertSites(db.pool, [
      record(1, { name: 'older', updatedAt: T0 }),
      record(2, { name: 'first', updatedAt: T0 }),
      record(2, { name: 'second', updatedAt: T1 }),
      record(3, { lat: 134 }),
      record(4, { network: 'own' }),
      record(5, { capacity: [{ size: 'S', total: 1, free: 2 }] }),
      { externalId: 'junk' },
      null,
    ]);
    expect(report).toMatchObject({ received: 8, inserted: 1, stale: 1, duplicates: 1, invalid: 5 });
    expect(report.rejected.map((r) => [r.index, r.externalId])).toEqual([
      [3, 'SDY-00003'],
      [4, 'SDY-00004'],
      [5, 'SDY-00005'],
      [6, 'junk'],
      [7, undefined],
    ]);
    expect(report.rejected[0]!.reason).toMatch(/lat/);
    expect(report.rejected[1]!.reason).toMatch(/own/);
    expect(report.rejected[2]!.reason).toMatch(/free must not exceed total/);
    const names = await db.pool.query('SELECT external_id AS id, name FROM sites ORDER BY external_id');
    expect(names.rows).toEqual([
      { id: 'SDY-00001', name: '速递易 1 号柜' },
      { id: 'SDY-00002', name: 'second' },
    ]);
  });

  it('retires the sites a full refresh no longer lists, and restores one that comes back', async () => {
    await seedDemo(db.pool);
    await upsertSites(db.pool, [...records(20), record(0, { network: 'cainiao', externalId: 'CN-1', name: '菜鸟驿站 1' })], { now: T0 });
    const kept = records(20).filter((_, i) => i >= 5);
    const report = await refreshNetwork(db.pool, 'sudiyi', kept, { now: T1 });
    expect(report).toMatchObject({ unchanged: 15, retired: 5 });
    const state = await db.pool.query<{ network: string; live: number; retired: number }>(
      `SELECT network, count(*) FILTER (WHERE retired_at IS NULL)::int AS live, count(*) FILTER (WHERE retired_at IS NOT NULL)::int AS retired
       FROM sites GROUP BY network ORDER BY network`,
    );
    expect(state.rows).toEqual([
      { network: 'cainiao', live: 1, retired: 0 },
      { network: 'own', live: 5, retired: 0 },
      { network: 'sudiyi', live: 15, retired: 5 },
    ]);
    const gone = await db.pool.query(`SELECT online, retired_at AS "retiredAt" FROM sites WHERE external_id = 'SDY-00000'`);
    expect(gone.rows[0]).toEqual({ online: false, retiredAt: T1 });
    // a retired site is never offered
    const near = await findNearbySites(db.pool, { center: { lat: 34.2, lng: 108.9 }, radiusM: 50, limit: 100 });
    expect(near.map((s) => s.name)).not.toContain('速递易 0 号柜');

    const back = await refreshNetwork(db.pool, 'sudiyi', records(20), { now: T1 });
    expect(back).toMatchObject({ updated: 5, unchanged: 15, retired: 0 });
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM sites WHERE retired_at IS NOT NULL`)).rows[0].n).toBe(0);
    const near2 = await findNearbySites(db.pool, { center: { lat: 34.2, lng: 108.9 }, radiusM: 50, limit: 100 });
    expect(near2.map((s) => s.name)).toContain('速递易 0 号柜');
  });

  it('does not retire a site whose record was refused, nor from an empty or foreign list', async () => {
    await upsertSites(db.pool, records(3), { now: T0 });
    const report = await refreshNetwork(db.pool, 'sudiyi', [record(0), record(1), record(2, { lat: Number.NaN }), null]);
    expect(report).toMatchObject({ invalid: 2, retired: 0 });
    await expect(refreshNetwork(db.pool, 'sudiyi', [])).rejects.toThrow(/empty list/);
    await expect(refreshNetwork(db.pool, 'sudiyi', [record(0, { network: 'cainiao' })])).rejects.toThrow(/other networks/);
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM sites WHERE retired_at IS NULL`)).rows[0].n).toBe(3);
  });

  it('lets two imports of the same network run at once without a conflict', async () => {
    const [a, b] = await Promise.all([
      upsertSites(db.pool, records(300), { batchSize: 100 }),
      upsertSites(db.pool, records(300), { batchSize: 100 }),
    ]);
    expect(a.inserted + b.inserted).toBe(300);
    expect(a.unchanged + b.unchanged).toBe(300);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM sites')).rows[0].n).toBe(300);
  });
});
