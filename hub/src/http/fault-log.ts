// The error-level log of real faults (500s), bounded: an anonymous client that finds a fault must
// not be able to flood the log with stack traces. At most `perMinute` faults are logged in full per
// minute; the rest are counted, and the next line logged (or a summary when the minute is over)
// says how many were suppressed.
import type { Logger } from 'pino';

export interface FaultLogOptions {
  perMinute?: number;
  now?: () => number;
}

export class FaultLog {
  private windowStart = -Infinity;
  private logged = 0;
  private suppressed = 0;
  private readonly perMinute: number;
  private readonly now: () => number;

  constructor(options: FaultLogOptions = {}) {
    this.perMinute = options.perMinute ?? 20;
    this.now = options.now ?? Date.now;
  }

  /** Logs the fault with its stack unless this minute's share is used up; says whether it did. */
  write(log: Logger, fields: Record<string, unknown>, msg: string): boolean {
    const t = this.now();
    if (t - this.windowStart >= 60_000) {
      if (this.suppressed > 0) log.error({ suppressed: this.suppressed }, 'faults not logged in the last minute');
      this.windowStart = t;
      this.logged = 0;
      this.suppressed = 0;
    }
    if (this.logged >= this.perMinute) {
      this.suppressed++;
      return false;
    }
    this.logged++;
    log.error(fields, msg);
    return true;
  }
}
