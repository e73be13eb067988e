// Staff search (ADR 0034): one box finds applications by a tracking number, an application number,
// or the applicant's phone (in full or its last four digits). The answer masks the applicant: the
// name keeps its first character, the phone only its last four digits (尾号5678) — never in clear,
// whatever was typed.
import { maskName, maskPhone } from '../../domain/masking.js';
import { classifySearch, isRefusal, type SearchQuery } from '../../domain/search.js';
import { BadRequest } from '../../errors.js';
import type { Db } from '../../store/db.js';
import { findApplications } from './store.js';

/** At most this many applications in an answer, the newest first. */
export const SEARCH_LIMIT = 20;

export interface SearchResult {
  applicationId: string;
  matter: { code: string; name: string; nameEn: string | null };
  /** masked: 张* */
  applicant: string;
  /** masked: 尾号5678 */
  phone: string;
  status: string;
  prereview: string;
  parcels: Array<{ trackingNumber: string; direction: string; state: string }>;
  createdAt: Date;
}

/** The query as understood, or a 400 saying what the box takes. */
export function searchQueryOf(text: string): SearchQuery {
  const q = classifySearch(text);
  if (isRefusal(q)) throw new BadRequest(q.message, undefined, q.code);
  return q;
}

/** What the log may keep of a query: a phone number never in clear (the last four only for a full number). */
export function loggedQuery(q: SearchQuery): string {
  switch (q.kind) {
    case 'phone':
      return maskPhone(q.value);
    case 'phone_last4':
      return '(last 4 digits of a phone)';
    case 'tracking_number':
    case 'application':
      return q.value;
  }
}

export async function search(db: Db, q: SearchQuery): Promise<{ matchedBy: SearchQuery['kind']; results: SearchResult[] }> {
  const rows = await findApplications(db, q, SEARCH_LIMIT);
  return {
    matchedBy: q.kind,
    results: rows.map((r) => ({
      applicationId: r.applicationId,
      matter: { code: r.matterCode, name: r.matterName, nameEn: r.matterNameEn },
      applicant: maskName(r.applicantName),
      phone: maskPhone(r.applicantPhone),
      status: r.status,
      prereview: r.prereview,
      parcels: r.parcels,
      createdAt: r.createdAt,
    })),
  };
}
