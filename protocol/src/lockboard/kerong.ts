// The KR-CU16 (Kerong-style) lock-board wire format, LOCKBOARD.md section A: frame constants,
// checksum, encoders, single-frame decoding and an incremental frame reader. Pure: no I/O, no
// timers; the stream Transform and the drivers build on this.
//
// Lock numbering: the low nibble of ADDR is the lock *channel* 0–15 exactly as on the wire.
// Vendor manuals label channel 0 as "lock 1" (LOCKBOARD.md: "open lock 1 on board 0 →
// 02 00 31 03 36"). Everywhere in this codebase (code and configuration) `lock` means the wire
// channel 0–15, so board 0 lock 3 unlock is `02 03 31 03 39`. Status bit i of L1/L2 is channel i.
import { scanFrames, type FrameAttempt } from './frame-scan.js';

export const KERONG_STX = 0x02;
export const KERONG_ETX = 0x03;
/** ADDR of a frame meant for every board on the bus. */
export const KERONG_BROADCAST_ADDR = 0xf0;
export const KERONG_LOCKS_PER_BOARD = 16;
/** Boards on one bus: the high nibble of ADDR. */
export const KERONG_MAX_BOARDS = 16;

export const KerongCmd = {
  readStatus: 0x30,
  unlock: 0x31,
  readBusStatus: 0x32,
  unlockAll: 0x33,
  /** Reply to readStatus / unlock: one board's status block. */
  status: 0x35,
  /** Reply to readBusStatus: one status block per board. */
  busStatus: 0x36,
  setPulseTime: 0x37,
  delayedUnlock: 0x39,
} as const;
export type KerongCmd = (typeof KerongCmd)[keyof typeof KerongCmd];

/** Commands a host sends to boards (as opposed to the two reply commands). */
export type KerongRequestCmd = Exclude<KerongCmd, 0x35 | 0x36>;

export const KERONG_REQUEST_CMDS: readonly KerongRequestCmd[] = [0x30, 0x31, 0x32, 0x33, 0x37, 0x39];
const REQUEST_CMDS: ReadonlySet<number> = new Set(KERONG_REQUEST_CMDS);
export const isKerongRequestCmd = (cmd: number): cmd is KerongRequestCmd => REQUEST_CMDS.has(cmd);

/** Bytes of one board's status: L1 L2 I1 I2. */
export const KERONG_STATUS_BLOCK_BYTES = 4;

/**
 * Data bytes (between CMD and ETX) per command. The format has no length byte, and data bytes
 * may themselves be 0x03, so the end of a frame cannot be found by scanning for ETX: the parser
 * needs to know each command's length up front.
 * - 0x30 0x31 0x32 0x33: no data (5-byte frames), as in the vendor examples.
 * - 0x35: L1 L2 I1 I2 (9-byte frames).
 * - 0x37: one data byte, the pulse time (LOCKBOARD.md).
 * - 0x39: the vendor text names no data layout; one byte (the delay) is assumed here and can be
 *   overridden through `KerongReaderOptions.dataLengths`.
 * - 0x36 is variable (one 4-byte block per board) and handled separately: see `KerongFrameReader`.
 *
 * Replies assumed where the vendor text is silent (the simulator and the driver follow them):
 * - 0x32 (broadcast, ADDR `F0`) is answered by one 0x36 frame `02 F0 36 [L1 L2 I1 I2]… 03 SUM`:
 *   no length or count byte, one block per board present, in ascending board order, 1–16 blocks
 *   (`KERONG_MAX_BOARDS`). Its end is found by ETX/SUM alone, so a host that knows how many boards
 *   answer says so (`KerongReaderOptions.busBoards`) and the length is exact.
 * - 0x37 (pulse time, one data byte in raw vendor units) is acknowledged like an unlock: the board
 *   answers with its 0x35 status reply, ADDR echoing the request's.
 */
export const KERONG_DATA_LENGTHS: Readonly<Record<Exclude<KerongCmd, 0x36>, number>> = {
  0x30: 0,
  0x31: 0,
  0x32: 0,
  0x33: 0,
  0x35: KERONG_STATUS_BLOCK_BYTES,
  0x37: 1,
  0x39: 1,
};

