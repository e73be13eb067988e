// The kiosk's configuration file (JSON), validated with clear errors: where the hub is, this
// device's identity, its lock-board buses and which lock opens which compartment.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';

const Bus = z.object({
  id: z.string().min(1),
  family: z.literal('kerong'),
  path: z.string().min(1),
  baudRate: z.number().int().positive().default(19200),
  itemSensors: z.boolean().default(true),
  replyTimeoutMs: z.number().int().positive().optional(),
  quietGapMs: z.number().int().min(0).optional(),
});

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
    buses: z.array(Bus).min(1),
    compartments: z
      .array(
        z.object({
          compartment: z.number().int().positive(),
          bus: z.string(),
          board: z.number().int().min(0).max(15),
          lock: z.number().int().min(0).max(15),
        }),
      )
      .min(1),
  })
  .superRefine((c, ctx) => {
    const buses = new Set(c.buses.map((b) => b.id));
    const seen = new Set<number>();
    const wired = new Set<string>();
    c.compartments.forEach((m, i) => {
      if (!buses.has(m.bus)) ctx.addIssue({ code: 'custom', path: ['compartments', i, 'bus'], message: `no bus "${m.bus}" in buses` });
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
