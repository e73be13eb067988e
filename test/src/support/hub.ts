// The hub program for end-to-end tests: on the test file's own database and the shared Redis, with
// a fresh queue prefix and data directory and the demo seed; `env` adds or overrides settings.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { redisUrl } from './db.js';
import { startProgram, type RunningProgram } from './processes.js';

export async function startHubProgram(options: {
  databaseUrl: string;
  /** the test's scratch directory; the hub keeps its dev keys in `<dir>/hub` */
  dir: string;
  env?: Record<string, string>;
}): Promise<{ hub: RunningProgram; hubUrl: string }> {
  const hub = await startProgram('hub/dist/main.js', [], {
    env: {
      DATABASE_URL: options.databaseUrl,
      REDIS_URL: redisUrl(),
      PORT: '0',
      DATA_DIR: join(options.dir, 'hub'),
      QUEUE_PREFIX: `e2e-${randomUUID().slice(0, 8)}`,
      SEED_DEMO: 'true',
      SWEEP_INTERVAL_MS: '1000',
      ...options.env,
    },
    isReady: (l) => l.msg === 'listening',
  });
  return { hub, hubUrl: `http://127.0.0.1:${String(hub.ready.port)}` };
}