/** Low byte of the sum of every byte (the SUM byte covers STX … ETX). */
export function kerongChecksum(bytes: Uint8Array, end = bytes.length): number {
  let sum = 0;
  for (let i = 0; i < end; i++) sum += bytes[i] ?? 0;
  return sum & 0xff;
}

const checkNibble = (what: string, n: number): void => {
  if (!Number.isInteger(n) || n < 0 || n > 15) throw new RangeError(`${what} must be 0–15, got ${n}`);
};

export const kerongAddr = (board: number, lock: number): number => {
  checkNibble('board', board);
  checkNibble('lock', lock);
  return (board << 4) | lock;
};

export interface KerongFrameSpec {
  board: number;
  /** Wire channel 0–15 (see the numbering note at the top of this file). */
  lock: number;
  cmd: KerongCmd;
  data?: Uint8Array;
}

export function encodeKerongFrame({ board, lock, cmd, data }: KerongFrameSpec): Buffer {
  const body = data ?? new Uint8Array(0);
  const frame = Buffer.alloc(5 + body.length);
  frame[0] = KERONG_STX;
  frame[1] = kerongAddr(board, lock);
  frame[2] = cmd;
  frame.set(body, 3);
  frame[3 + body.length] = KERONG_ETX;
  frame[4 + body.length] = kerongChecksum(frame, 4 + body.length);
  return frame;
}

export const encodeKerongUnlock = (board: number, lock: number): Buffer => encodeKerongFrame({ board, lock, cmd: KerongCmd.unlock });
export const encodeKerongReadStatus = (board: number): Buffer => encodeKerongFrame({ board, lock: 0, cmd: KerongCmd.readStatus });
/** `02 F0 32 03 27`: every board on the bus answers in one 0x36 frame (see `KERONG_DATA_LENGTHS`). */
export const encodeKerongReadBusStatus = (): Buffer => encodeKerongFrame({ board: 0xf, lock: 0, cmd: KerongCmd.readBusStatus });

/** `02 ADDR 37 T 03 SUM`, T the unlock pulse time in the board's raw units (0–255); answered by a 0x35 status reply. */
export function encodeKerongSetPulseTime(board: number, units: number): Buffer {
  if (!Number.isInteger(units) || units < 0 || units > 0xff) throw new RangeError(`pulse time must be 0–255, got ${units}`);
  return encodeKerongFrame({ board, lock: 0, cmd: KerongCmd.setPulseTime, data: Buffer.from([units]) });
}

/** The 16 latch and item bits of one board, index = lock channel. */
export interface KerongStatusBlock {
  /** Bit set on the wire = latch closed. */
  latchClosed: boolean[];
  /** Bit set on the wire = the infrared sensor sees something inside. */
  itemPresent: boolean[];
}

const bitsOf = (lo: number, hi: number): boolean[] =>
  Array.from({ length: KERONG_LOCKS_PER_BOARD }, (_, i) => ((i < 8 ? lo >> i : hi >> (i - 8)) & 1) === 1);

const bytesOf = (bits: readonly boolean[]): [number, number] => {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < KERONG_LOCKS_PER_BOARD; i++) {
    if (!bits[i]) continue;
    if (i < 8) lo |= 1 << i;
    else hi |= 1 << (i - 8);
  }
  return [lo, hi];
};

export const encodeKerongStatusBlock = (s: KerongStatusBlock): Buffer =>
  Buffer.from([...bytesOf(s.latchClosed), ...bytesOf(s.itemPresent)]);

const decodeStatusBlock = (b: Uint8Array, at: number): KerongStatusBlock => ({
  latchClosed: bitsOf(b[at] ?? 0, b[at + 1] ?? 0),
  itemPresent: bitsOf(b[at + 2] ?? 0, b[at + 3] ?? 0),
});

