// The test hub leaves nothing behind in Redis: its queues (jobs, the sweep scheduler, events) are
// removed when it stops, and nothing under another hub's prefix is touched.
import { describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { redisUrl } from './db.js';
import { freshQueuePrefix, removeQueues, startTestHub } from './hub.js';

const keysUnder = async (redis: Redis, prefix: string): Promise<string[]> => {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
};

describe('startTestHub', () => {
  it("removes the hub's BullMQ queues when it stops, and only those", async () => {
    const redis = new Redis(redisUrl());
    const other = freshQueuePrefix();
    try {
      await redis.set(`${other}:courier:meta`, 'another test file');
      // Workers on: the courier queue gets its sweep scheduler; one more job waits in the queue.
      const th = await startTestHub({
        env: {
          RUN_WORKERS: 'true',
          COURIER_DISPATCH_URL: 'http://127.0.0.1:9',
          COURIER_DISPATCH_SECRET: 'never-used-dispatch-secret',
          SWEEP_INTERVAL_MS: '3600000',
        },
      });
      expect(th.queuePrefix).toMatch(/^t-[0-9a-f]{8}$/);
      await th.hub.queue.add('later', { kind: 'sweep' }, { delay: 3_600_000 });
      const held = await keysUnder(redis, th.queuePrefix);
      expect(held.some((k) => k.startsWith(`${th.queuePrefix}:courier:`))).toBe(true);
      expect(held.length).toBeGreaterThan(2);

      await th.stop();
      expect(await keysUnder(redis, th.queuePrefix)).toEqual([]);
      expect(await redis.get(`${other}:courier:meta`)).toBe('another test file');
    } finally {
      expect(await removeQueues(other)).toBe(1);
      redis.disconnect();
    }
  });

  it('refuses to remove anything under a pattern rather than a prefix', async () => {
    await expect(removeQueues('*')).rejects.toThrow(/not a queue prefix/);
  });
});
