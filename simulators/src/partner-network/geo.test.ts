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
  const point = fc.record({ lat: fc.double({ min: 33.7, max: 34.75, noNaN: true }), lng: fc.double({ min: 107.7, max: 109.8, noNaN: true }) });

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
});
