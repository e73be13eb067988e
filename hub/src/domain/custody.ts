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
    .update(
      canonicalJson({
        id: e.id,
        parcelId: e.parcelId,
        kind: e.kind,
        fromState: e.fromState,
        toState: e.toState,
        actorKind: e.actorKind,
        actorId: e.actorId,
        siteId: e.siteId,
        compartment: e.compartment,
        at: e.at.toISOString(),
        evidence: e.evidence,
      }),
    )
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
