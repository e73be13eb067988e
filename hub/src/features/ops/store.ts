// The ops slice's SQL: the health check's one query.
import type { Db } from '../../store/db.js';

/** Resolves when PostgreSQL answers a query; rejects otherwise. */
export async function pingDatabase(db: Db): Promise<void> {
  await db.query('SELECT 1');
}
