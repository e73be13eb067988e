import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { boundingBox, destinationPoint as destination, EARTH_RADIUS_M, haversineM, isInBox } from './geo.js';
import { hasFreeAtLeast, nearbyBruteForce, type FreeBySize } from './nearby.js';

const xian = fc.record({ lat: fc.double({ min: 33.7, max: 34.8, noNaN: true }), lng: fc.double({ min: 108.3, max: 109.6, noNaN: true }) });

describe('haversine', () => {
  it('matches known distances', () => {
    expect(haversineM({ lat: 0, lng: 0 }, { lat: 90, lng: 0 })).toBeCloseTo((Math.PI / 2) * EARTH_RADIUS_M, 3);
    expect(haversineM({ lat: 0, lng: 0 }, { lat: 0, lng: 180 })).toBeCloseTo(Math.PI * EARTH_RADIUS_M, 3);
    // one degree of latitude anywhere, one degree of longitude on the equator: 2πR/360 = 111.195 km
    const degree = (2 * Math.PI * EARTH_RADIUS_M) / 360;
    expect(degree).toBeCloseTo(111_195.08, 1);
    expect(haversineM({ lat: 34, lng: 108.9 }, { lat: 35, lng: 108.9 })).toBeCloseTo(degree, 6);
    expect(haversineM({ lat: 0, lng: 10 }, { lat: 0, lng: 11 })).toBeCloseTo(degree, 6);
    // along the 34.26° parallel the great circle cuts inside: 2R·asin(cos φ · sin 0.5°), a little under cos φ degrees
    const chord = 2 * EARTH_RADIUS_M * Math.asin(Math.cos((34.26 * Math.PI) / 180) * Math.sin((0.5 * Math.PI) / 180));
    expect(haversineM({ lat: 34.26, lng: 108.5 }, { lat: 34.26, lng: 109.5 })).toBeCloseTo(chord, 6);
    expect(chord).toBeLessThan(degree * Math.cos((34.26 * Math.PI) / 180));
    // Rosetta Code's Nashville → Los Angeles: 2887.2599506 km on a 6372.8 km sphere, here on ours
    expect(haversineM({ lat: 36.12, lng: -86.67 }, { lat: 33.94, lng: -118.4 })).toBeCloseTo(
      (2_887_259.950607111 / 6_372_800) * EARTH_RADIUS_M,
      2,
    );
  });
  it('is zero to itself, symmetric, and keeps the triangle inequality', () => {
    fc.assert(
      fc.property(xian, xian, xian, (a, b, c) => {
        expect(haversineM(a, a)).toBe(0);
        expect(haversineM(a, b)).toBeCloseTo(haversineM(b, a), 6);
        expect(haversineM(a, c)).toBeLessThanOrEqual(haversineM(a, b) + haversineM(b, c) + 1e-6);
      }),
    );
  });
  it('measures back the distance a point was placed at', () => {
    fc.assert(
      fc.property(xian, fc.double({ min: 0, max: 360, noNaN: true }), fc.double({ min: 0, max: 20_000, noNaN: true }), (c, bearing, d) => {
        expect(haversineM(c, destination(c, bearing, d))).toBeCloseTo(d, 4);
      }),
    );
  });
});

describe('bounding box', () => {
  it("is 0.045° by 0.054° for 5 km at Xi'an", () => {
    const box = boundingBox({ lat: 34.26, lng: 108.94 }, 5000);
    expect(box.maxLat - 34.26).toBeCloseTo(0.044966, 6);
    expect(box.maxLng - 108.94).toBeCloseTo(0.054406, 6);
    expect(34.26 - box.minLat).toBeCloseTo(box.maxLat - 34.26, 12);
  });
  it('holds every point within the radius, and touches the circle', () => {
    fc.assert(
      fc.property(
        xian,
        fc.double({ min: 0, max: 360, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 20_000 }),
        (c, bearing, f, r) => {
          const box = boundingBox(c, r);
          // a micrometre inside: the direct problem itself rounds at about a nanometre
          const p = destination(c, bearing, Math.max(0, f * r - 1e-6));
          expect(isInBox(p, box)).toBe(true);
        },
      ),
    );
    const c = { lat: 34.26, lng: 108.94 };
    const box = boundingBox(c, 5000);
    expect(destination(c, 0, 5000).lat).toBeCloseTo(box.maxLat, 10);
    // the widest point of the circle lies a little poleward of due east
    const widest = Math.max(...Array.from({ length: 2001 }, (_, i) => destination(c, 80 + i * 0.005, 5000).lng));
    expect(widest).toBeCloseTo(box.maxLng, 9);
  });
  it('spans every longitude around a pole', () => {
    expect(boundingBox({ lat: 89.99, lng: 10 }, 5000)).toMatchObject({ minLng: -180, maxLng: 180, maxLat: 90 });
  });
});

describe('nearby rules', () => {
  const free = (f: Partial<FreeBySize>): FreeBySize => ({ S: 0, M: 0, L: 0, XL: 0, ...f });
  it('takes a parcel in a free compartment of its size or larger', () => {
    expect(hasFreeAtLeast(free({ L: 1 }), 'S')).toBe(true);
    expect(hasFreeAtLeast(free({ L: 1 }), 'L')).toBe(true);
    expect(hasFreeAtLeast(free({ L: 1 }), 'XL')).toBe(false);
    expect(hasFreeAtLeast(free({ S: 5, M: 3 }), 'L')).toBe(false);
    expect(hasFreeAtLeast(free({}), 'S')).toBe(false);
  });
  it('brute force: within the radius inclusive, nearest first, ties by id, limited', () => {
    const c = { lat: 34.26, lng: 108.94 };
    const at = (id: string, d: number, f = free({ S: 1 })) => ({ id, ...destination(c, 90, d), free: f });
    const sites = [at('b', 100), at('a', 100), at('c', 50), at('far', 5001), at('full', 10, free({})), at('edge', 4999.999)];
    const ids = (r: Array<{ id: string }>) => r.map((s) => s.id);
    expect(ids(nearbyBruteForce(sites, { center: c, radiusM: 5000, limit: 10 }))).toEqual(['full', 'c', 'a', 'b', 'edge']);
    expect(ids(nearbyBruteForce(sites, { center: c, radiusM: 5000, limit: 10, size: 'S' }))).toEqual(['c', 'a', 'b', 'edge']);
    expect(ids(nearbyBruteForce(sites, { center: c, radiusM: 5000, limit: 2 }))).toEqual(['full', 'c']);
  });
});
