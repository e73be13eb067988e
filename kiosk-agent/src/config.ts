// The kiosk's configuration file (JSON), validated with clear errors: where the hub is, this
// device's identity, its lock-board buses (RS485 buses of KR-CU16 or 8A boards, network lock
// controllers over HTTP), which lock opens which compartment, its scanner and receipt printer, and
// how it works when the hub is out of reach.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { MAX_COMPARTMENT_NUMBER, hasControlCharacter } from '@xinbao/protocol';

const serialCommon = {
  id: z.string().min(1),
  /** Best a stable name (/dev/serial/by-id/…): the agent opens it again by this path when the adapter comes back. */
  path: z.string().min(1),
  replyTimeoutMs: z.number().int().positive().max(60_000).optional(),
  quietGapMs: z.number().int().min(0).max(10_000).optional(),
  /** How long a status read waits for its reply; shorter than an unlock's, so that an unlock never waits long behind a poll. */
  pollTimeoutMs: z.number().int().positive().max(60_000).optional(),
  /** How long after an unlock the latch may take to show it moved (family default: KR-CU16 1500 ms, 8A 3000 ms). */
  confirmWindowMs: z.number().int().min(100).max(30_000).optional(),
  /** Waits between attempts to open a lost port again: from min, doubling, up to max. */
  reopenBackoffMs: z
    .object({ min: z.number().int().min(10).max(3_600_000), max: z.number().int().min(10).max(3_600_000) })
    .strict()
    .optional(),
};

/** A bus of KR-CU16 boards (LOCKBOARD.md section A). */
const KerongBus = z.object({
  ...serialCommon,
  family: z.literal('kerong'),
  baudRate: z.number().int().positive().max(4_000_000).default(19200),
  itemSensors: z.boolean().default(true),
});

/** A bus of 8A boards (LOCKBOARD.md section B): no item sensor, door switch wiring per cabinet. */
const EightABus = z.object({
  ...serialCommon,
  family: z.literal('8a'),
  baudRate: z.number().int().positive().max(4_000_000).default(9600),
  openPolarity: z.enum(['open_is_set', 'open_is_clear']).default('open_is_set'),
  /** Accepted only as false: these boards cannot see an item, so the agent never claims one. */
  itemSensors: z.literal(false, { error: '8a boards have no item sensor: leave itemSensors out' }).optional(),
});

/** Most locks one network controller drives in this configuration. */
export const MAX_CONTROLLER_LOCKS = 240;

/**
 * A network lock controller (docs/lock-controller-http.md): one "board", number 1, with locks
 * 1…locks. The bearer token comes from `tokenFile` (relative paths are from the config file;
 * preferred) or inline `token`, exactly one of them.
 */
const HttpBus = z
  .object({
    id: z.string().min(1),
    family: z.literal('http'),
    url: z.url({ protocol: /^https?$/, error: "url must be the controller's http:// or https:// base URL" }),
    token: z.string().min(1).optional(),
    tokenFile: z.string().min(1).optional(),
    locks: z.number().int().min(1).max(MAX_CONTROLLER_LOCKS),
    /** Whether the compartments have item sensors; false: the agent never claims an item. */
    itemSensors: z.boolean().default(false),
    replyTimeoutMs: z.number().int().positive().max(60_000).optional(),
  })
  .superRefine((b, ctx) => {
    if ((b.token === undefined) === (b.tokenFile === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['tokenFile'],
        message: "give the controller's bearer token as tokenFile (preferred) or token: exactly one of them",
      });
    }
  });

const Bus = z.discriminatedUnion('family', [KerongBus, EightABus, HttpBus]);
export type BusConfig = z.infer<typeof Bus>;
export type HttpBusConfig = Extract<BusConfig, { family: 'http' }>;

/** Board and lock numbers as each bus addresses them (Kerong counts locks from 0, 8A and HTTP controllers from 1). */
function numbering(bus: BusConfig): Record<'board' | 'lock', readonly [number, number]> {
  switch (bus.family) {
    case 'kerong':
      return { board: [0, 15], lock: [0, 15] };
    case '8a':
      return { board: [1, 64], lock: [1, 32] };
    case 'http':
      return { board: [1, 1], lock: [1, bus.locks] };
  }
}

