// The polling helper every test waits with: what counts as an answer, the pace, the timeout's message, a throw.
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { eventually } from './eventually.js';

beforeEach(() => {
  jest.useFakeTimers();
});
afterEach(() => {
  jest.useRealTimers();
});

describe('eventually', () => {
  it('returns the first answer of a sync check; undefined and false mean not yet', async () => {
    const said: Array<number | false | undefined> = [undefined, false, 0];
    const check = jest.fn(() => said.shift());
    const done = eventually(check, 'a zero');
    await jest.advanceTimersByTimeAsync(100);
    await expect(done).resolves.toBe(0);
    expect(check).toHaveBeenCalledTimes(3);
  });

  it('awaits an async check, one check per interval', async () => {
    let n = 0;
    const done = eventually(async () => (++n >= 4 ? `after ${n}` : undefined), 'the fourth check', { intervalMs: 200 });
    await jest.advanceTimersByTimeAsync(599);
    expect(n).toBe(3);
    await jest.advanceTimersByTimeAsync(1);
    await expect(done).resolves.toBe('after 4');
  });

  it('gives up after the timeout, saying what it waited for and what it last saw', async () => {
    const done = eventually(() => false, 'the door to close', 1_000);
    const failed = expect(done).rejects.toThrow(
      /timed out after 1000 ms \(\d+ checks\) waiting for the door to close; the last check said false/,
    );
    await jest.advanceTimersByTimeAsync(1_000);
    await failed;
  });

  it('ends at once when the check throws', async () => {
    const check = jest.fn(async () => {
      throw new Error('the job failed');
    });
    await expect(eventually(check, 'the job')).rejects.toThrow('the job failed');
    expect(check).toHaveBeenCalledTimes(1);
  });
});
