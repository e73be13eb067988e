// The PostgreSQL pool and the one way the hub writes: inside a transaction. What a transaction
// wants told once it has committed (and only then) is queued with `publishOnCommit` and emitted on
// the pool's commit feed after COMMIT; a rolled-back transaction tells nothing.
import { EventEmitter } from 'node:events';
import pg from 'pg';

export type Db = pg.Pool;
export type Tx = pg.PoolClient;

export function createPool(url: string): Db {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return pool;
}

/** Messages queued by a transaction in flight, by its client; told on its pool's feed after COMMIT. */
const onCommit = new WeakMap<Tx, Array<[channel: string, payload: unknown]>>();
const feeds = new WeakMap<Db, EventEmitter>();

/** What committed transactions of this pool published, by channel (in-process; listeners must not throw). */
export function commitFeed(db: Db): EventEmitter {
  let feed = feeds.get(db);
  if (!feed) {
    feed = new EventEmitter();
    feed.setMaxListeners(0);
    feeds.set(db, feed);
  }
  return feed;
}

/** Queues `payload` on `channel` of the pool's commit feed, told only once `tx` has committed. */
export function publishOnCommit(tx: Tx, channel: string, payload: unknown): void {
  onCommit.get(tx)?.push([channel, payload]);
}

export async function withTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const tx = await db.connect();
  const told: Array<[string, unknown]> = [];
  onCommit.set(tx, told);
  try {
    await tx.query('BEGIN');
    const out = await fn(tx);
    await tx.query('COMMIT');
    onCommit.delete(tx);
    const feed = feeds.get(db);
    for (const [channel, payload] of told) feed?.emit(channel, payload);
    return out;
  } catch (e) {
    await tx.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    onCommit.delete(tx);
    tx.release();
  }
}

/** A read-only snapshot: every read inside sees the database as of its first read. */
export async function withSnapshot<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const tx = await db.connect();
  try {
    await tx.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const out = await fn(tx);
    await tx.query('COMMIT');
    return out;
  } catch (e) {
    await tx.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    tx.release();
  }
}