/** A terminal device on its own serial line (USB-serial adapter or the kiosk PC's COM port). */
const terminalDevice = (what: string) =>
  z
    .object({
      path: z.string().min(1, `${what}.path names the serial device, e.g. /dev/ttyUSB1`),
      baudRate: z.number().int().positive().max(4_000_000).default(9600),
    })
    .strict();

export const KioskConfig = z
  .object({
    hubUrl: z.string().url(),
    deviceId: z.string().uuid(),
    /** PEM file of this device's Ed25519 private key (relative paths are from the config file) */
    privateKeyFile: z.string().min(1),
    dataDir: z.string().min(1),
    localHost: z.string().default('127.0.0.1'),
    localPort: z.number().int().min(0).max(65535).default(8181),
    pollIntervalMs: z.number().int().min(20).max(60_000).default(250),
    leftOpenAfterMs: z.number().int().min(1000).max(86_400_000).default(120_000),
    openGraceMs: z.number().int().min(0).max(600_000).default(3_000),
    /** A lock board is reported unreachable after this many failed exchanges in a row (once), and reachable once it answers. */
    boardUnreachableAfter: z.number().int().min(1).max(100).default(3),
    /** The touch screen returns to its start (and to Chinese) after this long without a touch. */
    screenIdleSeconds: z.number().int().min(5).max(3600).default(60),
    /** Working without the hub (ADR 0008). */
    offline: z
      .object({
        /**
         * The keypad attempt limit (ADR 0015), the same numbers as the hub's per-device limit: wrong
         * keypad codes allowed without a wait; then each next keypad attempt waits, doubling from
         * firstDelayMs up to maxDelaySeconds; the count is forgotten after failureWindowSeconds without one.
         */
        maxFailures: z.number().int().min(1).max(100).default(5),
        failureWindowSeconds: z
          .number()
          .int()
          .min(10)
          .max(30 * 86_400)
          .default(86_400),
        firstDelayMs: z.number().int().min(100).max(3_600_000).default(2_000),
        maxDelaySeconds: z.number().int().min(1).max(86_400).default(600),
        /** pull the site's codes this often, besides when the hub says they changed */
        syncIntervalSeconds: z.number().int().min(5).max(86_400).default(60),
        /**
         * Book first (ADR 0030): a code the synced book holds is judged and opened at the kiosk even
         * while the hub is there (the hub hears of its use at once); false: the hub judges whenever it answers.
         */
        bookFirst: z.boolean().default(true),
        /** PEM file of the hub's QR public key, to pin it instead of taking the one the hub sends */
        qrPublicKeyFile: z.string().min(1).optional(),
      })
      .prefault({}),
    buses: z.array(Bus).min(1),
    /** QR / barcode scanner: one code per line, into the keypad's code path. */
    scanner: terminalDevice('scanner').optional(),
    /** ESC/POS receipt printer: a receipt for every deposit compartment opened. */
    printer: terminalDevice('printer')
      .extend({
        /** How long to wait for the paper status answer before calling the printer absent. */
        statusTimeoutMs: z.number().int().min(50).max(5_000).default(500),
      })
      .strict()
      .optional(),
    /** The site's name as printed on receipts (default: 24小时自助信包箱). */
    siteName: z
      .string()
      .trim()
      .min(1, 'siteName must not be empty (leave it out for the default)')
      .max(40, 'siteName is printed on receipts: at most 40 characters')
      .refine((s) => !hasControlCharacter(s), 'siteName must not contain control characters (a printer would read them as commands)')
      .optional(),
    compartments: z
      .array(
        z.object({
          compartment: z.number().int().min(1).max(MAX_COMPARTMENT_NUMBER),
          bus: z.string(),
          // Checked per bus below.
          board: z.number().int().min(0).max(64),
          lock: z.number().int().min(0).max(MAX_CONTROLLER_LOCKS),
        }),
      )
      .min(1),
  })
  .superRefine((c, ctx) => {
    const ids = new Set<string>();
    const paths = new Map<string, string>();
    const claim = (path: string, by: string, at: Array<string | number>): void => {
      const other = paths.get(path);
      if (other) ctx.addIssue({ code: 'custom', path: at, message: `serial device ${path} is already used by ${other}` });
      else paths.set(path, by);
    };
    c.buses.forEach((b, i) => {
      if (ids.has(b.id)) ctx.addIssue({ code: 'custom', path: ['buses', i, 'id'], message: `bus id "${b.id}" is used twice` });
      ids.add(b.id);
      if (b.family !== 'http') claim(b.path, `bus "${b.id}"`, ['buses', i, 'path']);
    });
    if (c.scanner) claim(c.scanner.path, 'the scanner', ['scanner', 'path']);
    if (c.printer) claim(c.printer.path, 'the printer', ['printer', 'path']);
    const buses = new Map(c.buses.map((b) => [b.id, b]));
    const seen = new Set<number>();
    const wired = new Set<string>();
    c.compartments.forEach((m, i) => {
      const bus = buses.get(m.bus);
      if (!bus) ctx.addIssue({ code: 'custom', path: ['compartments', i, 'bus'], message: `no bus "${m.bus}" in buses` });
      // A controller without a valid lock count has its own issue; its locks cannot be checked.
      else if (bus.family !== 'http' || bus.locks >= 1) {
        for (const field of ['board', 'lock'] as const) {
          const [min, max] = numbering(bus)[field];
          if (m[field] >= min && m[field] <= max) continue;
          const message =
            bus.family === 'http' && field === 'board'
              ? `board ${m.board}: a network lock controller is board 1 (http bus "${bus.id}")`
              : `${field} ${m[field]} is outside ${min}–${max}, the ${field} numbers of ${bus.family} bus "${bus.id}"`;
          ctx.addIssue({ code: 'custom', path: ['compartments', i, field], message });
        }
      }
      if (seen.has(m.compartment))
        ctx.addIssue({ code: 'custom', path: ['compartments', i, 'compartment'], message: `compartment ${m.compartment} is mapped twice` });
      const key = `${m.bus}/${m.board}/${m.lock}`;
      if (wired.has(key)) ctx.addIssue({ code: 'custom', path: ['compartments', i], message: `lock ${key} opens two compartments` });
      seen.add(m.compartment);
      wired.add(key);
    });
  });
