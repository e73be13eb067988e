// The site registry's import: partner sites arrive as records (from the partner network's API,
// mapped by its client) and are upserted by (network, external id), in batches of one transaction
// each, reporting progress after every batch. Idempotent: a record that says what is stored writes
// nothing. A full refresh of a network also retires the network's sites missing from it (kept, never
// deleted: parcels and custody events may point at them). Own kiosk sites are never touched here.
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { LOCKER_SIZES } from '../../domain/nearby.js';
import { latestPerSite, siteChange, type PartnerSite, type SiteChange } from '../../domain/site-registry.js';
import { BadRequest } from '../../errors.js';
import { withTransaction, type Db, type Tx } from '../../store/db.js';
import { insertSites, lockNetwork, replaceCapacity, retireSitesExcept, storedSites, updateSites } from './store.js';

export const PartnerSiteRecord = z.object({
  network: z
    .string()
    .trim()
    .min(1)
    .max(40)
    .refine((n) => n !== 'own', 'the network "own" is the hall\'s own kiosks, which are never imported'),
  externalId: z.string().trim().min(1).max(100),
  name: z.string().trim().min(1).max(200),
  address: z.string().trim().min(1).max(300),
  district: z.string().trim().min(1).max(50),
  lat: z.number().min(-90).max(90),
  lng: z.number().min(-180).max(180),
  online: z.boolean(),
  capacity: z
    .array(
      z
        .object({ size: z.enum(LOCKER_SIZES), total: z.number().int().min(0).max(10_000), free: z.number().int().min(0) })
        .refine((c) => c.free <= c.total, 'free must not exceed total'),
    )
    .max(LOCKER_SIZES.length)
    .refine((cs) => new Set(cs.map((c) => c.size)).size === cs.length, 'each size at most once'),
  updatedAt: z.coerce.date(),
});
export type PartnerSiteRecord = z.input<typeof PartnerSiteRecord>;

export interface ImportCounts {
  /** records given */
  received: number;
  inserted: number;
  updated: number;
  unchanged: number;
  /** older than what is stored: ignored */
  stale: number;
  /** the same site again in this import (the newest was used) */
  duplicates: number;
  /** refused, each with its reason below */
  invalid: number;
}

export interface ImportProgress extends ImportCounts {
  /** valid records processed so far, of `total` */
  done: number;
  total: number;
}

export interface ImportReport extends ImportCounts {
  /** sites of the network missing from a full refresh, now retired (0 for a plain upsert) */
  retired: number;
  rejected: Array<{ index: number; externalId?: string; reason: string }>;
}

export interface ImportOptions {
  onProgress?: (p: ImportProgress) => void;
  batchSize?: number;
  now?: Date;
}

const DEFAULT_BATCH = 500;

/** Upserts partner site records; sites not in the list are left as they are. */
export async function upsertSites(db: Db, records: readonly unknown[], options: ImportOptions = {}): Promise<ImportReport> {
  const { valid, rejected } = validate(records);
  const sites = latestPerSite(valid);
  const counts: ImportCounts = {
    received: records.length,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    stale: 0,
    duplicates: valid.length - sites.length,
    invalid: rejected.length,
  };
  const now = options.now ?? new Date();
  const size = options.batchSize ?? DEFAULT_BATCH;
  // Batches hold one network each, so a batch locks exactly one network's import.
  const byNetwork = new Map<string, PartnerSite[]>();
  for (const s of sites) {
    const list = byNetwork.get(s.network);
    if (list) list.push(s);
    else byNetwork.set(s.network, [s]);
  }
  let done = 0;
  for (const [network, list] of byNetwork) {
    for (let i = 0; i < list.length; i += size) {
      const batch = list.slice(i, i + size);
      const changes = await withTransaction(db, (tx) => applyBatch(tx, network, batch, now));
      for (const c of changes) {
        if (c.kind === 'insert') counts.inserted++;
        else if (c.kind === 'update') counts.updated++;
        else if (c.kind === 'unchanged') counts.unchanged++;
        else counts.stale++;
      }
      done += batch.length;
      options.onProgress?.({ ...counts, done, total: sites.length });
    }
  }
  if (sites.length === 0) options.onProgress?.({ ...counts, done: 0, total: 0 });
  return { ...counts, retired: 0, rejected };
}

/**
 * A full refresh of one network: upserts every record, then retires the network's sites that the
 * list no longer has. A site whose record was refused is not retired for it. An empty list is
 * refused, so that a partner's empty answer cannot retire the whole network.
 */
export async function refreshNetwork(
  db: Db,
  network: string,
  records: readonly unknown[],
  options: ImportOptions = {},
): Promise<ImportReport> {
  const elsewhere = records.filter((r) => typeof r === 'object' && r !== null && (r as { network?: unknown }).network !== network);
  if (elsewhere.length > 0) throw new BadRequest(`a refresh of ${network} got ${elsewhere.length} records of other networks`);
  const seen = new Set(
    records
      .map((r) => (r as { externalId?: unknown } | null)?.externalId)
      .filter((id): id is string => typeof id === 'string')
      .map((id) => id.trim()),
  );
  if (seen.size === 0)
    throw new BadRequest(`refusing to refresh ${network} from an empty list: that would retire every site of the network`);
  const report = await upsertSites(db, records, options);
  const now = options.now ?? new Date();
  const retired = await withTransaction(db, async (tx) => {
    await lockNetwork(tx, network);
    return retireSitesExcept(tx, network, [...seen], now);
  });
  return { ...report, retired };
}

function validate(records: readonly unknown[]): { valid: PartnerSite[]; rejected: ImportReport['rejected'] } {
  const valid: PartnerSite[] = [];
  const rejected: ImportReport['rejected'] = [];
  records.forEach((raw, index) => {
    const r = PartnerSiteRecord.safeParse(raw);
    if (r.success) {
      valid.push(r.data);
      return;
    }
    const externalId = (raw as { externalId?: unknown } | null)?.externalId;
    rejected.push({
      index,
      ...(typeof externalId === 'string' ? { externalId } : {}),
      reason: r.error.issues.map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`).join('; '),
    });
  });
  return { valid, rejected };
}

async function applyBatch(tx: Tx, network: string, batch: readonly PartnerSite[], now: Date): Promise<SiteChange[]> {
  await lockNetwork(tx, network);
  const stored = await storedSites(
    tx,
    network,
    batch.map((r) => r.externalId),
  );
  const changes = batch.map((r) => siteChange(stored.get(r.externalId), r));
  const inserts = changes.flatMap((c) => (c.kind === 'insert' ? [{ id: uuidv7(), record: c.record }] : []));
  const updates = changes.flatMap((c) => (c.kind === 'update' ? [c] : []));
  const rowUpdates = updates.filter((u) => u.fieldsChanged);
  if (inserts.length > 0) await insertSites(tx, network, inserts, now);
  if (rowUpdates.length > 0) await updateSites(tx, rowUpdates, now);
  // Capacity is rewritten whole for each site whose capacity is new or changed.
  const capacityOf = [
    ...inserts.map((i) => ({ id: i.id, record: i.record })),
    ...updates.filter((u) => u.capacityChanged).map((u) => ({ id: u.id, record: u.record })),
  ];
  if (capacityOf.length > 0) await replaceCapacity(tx, capacityOf);
  return changes;
}
