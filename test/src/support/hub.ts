// The hub for tests, two ways: in this process (`startTestHub`: createHub on the test file's own
// database and the shared Redis) or as the real program (`startHubProgram`, for end-to-end tests).
// Either way the hub gets a fresh data directory and a queue prefix of its own, and its BullMQ queues
// (every key under that prefix) are removed when the test is done with it, so no test leaves jobs,
// schedulers or events behind in Redis.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { createHub, type Hub, type HubDeps } from '@xinbao/hub/app';
import { loadConfig, type HubConfig } from '@xinbao/hub/config';
import { seedDemo } from '@xinbao/hub/store/seed';
import { createTestDatabase, redisUrl, type TestDatabase } from './db.js';
import { hubApi, type HubApi } from './http.js';
import { startProgram, type RunningProgram } from './processes.js';

/**
 * The journeys under test hand in many parcels for one demo applicant at one kiosk; the open-deposit
 * limit's own tests (test/src/hub/abuse-limits.test.ts) set the production defaults back.
 */
export const JOURNEY_LIMITS = { MAX_OPEN_DEPOSITS_PER_SITE: '16', MAX_OPEN_DEPOSITS: '80' } as const;

/** A queue prefix no other test uses. */
export const freshQueuePrefix = (kind = 't'): string => `${kind}-${randomUUID().slice(0, 8)}`;

/**
 * Removes every BullMQ key under `prefix` (all its queues: jobs, schedulers, events, locks) and
 * returns how many keys there were. The prefix is the hub's QUEUE_PREFIX, so this takes nothing of
 * another test's.
 */
export async function removeQueues(prefix: string): Promise<number> {
  if (!/^[a-z0-9_-]+$/.test(prefix)) throw new Error(`not a queue prefix: ${prefix}`);
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  try {
    let removed = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) removed += await redis.unlink(...keys);
    } while (cursor !== '0');
    return removed;
  } finally {
    redis.disconnect();
  }
}

export interface TestHub {
  hub: Hub;
  /** http://127.0.0.1:<port> */
  url: string;
  api: HubApi;
  db: TestDatabase;
  /** the hub's own Redis connection (rate limits, code failures …) */
  redis: Redis;
  config: HubConfig;
  queuePrefix: string;
  /** Closes the hub, removes its queues, its Redis connection, its data directory and (if it made it) its database. */
  stop(): Promise<void>;
}

export interface TestHubOptions {
  /** hub settings on top of the test defaults (no workers, a fresh queue prefix and data directory) */
  env?: Record<string, string>;
  /** another hub's database; by default the hub gets a new one, seeded with the demo data */
  db?: TestDatabase;
  /** seed the demo data into a new database (default true) */
  seed?: boolean;
  /** a Redis connection of the test's own (e.g. one that is about to be lost); disconnected on stop */
  redis?: Redis;
  log?: Logger;
  deps?: Pick<HubDeps, 'now' | 'dispatch' | 'partnerClient' | 'webhookRefusals'>;
}

/** One hub in this process on real PostgreSQL and Redis, listening on a free port. */
export async function startTestHub(options: TestHubOptions = {}): Promise<TestHub> {
  const dir = mkdtempSync(join(tmpdir(), 'xinbao-hub-'));
  const ownDb = !options.db;
  const db = options.db ?? (await createTestDatabase());
  if (ownDb && options.seed !== false) await seedDemo(db.pool);
  const queuePrefix = options.env?.QUEUE_PREFIX ?? freshQueuePrefix();
  const config = loadConfig({
    DATABASE_URL: db.url,
    REDIS_URL: redisUrl(),
    PORT: '0',
    DATA_DIR: dir,
    RUN_WORKERS: 'false',
    LOG_LEVEL: 'silent',
    ...JOURNEY_LIMITS,
    ...options.env,
    QUEUE_PREFIX: queuePrefix,
  });
  const redis = options.redis ?? new Redis(redisUrl());
  const hub = await createHub({ config, db: db.pool, redis, log: options.log ?? pino({ level: 'silent' }), ...options.deps });
  const url = `http://127.0.0.1:${await hub.listen()}`;
  return {
    hub,
    url,
    api: hubApi(() => url),
    db,
    redis,
    config,
    queuePrefix,
    stop: async () => {
      await hub.close();
      redis.disconnect();
      await removeQueues(queuePrefix);
      if (ownDb) await db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The hub program for end-to-end tests: on the test file's own database and the shared Redis, with
 * a fresh queue prefix and data directory and the demo seed; `env` adds or overrides settings. The
 * caller stops the program and then removes its queues (`removeQueues(queuePrefix)`).
 */
export async function startHubProgram(options: {
  databaseUrl: string;
  /** the test's scratch directory; the hub keeps its dev keys in `<dir>/hub` */
  dir: string;
  env?: Record<string, string>;
}): Promise<{ hub: RunningProgram; hubUrl: string; queuePrefix: string }> {
  const queuePrefix = options.env?.QUEUE_PREFIX ?? freshQueuePrefix('e2e');
  const hub = await startProgram('hub/dist/main.js', [], {
    env: {
      DATABASE_URL: options.databaseUrl,
      REDIS_URL: redisUrl(),
      PORT: '0',
      DATA_DIR: join(options.dir, 'hub'),
      SEED_DEMO: 'true',
      SWEEP_INTERVAL_MS: '1000',
      ...JOURNEY_LIMITS,
      ...options.env,
      QUEUE_PREFIX: queuePrefix,
    },
    isReady: (l) => l.msg === 'listening',
    // It checks the migrations and seeds the demo (scrypt password hashes) first: slow on a busy machine.
    timeoutMs: 45_000,
  });
  return { hub, hubUrl: `http://127.0.0.1:${String(hub.ready.port)}`, queuePrefix };
}
