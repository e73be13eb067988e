// CI's share of `npm run fuzz -- http`: a few thousand bad requests from a fixed seed against an
// in-process hub (the full run is 100,000, by hand). Fails with the fuzz's first failure messages,
// each naming its case and seed.
import { describe, expect, it } from '@jest/globals';
import { runHttpFuzz } from './targets/http.js';

describe('HTTP fuzz', () => {
  it('3,000 bad requests over every route: no 5xx, the envelope on every 4xx, unknown fields refused as such, no business row changed', async () => {
    const { counts, failures } = await runHttpFuzz(3_000, 20261201);
    expect(failures).toEqual([]);
    expect(counts.failures).toBe(0);
    expect(counts.cases).toBe(3_000);
    // The cases really reached the edge's every kind of refusal and some routes answered.
    for (const status of ['status.400', 'status.401', 'status.404', 'status.413', 'status.415'])
      expect(counts[status] ?? 0).toBeGreaterThan(10);
    // Well-formed calls but for an unknown field, on every route that takes input: each was refused so.
    expect(counts['cases.unknown_field']).toBeGreaterThan(100);
    expect(counts['answered.unknown_field']).toBe(counts['cases.unknown_field']);
    expect(counts.tables).toBeGreaterThan(10);
    expect(counts.routes).toBeGreaterThan(10);
  }, 120_000);
});
