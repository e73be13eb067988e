// The frame fuzz (issue 10): random and mutated byte streams, cut into random chunks, through the
// two lock-board frame readers (KR-CU16 and 8A, with the settings the kiosk agent, the simulated
// boards and a bus sniffer use) and through the ESC/POS decoder of the simulated printer.
//
// What must hold, stream after stream:
// - nothing throws;
// - every frame a reader delivers is checked again here without the codec (start byte, length for
//   its command, ETX, SUM or XOR recomputed, decoded fields against the bytes) and must lie in the
//   stream where the reader read it; the reader's counters must add up to the stream's length;
// - every valid frame placed in the stream is delivered, at its place, unless a frame that the
//   noise formed by chance (right start byte, command, ETX and checksum) overlaps it. Those are
//   counted as `shadowed`: with no length byte and a one-byte check, the formats cannot tell such a
//   frame from a real one, so it is their limit, not a reader's fault; `missed` is a fault;
// - the ESC/POS decoder gives the same receipts, status queries and counters whatever the
//   chunking, holds back a bounded number of bytes, and reads clean receipts exactly as encoded.
//
// Each stream ends with a quiet line (zero bytes as long as the longest frame) so a reader is never
// left waiting on a false start at the very end: on a bus the driver's reply timeout does that.
import {
  EIGHT_A_ALL_KINDS,
  EIGHT_A_REQUEST_KINDS,
  EightAFrameReader,
  EscPosDecoder,
  EscPosEncoder,
  KERONG_REQUEST_CMDS,
  KerongFrameReader,
  encodeEightAAddressReply,
  encodeEightAAllStatus,
  encodeEightAFindAddress,
  encodeEightALockStatus,
  encodeEightAOpen,
  encodeEightAQuery,
  encodeEightAQueryAll,
  encodeKerongBusStatusReply,
  encodeKerongFrame,
  encodeKerongStatusReply,
  encodeStatusQuery,
  type Align,
  type EightAFrame,
  type EightAFrameKind,
  type EscPosOutput,
  type KerongCmd,
  type KerongFrame,
  type KerongReaderOptions,
  type KerongStatusBlock,
  type QrErrorCorrection,
  type RealtimeStatusFn,
  type ReceiptItem,
} from '@xinbao/protocol';
import { Prng } from '../prng.js';
import { FailureLog, type FuzzResult, type FuzzTarget } from '../target.js';

/** Bytes that start, end or steer frames of the three formats: noise is thick with them. */
const HOT = [
  0x02, 0x03, 0x30, 0x31, 0x32, 0x33, 0x35, 0x36, 0x37, 0x39, 0xf0, 0x80, 0x8a, 0x00, 0x11, 0x99, 0x1b, 0x1c, 0x1d, 0x10, 0x04, 0x0a, 0x28,
  0x6b, 0x56, 0xff,
];
const QUIET = Buffer.alloc(5 + 16 * 4);

// ---------------------------------------------------------------------------------------------
// Checks written apart from the codec (LOCKBOARD.md read again), so a codec bug cannot hide itself.

const sum8 = (b: Uint8Array, end: number): number => {
  let s = 0;
  for (let i = 0; i < end; i++) s += b[i] ?? 0;
  return s & 0xff;
};
const xor8 = (b: Uint8Array, end: number): number => {
  let x = 0;
  for (let i = 0; i < end; i++) x ^= b[i] ?? 0;
  return x;
};
const bit = (byte: number | undefined, i: number): boolean => (((byte ?? 0) >> i) & 1) === 1;
const sixteen = (lo: number | undefined, hi: number | undefined): boolean[] =>
  Array.from({ length: 16 }, (_, i) => (i < 8 ? bit(lo, i) : bit(hi, i - 8)));
