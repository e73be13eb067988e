// The hub process. With no DATABASE_URL / REDIS_URL it starts an embedded PostgreSQL and a private
// Redis under DATA_DIR; then it migrates, seeds the demo (outside production) and serves.
import { Redis } from 'ioredis';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { ensureDatabase, startLocalPostgres, startLocalRedis, type LocalService } from './infra/local-services.js';
import { createPool } from './store/db.js';
import { migrate } from './store/migrate.js';
import { seedDemo } from './store/seed.js';
import { createHub } from './app.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  const log = createLogger(config.logLevel, 'hub');
  const local: LocalService[] = [];
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    log.info({ dir: `${config.dataDir}/pg` }, 'no DATABASE_URL: starting an embedded PostgreSQL');
    const p = await startLocalPostgres({ dataDir: `${config.dataDir}/pg` });
    local.push(p);
    databaseUrl = await ensureDatabase(p.url, 'xinbao');
  }
  let redisUrl = config.redisUrl;
  if (!redisUrl) {
    log.info('no REDIS_URL: starting a private redis-server');
    const r = await startLocalRedis({ dataDir: `${config.dataDir}/redis` });
    local.push(r);
    redisUrl = r.url;
  }
  const db = createPool(databaseUrl);
  const client = await db.connect();
  try {
    const applied = await migrate(client);
    if (applied.length) log.info({ applied }, 'migrations applied');
  } finally {
    client.release();
  }
  if (config.seedDemo) await seedDemo(db);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  const hub = await createHub({ config, db, redis, log });
  const port = await hub.listen();
  log.info({ port, host: config.host }, 'listening');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    await hub.close();
    redis.disconnect();
    await db.end();
    for (const s of local.reverse()) await s.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
