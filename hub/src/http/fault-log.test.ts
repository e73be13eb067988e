import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { FaultLog } from './fault-log.js';

describe('FaultLog', () => {
  const capture = () => {
    const lines: { msg: string; suppressed?: number; err?: { stack?: string } }[] = [];
    const log = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _e, done) {
          lines.push(JSON.parse(chunk.toString('utf8')) as (typeof lines)[number]);
          done();
        },
      }),
    );
    return { lines, log };
  };

  it.each([
    // [faults in the first minute, per minute, logged in full, suppressed reported after the minute]
    [1, 3, 1, null],
    [3, 3, 3, null],
    [10, 3, 3, 7],
    [1000, 5, 5, 995],
  ])('%i faults at %i a minute: %i logged, then "%s suppressed"', (faults, perMinute, logged, suppressed) => {
    let now = 1_000_000;
    const { lines, log } = capture();
    const f = new FaultLog({ perMinute, now: () => now });
    for (let i = 0; i < faults; i++) f.write(log, { err: new Error(`fault ${i}`) }, 'unhandled error');
    expect(lines.filter((l) => l.msg === 'unhandled error')).toHaveLength(logged);
    expect(lines.every((l) => l.err?.stack?.includes('fault'))).toBe(true);
    now += 60_000;
    expect(f.write(log, { err: new Error('fault next minute') }, 'unhandled error')).toBe(true);
    const summary = lines.filter((l) => l.msg === 'faults not logged in the last minute');
    expect(summary.map((l) => l.suppressed)).toEqual(suppressed === null ? [] : [suppressed]);
  });
});
