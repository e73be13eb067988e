// The resync loop both lock-board frame readers share: find the next start byte, ask the family
// whether a frame starts there, and on a false start drop only that byte and look again, so a
// real frame right behind noise or a broken frame is still found. What a start byte is, how long
// a frame is and what makes it bad stay in each family's reader (kerong.ts, eight-a.ts).

/** What a family's reader says about the bytes from one start byte on. */
export type FrameAttempt<Reason extends string, Found extends { length: number }> =
  { kind: 'need-more' } | ({ kind: 'frame' } & Found) | { kind: 'bad'; reason: Reason };

/** How one family reads the buffer being scanned (its callbacks look at that same buffer). */
export interface FrameFormat<Reason extends string, Found extends { length: number }, F> {
  /** Index of the next possible start byte at or after `from`, or -1. */
  nextStart(from: number): number;
  attempt(at: number): FrameAttempt<Reason, Found>;
  toFrame(raw: Buffer, found: Found): F;
}

/** Counters every reader keeps; `Reason` names the family's own drop counters. */
export type ScanStats<Reason extends string> = { frames: number; noiseBytes: number } & Record<Reason, number>;

/**
 * Takes every complete frame out of `buf`, counting frames, dropped false starts (by reason) and
 * skipped noise bytes into `stats`. Returns the frames and the bytes to keep for the next chunk
 * (a frame not yet complete).
 */
export function scanFrames<Reason extends string, Found extends { length: number }, F>(
  buf: Buffer,
  stats: ScanStats<Reason>,
  format: FrameFormat<Reason, Found, F>,
): { frames: F[]; rest: Buffer } {
  const frames: F[] = [];
  let start = 0;
  for (;;) {
    const at = format.nextStart(start);
    if (at < 0) {
      stats.noiseBytes += buf.length - start;
      start = buf.length;
      break;
    }
    stats.noiseBytes += at - start;
    start = at;
    const attempt = format.attempt(start);
    if (attempt.kind === 'need-more') break;
    if (attempt.kind === 'bad') {
      stats[attempt.reason]++;
      start += 1;
      continue;
    }
    frames.push(format.toFrame(Buffer.from(buf.subarray(start, start + attempt.length)), attempt));
    stats.frames++;
    start += attempt.length;
  }
  return { frames, rest: Buffer.from(buf.subarray(start)) };
}
