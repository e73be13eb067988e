// The hub's error path on a bare express app: a refusal is a 4xx at info without a stack, a real
// fault a 500 at error with its stack, bounded per minute; every answer carries the request id.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import express from 'express';
import { pino } from 'pino';
import { Conflict } from '../errors.js';
import { FaultLog } from './fault-log.js';
import { errorMiddleware, refuseUnreadableInput } from './middleware.js';
import { requestIds } from './request-context.js';

interface Line {
  level: number;
  msg: string;
  requestId?: string;
  err?: { stack?: string };
  suppressed?: number;
}

describe('hub error middleware', () => {
  const lines: Line[] = [];
  let server: Server;
  let url = '';
  let now = 0;

  beforeAll(async () => {
    const log = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _e, done) {
          lines.push(JSON.parse(chunk.toString('utf8')) as Line);
          done();
        },
      }),
    );
    const app = express();
    app.use(requestIds(log));
    app.use(express.json({ limit: '1kb' }));
    app.use(refuseUnreadableInput);
    app.get('/fault', () => {
      throw new Error('a real fault');
    });
    app.get('/taken', () => {
      throw new Conflict('taken', 'already taken');
    });
    app.use(errorMiddleware(log, new FaultLog({ perMinute: 2, now: () => now })));
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const a = server.address();
    url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const get = async (path: string, id: string) => {
    const r = await fetch(`${url}${path}`, { headers: { 'x-request-id': id } });
    return { status: r.status, body: (await r.json()) as { error: { code: string; message: string; requestId: string } } };
  };

  it('a HubError is its own status, logged at info without a stack', async () => {
    expect(await get('/taken', 'r-taken')).toEqual({
      status: 409,
      body: { error: { code: 'taken', message: 'already taken', requestId: 'r-taken' } },
    });
    const mine = lines.filter((l) => l.requestId === 'r-taken');
    expect(mine.map((l) => [l.level, l.msg])).toEqual([[30, 'request refused']]);
    expect(mine[0]!.err).toBeUndefined();
  });

  it('a real fault is a 500 logged with its stack, at most twice a minute, then a count of the rest', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await get('/fault', `r-fault-${i}`);
      expect(r.status).toBe(500);
      expect(r.body.error).toMatchObject({ code: 'internal', requestId: `r-fault-${i}` });
    }
    const faults = lines.filter((l) => l.msg === 'unhandled error');
    expect(faults.map((l) => [l.level, l.requestId])).toEqual([
      [50, 'r-fault-0'],
      [50, 'r-fault-1'],
    ]);
    expect(faults[0]!.err?.stack).toContain('a real fault');
    now += 60_000;
    expect((await get('/fault', 'r-fault-next')).status).toBe(500);
    expect(lines.filter((l) => l.msg === 'faults not logged in the last minute').map((l) => l.suppressed)).toEqual([3]);
    expect(lines.filter((l) => l.msg === 'unhandled error').map((l) => l.requestId)).toContain('r-fault-next');
  });
});
