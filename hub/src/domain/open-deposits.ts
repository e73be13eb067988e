// How many reservations one applicant may hold open at once (ADR 0017): a compartment reserved for a
// deposit is unavailable to everyone else until it is used or its code expires, so one applicant
// must not be able to hold a whole kiosk. Open means the inbound parcel is still `reserving` or
// `awaiting_deposit`.
import type { ParcelState } from './parcel-journey.js';

export const OPEN_DEPOSIT_STATES = ['reserving', 'awaiting_deposit'] as const satisfies readonly ParcelState[];

export interface OpenDepositLimits {
  perSite: number;
  overall: number;
}

export type OpenDepositVerdict =
  { ok: true } | { ok: false; code: 'open_deposits_at_site' | 'open_deposits'; message: string; limit: number; open: number };

export function judgeNewDeposit(open: { atSite: number; overall: number }, limits: OpenDepositLimits): OpenDepositVerdict {
  if (open.atSite >= limits.perSite) {
    return {
      ok: false,
      code: 'open_deposits_at_site',
      message: `you already hold ${open.atSite} reserved compartment(s) at this site, the most one applicant may; hand in those documents (or let their codes expire) before applying here again, or choose another site`,
      limit: limits.perSite,
      open: open.atSite,
    };
  }
  if (open.overall >= limits.overall) {
    return {
      ok: false,
      code: 'open_deposits',
      message: `you already hold ${open.overall} reserved compartment(s), the most one applicant may; hand in those documents before applying again`,
      limit: limits.overall,
      open: open.overall,
    };
  }
  return { ok: true };
}
