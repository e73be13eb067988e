// The compartment door on a real PostgreSQL: a legal move is written, an illegal one is refused with
// a typed error and writes nothing, and free compartments locked by one transaction are skipped by
// another. (A database of its own, cloned from the jest global setup's migrated template.)
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { v7 as uuidv7 } from 'uuid';
import { IllegalCompartmentMove, lockFreeCompartments, setCompartmentState } from '@xinbao/hub/store/compartments';
import { withTransaction } from '@xinbao/hub/store/db';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
let pool: TestDatabase['pool'];
let siteId: string;
const ids: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  pool = db.pool;
  siteId = uuidv7();
  await pool.query(
    `INSERT INTO sites (id, network, code, name, address, district, lat, lng) VALUES ($1, 'own', 'store-test', 't', 't', 't', 34.37, 109.05)`,
    [siteId],
  );
  for (const n of [1, 2, 3]) {
    const id = uuidv7();
    ids.push(id);
    await pool.query(`INSERT INTO compartments (id, site_id, number, size) VALUES ($1, $2, $3, 'M')`, [id, siteId, n]);
  }
});
afterAll(async () => db?.drop());

const stateOf = async (id: string) =>
  (await pool.query<{ state: string }>('SELECT state FROM compartments WHERE id = $1', [id])).rows[0]!.state;

describe('setCompartmentState', () => {
  it('writes a legal move and refuses an illegal one, writing nothing', async () => {
    const [a] = ids as [string];
    const at = new Date();
    expect(await withTransaction(pool, (tx) => setCompartmentState(tx, a, 'reserve', at))).toBe('reserved');
    expect(await stateOf(a)).toBe('reserved');
    const refused = withTransaction(pool, async (tx) => {
      await setCompartmentState(tx, a, 'fill', at);
      return setCompartmentState(tx, a, 'reserve', at); // occupied cannot be reserved
    });
    await expect(refused).rejects.toBeInstanceOf(IllegalCompartmentMove);
    await expect(refused).rejects.toMatchObject({
      statusCode: 409,
      code: 'illegal_compartment_move',
      details: { state: 'occupied', move: 'reserve' },
    });
    expect(await stateOf(a)).toBe('reserved'); // the transaction's fill rolled back with it
    expect(await withTransaction(pool, (tx) => setCompartmentState(tx, a, 'fault', at))).toBe('faulty');
    await expect(withTransaction(pool, (tx) => setCompartmentState(tx, a, 'empty', at))).rejects.toBeInstanceOf(IllegalCompartmentMove);
    expect(await stateOf(a)).toBe('faulty');
  });

  it('hands a free compartment locked by one transaction to no other', async () => {
    const first = await pool.connect();
    try {
      await first.query('BEGIN');
      const mine = await lockFreeCompartments(first, siteId);
      expect(mine.map((c) => c.number).sort()).toEqual([2, 3]); // 1 is faulty
      const others = await withTransaction(pool, (tx) => lockFreeCompartments(tx, siteId));
      expect(others).toEqual([]);
      await first.query('ROLLBACK');
    } finally {
      first.release();
    }
    expect((await withTransaction(pool, (tx) => lockFreeCompartments(tx, siteId))).length).toBe(2);
  });
});
