// Simulated faults of a lock controller's link, armed through the control API or the program's
// --fault flag and applied by the simulator to what it receives next. Written once for every
// simulator: the serial boards of both families (board-sim.ts) and the HTTP lock controller
// (http-controller-sim.ts) arm the same way, each with its own kinds.
//
// Semantics: a fault applies to each request the device receives next, for `count` requests, or
// until cleared when `count` is left out. Several kinds may be armed at once (e.g. garbage and
// late_reply); arming a kind again replaces it. These are simulated faults and named as such.
import { z } from 'zod';
import { schemaRefusalOf } from '@xinbao/protocol';

const count = z.number().int().positive().max(1_000_000).optional();
const delayMs = z.number().int().min(1).max(600_000);
const hexBytes = z.string().regex(/^\s*[0-9a-fA-F]{2}(\s*[0-9a-fA-F]{2})*\s*$/, 'hex bytes, e.g. "FF 02 00"');
const fromHex = (hex: string): Buffer => Buffer.from(hex.replace(/\s+/g, ''), 'hex');

/**
 * Line noise for `garbage`: a false Kerong start (`02 00 35` …, whose ETX slot holds 0x7E) and a
 * false 8A reply (`80 01 03 00 7E`, wrong XOR; not an all-status either: byte 7 is not 0x33),
 * each with the whole of its would-be frame inside the noise, so no reader can take noise and
 * reply bytes together for a frame; and a false 8A open reply (`8A 01 01 00 55`, wrong XOR) after
 * them. Checked in faults.test.ts against both readers.
 */
export const LINE_NOISE = Buffer.from([
  0xff, 0x02, 0x00, 0x35, 0x80, 0x01, 0x03, 0x00, 0x7e, 0x8a, 0x01, 0x01, 0x00, 0x55, 0x00, 0xaa, 0xff,
]);

/** Faults of an RS485 board's reply (both families). */
export const WireFault = z.discriminatedUnion('kind', [
  /** The board is silent: it hears the frame but neither acts on it nor answers. */
  z.object({ kind: z.literal('no_reply'), count }).strict(),
  /** The board acts at once but its reply leaves `delayMs` later. */
  z.object({ kind: z.literal('late_reply'), count, delayMs }).strict(),
  /** Noise on the line before, inside (splitting the reply, which is then lost) or after the reply. */
  z
    .object({
      kind: z.literal('garbage'),
      count,
      where: z.enum(['before', 'inside', 'after']).default('before'),
      bytes: hexBytes.optional(),
    })
    .strict(),
  /** The board acts, but its reply's check byte (KR-CU16 SUM, 8A XOR: the last byte in both) is wrong. */
  z.object({ kind: z.literal('bad_checksum'), count }).strict(),
  /**
   * The board acts, but its reply is lost on the line, at random: each reply with probability
   * `ratio`, drawn from a generator seeded with `seed` (the same seed loses the same replies).
   */
  z
    .object({
      kind: z.literal('lost_reply'),
      count,
      ratio: z.number().min(0).max(1).default(1),
      seed: z.number().int().min(0).default(1),
    })
    .strict(),
  /** The person at the locker (not the wire): shuts each door an unlock opened `afterMs` later, and takes or puts an item meanwhile. */
  z
    .object({
      kind: z.literal('quick_close'),
      count,
      afterMs: z.number().int().min(1).max(60_000).default(300),
      item: z.enum(['take', 'put', 'none']).default('none'),
    })
    .strict(),
]);
export type WireFault = z.infer<typeof WireFault>;

/** Faults of an HTTP lock controller's answer. */
export const HttpFault = z.discriminatedUnion('kind', [
  /** The controller hangs: it takes the request, never acts and never answers. */
  z.object({ kind: z.literal('no_reply'), count }).strict(),
  /** The controller acts at once but its answer leaves `delayMs` later. */
  z.object({ kind: z.literal('late_reply'), count, delayMs }).strict(),
  /** The controller acts, then answers with a 5xx JSON error (as when it fails after driving the lock). */
  z.object({ kind: z.literal('server_error'), count, status: z.number().int().min(500).max(599).default(500) }).strict(),
  /** The controller acts, then answers 200 with a body that is not JSON. */
  z.object({ kind: z.literal('malformed_json'), count }).strict(),
]);
export type HttpFault = z.infer<typeof HttpFault>;

