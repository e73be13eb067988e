import { describe, expect, it } from '@jest/globals';
import { PARTNER_SIZES, XIAN_BBOX } from '@xinbao/protocol';
import { DEFAULT_SEED, SHIPPED_SITE_COUNT, generateSites, loadGazetteer, loadSiteDataset, seededRandom, type SiteSeed } from './dataset.js';
import { distanceMeters } from './geo.js';

const CORE = ['新城区', '碑林区', '莲湖区', '雁塔区', '未央区', '高新区'];
const OUTER = ['临潼区', '阎良区', '高陵区', '鄠邑区', '蓝田县', '周至县'];

function byDistrict(sites: readonly SiteSeed[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of sites) m.set(s.district, (m.get(s.district) ?? 0) + 1);
  return m;
}

describe('partner city data set', () => {
  it('ships exactly generateSites(1354, DEFAULT_SEED) (regenerate with make-dataset.js)', () => {
    const shipped = loadSiteDataset();
    expect([shipped.count, shipped.seed, shipped.sites.length]).toEqual([SHIPPED_SITE_COUNT, DEFAULT_SEED, 1354]);
    expect(shipped.sites).toEqual(generateSites(SHIPPED_SITE_COUNT, DEFAULT_SEED));
  });

  it('is deterministic for a seed and different for another', () => {
    expect(generateSites(50, 7)).toEqual(generateSites(50, 7));
    expect(generateSites(50, 8)).not.toEqual(generateSites(50, 7));
    const a = seededRandom(1);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBe(1000);
  });

  it('makes plausible sites: inside Xi’an, near the gazetteer places of their district, 1–3 devices, sane compartments, mostly online', () => {
    const sites = loadSiteDataset().sites;
    const places = loadGazetteer().places;
    expect(new Set(sites.map((s) => s.siteId)).size).toBe(sites.length);
    const devices = sites.flatMap((s) => s.devices);
    expect(new Set(devices.map((d) => d.deviceId)).size).toBe(devices.length);
    for (const s of sites) {
      expect(s.lat >= XIAN_BBOX.minLat && s.lat <= XIAN_BBOX.maxLat && s.lng >= XIAN_BBOX.minLng && s.lng <= XIAN_BBOX.maxLng).toBe(true);
      expect(s.address.startsWith(`西安市${s.district}`)).toBe(true);
      expect(s.address).toMatch(/\d+号/);
      expect(s.devices.length).toBeGreaterThanOrEqual(1);
      expect(s.devices.length).toBeLessThanOrEqual(3);
      const nearest = Math.min(...places.filter((p) => p.district === s.district).map((p) => distanceMeters(s.lat, s.lng, p.lat, p.lng)));
      expect(nearest).toBeLessThan(9_000);
      for (const d of s.devices) {
        for (const size of PARTNER_SIZES) expect(d.compartments[size].occupied).toBeLessThanOrEqual(d.compartments[size].total);
        expect(d.compartments.S.total + d.compartments.M.total).toBeGreaterThan(0);
      }
    }
    expect(devices.filter((d) => d.status === 'online').length / devices.length).toBeGreaterThan(0.9);
    const free = devices.reduce(
      (n, d) => n + PARTNER_SIZES.reduce((m, z) => m + d.compartments[z].total - d.compartments[z].occupied, 0),
      0,
    );
    expect(free).toBeGreaterThan(0);
  });

  it('is dense in the urban core and sparse in the outer counties', () => {
    const counts = byDistrict(generateSites(20_000, 3));
    const minCore = Math.min(...CORE.map((d) => counts.get(d) ?? 0));
    const maxOuter = Math.max(...OUTER.map((d) => counts.get(d) ?? 0));
    expect(minCore).toBeGreaterThan(5 * maxOuter);
    const core = CORE.reduce((n, d) => n + (counts.get(d) ?? 0), 0);
    expect(core / 20_000).toBeGreaterThan(0.5);
  });

  it('makes any number of sites, e.g. 100,000 with unique ids', () => {
    const sites = generateSites(100_000, DEFAULT_SEED);
    expect(sites).toHaveLength(100_000);
    expect(new Set(sites.map((s) => s.siteId)).size).toBe(100_000);
    expect(sites.at(-1)!.siteId).toBe('XA100000');
    expect(generateSites(0, 1)).toEqual([]);
    expect(() => generateSites(-1, 1)).toThrow();
  });
});
