// GET /api/sites/nearby through the running hub: who may ask, own and partner sites together with
// free compartments per size, address lookup in a gazetteer file of the test's own, a clear 404 for
// an unknown address, and a 400 with the reason for every kind of bad query.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@xinbao/hub/config';
import { destinationPoint } from '@xinbao/hub/domain/geo';
import { upsertSites } from '@xinbao/hub/features/sites/registry';
import type { TestDatabase } from '../support/db.js';
import { hubApi, signIn, type Json } from '../support/http.js';
import { startTestHub, type TestHub } from '../support/hub.js';

const HALL = { lat: 34.3733, lng: 109.0526 }; // the demo's own-hall kiosk
const XIAOZHAI_DONGLU = { lat: 34.2233, lng: 108.952 };

describe('GET /api/sites/nearby', () => {
  let testHub: TestHub;
  let db: TestDatabase;
  let base = '';
  const dir = mkdtempSync(join(tmpdir(), 'xinbao-nearby-'));
  let token = '';
  const api = hubApi(() => base);
  const nearby = async (query: string, as = token) => api('GET', `/api/sites/nearby?${query}`, as);

  beforeAll(async () => {
    const gazetteer = join(dir, 'gazetteer.json');
    writeFileSync(
      gazetteer,
      JSON.stringify({
        city: '西安市',
        datum: 'WGS84',
        version: 1,
        places: [
          { id: 'd-yanta', name: '雁塔区', aliases: [], kind: 'district', district: '雁塔区', lat: 34.2135, lng: 108.9483 },
          { id: 's-xzdl', name: '小寨东路', aliases: ['Xiaozhai East Road'], kind: 'street', district: '雁塔区', ...XIAOZHAI_DONGLU },
          { id: 'z-gangwu', name: '国际港务区', aliases: ['港务区'], kind: 'zone', district: '灞桥区', ...HALL },
          { id: 'l-museum', name: '陕西历史博物馆', aliases: [], kind: 'landmark', district: '雁塔区', lat: 34.2236, lng: 108.9544 },
        ],
      }),
    );
    testHub = await startTestHub({ env: { GAZETTEER_FILE: gazetteer } });
    ({ db, url: base } = testHub);
    // partner lockers: three around 小寨东路 and one beside the hall
    const partner = (
      externalId: string,
      at: { lat: number; lng: number },
      capacity: Array<{ size: 'S' | 'M' | 'L' | 'XL'; total: number; free: number }>,
    ) => ({
      network: 'sudiyi',
      externalId,
      name: `速递易 ${externalId}`,
      address: `${externalId} 号`,
      district: '雁塔区',
      ...at,
      online: true,
      capacity,
      updatedAt: new Date(),
    });
    await upsertSites(db.pool, [
      partner('X-100', destinationPoint(XIAOZHAI_DONGLU, 10, 100), [
        { size: 'S', total: 10, free: 0 },
        { size: 'M', total: 5, free: 2 },
      ]),
      partner('X-900', destinationPoint(XIAOZHAI_DONGLU, 200, 900), [{ size: 'XL', total: 2, free: 1 }]),
      partner('X-7000', destinationPoint(XIAOZHAI_DONGLU, 300, 7000), [{ size: 'S', total: 10, free: 9 }]),
      partner('H-50', destinationPoint(HALL, 90, 50), [{ size: 'L', total: 3, free: 0 }]),
    ]);
    token = await signIn(api, 'zhang.san');
  });

  afterAll(async () => {
    await testHub?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every signed-in role, and nobody else', async () => {
    expect((await nearby(`lat=${HALL.lat}&lng=${HALL.lng}`, '')).status).toBe(401);
    for (const user of ['zhang.san', 'hall.staff', 'ems.courier', 'ops.admin']) {
      expect((await nearby(`lat=${HALL.lat}&lng=${HALL.lng}`, await signIn(api, user))).status).toBe(200);
    }
  });

  it('lists own and partner sites together, nearest first, with free compartments per size', async () => {
    const r = await nearby(`lat=${HALL.lat}&lng=${HALL.lng}`);
    expect(r.status).toBe(200);
    expect(r.json.center).toEqual({ lat: HALL.lat, lng: HALL.lng, from: 'coordinate' });
    expect(r.json.radiusM).toBe(5000);
    const sites = r.json.sites as Json[];
    expect(sites.map((s) => s.name)).toEqual([
      '政务服务中心 自助信包箱',
      '速递易 H-50',
      '华南城 自助信包箱',
      '中西部陆港金融小镇 自助信包箱',
      '保税大厦 自助信包箱',
      '新丝路电商产业园 自助信包箱',
    ]);
    const d = sites.map((s) => s.distanceM as number);
    expect(d).toEqual([...d].sort((a, b) => a - b));
    expect(sites[0]).toMatchObject({ network: 'own', distanceM: 0, free: { S: 6, M: 7, L: 3, XL: 0 } });
    expect(sites[1]).toMatchObject({ network: 'sudiyi', address: 'H-50 号', online: true, free: { S: 0, M: 0, L: 0, XL: 0 } });
    expect(sites[1]!.distanceM).toBeCloseTo(50, 3);
    // An own kiosk says how many accessible (low) compartments are free (ADR 0033); a partner's cannot.
    expect(sites[0]).toMatchObject({ accessibleFree: 5 });
    expect(sites[1]).toMatchObject({ accessibleFree: null });
    expect(Object.keys(sites[0]!).sort()).toEqual([
      'accessibleFree',
      'address',
      'distanceM',
      'district',
      'free',
      'id',
      'lat',
      'lng',
      'name',
      'network',
      'online',
    ]);
  });

  it('takes a radius, a size and a limit', async () => {
    const names = async (q: string) => ((await nearby(q)).json.sites as Json[]).map((s) => s.name);
    expect(await names(`lat=${HALL.lat}&lng=${HALL.lng}&radiusM=60`)).toEqual(['政务服务中心 自助信包箱', '速递易 H-50']);
    expect(await names(`lat=${HALL.lat}&lng=${HALL.lng}&limit=2`)).toEqual(['政务服务中心 自助信包箱', '速递易 H-50']);
    // H-50 has no free compartment; an own kiosk's L is the largest it has
    expect(await names(`lat=${HALL.lat}&lng=${HALL.lng}&radiusM=60&size=L`)).toEqual(['政务服务中心 自助信包箱']);
    expect(await names(`lat=${HALL.lat}&lng=${HALL.lng}&size=XL`)).toEqual([]);
  });

  it('searches around an address found in the gazetteer, and says where it found it', async () => {
    const r = await nearby(`address=${encodeURIComponent('西安市雁塔区小寨东路126号')}`);
    expect(r.status).toBe(200);
    expect(r.json.center).toEqual({
      ...XIAOZHAI_DONGLU,
      from: 'address',
      place: { id: 's-xzdl', name: '小寨东路', kind: 'street', district: '雁塔区', matched: '小寨东路', how: 'contains' },
    });
    expect((r.json.sites as Json[]).map((s) => s.name)).toEqual(['速递易 X-100', '速递易 X-900']);
    const sized = await nearby(`address=${encodeURIComponent('ＸＩＡＯＺＨＡＩ east road')}&size=L`);
    expect(sized.json.center.place).toMatchObject({ name: '小寨东路', how: 'exact' });
    expect((sized.json.sites as Json[]).map((s) => s.name)).toEqual(['速递易 X-900']);
  });

  it('answers 404 address_not_found with what it tried and what is close', async () => {
    const r = await nearby(`address=${encodeURIComponent('陕西历史博物院')}`);
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe('address_not_found');
    expect(r.json.error.message).toMatch(/no place in the 西安市 gazetteer matches "陕西历史博物院"; did you mean 陕西历史博物馆\?/);
    expect(r.json.error.details.tried).toHaveLength(2);
    expect(r.json.error.details.suggestions[0]).toEqual({ name: '陕西历史博物馆', kind: 'landmark', district: '雁塔区' });
  });

  it('answers a bad query with 400 and the reason', async () => {
    const reason = async (q: string) => {
      const r = await nearby(q);
      expect(r.status).toBe(400);
      return r.json.error.message as string;
    };
    expect(await reason('')).toMatch(/give lat and lng, or an address/);
    expect(await reason('lat=34.2&lng=108.9&address=钟楼')).toMatch(/not both/);
    expect(await reason('lat=34.2')).toMatch(/lng: lat and lng go together/);
    expect(await reason('lat=108.94&lng=34.26')).toMatch(/lat: must be between -90 and 90 \(are lat and lng swapped\?\)/);
    expect(await reason('lat=34.2&lng=190')).toMatch(/lng: must be between -180 and 180/);
    expect(await reason('lat=0&lng=0')).toMatch(/missing location/);
    expect(await reason('lat=north&lng=108.9')).toMatch(/lat: must be a decimal number/);
    expect(await reason('lat=34.2&lat=34.3&lng=108.9')).toMatch(/lat/);
    expect(await reason('lat=&lng=108.9')).toMatch(/lat/);
    expect(await reason('lat=34.2&lng=108.9&radiusM=0')).toMatch(/radiusM/);
    expect(await reason('lat=34.2&lng=108.9&radiusM=20001')).toMatch(/radiusM/);
    expect(await reason('lat=34.2&lng=108.9&radiusM=1.5')).toMatch(/radiusM: must be a whole number/);
    expect(await reason('lat=34.2&lng=108.9&limit=101')).toMatch(/limit/);
    expect(await reason('lat=34.2&lng=108.9&size=XXL')).toMatch(/size/);
    expect(await reason('lat=34.2&lon=108.9')).toMatch(/lon/);
    expect(await reason(`address=${'路'.repeat(201)}`)).toMatch(/address/);
    expect(await reason('address=%20%20')).toMatch(/address/);
  });

  it('takes its default radius from NEARBY_RADIUS_M and is in the OpenAPI document', async () => {
    const second = await startTestHub({ db, env: { NEARBY_RADIUS_M: '3000' } });
    const r = await second.api('GET', `/api/sites/nearby?lat=${HALL.lat}&lng=${HALL.lng}`, token);
    expect(r.json.radiusM).toBe(3000);
    expect((r.json.sites as Json[]).every((s) => (s.distanceM as number) <= 3000)).toBe(true);
    await second.stop();
    expect(() => loadConfig({ NEARBY_RADIUS_M: '50000' })).toThrow(/NEARBY_RADIUS_M/);
    const doc = (await api('GET', '/openapi.json')).json;
    expect((doc.paths['/api/sites/nearby'].get.parameters as Json[]).map((p) => p.name)).toEqual([
      'lat',
      'lng',
      'address',
      'radiusM',
      'size',
      'limit',
    ]);
  });
});
