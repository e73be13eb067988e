// What a staff search box's text is (ADR 0034): a tracking number (XB…, its check digit right), an
// application number (its id), a full mainland mobile number, or the last four digits of one. Pure;
// anything else is not a search the hall makes, and is refused rather than guessed at.
import { normalizeMobile } from '@xinbao/protocol';
import { isValidTrackingNumber } from './tracking-number.js';

export type SearchQuery =
  | { kind: 'tracking_number'; value: string }
  | { kind: 'application'; value: string }
  | { kind: 'phone'; value: string }
  | { kind: 'phone_last4'; value: string };

export type SearchRefusal = { code: 'bad_check_digit' | 'bad_query'; message: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The query's kind and its value as stored, or why it is not one. Spaces and dashes are ignored. */
export function classifySearch(text: string): SearchQuery | SearchRefusal {
  const lower = text.trim().toLowerCase();
  if (UUID.test(lower)) return { kind: 'application', value: lower };
  const compact = lower.replace(/[\s-]/g, '');
  if (/^xb\d{12}$/.test(compact)) {
    const tn = compact.toUpperCase();
    return isValidTrackingNumber(tn)
      ? { kind: 'tracking_number', value: tn }
      : { code: 'bad_check_digit', message: `${tn} is not a tracking number: its check digit does not match (a digit mistyped?)` };
  }
  if (/^\d{4}$/.test(compact)) return { kind: 'phone_last4', value: compact };
  const phone = normalizeMobile(compact);
  if (phone) return { kind: 'phone', value: phone };
  return {
    code: 'bad_query',
    message: 'search by a tracking number (XB and 12 digits), an application number, a mobile number (11 digits) or its last 4 digits',
  };
}

export const isRefusal = (r: SearchQuery | SearchRefusal): r is SearchRefusal => 'code' in r;
