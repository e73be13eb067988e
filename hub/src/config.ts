// Hub configuration from environment variables, validated once at start. A bad value stops the
// hub with one message naming every problem. Keys: in production they must be given; elsewhere the
// hub makes development keys once and keeps them under .data/ so codes survive a restart.
import { generateKeyPairSync, randomBytes, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { NEARBY_MAX_RADIUS_M } from './domain/nearby.js';

const hours = (def: number) => z.coerce.number().positive().max(24 * 90).default(def);
const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');

export const EnvSchema = z.object({
  NODE_ENV: z.string().default('development'),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  DATABASE_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().optional(),
  DATA_DIR: z.string().default('.data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** base64 of at least 32 random bytes: the key of the open-codes' keyed hashes */
  CODE_HASH_KEY: z.string().optional(),
  /** base64 of an Ed25519 private key (PKCS#8 DER): signs QR codes */
  QR_SIGNING_KEY: z.string().optional(),
  COURIER_DISPATCH_URL: z.string().url().optional(),
  COURIER_DISPATCH_SECRET: z.string().min(16).default('dev-courier-dispatch-secret'),
  QUEUE_PREFIX: z.string().regex(/^[a-z0-9_-]+$/).default('xinbao'),
  RUN_WORKERS: bool(true),
  DEPOSIT_CODE_TTL_HOURS: hours(72),
  COLLECT_CODE_TTL_HOURS: hours(24 * 7),
  COURIER_CODE_TTL_HOURS: hours(48),
  CODE_MAX_FAILURES: z.coerce.number().int().min(1).max(100).default(5),
  CODE_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(10).default(900),
  SESSION_TTL_HOURS: hours(12),
  SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000),
  /** metres around the applicant (or the searched address) that the nearby search covers by default */
  NEARBY_RADIUS_M: z.coerce.number().int().min(100).max(NEARBY_MAX_RADIUS_M).default(5000),
  /** the city's gazetteer for address lookup; the shipped hub/data/gazetteer-xian.json by default */
  GAZETTEER_FILE: z.string().min(1).optional(),
  /** load the demo city's people, matters and kiosk sites (never in production unless asked) */
  SEED_DEMO: z.enum(['true', 'false', '1', '0']).optional(),
});

export interface HubConfig {
  env: string;
  host: string;
  port: number;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  dataDir: string;
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  codeHashKey: Buffer;
  qrPrivateKey: KeyObject;
  qrPublicKey: KeyObject;
  courierDispatchUrl: string | undefined;
  courierDispatchSecret: string;
  queuePrefix: string;
  runWorkers: boolean;
  codeLifetimesHours: { deposit: number; collect: number; courier_pickup: number; courier_deliver: number };
  codeMaxFailures: number;
  codeFailureWindowSeconds: number;
  sessionTtlHours: number;
  sweepIntervalMs: number;
  nearbyRadiusM: number;
  gazetteerFile: string | undefined;
  seedDemo: boolean;
}

export class ConfigError extends Error {}

interface DevKeys {
  codeHashKey: string;
  qrSigningKey: string;
}

function devKeys(dataDir: string): DevKeys {
  const file = `${dataDir}/dev-keys.json`;
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DevKeys;
  const { privateKey } = generateKeyPairSync('ed25519');
  const keys: DevKeys = {
    codeHashKey: randomBytes(32).toString('base64'),
    qrSigningKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
  };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): HubConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid hub configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  if (production && (!e.CODE_HASH_KEY || !e.QR_SIGNING_KEY || !e.DATABASE_URL || !e.REDIS_URL)) {
    throw new ConfigError(
      'invalid hub configuration: in production CODE_HASH_KEY, QR_SIGNING_KEY, DATABASE_URL and REDIS_URL are required',
    );
  }
  const fallback = !e.CODE_HASH_KEY || !e.QR_SIGNING_KEY ? devKeys(e.DATA_DIR) : undefined;
  const codeHashKey = Buffer.from(e.CODE_HASH_KEY ?? fallback!.codeHashKey, 'base64');
  if (codeHashKey.length < 32) throw new ConfigError('invalid hub configuration:\n  CODE_HASH_KEY: must be base64 of at least 32 bytes');
  let qrPrivateKey: KeyObject;
  try {
    qrPrivateKey = createPrivateKey({ key: Buffer.from(e.QR_SIGNING_KEY ?? fallback!.qrSigningKey, 'base64'), format: 'der', type: 'pkcs8' });
  } catch {
    throw new ConfigError('invalid hub configuration:\n  QR_SIGNING_KEY: must be base64 of an Ed25519 PKCS#8 DER private key');
  }
  if (qrPrivateKey.asymmetricKeyType !== 'ed25519') {
    throw new ConfigError('invalid hub configuration:\n  QR_SIGNING_KEY: must be an Ed25519 key');
  }
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    dataDir: e.DATA_DIR,
    logLevel: e.LOG_LEVEL,
    codeHashKey,
    qrPrivateKey,
    qrPublicKey: createPublicKey(qrPrivateKey),
    courierDispatchUrl: e.COURIER_DISPATCH_URL,
    courierDispatchSecret: e.COURIER_DISPATCH_SECRET,
    queuePrefix: e.QUEUE_PREFIX,
    runWorkers: e.RUN_WORKERS,
    codeLifetimesHours: {
      deposit: e.DEPOSIT_CODE_TTL_HOURS,
      collect: e.COLLECT_CODE_TTL_HOURS,
      courier_pickup: e.COURIER_CODE_TTL_HOURS,
      courier_deliver: e.COURIER_CODE_TTL_HOURS,
    },
    codeMaxFailures: e.CODE_MAX_FAILURES,
    codeFailureWindowSeconds: e.CODE_FAILURE_WINDOW_SECONDS,
    sessionTtlHours: e.SESSION_TTL_HOURS,
    sweepIntervalMs: e.SWEEP_INTERVAL_MS,
    nearbyRadiusM: e.NEARBY_RADIUS_M,
    gazetteerFile: e.GAZETTEER_FILE,
    seedDemo: e.SEED_DEMO === undefined ? !production : e.SEED_DEMO === 'true' || e.SEED_DEMO === '1',
  };
}
