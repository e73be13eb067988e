import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { GridIndex, distanceMeters } from './geo.js';

describe('distanceMeters', () => {
  it('measures known distances', () => {
    expect(distanceMeters(34.261, 108.9423, 34.261, 108.9423)).toBe(0);
    // one degree of latitude on the mean-radius sphere
    expect(distanceMeters(34, 108.9, 35, 108.9)).toBeCloseTo(111_195, -1);
    // Bell Tower → Xi'an North station, about 12.8 km due north (a little west)
    const d = distanceMeters(34.261, 108.9423, 34.3758, 108.9383);
    expect(d).toBeGreaterThan(12_700);
    expect(d).toBeLessThan(12_850);
  });
});

describe('GridIndex', () => {
  const point = fc.record({
    lat: fc.double({ min: 33.7, max: 34.75, noNaN: true }),
    lng: fc.double({ min: 107.7, max: 109.8, noNaN: true }),
  });

  it('finds exactly what a scan of every item finds, nearest first (property)', () => {
    fc.assert(
      fc.property(fc.array(point, { maxLength: 300 }), point, fc.integer({ min: 1, max: 60_000 }), (items, q, radius) => {
        const tagged = items.map((p, i) => ({ ...p, i }));
        const got = new GridIndex(tagged).within(q.lat, q.lng, radius).map((f) => f.item.i);
        const want = tagged
          .map((t) => ({ i: t.i, d: distanceMeters(q.lat, q.lng, t.lat, t.lng) }))
          .filter((x) => x.d <= radius)
          .sort((a, b) => a.d - b.d)
          .map((x) => x.i);
        expect(got.sort()).toEqual([...want].sort());
        const ds = new GridIndex(tagged).within(q.lat, q.lng, radius).map((f) => f.distanceM);
        expect(ds.every((d, k) => k === 0 || d >= ds[k - 1]!)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('gives the same nearest distances as sorting every item, for any limit (property)', () => {
    fc.assert(
      fc.property(
        fc.array(point, { maxLength: 300 }),
        point,
        fc.integer({ min: 1, max: 60_000 }),
        fc.integer({ min: 1, max: 40 }),
        (items, q, radius, limit) => {
          const got = new GridIndex(items).nearest(q.lat, q.lng, radius, limit).map((f) => f.distanceM);
          const want = items
            .map((t) => distanceMeters(q.lat, q.lng, t.lat, t.lng))
            .filter((d) => d <= radius)
            .sort((a, b) => a - b)
            .slice(0, limit);
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('finds the nearest in a dense cluster next to a sparse one', () => {
    const rand = (() => {
      let x = 1;
      return () => (x = (x * 48271) % 2147483647) / 2147483647;
    })();
    const items = [
      ...Array.from({ length: 3000 }, () => ({ lat: 34.25 + rand() * 0.02, lng: 108.93 + rand() * 0.02 })),
      ...Array.from({ length: 20 }, () => ({ lat: 34.1 + rand() * 0.2, lng: 108.7 + rand() * 0.4 })),
    ];
    const index = new GridIndex(items);
    for (const [lat, lng] of [
      [34.26, 108.94],
      [34.15, 108.8],
      [34.29, 108.99],
    ] as const) {
      const want = items
        .map((t) => distanceMeters(lat, lng, t.lat, t.lng))
        .sort((a, b) => a - b)
        .slice(0, 25);
      expect(index.nearest(lat, lng, 50_000, 25).map((f) => f.distanceM)).toEqual(want);
    }
  });
});
