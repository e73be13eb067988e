// 好差评: the five grades, which are bad, when an application may be rated, and the follow-up's
// deadline counted in working days of the hall's calendar (China Standard Time, UTC+8, no daylight
// saving; Saturdays, Sundays and the configured holidays are not working days). Pure.

/** 非常满意 … 非常不满意, as the national 好差评 scale names them. */
export const GRADES = {
  5: { zh: '非常满意', en: 'very satisfied' },
  4: { zh: '满意', en: 'satisfied' },
  3: { zh: '基本满意', en: 'fairly satisfied' },
  2: { zh: '不满意', en: 'dissatisfied' },
  1: { zh: '非常不满意', en: 'very dissatisfied' },
} as const;
export type Grade = keyof typeof GRADES;

/** A bad rating (差评) opens a follow-up for staff. */
export const isBad = (grade: Grade): boolean => grade <= 2;

/**
 * Whether an application is finished and may be rated: decided and rejected, or its result has
 * reached its applicant (collected at a locker or the counter, delivered by mail).
 */
export function rateable(app: { status: string }, result: { state: string } | null): boolean {
  if (app.status === 'rejected') return true;
  return result !== null && (result.state === 'collected' || result.state === 'delivered');
}

const CST_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;

/** The hall's calendar day (YYYY-MM-DD, UTC+8) of an instant. */
export const hallDay = (at: Date): string => new Date(at.getTime() + CST_MS).toISOString().slice(0, 10);

/** Whether a hall calendar day (YYYY-MM-DD) is a working day. */
export function isWorkingDay(day: string, holidays: ReadonlySet<string>): boolean {
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
  return weekday !== 0 && weekday !== 6 && !holidays.has(day);
}

/**
 * The follow-up's deadline: the end (23:59:59.999, UTC+8) of the `days`-th working day after the
 * day of `from` (the day it was opened does not count, whatever the hour).
 */
export function workingDaysLater(from: Date, days: number, holidays: ReadonlySet<string> = new Set()): Date {
  if (!Number.isInteger(days) || days < 1) throw new RangeError('days must be a whole number ≥ 1');
  let day = hallDay(from);
  let counted = 0;
  while (counted < days) {
    day = new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
    if (isWorkingDay(day, holidays)) counted++;
  }
  return new Date(Date.parse(`${day}T00:00:00Z`) - CST_MS + DAY_MS - 1);
}
