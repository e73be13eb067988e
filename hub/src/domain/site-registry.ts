// What an import of partner sites changes, decided without the database: each incoming record
// against the stored site with the same (network, external id). A record that says what is stored
// already changes nothing (so a re-import writes nothing); a record older than what is stored is
// stale and ignored; a retired site that comes back is restored.
import type { LockerSize } from './nearby.js';

export interface SiteCapacity {
  size: LockerSize;
  total: number;
  free: number;
}

/** A partner's site as the hub keeps it (the importer's input, already validated). */
export interface PartnerSite {
  network: string;
  externalId: string;
  name: string;
  address: string;
  district: string;
  lat: number;
  lng: number;
  online: boolean;
  capacity: SiteCapacity[];
  updatedAt: Date;
}

export interface StoredPartnerSite extends Omit<PartnerSite, 'updatedAt'> {
  id: string;
  /** the partner's updatedAt of the record last written; null if never given */
  updatedAt: Date | null;
  retired: boolean;
}

export type SiteChange =
  | { kind: 'insert'; record: PartnerSite }
  | { kind: 'update'; id: string; record: PartnerSite; fieldsChanged: boolean; capacityChanged: boolean }
  | { kind: 'unchanged' }
  | { kind: 'stale' };

export function siteChange(stored: StoredPartnerSite | undefined, record: PartnerSite): SiteChange {
  if (!stored) return { kind: 'insert', record };
  if (stored.updatedAt && record.updatedAt.getTime() < stored.updatedAt.getTime()) return { kind: 'stale' };
  const fieldsChanged =
    stored.retired ||
    stored.name !== record.name ||
    stored.address !== record.address ||
    stored.district !== record.district ||
    stored.lat !== record.lat ||
    stored.lng !== record.lng ||
    stored.online !== record.online;
  const capacityChanged = !sameCapacity(stored.capacity, record.capacity);
  return fieldsChanged || capacityChanged
    ? { kind: 'update', id: stored.id, record, fieldsChanged, capacityChanged }
    : { kind: 'unchanged' };
}

function sameCapacity(a: readonly SiteCapacity[], b: readonly SiteCapacity[]): boolean {
  if (a.length !== b.length) return false;
  const bySize = new Map(a.map((c) => [c.size, c]));
  return b.every((c) => {
    const o = bySize.get(c.size);
    return o !== undefined && o.total === c.total && o.free === c.free;
  });
}

/** One record per (network, external id): the newest wins, and of equal age the later in the list. */
export function latestPerSite(records: readonly PartnerSite[]): PartnerSite[] {
  const out = new Map<string, PartnerSite>();
  for (const r of records) {
    const key = `${r.network}\u0000${r.externalId}`;
    const prev = out.get(key);
    if (!prev || r.updatedAt.getTime() >= prev.updatedAt.getTime()) out.set(key, r);
  }
  return [...out.values()];
}