export type KioskConfig = z.infer<typeof KioskConfig>;

export class KioskConfigError extends Error {}

export function loadKioskConfig(file: string): KioskConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new KioskConfigError(`cannot read kiosk configuration ${file}: ${(e as Error).message}`);
  }
  const r = KioskConfig.safeParse(raw);
  if (!r.success) {
    throw new KioskConfigError(
      `invalid kiosk configuration ${file}:\n${r.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`,
    );
  }
  const base = dirname(resolve(file));
  const { qrPublicKeyFile } = r.data.offline;
  return {
    ...r.data,
    privateKeyFile: resolve(base, r.data.privateKeyFile),
    dataDir: resolve(base, r.data.dataDir),
    buses: r.data.buses.map((b) =>
      b.family === 'http' && b.tokenFile !== undefined ? { ...b, tokenFile: resolve(base, b.tokenFile) } : b,
    ),
    offline: { ...r.data.offline, ...(qrPublicKeyFile ? { qrPublicKeyFile: resolve(base, qrPublicKeyFile) } : {}) },
  };
}

/** The bearer token of a network lock controller bus, from its file or inline; never logged. */
export function controllerToken(bus: HttpBusConfig): string {
  if (bus.token !== undefined) return bus.token;
  let token: string;
  try {
    token = readFileSync(bus.tokenFile ?? '', 'utf8').trim();
  } catch (e) {
    throw new KioskConfigError(`bus "${bus.id}": cannot read tokenFile ${bus.tokenFile}: ${(e as Error).message}`);
  }
  if (token === '') throw new KioskConfigError(`bus "${bus.id}": tokenFile ${bus.tokenFile} is empty`);
  return token;
}
