// The local PostgreSQL and Redis as a program, for the demo launcher and anything else that must not
// import the hub's code. Prints one JSON ready line on stdout (the only stdout output) and runs until
// SIGTERM/SIGINT, then stops both servers (exit 0).
//   node hub/dist/infra/local-services-main.js [--postgres-dir DIR [--keep] [--database NAME]]
//                                               [--redis | --redis-dir DIR]
// --postgres-dir: start PostgreSQL with its cluster there (as root that directory holds only a note;
// see local-services.ts); --keep: keep the cluster when stopped (else it is removed); --database:
// create it if missing and give its URL. --redis: start Redis keeping nothing on disk; --redis-dir:
// start it keeping its append-only file there.
// Ready line: {"event":"ready","databaseUrl":"postgres://…","redisUrl":"redis://…"} (the ones started)
import { parseArgs } from 'node:util';
import { ensureDatabase, startLocalPostgres, startLocalRedis, type LocalService } from './local-services.js';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        'postgres-dir': { type: 'string' },
        keep: { type: 'boolean', default: false },
        database: { type: 'string' },
        redis: { type: 'boolean', default: false },
        'redis-dir': { type: 'string' },
      },
      strict: true,
    });
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e));
  }
})();
const postgresDir = values['postgres-dir'];
const redisDir = values['redis-dir'];
if (!postgresDir && !redisDir && !values.redis) fail('nothing to start: give --postgres-dir, --redis or --redis-dir');
if ((values.keep || values.database) && !postgresDir) fail('--keep and --database need --postgres-dir');

const services: LocalService[] = [];
const stopAll = async (): Promise<void> => {
  for (const s of services.splice(0).reverse()) await s.stop();
};
const log = (line: string) => {
  if (line) process.stderr.write(`${line}\n`);
};
try {
  const ready: { event: 'ready'; databaseUrl?: string; redisUrl?: string } = { event: 'ready' };
  if (postgresDir) {
    const postgres = await startLocalPostgres({ dataDir: postgresDir, persistent: values.keep, onLog: log });
    services.push(postgres);
    ready.databaseUrl = values.database ? await ensureDatabase(postgres.url, values.database) : postgres.url;
  }
  if (redisDir || values.redis) {
    const redis = await startLocalRedis({ ...(redisDir && { dataDir: redisDir }), onLog: log });
    services.push(redis);
    ready.redisUrl = redis.url;
  }
  process.stdout.write(`${JSON.stringify(ready)}\n`);
} catch (e) {
  process.stderr.write(`local services: ${e instanceof Error ? e.message : String(e)}\n`);
  await stopAll();
  process.exit(1);
}
const shutdown = () =>
  void stopAll().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`local services: stop failed: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
