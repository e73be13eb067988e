// Each test file gets its own database, cloned from the migrated template that the global setup
// made (or empty, for the migration test), and dropped afterwards.
import pg from 'pg';
import { randomUUID } from 'node:crypto';

export interface TestDatabase {
  url: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

/** The migrated template the global setup made (every migration applied, no rows). */
export const templateDatabaseName = (): string => {
  const template = process.env.XINBAO_TEST_TEMPLATE_DB;
  if (!template) throw new Error('the jest global setup did not run (XINBAO_TEST_TEMPLATE_DB unset)');
  return template;
};

/** The test file's own database: a clone of the migrated template, or (`empty`) one with no schema at all. */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const server = process.env.DATABASE_URL;
  if (!server) throw new Error('the jest global setup did not run (DATABASE_URL unset)');
  const template = options.empty ? 'template0' : templateDatabaseName();
  const name = `t_${randomUUID().replace(/-/g, '')}`;
  const admin = new pg.Client(server);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  await admin.end();
  const u = new URL(server);
  u.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: u.toString(), max: 4 });
  // pool.end() resolves before its clients' sockets have closed; the DROP … WITH (FORCE) below then
  // terminates those backends, and the pool would re-emit that as an unhandled 'error'.
  pool.on('error', () => undefined);
  return {
    url: u.toString(),
    pool,
    drop: async () => {
      await pool.end();
      const c = new pg.Client(server);
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export const redisUrl = (): string => {
  const u = process.env.REDIS_URL;
  if (!u) throw new Error('the jest global setup did not run (REDIS_URL unset)');
  return u;
};
