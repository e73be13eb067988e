// The applicant's words for where an application stands (issue 12, ADR 0036): one status line from
// its decision, its pre-review and its parcels; a custody event's words; a phone masked.
import type { MessageKey } from './i18n/index.js';
import { en } from './i18n/en.js';

interface Standing {
  status: string;
  prereview: string;
  parcels: ReadonlyArray<{ direction: 'inbound' | 'outbound'; state: string }>;
}

const known = (key: string): key is MessageKey => key in en;

/** The one line that says where an application stands, the furthest fact first. */
export function statusLine(a: Standing): MessageKey {
  if (a.status === 'rejected') return 'f.status.rejected';
  if (a.prereview === 'pending') return 'f.status.prereviewPending';
  if (a.prereview === 'returned') return 'f.status.returned';
  const outbound = a.parcels.filter((p) => p.direction === 'outbound').at(-1);
  const inbound = a.parcels.filter((p) => p.direction === 'inbound').at(-1);
  const parcel = outbound ?? (a.status === 'approved' ? undefined : inbound);
  if (parcel && known(`f.state.${parcel.state}`)) return `f.state.${parcel.state}` as MessageKey;
  if (a.status === 'approved') return 'f.status.approved';
  return a.prereview === 'accepted_pending' ? 'f.status.acceptedPending' : 'f.status.passed';
}

/** A custody event in words: its own when it has some (a code typed, a courier's step), else the state it led to. */
export function eventWords(e: { kind: string; toState: string }): MessageKey {
  if (known(`f.kind.${e.kind}`)) return `f.kind.${e.kind}` as MessageKey;
  if (known(`f.state.${e.toState}`)) return `f.state.${e.toState}` as MessageKey;
  return 'f.kind.other';
}

/** Who acted, by role only (the custody trail names no person to an applicant). */
export function actorWords(kind: string): MessageKey {
  return known(`actor.${kind}`) ? (`actor.${kind}` as MessageKey) : 'actor.system';
}

/** A date and time in the hall's zone (China Standard Time), whatever the browser's: 2026-12-02 09:41. */
export { hallDateTime } from './work-lists.js';