/** `02 ADDR 35 L1 L2 I1 I2 03 SUM`; ADDR echoes the request's (board, lock). */
export const encodeKerongStatusReply = (board: number, lock: number, s: KerongStatusBlock): Buffer =>
  encodeKerongFrame({ board, lock, cmd: KerongCmd.status, data: encodeKerongStatusBlock(s) });

/**
 * `02 F0 36 [L1 L2 I1 I2]… 03 SUM`. The vendor text only says "one such block per board"; blocks
 * are assumed to come in ascending address order of the boards present on the bus, 1–16 of them.
 */
export function encodeKerongBusStatusReply(blocks: readonly KerongStatusBlock[]): Buffer {
  if (blocks.length < 1 || blocks.length > KERONG_MAX_BOARDS)
    throw new RangeError(`a bus status carries 1–${KERONG_MAX_BOARDS} blocks, got ${blocks.length}`);
  return encodeKerongFrame({ board: 0xf, lock: 0, cmd: KerongCmd.busStatus, data: Buffer.concat(blocks.map(encodeKerongStatusBlock)) });
}

export type KerongFrame =
  | { kind: 'request'; board: number; lock: number; cmd: KerongRequestCmd; data: Buffer; raw: Buffer }
  | ({ kind: 'status'; board: number; lock: number; raw: Buffer } & KerongStatusBlock)
  | { kind: 'bus-status'; blocks: KerongStatusBlock[]; raw: Buffer };

/** Interprets a frame whose framing and checksum are already known to be right. */
function interpret(raw: Buffer): KerongFrame {
  const addr = raw[1] ?? 0;
  const cmd = raw[2] ?? 0;
  const board = addr >> 4;
  const lock = addr & 0x0f;
  const dataLen = raw.length - 5;
  if (cmd === KerongCmd.status) return { kind: 'status', board, lock, ...decodeStatusBlock(raw, 3), raw };
  if (cmd === KerongCmd.busStatus) {
    const blocks: KerongStatusBlock[] = [];
    for (let at = 3; at < 3 + dataLen; at += KERONG_STATUS_BLOCK_BYTES) blocks.push(decodeStatusBlock(raw, at));
    return { kind: 'bus-status', blocks, raw };
  }
  if (!isKerongRequestCmd(cmd)) throw new Error(`not a Kerong command: 0x${cmd.toString(16)}`);
  return { kind: 'request', board, lock, cmd, data: Buffer.from(raw.subarray(3, 3 + dataLen)), raw };
}

export interface KerongReaderOptions {
  /** Overrides of `KERONG_DATA_LENGTHS` for boards whose firmware differs. */
  dataLengths?: Partial<Record<number, number>>;
  /**
   * Boards answering a broadcast 0x32 (so a 0x36 reply has exactly this many blocks). Without
   * it the reader accepts the first ETX+SUM that fits after a whole number of blocks.
   */
  busBoards?: number;
  /**
   * Commands to accept (default: all); frames of others count as `unknownCommand`. A host lists
   * only the replies it asks for (a driver that never sends 0x32 passes `[0x35]`), so a stray
   * `02 xx 36` in line noise cannot hold back the real reply behind it (a 0x36 frame may be 69
   * bytes long), and its own request echoed by a half-duplex adapter is ignored. A board lists
   * the request commands.
   */
  commands?: readonly KerongCmd[];
}

export interface KerongReaderStats {
  /** Valid frames delivered. */
  frames: number;
  /** Frames whose ETX was in place but whose SUM was wrong. */
  badChecksum: number;
  /** Frames whose byte at the expected ETX position was not ETX. */
  badLength: number;
  /** STX followed by a byte that is no known command: that STX was noise. */
  unknownCommand: number;
  /** Bytes skipped while looking for STX: line noise and the remains of dropped frames. */
  noiseBytes: number;
}

type Attempt = FrameAttempt<'badChecksum' | 'badLength' | 'unknownCommand', { length: number }>;

