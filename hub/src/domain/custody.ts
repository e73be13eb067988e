// The custody log's hash chain: each event's hash covers the previous event's hash of the same
// parcel and the event's own fields in a fixed order, so editing or deleting any event is visible.
import { createHash } from 'node:crypto';

export interface CustodyFields {
  id: string;
  parcelId: string;
  kind: string;
  fromState: string | null;
  toState: string;
  actorKind: string;
  actorId: string | null;
  siteId: string | null;
  compartment: number | null;
  at: Date;
  evidence: Record<string, unknown>;
}

/**
 * The one list of a custody event's fields, each with its column in custody_events: the hash covers
 * exactly these, the store writes and reads exactly these.
 */
export const CUSTODY_COLUMNS = {
  id: 'id',
  parcelId: 'parcel_id',
  kind: 'kind',
  fromState: 'from_state',
  toState: 'to_state',
  actorKind: 'actor_kind',
  actorId: 'actor_id',
  siteId: 'site_id',
  compartment: 'compartment',
  at: 'at',
  evidence: 'evidence',
} as const satisfies Record<keyof CustodyFields, string>;
export const CUSTODY_FIELDS = Object.keys(CUSTODY_COLUMNS) as Array<keyof CustodyFields>;

/** JSON with object keys sorted, so the same event always hashes the same. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
}

export function custodyHash(prevHash: string | null, e: CustodyFields): string {
  return createHash('sha256')
    .update(prevHash ?? 'genesis')
    .update('\n')
    .update(canonicalJson(Object.fromEntries(CUSTODY_FIELDS.map((f) => [f, f === 'at' ? e.at.toISOString() : e[f]]))))
    .digest('hex');
}

/** Index of the first event whose hash does not follow from its predecessors, or -1 if intact. */
export function firstBrokenLink(events: Array<CustodyFields & { prevHash: string | null; hash: string }>): number {
  let prev: string | null = null;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (e.prevHash !== prev || custodyHash(prev, e) !== e.hash) return i;
    prev = e.hash;
  }
  return -1;
}
