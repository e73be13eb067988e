import { describe, expect, it } from '@jest/globals';
import { summarize } from './stats.js';

describe('summarize', () => {
  it('takes nearest-rank percentiles', () => {
    const s = summarize(Array.from({ length: 100 }, (_, i) => 100 - i));
    expect(s).toMatchObject({ n: 100, p50: 50, p99: 99, min: 1, max: 100, mean: 50.5 });
  });
  it('refuses an empty sample', () => {
    expect(() => summarize([])).toThrow('no samples');
  });
});
