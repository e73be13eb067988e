// Checks the Xi'an gazetteer (hub/data/gazetteer-xian.json) the hub resolves addresses against and
// the partner data set is built from: its schema, ids, coverage, and that its coordinates are where
// Xi'an is (inside the city's box, near the district they claim, and the brief's reference points).
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { Gazetteer, XIAN_BBOX, XIAN_DISTRICTS, XIAN_ZONES } from '@xinbao/protocol';
import { GAZETTEER_PATH } from './dataset.js';
import { distanceMeters } from './geo.js';

const g = Gazetteer.parse(JSON.parse(readFileSync(GAZETTEER_PATH, 'utf8')));
const AREAS: readonly string[] = [...XIAN_DISTRICTS, ...XIAN_ZONES];

describe("Xi'an gazetteer", () => {
  it('is WGS84 Xi’an with unique ids', () => {
    expect([g.city, g.datum, g.version]).toEqual(['西安市', 'WGS84', 1]);
    expect(new Set(g.places.map((p) => p.id)).size).toBe(g.places.length);
    expect(new Set(g.places.map((p) => `${p.kind}|${p.district}|${p.name}`)).size).toBe(g.places.length);
  });

  it('names every district, county and development zone once, each in itself', () => {
    for (const d of XIAN_DISTRICTS)
      expect(g.places.filter((p) => p.kind === 'district' && p.name === d && p.district === d)).toHaveLength(1);
    for (const z of XIAN_ZONES) expect(g.places.filter((p) => p.kind === 'zone' && p.name === z && p.district === z)).toHaveLength(1);
    expect(g.places.filter((p) => p.kind === 'district' || p.kind === 'zone')).toHaveLength(AREAS.length);
  });

  it('has at least 80 streets and 80 landmarks, every place in a listed district or zone', () => {
    expect(g.places.filter((p) => p.kind === 'street').length).toBeGreaterThanOrEqual(80);
    expect(g.places.filter((p) => p.kind === 'landmark').length).toBeGreaterThanOrEqual(80);
    expect(g.places.filter((p) => !AREAS.includes(p.district))).toEqual([]);
  });

  it('puts every point inside Xi’an’s box and within 30 km of its district’s point', () => {
    const outside = g.places.filter(
      (p) => p.lat < XIAN_BBOX.minLat || p.lat > XIAN_BBOX.maxLat || p.lng < XIAN_BBOX.minLng || p.lng > XIAN_BBOX.maxLng,
    );
    expect(outside).toEqual([]);
    const centre = new Map(g.places.filter((p) => p.kind === 'district' || p.kind === 'zone').map((p) => [p.name, p]));
    const far = g.places.filter((p) => {
      const c = centre.get(p.district)!;
      return distanceMeters(p.lat, p.lng, c.lat, c.lng) > 30_000;
    });
    expect(far.map((p) => p.id)).toEqual([]);
  });

  it('agrees with known reference points to within 3 km', () => {
    const at = (name: string) => g.places.find((p) => p.name === name)!;
    for (const [name, lat, lng] of [
      ['钟楼', 34.261, 108.9423],
      ['长安区', 34.15, 108.91],
      ['临潼区', 34.37, 109.21],
      ['阎良区', 34.66, 109.23],
      ['鄠邑区', 34.11, 108.6],
      ['周至县', 34.16, 108.22],
      ['蓝田县', 34.15, 109.32],
      ['高陵区', 34.53, 109.09],
      ['西安北站', 34.376, 108.938],
      ['大雁塔', 34.219, 108.959],
    ] as const) {
      const p = at(name);
      expect([name, distanceMeters(p.lat, p.lng, lat, lng) < 3_000]).toEqual([name, true]);
    }
  });

  it('gives every district and zone, and nearly every place, an alias in Latin letters', () => {
    const latin = (p: { aliases: string[] }) => p.aliases.some((a) => /^[\x20-\x7e]+$/.test(a));
    expect(g.places.filter((p) => (p.kind === 'district' || p.kind === 'zone') && !latin(p))).toEqual([]);
    expect(g.places.filter(latin).length / g.places.length).toBeGreaterThan(0.95);
  });
});