export class FaultSpecError extends Error {
  /** `unknown_field` when the spec names a field its kind does not take (ADR 0020), else `bad_request` */
  constructor(
    message: string,
    readonly code: 'bad_request' | 'unknown_field' = 'bad_request',
  ) {
    super(message);
  }
}

type AnyFault = { kind: string; count?: number | undefined };

/** What GET /faults shows of one armed fault. */
export type ArmedFault<S extends AnyFault> = Omit<S, 'count'> & { remaining: number | null };

/** Armed faults of one simulated device, counted down as requests arrive. */
export class FaultSwitchboard<S extends AnyFault> {
  private readonly armed = new Map<string, { spec: S; remaining: number | null }>();

  constructor(readonly schema: z.ZodType<S, unknown>) {}

  /** Validates a fault as sent to the control API or the CLI; throws FaultSpecError with the reasons. */
  parse(raw: unknown): S {
    const r = this.schema.safeParse(raw);
    if (!r.success) {
      const refusal = schemaRefusalOf(r.error.issues, 'fault');
      if (refusal.code === 'unknown_field') throw new FaultSpecError(refusal.message, 'unknown_field');
      throw new FaultSpecError(r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
    }
    return r.data;
  }

  arm(spec: S): void {
    this.armed.set(spec.kind, { spec, remaining: spec.count ?? null });
  }

  clear(): void {
    this.armed.clear();
  }

  list(): ArmedFault<S>[] {
    return [...this.armed.values()].map(({ spec, remaining }): ArmedFault<S> => {
      const { count: _count, ...rest } = spec;
      return { ...rest, remaining };
    });
  }

  /** The faults that apply to the request just received; each one's count goes down by one. */
  take(): S[] {
    const now: S[] = [];
    for (const [kind, a] of this.armed) {
      now.push(a.spec);
      if (a.remaining === null) continue;
      a.remaining--;
      if (a.remaining === 0) this.armed.delete(kind);
    }
    return now;
  }
}

export const findFault = <S extends AnyFault, K extends S['kind']>(faults: readonly S[], kind: K): Extract<S, { kind: K }> | undefined =>
  faults.find((f): f is Extract<S, { kind: K }> => f.kind === kind);

/**
 * What leaves the board for one reply under the faults that apply to it (no_reply is handled
 * before the board acts, so it is not seen here): the bytes and how long after the request.
 */
export function shapeReply(reply: Buffer, faults: readonly WireFault[], replyDelayMs: number): { bytes: Buffer; delayMs: number } {
  let bytes = Buffer.from(reply);
  if (findFault(faults, 'bad_checksum')) bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
  const garbage = findFault(faults, 'garbage');
  if (garbage) {
    const noise = garbage.bytes === undefined ? LINE_NOISE : fromHex(garbage.bytes);
    const cut = Math.floor(bytes.length / 2);
    bytes =
      garbage.where === 'before'
        ? Buffer.concat([noise, bytes])
        : garbage.where === 'after'
          ? Buffer.concat([bytes, noise])
          : Buffer.concat([bytes.subarray(0, cut), noise, bytes.subarray(cut)]);
  }
  return { bytes, delayMs: replyDelayMs + (findFault(faults, 'late_reply')?.delayMs ?? 0) };
}

/**
 * The program's `--fault` flag: `KIND[:key=value,...]`, e.g. `no_reply`, `late_reply:delayMs=1500,count=2`,
 * `garbage:where=inside`, `server_error:status=503`. Numbers are numbers; the rest are strings.
 */
export function parseFaultFlag<S extends AnyFault>(board: FaultSwitchboard<S>, flag: string): S {
  const [kind, params = ''] = flag.split(/:(.*)/s, 2);
  const raw: Record<string, unknown> = { kind };
  for (const pair of params.split(',').filter((p) => p.trim() !== '')) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new FaultSpecError(`"${pair}" is not key=value`);
    const key = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    raw[key] = /^-?\d+$/.test(value) ? Number(value) : value;
  }
  return board.parse(raw);
}

/** mulberry32: a small seeded generator, so that "random" lost replies are the same on every run with one seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
