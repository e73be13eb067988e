// Results back to the applicant, as pure decisions: which return channels there are, when a result
// held in a locker is owed a reminder or goes back to the hall, and how a postal address is shown.
// The clock comes in; the results slice carries the decisions out (ADR 0024).

export const RETURN_CHANNELS = ['own_kiosk', 'partner_locker', 'mail', 'counter'] as const;
export type ReturnChannel = (typeof RETURN_CHANNELS)[number];

export interface ResultTimers {
  /** a reminder this long after the result went into the locker */
  remindAfterHours: number;
  /** and this long before its holding period ends */
  remindBeforeHours: number;
  /** how long a locker holds an uncollected result before a courier takes it back */
  holdDays: number;
}

const HOUR = 3_600_000;

export function holdUntil(inLockerAt: Date, timers: ResultTimers): Date {
  return new Date(inLockerAt.getTime() + timers.holdDays * 24 * HOUR);
}

export type HoldStep = 'remind_collect' | 'remind_return' | 'return';

/**
 * What a result held in a locker is owed at `now`, in order. A reminder that would come after the
 * return (a holding period shorter than the reminder delays) is not sent; the return is.
 */
export function dueForHold(h: { inLockerAt: Date; holdUntil: Date }, now: Date, timers: ResultTimers): HoldStep[] {
  const t = now.getTime();
  const end = h.holdUntil.getTime();
  if (t >= end) return ['return'];
  const due: HoldStep[] = [];
  if (t >= h.inLockerAt.getTime() + timers.remindAfterHours * HOUR) due.push('remind_collect');
  if (t >= end - timers.remindBeforeHours * HOUR) due.push('remind_return');
  return due;
}

/**
 * A postal address as lists and messages show it (GLOSSARY, masking): the street and its number,
 * not the building, unit or room. 西安市雁塔区科技路10号3单元502室 → 西安市雁塔区科技路10号***.
 */
export function maskPostalAddress(address: string): string {
  const a = address.trim();
  const n = a.indexOf('号');
  if (n > 0 && n < a.length - 1) return `${a.slice(0, n + 1)}***`;
  if (n === a.length - 1) return a;
  // No street number to cut at: keep the first half, never the end (where unit and room are).
  return `${a.slice(0, Math.ceil(a.length / 2))}***`;
}
