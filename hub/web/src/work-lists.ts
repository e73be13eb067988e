// The logic of the courier's and the hall's work lists without a browser: the PDA's tasks grouped by
// site, the queue's time waited in words, the exceptions page's times (the hall's clock, UTC+8) and
// what a cause said, in one line.
import type { CourierTask } from './api.js';
import type { Translate } from './i18n/index.js';
import { hallTime } from './intake-session.js';

/** The tasks grouped by site, in the order each site's first task comes. */
export function bySite(tasks: CourierTask[]): Array<{ site: CourierTask['site']; tasks: CourierTask[] }> {
  const groups = new Map<string, { site: CourierTask['site']; tasks: CourierTask[] }>();
  for (const task of tasks) {
    const group = groups.get(task.site.code) ?? { site: task.site, tasks: [] };
    group.tasks.push(task);
    groups.set(task.site.code, group);
  }
  return [...groups.values()];
}

/** Minutes waited, in hours and minutes once over an hour. */
export function waited(minutes: number, t: Translate): string {
  if (minutes < 60) return t('waitedMinutes', { m: minutes });
  return t('waitedHours', { h: Math.floor(minutes / 60), m: minutes % 60 });
}

/** "2026-12-01 10:42" in the hall's time (UTC+8). */
export function hallDateTime(iso: string): string {
  const at = new Date(iso);
  const cst = new Date(at.getTime() + 8 * 3_600_000);
  return `${cst.toISOString().slice(0, 10)} ${hallTime(at)}`;
}

/** What the cause said that staff act on (a reason, a note, a compartment …) as "key: value", in one line. */
export function detailText(detail: Record<string, unknown>): string {
  return Object.entries(detail)
    .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join(' · ');
}
