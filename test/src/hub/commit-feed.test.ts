// The commit feed: what a transaction publishes is told after its COMMIT, in order, and never for a
// transaction rolled back; custody events written through moveParcel arrive on it (live tracking).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { commitFeed, publishOnCommit, withTransaction } from '@xinbao/hub/store/db';
import { lockParcel, moveParcel, onCustodyCommitted, type CustodyCommitted } from '@xinbao/hub/store/parcels';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { parcelIn } from '../support/parcels.js';

describe('the commit feed', () => {
  let db: TestDatabase;
  let hub: TestHub;
  beforeAll(async () => {
    db = await createTestDatabase();
    hub = await startTestHub();
  });
  afterAll(async () => {
    await hub?.stop();
    await db?.drop();
  });

  it('tells after COMMIT, in order, and nothing for a rollback', async () => {
    const told: unknown[] = [];
    commitFeed(db.pool).on('t', (p) => told.push(p));
    await withTransaction(db.pool, async (tx) => {
      publishOnCommit(tx, 't', 1);
      publishOnCommit(tx, 't', 2);
      await tx.query('SELECT 1');
      expect(told).toEqual([]);
    });
    expect(told).toEqual([1, 2]);
    await expect(
      withTransaction(db.pool, async (tx) => {
        publishOnCommit(tx, 't', 3);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    // A failed COMMIT (a deferred constraint, a lost connection) tells nothing either.
    await expect(
      withTransaction(db.pool, async (tx) => {
        publishOnCommit(tx, 't', 4);
        await tx.query('SELECT 1/0');
      }),
    ).rejects.toThrow();
    expect(told).toEqual([1, 2]);
  });

  it("carries each custody event of a parcel's moves, once committed", async () => {
    const p = await parcelIn(hub, 'awaiting_deposit');
    const seen: CustodyCommitted[] = [];
    const stop = onCustodyCommitted(hub.db.pool, (e) => seen.push(e));
    await withTransaction(hub.db.pool, async (tx) => {
      const parcel = await lockParcel(tx, p.id);
      const moved = await moveParcel(tx, parcel, 'deposited', { actor: { kind: 'applicant', id: null }, at: new Date() });
      await moveParcel(tx, moved, 'pickup_ordered', { actor: { kind: 'system', id: null }, at: new Date() });
      expect(seen).toEqual([]);
    });
    stop();
    expect(seen.map((e) => [e.parcelId, e.kind, e.fromState, e.toState, e.actorKind])).toEqual([
      [p.id, 'deposited', 'awaiting_deposit', 'deposited', 'applicant'],
      [p.id, 'pickup_ordered', 'deposited', 'pickup_ordered', 'system'],
    ]);
  });
});