/**
 * Turns arbitrary chunks of bus bytes into frames. Length rule: a frame starts at STX; the
 * command byte (third byte) fixes the frame length (5 + data bytes, `KERONG_DATA_LENGTHS`);
 * the byte before the last must be ETX and the last the checksum. On any mismatch only the STX
 * is dropped and the search resumes at the next byte (`scanFrames`), so a real frame hidden
 * right behind a false start is still found. 0x36 has one 4-byte block per board and no length byte: with
 * `busBoards` its length is fixed, otherwise candidates of 1…16 blocks are tried in order.
 */
export class KerongFrameReader {
  readonly stats: KerongReaderStats = { frames: 0, badChecksum: 0, badLength: 0, unknownCommand: 0, noiseBytes: 0 };
  private buf: Buffer = Buffer.alloc(0);
  private readonly dataLengths: Partial<Record<number, number>>;
  private readonly commands: ReadonlySet<number> | undefined;

  private readonly format = {
    nextStart: (from: number) => this.buf.indexOf(KERONG_STX, from),
    attempt: (at: number) => this.attempt(at),
    toFrame: (raw: Buffer) => interpret(raw),
  };

  constructor(private readonly options: KerongReaderOptions = {}) {
    this.dataLengths = { ...KERONG_DATA_LENGTHS, ...options.dataLengths };
    this.commands = options.commands && new Set(options.commands);
  }

  /** Bytes held back waiting for the rest of a frame. */
  get pending(): number {
    return this.buf.length;
  }

  push(chunk: Uint8Array): KerongFrame[] {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    const { frames, rest } = scanFrames(this.buf, this.stats, this.format);
    this.buf = rest;
    return frames;
  }

  /** Drops any partial frame (e.g. after the port was reopened). */
  reset(): void {
    this.buf = Buffer.alloc(0);
  }

  private attempt(at: number): Attempt {
    const avail = this.buf.length - at;
    if (avail < 3) return { kind: 'need-more' };
    const cmd = this.buf[at + 2] ?? 0;
    if (this.commands && !this.commands.has(cmd)) return { kind: 'bad', reason: 'unknownCommand' };
    if (cmd === KerongCmd.busStatus) return this.attemptBusStatus(at);
    const dataLen = this.dataLengths[cmd];
    if (dataLen === undefined) return { kind: 'bad', reason: 'unknownCommand' };
    return this.attemptLength(at, 5 + dataLen);
  }

  private attemptLength(at: number, length: number): Attempt {
    if (this.buf.length - at < length) return { kind: 'need-more' };
    if (this.buf[at + length - 2] !== KERONG_ETX) return { kind: 'bad', reason: 'badLength' };
    if (this.buf[at + length - 1] !== kerongChecksum(this.buf.subarray(at, at + length - 1))) return { kind: 'bad', reason: 'badChecksum' };
    return { kind: 'frame', length };
  }

  private attemptBusStatus(at: number): Attempt {
    if (this.options.busBoards !== undefined) return this.attemptLength(at, 5 + KERONG_STATUS_BLOCK_BYTES * this.options.busBoards);
    let sawEtx = false;
    for (let blocks = 1; blocks <= KERONG_MAX_BOARDS; blocks++) {
      const r = this.attemptLength(at, 5 + KERONG_STATUS_BLOCK_BYTES * blocks);
      if (r.kind !== 'bad') return r;
      if (r.reason === 'badChecksum') sawEtx = true;
    }
    return { kind: 'bad', reason: sawEtx ? 'badChecksum' : 'badLength' };
  }
}

/** Decodes exactly one complete frame; null if `bytes` is not exactly one valid frame. */
export function decodeKerongFrame(bytes: Uint8Array, options?: KerongReaderOptions): KerongFrame | null {
  const reader = new KerongFrameReader(options);
  const frames = reader.push(bytes);
  const [only] = frames;
  if (frames.length !== 1 || only === undefined || reader.pending !== 0 || only.raw.length !== bytes.length) return null;
  return only;
}

/** `02 03 31 03 39` style, for logs and the simulator's control API. */
export const toHex = (bytes: Uint8Array): string =>
  Buffer.from(bytes)
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ')
    .toUpperCase();
