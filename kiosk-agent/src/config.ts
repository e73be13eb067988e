// The kiosk's configuration file (JSON), validated with clear errors: where the hub is, this
// device's identity, its lock-board buses, which lock opens which compartment, and how it works
// when the hub is out of reach.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';

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
    /** Working without the hub (ADR 0005). */
    offline: z
      .object({
        /** codes refused without the hub, within the window, before the kiosk refuses every code */
        maxFailures: z.number().int().min(1).max(100).default(5),
        failureWindowSeconds: z.number().int().min(10).default(900),
        /** pull the site's codes this often, besides when the hub says they changed */
        syncIntervalSeconds: z.number().int().min(5).default(60),
        /** PEM file of the hub's QR public key, to pin it instead of taking the one the hub sends */
        qrPublicKeyFile: z.string().min(1).optional(),
      })
      .prefault({}),
    buses: z.array(Bus).min(1),
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
    c.buses.forEach((b, i) => {
      if (ids.has(b.id)) ctx.addIssue({ code: 'custom', path: ['buses', i, 'id'], message: `bus id "${b.id}" is used twice` });
      ids.add(b.id);
    });
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
  const { qrPublicKeyFile } = r.data.offline;
  return {
    ...r.data,
    privateKeyFile: resolve(base, r.data.privateKeyFile),
    dataDir: resolve(base, r.data.dataDir),
    offline: { ...r.data.offline, ...(qrPublicKeyFile ? { qrPublicKeyFile: resolve(base, qrPublicKeyFile) } : {}) },
  };
}
