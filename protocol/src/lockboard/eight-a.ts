// The 8-channel "8A" lock-board wire format, LOCKBOARD.md section B: constants, XOR check,
// encoders, single-frame decoding and an incremental frame reader. Pure: no I/O, no timers; the
// stream Transform (eight-a-parser.ts) and the driver build on this.
//
// Numbering: this family numbers locks from 1 on the wire (`8A 01 01 11 9B` opens lock 1 of
// board 1). Everywhere in this codebase `lock` is the wire value 1–32; lock 0 in a query means
// "all doors". Boards are 1–64 (DIP switches).
//
// Polarity: a status bit (SS = 0x11 / 0x00, or one bit of D1–D4) is reported raw. Whether "set"
// means open depends on how the cabinet's feedback switches are wired; the driver applies it.

import { scanFrames, type FrameAttempt } from './frame-scan.js';

export const EIGHT_A_OPEN_HEAD = 0x8a;
/** Head of queries, of "find address" and of every reply: one byte cannot tell them apart. */
export const EIGHT_A_HEAD = 0x80;
export const EIGHT_A_LOCKS_PER_BOARD = 32;
export const EIGHT_A_MIN_BOARD = 1;
export const EIGHT_A_MAX_BOARD = 64;

export const EightACmd = {
  open: 0x11,
  query: 0x33,
  findAddress: 0x99,
} as const;

/** SS of a one-lock reply. */
export const EightAStatus = { set: 0x11, clear: 0x00 } as const;

/** 5 bytes: every frame except the query-all reply. */
export const EIGHT_A_FRAME_BYTES = 5;
/** `80 BB D4 D3 D2 D1 33 XX` */
export const EIGHT_A_ALL_STATUS_BYTES = 8;

/**
 * What a frame is. The bytes alone are ambiguous (a 5-byte reply and the 8-byte query-all reply
 * both start 0x80 and neither carries a length), so a reader is always told which kinds it is
 * waiting for.
 * - 'open': `8A BB LL 11 XX` (host → board)
 * - 'query': `80 BB LL 33 XX`, LL 0 = all doors (host → board)
 * - 'find-address': `80 01 00 99 18` (host → the only board on the bus), and the board's answer
 *   `80 BB 00 99 XX` naming its address (see `encodeEightAAddressReply`)
 * - 'lock-status': `80 BB LL SS XX` (board → host, reply to open and to a one-lock query)
 * - 'all-status': `80 BB D4 D3 D2 D1 33 XX` (board → host, reply to a query-all)
 */
export type EightAFrameKind = 'open' | 'query' | 'find-address' | 'lock-status' | 'all-status';

/** What a board listens for. */
export const EIGHT_A_REQUEST_KINDS: readonly EightAFrameKind[] = ['open', 'query', 'find-address'];
/** What a host may hear back (it always narrows this to the one reply it waits for). */
export const EIGHT_A_REPLY_KINDS: readonly EightAFrameKind[] = ['lock-status', 'all-status'];
export const EIGHT_A_ALL_KINDS: readonly EightAFrameKind[] = [...EIGHT_A_REQUEST_KINDS, ...EIGHT_A_REPLY_KINDS];

export type EightAFrame =
  | { kind: 'open'; board: number; lock: number; raw: Buffer }
  | { kind: 'query'; board: number; /** 0 = all doors */ lock: number; raw: Buffer }
  | { kind: 'find-address'; board: number; raw: Buffer }
  /** `set`: SS was 0x11 (raw; not yet "open" or "closed"). */
  | { kind: 'lock-status'; board: number; lock: number; set: boolean; raw: Buffer }
  /** `bits[lock - 1]` is lock `lock`'s raw bit (D1 bit 0 = lock 1 … D4 bit 7 = lock 32). */
  | { kind: 'all-status'; board: number; bits: boolean[]; raw: Buffer };

/** XOR of `bytes[0..end)`. */
export function eightAXor(bytes: Uint8Array, end = bytes.length): number {
  let x = 0;
  for (let i = 0; i < end; i++) x ^= bytes[i] ?? 0;
  return x;
}

const checkRange = (what: string, n: number, min: number, max: number): void => {
  if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`${what} must be ${min}–${max}, got ${n}`);
};
const checkBoard = (board: number): void => checkRange('board', board, EIGHT_A_MIN_BOARD, EIGHT_A_MAX_BOARD);

const frame5 = (head: number, board: number, lock: number, cmd: number): Buffer => {
  const f = Buffer.from([head, board, lock, cmd, 0]);
  f[4] = eightAXor(f, 4);
  return f;
};

export function encodeEightAOpen(board: number, lock: number): Buffer {
  checkBoard(board);
  checkRange('lock', lock, 1, EIGHT_A_LOCKS_PER_BOARD);
  return frame5(EIGHT_A_OPEN_HEAD, board, lock, EightACmd.open);
}

