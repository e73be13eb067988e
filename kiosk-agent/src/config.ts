// The kiosk's configuration file (JSON), validated with clear errors: where the hub is, this
// device's identity, its lock-board buses and which lock opens which compartment.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { hasControlCharacter } from '@xinbao/protocol';

const busCommon = {
  id: z.string().min(1),
  path: z.string().min(1),
  replyTimeoutMs: z.number().int().positive().optional(),
  quietGapMs: z.number().int().min(0).optional(),
};

/** A bus of KR-CU16 boards (LOCKBOARD.md section A). */
const KerongBus = z.object({
  ...busCommon,
  family: z.literal('kerong'),
  baudRate: z.number().int().positive().default(19200),
  itemSensors: z.boolean().default(true),
});

/** A bus of 8A boards (LOCKBOARD.md section B): no item sensor, door switch wiring per cabinet. */
const EightABus = z.object({
  ...busCommon,
  family: z.literal('8a'),
  baudRate: z.number().int().positive().default(9600),
  openPolarity: z.enum(['open_is_set', 'open_is_clear']).default('open_is_set'),
  /** Accepted only as false: these boards cannot see an item, so the agent never claims one. */
  itemSensors: z.literal(false, { error: '8a boards have no item sensor: leave itemSensors out' }).optional(),
});

const Bus = z.discriminatedUnion('family', [KerongBus, EightABus]);
export type BusConfig = z.infer<typeof Bus>;

/** Board and lock numbers as on each family's wire (Kerong counts locks from 0, 8A from 1). */
const WIRE_RANGES = {
  kerong: { board: [0, 15], lock: [0, 15] },
  '8a': { board: [1, 64], lock: [1, 32] },
} as const satisfies Record<BusConfig['family'], { board: readonly [number, number]; lock: readonly [number, number] }>;

/** A terminal device on its own serial line (USB-serial adapter or the kiosk PC's COM port). */
const terminalDevice = (what: string) =>
  z
    .object({
      path: z.string().min(1, `${what}.path names the serial device, e.g. /dev/ttyUSB1`),
      baudRate: z.number().int().positive().default(9600),
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
    pollIntervalMs: z.number().int().min(20).default(250),
    leftOpenAfterMs: z.number().int().min(1000).default(120_000),
    openGraceMs: z.number().int().min(0).default(3_000),
    /** The touch screen returns to its start (and to Chinese) after this long without a touch. */
    screenIdleSeconds: z.number().int().min(5).max(3600).default(60),
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
          compartment: z.number().int().positive(),
          bus: z.string(),
          // Checked per bus family below.
          board: z.number().int().min(0).max(64),
          lock: z.number().int().min(0).max(32),
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
      claim(b.path, `bus "${b.id}"`, ['buses', i, 'path']);
    });
    if (c.scanner) claim(c.scanner.path, 'the scanner', ['scanner', 'path']);
    if (c.printer) claim(c.printer.path, 'the printer', ['printer', 'path']);
    const buses = new Map(c.buses.map((b) => [b.id, b]));
    const seen = new Set<number>();
    const wired = new Set<string>();
    c.compartments.forEach((m, i) => {
      const bus = buses.get(m.bus);
      if (!bus) ctx.addIssue({ code: 'custom', path: ['compartments', i, 'bus'], message: `no bus "${m.bus}" in buses` });
      else {
        for (const field of ['board', 'lock'] as const) {
          const [min, max] = WIRE_RANGES[bus.family][field];
          if (m[field] < min || m[field] > max) {
            ctx.addIssue({ code: 'custom', path: ['compartments', i, field], message: `${field} ${m[field]} is outside ${min}–${max}, the ${field} numbers of ${bus.family} bus "${bus.id}"` });
          }
        }
      }
      if (seen.has(m.compartment)) ctx.addIssue({ code: 'custom', path: ['compartments', i, 'compartment'], message: `compartment ${m.compartment} is mapped twice` });
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
  return { ...r.data, privateKeyFile: resolve(base, r.data.privateKeyFile), dataDir: resolve(base, r.data.dataDir) };
}
