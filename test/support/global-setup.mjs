// Jest global setup: one real PostgreSQL and one real Redis for the whole run (embedded/private
// unless DATABASE_URL / REDIS_URL are given), and a template database with every migration applied.
// Each test file clones the template into its own database (test/src/support/db.ts) and uses its
// own queue prefix, so files never see each other's data. Runs on the compiled code (`tsc -b`
// runs before jest in `npm test`).
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { startLocalPostgres, startLocalRedis } from '@xinbao/hub/infra/local-services';
import { migrate } from '@xinbao/hub/store/migrate';

export const TEMPLATE_DB = 'xinbao_test_template';

export default async function globalSetup() {
  const root = join(process.cwd(), '.data');
  mkdirSync(root, { recursive: true });
  const handles = [];
  if (!process.env.DATABASE_URL) {
    const dir = mkdtempSync(join(root, 'test-pg-'));
    const pgService = await startLocalPostgres({ dataDir: join(dir, 'cluster'), persistent: false });
    handles.push(pgService, { stop: async () => rmSync(dir, { recursive: true, force: true }) });
    process.env.DATABASE_URL = pgService.url;
  }
  if (!process.env.REDIS_URL) {
    const redis = await startLocalRedis();
    handles.push(redis);
    process.env.REDIS_URL = redis.url;
  }
  const admin = new pg.Client(process.env.DATABASE_URL);
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB}`);
  await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
  await admin.end();
  const url = new URL(process.env.DATABASE_URL);
  url.pathname = `/${TEMPLATE_DB}`;
  const tpl = new pg.Client(url.toString());
  await tpl.connect();
  await migrate(tpl);
  await tpl.end();
  process.env.XINBAO_TEST_TEMPLATE_DB = TEMPLATE_DB;
  globalThis.__xinbaoServices = handles;
}