/** One door: `80 BB LL 33 XX`. */
export function encodeEightAQuery(board: number, lock: number): Buffer {
  checkBoard(board);
  checkRange('lock', lock, 1, EIGHT_A_LOCKS_PER_BOARD);
  return frame5(EIGHT_A_HEAD, board, lock, EightACmd.query);
}

/** Every door: `80 BB 00 33 XX`, answered with an 8-byte all-status. */
export function encodeEightAQueryAll(board: number): Buffer {
  checkBoard(board);
  return frame5(EIGHT_A_HEAD, board, 0, EightACmd.query);
}

/** `80 01 00 99 18` verbatim: only meaningful with a single board on the bus. */
export const encodeEightAFindAddress = (): Buffer => frame5(EIGHT_A_HEAD, 1, 0, EightACmd.findAddress);

/**
 * The reply to "find address", as assumed here (LOCKBOARD.md names the request only): the board
 * sends the request back with its own DIP address in BOARD, `80 BB 00 99 XX` (board 5 →
 * `80 05 00 99 1C`). It is therefore read as a 'find-address' frame whose `board` is the answer: a
 * host expects `['find-address']` and takes the first such frame that is not its own request
 * echoed by a half-duplex adapter (`80 01 00 99 18`, which is also exactly the reply of a board
 * set to address 1, so the two readings agree in that one case).
 */
export function encodeEightAAddressReply(board: number): Buffer {
  checkBoard(board);
  return frame5(EIGHT_A_HEAD, board, 0, EightACmd.findAddress);
}

/** `80 BB LL SS XX`; `set` → SS 0x11. */
export function encodeEightALockStatus(board: number, lock: number, set: boolean): Buffer {
  checkBoard(board);
  checkRange('lock', lock, 1, EIGHT_A_LOCKS_PER_BOARD);
  return frame5(EIGHT_A_HEAD, board, lock, set ? EightAStatus.set : EightAStatus.clear);
}

/** `80 BB D4 D3 D2 D1 33 XX`; `bits[lock - 1]` for locks 1–32 (missing entries are clear). */
export function encodeEightAAllStatus(board: number, bits: readonly boolean[]): Buffer {
  checkBoard(board);
  const d = [0, 0, 0, 0]; // D1 D2 D3 D4
  for (let i = 0; i < EIGHT_A_LOCKS_PER_BOARD; i++) if (bits[i]) d[i >> 3] = (d[i >> 3] ?? 0) | (1 << (i & 7));
  const f = Buffer.from([EIGHT_A_HEAD, board, d[3] ?? 0, d[2] ?? 0, d[1] ?? 0, d[0] ?? 0, EightACmd.query, 0]);
  f[7] = eightAXor(f, 7);
  return f;
}

/** Which 5-byte kind the fourth byte makes a frame with head `head`, if any. */
function kindOf5(head: number, cmd: number): EightAFrameKind | undefined {
  if (head === EIGHT_A_OPEN_HEAD) return cmd === EightACmd.open ? 'open' : undefined;
  if (cmd === EightACmd.query) return 'query';
  if (cmd === EightACmd.findAddress) return 'find-address';
  if (cmd === EightAStatus.set || cmd === EightAStatus.clear) return 'lock-status';
  return undefined;
}

function interpret(kind: EightAFrameKind, raw: Buffer): EightAFrame {
  const board = raw[1] ?? 0;
  const lock = raw[2] ?? 0;
  switch (kind) {
    case 'open':
    case 'query':
      return { kind, board, lock, raw };
    case 'find-address':
      return { kind, board, raw };
    case 'lock-status':
      return { kind, board, lock, set: raw[3] === EightAStatus.set, raw };
    case 'all-status': {
      const d = [raw[5] ?? 0, raw[4] ?? 0, raw[3] ?? 0, raw[2] ?? 0]; // D1 D2 D3 D4
      const bits = Array.from({ length: EIGHT_A_LOCKS_PER_BOARD }, (_, i) => (((d[i >> 3] ?? 0) >> (i & 7)) & 1) === 1);
      return { kind, board, bits, raw };
    }
  }
}

export interface EightAReaderOptions {
  /**
   * The frame kinds to accept; everything else is skipped. Required: the format cannot be read
   * without it. Rule: a host waits for exactly one reply kind (`['lock-status']` after an open,
   * `['all-status']` after a query-all) and a board for `EIGHT_A_REQUEST_KINDS`. When both a
   * 5-byte 0x80 kind and 'all-status' are listed (a bus sniffer), the 5-byte reading is tried
   * first and wins, so an all-status whose first five bytes happen to form a valid 5-byte frame
   * is misread: never list both where it matters.
   */
  expect: readonly EightAFrameKind[];
}