const sameBits = (a: readonly boolean[], b: readonly boolean[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

const KERONG_DATA_BYTES: Readonly<Record<number, number>> = { 0x30: 0, 0x31: 0, 0x32: 0, 0x33: 0, 0x35: 4, 0x37: 1, 0x39: 1 };

/** Why a delivered KR-CU16 frame is wrong, or null when it is a valid frame the reader was set to accept. */
function kerongFault(f: KerongFrame, accepts: ReadonlySet<number>, busBlocks: number | undefined): string | null {
  const r = f.raw;
  const n = r.length;
  if (r[0] !== 0x02) return 'no STX';
  if (r[n - 2] !== 0x03) return 'no ETX';
  if (r[n - 1] !== sum8(r, n - 1)) return 'bad SUM';
  const cmd = r[2] ?? -1;
  if (!accepts.has(cmd)) return `command 0x${cmd.toString(16)} not accepted`;
  const addr = r[1] ?? 0;
  if (cmd === 0x36) {
    const blocks = (n - 5) / 4;
    if (!Number.isInteger(blocks) || blocks < 1 || blocks > 16 || (busBlocks !== undefined && blocks !== busBlocks))
      return `bus status of length ${n}`;
    if (f.kind !== 'bus-status' || f.blocks.length !== blocks) return 'bus status misread';
    const ok = f.blocks.every(
      (b, k) =>
        sameBits(b.latchClosed, sixteen(r[3 + 4 * k], r[4 + 4 * k])) && sameBits(b.itemPresent, sixteen(r[5 + 4 * k], r[6 + 4 * k])),
    );
    return ok ? null : 'bus status bits misread';
  }
  if (n !== 5 + (KERONG_DATA_BYTES[cmd] ?? -99)) return `length ${n} for command 0x${cmd.toString(16)}`;
  if (cmd === 0x35) {
    if (f.kind !== 'status' || f.board !== addr >> 4 || f.lock !== (addr & 0x0f)) return 'status misread';
    return sameBits(f.latchClosed, sixteen(r[3], r[4])) && sameBits(f.itemPresent, sixteen(r[5], r[6])) ? null : 'status bits misread';
  }
  if (f.kind !== 'request' || f.cmd !== cmd || f.board !== addr >> 4 || f.lock !== (addr & 0x0f) || !f.data.equals(r.subarray(3, n - 2)))
    return 'request misread';
  return null;
}

/** Why a delivered 8A frame is wrong, or null. */
function eightAFault(f: EightAFrame, expect: ReadonlySet<EightAFrameKind>): string | null {
  const r = f.raw;
  const n = r.length;
  if (n !== 5 && n !== 8) return `length ${n}`;
  if (r[n - 1] !== xor8(r, n - 1)) return 'bad XOR';
  const head = r[0];
  let kind: EightAFrameKind | undefined;
  if (n === 8) kind = head === 0x80 && r[6] === 0x33 ? 'all-status' : undefined;
  else if (head === 0x8a) kind = r[3] === 0x11 ? 'open' : undefined;
  else if (head === 0x80)
    kind = r[3] === 0x33 ? 'query' : r[3] === 0x99 ? 'find-address' : r[3] === 0x00 || r[3] === 0x11 ? 'lock-status' : undefined;
  if (kind === undefined || kind !== f.kind) return `read as ${f.kind}, bytes say ${kind ?? 'nothing'}`;
  if (!expect.has(kind)) return `${kind} not expected`;
  if (f.board !== r[1]) return 'board misread';
  switch (f.kind) {
    case 'open':
    case 'query':
      return f.lock === r[2] ? null : 'lock misread';
    case 'lock-status':
      return f.lock === r[2] && f.set === (r[3] === 0x11) ? null : 'lock status misread';
    case 'find-address':
      return null;
    case 'all-status': {
      const d = [r[5], r[4], r[3], r[2]]; // D1 D2 D3 D4
      return sameBits(
        f.bits,
        Array.from({ length: 32 }, (_, i) => bit(d[i >> 3], i & 7)),
      )
        ? null
        : 'door bits misread';
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Streams: noise, valid frames (tracked: the reader must deliver them), and broken ones.

interface Placed {
  at: number;
  bytes: Buffer;
}

interface Stream {
  bytes: Buffer;
  /** Valid frames of a kind the reader accepts, where they were put. */
  tracked: Placed[];
}

/**
 * Builds a stream: pure random bytes, or segments of noise, valid frames (some of kinds the reader
 * must skip, some twice in a row), frames with flipped bytes, cut short or with a wrong check byte.
 */
function buildStream(rng: Prng, validFrame: () => { bytes: Buffer; tracked: boolean }, brokenCheck: (f: Buffer) => Buffer): Stream {
  const parts: Buffer[] = [];
  const tracked: Placed[] = [];
  let at = 0;
  const put = (bytes: Buffer, track: boolean): void => {
    if (track) tracked.push({ at, bytes });
    parts.push(bytes);
    at += bytes.length;
  };
  const style = rng.next();
  if (style < 0.1) put(rng.bytes(rng.int(0, 512)), false);
  else if (style < 0.2) put(rng.bytes(rng.int(0, 512), HOT, 0.7), false);
  else {
    const segments = rng.int(1, 12);
    for (let s = 0; s < segments; s++) {
      const what = rng.next();
      if (what < 0.3) put(rng.bytes(rng.int(0, 24), HOT, 0.6), false);
      else if (what < 0.6) {
        const f = validFrame();
        put(f.bytes, f.tracked);
      } else if (what < 0.7) {
        const f = validFrame();
        put(f.bytes, f.tracked);
        put(Buffer.from(f.bytes), f.tracked);
      } else if (what < 0.8) {
        const f = Buffer.from(validFrame().bytes);
        for (let k = rng.int(1, 3); k > 0; k--) {
          const i = rng.int(0, f.length - 1);
          f[i] = (f[i] ?? 0) ^ rng.int(1, 255);
        }
        put(f, false);
      } else if (what < 0.9) {
        const f = validFrame().bytes;
        put(Buffer.from(f.subarray(0, rng.int(1, f.length - 1))), false);
      } else put(brokenCheck(validFrame().bytes), false);
    }
  }
  put(QUIET, false);
  return { bytes: Buffer.concat(parts), tracked };
}

/** The last byte (SUM or XOR) off by a random non-zero amount. */
const wrongLastByte =
  (rng: Prng) =>
  (f: Buffer): Buffer => {
    const b = Buffer.from(f);
    b[b.length - 1] = ((b.at(-1) ?? 0) + rng.int(1, 255)) & 0xff;
    return b;
  };

// ---------------------------------------------------------------------------------------------
// Lock boards: one reader per stream, in one of the settings the code base uses.

interface Tally {
  streams: number;
  bytes: number;
  chunks: number;
  placed: number;
  accepted: number;
  found: number;
  chance: number;
  shadowed: number;
  missed: number;
  dropped: number;
  throws: number;
  badAccepted: number;
  misplaced: number;
  miscounted: number;
}
const tally = (): Tally => ({
  streams: 0,
  bytes: 0,
  chunks: 0,
  placed: 0,
  accepted: 0,
  found: 0,
  chance: 0,
  shadowed: 0,
  missed: 0,
  dropped: 0,
  throws: 0,
  badAccepted: 0,
  misplaced: 0,
  miscounted: 0,
});

interface LockBoardCase<F extends { raw: Buffer }> {
  label: string;
  stream: Stream;
  push(chunk: Buffer): F[];
  pending(): number;
  /** Bytes the reader says it dropped: noise plus one per false start. */
  droppedByStats(): number;
  fault(f: F): string | null;
}

const hexOf = (b: Buffer): string => (b.length > 96 ? `${b.subarray(0, 96).toString('hex')}…(${b.length} bytes)` : b.toString('hex'));

function checkLockBoardCase<F extends { raw: Buffer }>(
  c: LockBoardCase<F>,
  chunks: Buffer[],
  t: Tally,
  failures: FailureLog,
  where: string,
): void {
  const { bytes, tracked } = c.stream;
  t.streams++;
  t.bytes += bytes.length;
  t.chunks += chunks.length;
  t.placed += tracked.length;
  const frames: F[] = [];
  try {
    for (const chunk of chunks) frames.push(...c.push(chunk));
  } catch (e) {
    t.throws++;
    failures.add(`${where} ${c.label}: threw ${String(e)} on ${hexOf(bytes)}`);
    return;
  }
  t.accepted += frames.length;
  const spans: Placed[] = [];
  let from = 0;
  let acceptedBytes = 0;
  for (const f of frames) {
    acceptedBytes += f.raw.length;
    const fault = c.fault(f);
    if (fault !== null) {
      t.badAccepted++;
      failures.add(`${where} ${c.label}: accepted ${f.raw.toString('hex')} (${fault}) from ${hexOf(bytes)}`);
    }
    const at = bytes.indexOf(f.raw, from);
    if (at < 0) {
      t.misplaced++;
      failures.add(
        `${where} ${c.label}: delivered ${f.raw.toString('hex')}, which is not in the stream after byte ${from}: ${hexOf(bytes)}`,
      );
      continue;
    }
    spans.push({ at, bytes: f.raw });
    from = at + f.raw.length;
  }
  const dropped = bytes.length - acceptedBytes - c.pending();
  t.dropped += dropped;
  if (dropped !== c.droppedByStats()) {
    t.miscounted++;
    failures.add(`${where} ${c.label}: counters say ${c.droppedByStats()} bytes dropped, the stream says ${dropped}: ${hexOf(bytes)}`);
  }
  let found = 0;
  for (const p of tracked) {
    if (spans.some((s) => s.at === p.at && s.bytes.equals(p.bytes))) found++;
    else if (spans.some((s) => s.at < p.at + p.bytes.length && p.at < s.at + s.bytes.length)) t.shadowed++;
    else {
      t.missed++;
      failures.add(`${where} ${c.label}: missed ${p.bytes.toString('hex')} at byte ${p.at} of ${hexOf(bytes)}`);
    }
  }
  t.found += found;
  t.chance += frames.length - found;
}

/** Status bytes thick with STX/ETX values, so data bytes look like frame bytes. */
const statusBits = (rng: Prng): boolean[] => {
  const [lo, hi] = [rng.chance(0.5) ? rng.pick(HOT) : rng.byte(), rng.chance(0.5) ? rng.pick(HOT) : rng.byte()];
  return sixteen(lo, hi);
};
const statusBlock = (rng: Prng): KerongStatusBlock => ({ latchClosed: statusBits(rng), itemPresent: statusBits(rng) });

function kerongFrame(rng: Prng, cmd: KerongCmd, busBlocks: number | undefined): Buffer {
  const board = rng.int(0, 15);
  const lock = rng.int(0, 15);
  switch (cmd) {
    case 0x35:
      return encodeKerongStatusReply(board, lock, statusBlock(rng));
    case 0x36:
      return encodeKerongBusStatusReply(Array.from({ length: busBlocks ?? rng.int(1, 16) }, () => statusBlock(rng)));
    case 0x37:
    case 0x39:
      return encodeKerongFrame({ board, lock, cmd, data: Buffer.from([rng.chance(0.3) ? rng.pick(HOT) : rng.byte()]) });
    case 0x30:
    case 0x31:
    case 0x32:
    case 0x33:
      return encodeKerongFrame({ board, lock, cmd });
  }
}

const KERONG_ALL: readonly KerongCmd[] = [0x30, 0x31, 0x32, 0x33, 0x35, 0x36, 0x37, 0x39];

function kerongCase(rng: Prng): LockBoardCase<KerongFrame> {
  const setting = rng.int(0, 4);
  const busBlocks = setting === 2 ? rng.int(1, 16) : undefined;
  const [label, options, accepts]: [string, KerongReaderOptions, readonly KerongCmd[]] =
    setting === 0
      ? ['kerong agent (0x35)', { commands: [0x35] }, [0x35]]
      : setting === 1
        ? ['kerong bus read (0x36)', { commands: [0x36] }, [0x36]]
        : setting === 2
          ? [`kerong bus read (0x36, ${busBlocks} boards)`, { commands: [0x36], busBoards: busBlocks }, [0x36]]
          : setting === 3
            ? ['kerong board (requests)', { commands: KERONG_REQUEST_CMDS }, KERONG_REQUEST_CMDS]
            : ['kerong sniffer (all)', {}, KERONG_ALL];
  const accepted: ReadonlySet<number> = new Set(accepts);
  const validFrame = () => {
    // Mostly what the reader waits for, sometimes another command (an echoed request, another board's traffic).
    const cmd = rng.chance(0.75) ? rng.pick(accepts) : rng.pick(KERONG_ALL);
    const blocks = cmd === 0x36 && busBlocks !== undefined && rng.chance(0.8) ? busBlocks : undefined;
    const bytes = kerongFrame(rng, cmd, blocks);
    return { bytes, tracked: accepted.has(cmd) && (cmd !== 0x36 || busBlocks === undefined || bytes.length === 5 + 4 * busBlocks) };
  };
  const stream = buildStream(rng, validFrame, wrongLastByte(rng));
  const reader = new KerongFrameReader(options);
  return {
    label,
    stream,
    push: (chunk) => reader.push(chunk),
    pending: () => reader.pending,
    droppedByStats: () => reader.stats.noiseBytes + reader.stats.badChecksum + reader.stats.badLength + reader.stats.unknownCommand,
    fault: (f) => kerongFault(f, accepted, busBlocks),
  };
}

function eightAFrame(rng: Prng, kind: EightAFrameKind): Buffer {
  const board = rng.int(1, 64);
  const lock = rng.int(1, 32);
  switch (kind) {
    case 'open':
      return encodeEightAOpen(board, lock);
    case 'query':
      return rng.chance(0.5) ? encodeEightAQuery(board, lock) : encodeEightAQueryAll(board);
    case 'find-address':
      return rng.chance(0.3) ? encodeEightAFindAddress() : encodeEightAAddressReply(board);
    case 'lock-status':
      return encodeEightALockStatus(board, lock, rng.chance(0.5));
    case 'all-status':
      return encodeEightAAllStatus(board, [...statusBits(rng), ...statusBits(rng)]);
  }
}

function eightACase(rng: Prng): LockBoardCase<EightAFrame> {
  const settings: Array<[string, readonly EightAFrameKind[]]> = [
    ['8A agent (lock-status)', ['lock-status']],
    ['8A agent (all-status)', ['all-status']],
    ['8A find address', ['find-address']],
    ['8A board (requests)', EIGHT_A_REQUEST_KINDS],
    ['8A sniffer (all)', EIGHT_A_ALL_KINDS],
  ];
  const [label, expect] = rng.pick(settings);
  const expected: ReadonlySet<EightAFrameKind> = new Set(expect);
  const validFrame = () => {
    const kind = rng.chance(0.75) ? rng.pick(expect) : rng.pick(EIGHT_A_ALL_KINDS);
    return { bytes: eightAFrame(rng, kind), tracked: expected.has(kind) };
  };
  const stream = buildStream(rng, validFrame, wrongLastByte(rng));
  const reader = new EightAFrameReader({ expect });
  return {
    label,
    stream,
    push: (chunk) => reader.push(chunk),
    pending: () => reader.pending,
    droppedByStats: () => reader.stats.noiseBytes + reader.stats.badChecksum + reader.stats.badLength + reader.stats.unexpected,
    fault: (f) => eightAFault(f, expected),
  };
}

// ---------------------------------------------------------------------------------------------
// ESC/POS: clean receipts must come out as encoded; anything must decode the same in any chunking.

interface EscPosTally {
  streams: number;
  bytes: number;
  chunks: number;
  receipts: number;
  statusQueries: number;
  cleanReceipts: number;
  throws: number;
  misread: number;
  chunkingDiffers: number;
  pendingOverflow: number;
}

/** GS ( k carries up to 65535 parameter bytes: the most a decoder may hold back. */
const ESCPOS_MAX_PENDING = 5 + 0xffff;

const TEXTS = ['单号', '站点：港务区', '请在24小时内取件', 'XB104829375161', '', '  ', '证件 № 7', '取件码 483920'];
const ALIGNS: readonly Align[] = ['left', 'center', 'right'];
const ECS: readonly QrErrorCorrection[] = ['L', 'M', 'Q', 'H'];

/** A receipt from the encoder the kiosk prints with, and what a printer must make of it. */
function cleanReceipt(rng: Prng): { bytes: Buffer; outputs: EscPosOutput[] } {
  const parts: Buffer[] = [new EscPosEncoder().init().bytes()];
  const add = (build: (e: EscPosEncoder) => EscPosEncoder): void => void parts.push(build(new EscPosEncoder()).bytes());
  const style = { align: 'left' as Align, bold: false, width: 1, height: 1 };
  const items: ReceiptItem[] = [];
  const outputs: EscPosOutput[] = [];
  for (let n = rng.int(1, 12); n > 0; n--) {
    const what = rng.int(0, 6);
    if (what === 0) add((e) => e.align((style.align = rng.pick(ALIGNS))));
    else if (what === 1) add((e) => e.bold((style.bold = rng.chance(0.5))));
    else if (what === 2) add((e) => e.size((style.width = rng.int(1, 8)), (style.height = rng.int(1, 8))));
    else if (what === 3) {
      const data = `XB${rng.int(0, 1e9)}${rng.chance(0.3) ? '·信包' : ''}`;
      const moduleSize = rng.int(1, 16);
      const errorCorrection = rng.pick(ECS);
      add((e) => e.qr(data, { moduleSize, errorCorrection }));
      items.push({ kind: 'qr', data, align: style.align, moduleSize, errorCorrection });
    } else if (what === 4) {
      const lines = rng.int(0, 255);
      add((e) => e.feed(lines));
      items.push({ kind: 'feed', lines });
    } else if (what === 5) {
      // A real-time status query between two commands: answered at once, not printed.
      const fn = rng.int(1, 4) as RealtimeStatusFn;
      parts.push(encodeStatusQuery(fn));
      outputs.push({ kind: 'status_query', fn });
    } else {
      const text = rng.pick(TEXTS);
      add((e) => e.line(text));
      items.push({ kind: 'text', text, ...style });
    }
  }
  const cut = rng.chance(0.5) ? 'full' : 'partial';
  add((e) => e.cut(cut, rng.int(0, 255)));
  outputs.push({ kind: 'receipt', receipt: { items, cut } });
  return { bytes: Buffer.concat(parts), outputs };
}

/** Everything a decoder makes of `chunks`, the stream's end included. */
function decodeAll(chunks: readonly Buffer[]): { outputs: EscPosOutput[]; state: string; maxPending: number } {
  const d = new EscPosDecoder();
  const outputs: EscPosOutput[] = [];
  let maxPending = 0;
  for (const c of chunks) {
    outputs.push(...d.push(c));
    maxPending = Math.max(maxPending, d.pendingBytes);
  }
  const last = d.flush();
  if (last) outputs.push({ kind: 'receipt', receipt: last });
  return { outputs, state: JSON.stringify(d.stats), maxPending };
}

function escPosCase(rng: Prng, t: EscPosTally, failures: FailureLog, where: string): void {
  const clean = rng.chance(0.3);
  const receipts = Array.from({ length: rng.int(1, 3) }, () => cleanReceipt(rng));
  let bytes: Buffer;
  if (clean) bytes = Buffer.concat(receipts.map((r) => r.bytes));
  else {
    const parts: Buffer[] = [];
    for (const r of receipts) {
      if (rng.chance(0.5)) parts.push(rng.bytes(rng.int(0, 64), HOT, 0.6));
      const b = Buffer.from(r.bytes);
      const mutate = rng.int(0, 3);
      if (mutate === 1) for (let k = rng.int(1, 4); k > 0; k--) b[rng.int(0, b.length - 1)] = rng.chance(0.5) ? rng.pick(HOT) : rng.byte();
      parts.push(mutate === 2 ? b.subarray(0, rng.int(0, b.length)) : b);
    }
    if (rng.chance(0.2)) parts.push(rng.bytes(rng.int(0, 600), HOT, rng.chance(0.5) ? 0.6 : 0));
    // A NUL-terminated barcode near the decoder's length limit: where its end lies must not depend on the chunking.
    if (rng.chance(0.05))
      parts.splice(
        rng.int(0, parts.length),
        0,
        Buffer.concat([Buffer.from([0x1d, 0x6b, rng.int(0, 6)]), Buffer.alloc(rng.int(240, 270), 0x41), Buffer.from([0x00])]),
      );
    bytes = Buffer.concat(parts);
  }
  const chunks = rng.chunks(bytes);
  t.streams++;
  t.bytes += bytes.length;
  t.chunks += chunks.length;
  let chunked: ReturnType<typeof decodeAll>;
  let whole: ReturnType<typeof decodeAll>;
  try {
    chunked = decodeAll(chunks);
    whole = decodeAll([bytes]);
  } catch (e) {
    t.throws++;
    failures.add(`${where} escpos: threw ${String(e)} on ${hexOf(bytes)}`);
    return;
  }
  for (const o of chunked.outputs) {
    if (o.kind === 'receipt') t.receipts++;
    else t.statusQueries++;
  }
  if (chunked.maxPending > ESCPOS_MAX_PENDING) {
    t.pendingOverflow++;
    failures.add(`${where} escpos: held back ${chunked.maxPending} bytes of ${hexOf(bytes)}`);
  }
  if (JSON.stringify(chunked.outputs) !== JSON.stringify(whole.outputs) || chunked.state !== whole.state) {
    t.chunkingDiffers++;
    const sizes = chunks.map((c) => c.length);
    failures.add(
      `${where} escpos: chunks of [${sizes.slice(0, 24).join(',')}${sizes.length > 24 ? ',…' : ''}] bytes decode otherwise than the whole of ${hexOf(bytes)}`,
    );
  }
  if (clean) {
    t.cleanReceipts += receipts.length;
    const expected = receipts.flatMap((r) => r.outputs);
    if (JSON.stringify(chunked.outputs) !== JSON.stringify(expected)) {
      t.misread++;
      failures.add(`${where} escpos: clean receipts misread: ${hexOf(bytes)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------

export function runFrames(cases: number, seed: number): FuzzResult {
  const failures = new FailureLog();
  const kerong = tally();
  const eightA = tally();
  const escpos: EscPosTally = {
    streams: 0,
    bytes: 0,
    chunks: 0,
    receipts: 0,
    statusQueries: 0,
    cleanReceipts: 0,
    throws: 0,
    misread: 0,
    chunkingDiffers: 0,
    pendingOverflow: 0,
  };
  for (let i = 0; i < cases; i++) {
    const rng = Prng.forCase(seed, i);
    const where = `seed ${seed} case ${i}:`;
    const family = i % 3;
    if (family === 0) {
      const c = kerongCase(rng);
      checkLockBoardCase(c, rng.chunks(c.stream.bytes), kerong, failures, where);
    } else if (family === 1) {
      const c = eightACase(rng);
      checkLockBoardCase(c, rng.chunks(c.stream.bytes), eightA, failures, where);
    } else escPosCase(rng, escpos, failures, where);
  }
  const prefixed = (p: string, o: object): Record<string, number> =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [`${p}.${k}`, v as number]));
  const counts = {
    streams: kerong.streams + eightA.streams + escpos.streams,
    bytes: kerong.bytes + eightA.bytes + escpos.bytes,
    framesAccepted: kerong.accepted + eightA.accepted,
    droppedBytes: kerong.dropped + eightA.dropped,
    throws: kerong.throws + eightA.throws + escpos.throws,
    badAccepted: kerong.badAccepted + eightA.badAccepted,
    missed: kerong.missed + eightA.missed,
    failures: failures.count,
    ...prefixed('kerong', kerong),
    ...prefixed('eightA', eightA),
    ...prefixed('escpos', escpos),
  };
  return { counts, failures: failures.messages };
}

const frames: FuzzTarget = {
  name: 'frames',
  description: 'random and mutated byte streams through the KR-CU16 and 8A frame readers and the ESC/POS decoder',
  defaultCases: 1_000_000,
  run: runFrames,
};
export default frames;
