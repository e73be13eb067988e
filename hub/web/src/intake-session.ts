// The intake page's logic, apart from React so it can be tested on its own: what each answer means
// on the desk (tone: colour and sound), the words for it, and the session's list and counters.
import type { ScanAnswer } from './api.js';
import type { Translate } from './i18n/index.js';

export type Tone = 'accepted' | 'warning' | 'refused';
export type Outcome = ScanAnswer['result'] | 'error';

export interface SessionScan {
  /** a number for React's key, newest highest */
  seq: number;
  trackingNumber: string;
  outcome: Outcome;
  answer?: ScanAnswer;
  /** the hub's code when it refused the request itself (400 bad_tracking_number …) */
  errorCode?: string;
  errorMessage?: string;
  at: Date;
}

export interface Session {
  scans: SessionScan[];
  counts: Record<Outcome, number>;
}

export const emptySession = (): Session => ({
  scans: [],
  counts: { received: 0, already_received: 0, unannounced: 0, refused: 0, error: 0 },
});

/** Newest on top. */
export function addScan(s: Session, scan: Omit<SessionScan, 'seq'>): Session {
  const seq = (s.scans[0]?.seq ?? 0) + 1;
  return { scans: [{ ...scan, seq }, ...s.scans], counts: { ...s.counts, [scan.outcome]: s.counts[scan.outcome] + 1 } };
}

/** Green for received, amber for a repeat, red for everything that needs the clerk to act. */
export function toneOf(outcome: Outcome): Tone {
  switch (outcome) {
    case 'received':
      return 'accepted';
    case 'already_received':
      return 'warning';
    case 'unannounced':
    case 'refused':
    case 'error':
      return 'refused';
  }
}

/** Times on the desk are the hall's (China Standard Time), whatever the browser's zone. */
export function hallTime(at: Date): string {
  const cst = new Date(at.getTime() + 8 * 3_600_000);
  return `${String(cst.getUTCHours()).padStart(2, '0')}:${String(cst.getUTCMinutes()).padStart(2, '0')}`;
}

export function describeScan(scan: SessionScan, t: Translate): string {
  const a = scan.answer;
  switch (scan.outcome) {
    case 'received':
      return t('result.received');
    case 'already_received':
      return a?.receivedAt && a.receivedBy
        ? t('result.already_received_at', { time: hallTime(new Date(a.receivedAt)), by: a.receivedBy })
        : t('result.already_received');
    case 'unannounced':
      return t(a?.reason === 'unknown' ? 'result.unannounced_unknown' : 'result.unannounced');
    case 'refused':
      return t(
        a?.reason === 'outbound'
          ? 'result.refused_outbound'
          : a?.reason === 'never_handed_in'
            ? 'result.refused_never_handed_in'
            : 'result.refused',
      );
    case 'error':
      return scan.errorCode === 'bad_tracking_number'
        ? t('result.bad_tracking_number')
        : t('result.error', { message: scan.errorMessage ?? scan.errorCode ?? '' });
  }
}

/** A scanner sends what it reads and then Enter; people type lower case and spaces. */
export function normaliseTrackingNumber(raw: string): string {
  return raw.replace(/\s+/g, '').toUpperCase();
}
