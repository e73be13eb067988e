// CI's share of `npm run fuzz -- frames`: ten thousand streams from a fixed seed (the full run is a
// million, by hand). Fails with the fuzz's own first failure messages, which name the case.
import { describe, expect, it } from '@jest/globals';
import frames from './targets/frames.js';
import { parseFuzzArgs } from './run.js';

describe('frame fuzz', () => {
  it('10⁴ streams: nothing throws, no bad frame accepted, every placed frame found', () => {
    const { counts, failures } = frames.run(10_000, 20261201) as Awaited<ReturnType<typeof frames.run>>;
    expect(failures).toEqual([]);
    expect(counts).toMatchObject({ throws: 0, badAccepted: 0, missed: 0, failures: 0 });
    // The streams really exercised every path: frames placed and found, noise dropped, receipts read.
    for (const family of ['kerong', 'eightA']) {
      expect(counts[`${family}.streams`]).toBeGreaterThan(3000);
      expect(counts[`${family}.found`]).toBeGreaterThan(5000);
      expect(counts[`${family}.dropped`]).toBeGreaterThan(100_000);
    }
    expect(counts['escpos.cleanReceipts']).toBeGreaterThan(1000);
    expect(counts.streams).toBe(10_000);
  }, 120_000); // ~7 s alone; the machine is shared in CI
  it('the command line takes target names, --cases and --seed', () => {
    expect(parseFuzzArgs(['frames', '--cases', '10', '--seed=7'])).toEqual({ targets: ['frames'], cases: 10, seed: 7 });
    expect(() => parseFuzzArgs(['--cases', 'many'])).toThrow(/whole number/);
    expect(() => parseFuzzArgs(['--speed', '1'])).toThrow(/unknown option/);
  });
});