export interface EightAReaderStats {
  /** Valid frames delivered. */
  frames: number;
  /** A frame of an expected kind and length whose XOR byte was wrong. */
  badChecksum: number;
  /** An all-status whose seventh byte was not 0x33: the bytes were not an 8-byte frame. */
  badLength: number;
  /** A head byte followed by a command/status byte of no expected kind: that head was noise. */
  unexpected: number;
  /** Bytes skipped while looking for a head byte. */
  noiseBytes: number;
}

type BadReason = 'badChecksum' | 'badLength' | 'unexpected';
type Found = { frameKind: EightAFrameKind; length: number };
type Attempt = FrameAttempt<BadReason, Found>;

function nextHead(buf: Buffer, from: number, heads: readonly number[]): number {
  for (let i = from; i < buf.length; i++) if (heads.includes(buf[i] ?? -1)) return i;
  return -1;
}

/**
 * Turns arbitrary chunks of bus bytes into frames of the expected kinds. A frame starts at a head
 * byte (0x8A for 'open', 0x80 for the rest); 5-byte kinds are recognised by their fourth byte
 * (0x11 after 0x8A; 0x33, 0x99, 0x00/0x11 after 0x80), an all-status by 0x33 as its seventh byte.
 * On any mismatch only the head byte is dropped and the search resumes at the next byte
 * (`scanFrames`), so a real frame right behind a false start (or behind the host's own echoed
 * request) is still found.
 */
export class EightAFrameReader {
  readonly stats: EightAReaderStats = { frames: 0, badChecksum: 0, badLength: 0, unexpected: 0, noiseBytes: 0 };
  private buf: Buffer = Buffer.alloc(0);
  private kinds: ReadonlySet<EightAFrameKind> = new Set();

  constructor(options: EightAReaderOptions) {
    this.expect(options.expect);
  }

  /** Changes which kinds are accepted and drops any partial frame (a new exchange begins). */
  expect(kinds: readonly EightAFrameKind[]): void {
    this.kinds = new Set(kinds);
    this.reset();
  }

  get expecting(): EightAFrameKind[] {
    return [...this.kinds];
  }

  /** Bytes held back waiting for the rest of a frame. */
  get pending(): number {
    return this.buf.length;
  }

  push(chunk: Uint8Array): EightAFrame[] {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    const heads = this.heads();
    const { frames, rest } = scanFrames<BadReason, Found, EightAFrame>(this.buf, this.stats, {
      nextStart: (from) => nextHead(this.buf, from, heads),
      attempt: (at) => this.attempt(at),
      toFrame: (raw, found) => interpret(found.frameKind, raw),
    });
    this.buf = rest;
    return frames;
  }

  /** Drops any partial frame. */
  reset(): void {
    this.buf = Buffer.alloc(0);
  }

  private heads(): number[] {
    const h: number[] = [];
    if (this.kinds.has('open')) h.push(EIGHT_A_OPEN_HEAD);
    if ([...this.kinds].some((k) => k !== 'open')) h.push(EIGHT_A_HEAD);
    return h;
  }

  private attempt(at: number): Attempt {
    const avail = this.buf.length - at;
    const head = this.buf[at] ?? 0;
    const wants5 = head === EIGHT_A_OPEN_HEAD || this.kinds.has('query') || this.kinds.has('find-address') || this.kinds.has('lock-status');
    let bad: BadReason = 'unexpected';
    if (wants5) {
      if (avail < 4) return { kind: 'need-more' };
      const kind = kindOf5(head, this.buf[at + 3] ?? 0);
      if (kind !== undefined && this.kinds.has(kind)) {
        if (avail < EIGHT_A_FRAME_BYTES) return { kind: 'need-more' };
        if (this.buf[at + 4] === eightAXor(this.buf.subarray(at, at + 4)))
          return { kind: 'frame', frameKind: kind, length: EIGHT_A_FRAME_BYTES };
        bad = 'badChecksum';
      }
    }
    if (head !== EIGHT_A_HEAD || !this.kinds.has('all-status')) return { kind: 'bad', reason: bad };
    if (avail < EIGHT_A_ALL_STATUS_BYTES) return { kind: 'need-more' };
    if (this.buf[at + 6] !== EightACmd.query) return { kind: 'bad', reason: bad === 'badChecksum' ? bad : 'badLength' };
    if (this.buf[at + 7] !== eightAXor(this.buf.subarray(at, at + 7))) return { kind: 'bad', reason: 'badChecksum' };
    return { kind: 'frame', frameKind: 'all-status', length: EIGHT_A_ALL_STATUS_BYTES };
  }
}

/** Decodes exactly one complete frame of the given kinds; null if `bytes` is not exactly that. */
export function decodeEightAFrame(bytes: Uint8Array, expect: readonly EightAFrameKind[] = EIGHT_A_ALL_KINDS): EightAFrame | null {
  const reader = new EightAFrameReader({ expect });
  const frames = reader.push(bytes);
  const [only] = frames;
  if (frames.length !== 1 || only === undefined || reader.pending !== 0 || only.raw.length !== bytes.length) return null;
  return only;
}
