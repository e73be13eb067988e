// Hub configuration from environment variables, validated once at start. A bad value stops the
// hub with one message naming every problem. Keys: in production they must be given; elsewhere the
// hub makes development keys once and keeps them under .data/ so codes survive a restart (a key
// missing from an older dev-keys file is added to it).
import { generateKeyPairSync, randomBytes, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { KeypadLimit } from './domain/attempts.js';
import { NEARBY_MAX_RADIUS_M } from './domain/nearby.js';
import type { LoginThrottleLimits } from './domain/login-throttle.js';
import type { OpenDepositLimits } from './domain/open-deposits.js';
import type { SmsSignInLimits } from './domain/sms-sign-in.js';

/** The longest delay a Node timer keeps (a longer one fires at once): every interval is at most this. */
const MAX_TIMER_MS = 2_147_483_647;

const hours = (def: number) =>
  z.coerce
    .number()
    .positive()
    .max(24 * 90)
    .default(def);
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
  /** base64 of at least 32 random bytes: each site's offline code key is derived from it (ADR 0008) */
  OFFLINE_CODE_KEY: z.string().optional(),
  COURIER_DISPATCH_URL: z.string().url().optional(),
  COURIER_DISPATCH_SECRET: z.string().min(16).default('dev-courier-dispatch-secret'),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z0-9_-]+$/)
    .default('xinbao'),
  RUN_WORKERS: bool(true),
  DEPOSIT_CODE_TTL_HOURS: hours(72),
  COLLECT_CODE_TTL_HOURS: hours(24 * 7),
  COURIER_CODE_TTL_HOURS: hours(48),
  // The keypad attempt limit (ADR 0015): wrong keypad codes allowed without a wait, per device and
  // per site; then each next keypad attempt waits, doubling from the first delay up to the longest;
  // the count is forgotten after the window without a wrong code. Never a lock-out.
  CODE_MAX_FAILURES: z.coerce.number().int().min(1).max(100).default(5),
  CODE_SITE_FREE_FAILURES: z.coerce.number().int().min(1).max(1000).default(10),
  CODE_FIRST_DELAY_MS: z.coerce.number().int().min(100).max(3_600_000).default(2_000),
  CODE_MAX_DELAY_SECONDS: z.coerce.number().int().min(1).max(86_400).default(600),
  CODE_FAILURE_WINDOW_SECONDS: z.coerce
    .number()
    .int()
    .min(10)
    .max(30 * 86_400)
    .default(86_400),
  SESSION_TTL_HOURS: hours(12),
  // Sign-in throttling (ADR 0017): per (account, address), per address, per account.
  /** consecutive wrong passwords from one address at one account before each next one doubles the wait */
  LOGIN_FREE_FAILURES: z.coerce.number().int().min(1).max(100).default(3),
  LOGIN_MAX_DELAY_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  /** wrong passwords one address may send in an hour, over all accounts; then it is refused for the hour */
  LOGIN_ADDRESS_MAX_FAILURES: z.coerce.number().int().min(1).max(1_000_000).default(100),
  /** wrong passwords at one account in an hour (from anywhere) after which its sign-ins are slowed, never refused */
  LOGIN_ACCOUNT_SLOW_AFTER: z.coerce.number().int().min(1).max(1_000_000).default(20),
  LOGIN_ACCOUNT_MAX_SLOW_MS: z.coerce.number().int().min(0).max(30_000).default(3_000),
  /** reservations (parcels reserving or awaiting deposit) one applicant may hold open at one site, and overall */
  MAX_OPEN_DEPOSITS_PER_SITE: z.coerce.number().int().min(1).max(1_000).default(2),
  MAX_OPEN_DEPOSITS: z.coerce.number().int().min(1).max(10_000).default(5),
  /** how often each hub process refreshes its kiosk connections' presence; a row unrefreshed for 3 intervals is gone */
  KIOSK_PRESENCE_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** how often a people's live socket (`/people`) checks that its session still stands */
  PEOPLE_SOCKET_RECHECK_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).max(86_400_000).default(30_000),
  /** a parcel picked up this long ago and not yet received at the hall is flagged never_received (ADR 0022) */
  NEVER_RECEIVED_AFTER_HOURS: hours(4),
  // Uncollected results (ADR 0024): a reminder this long after the result went into the locker and
  // this long before its holding period ends; after the holding period a courier takes it back to the hall.
  RESULT_REMIND_AFTER_HOURS: hours(24),
  RESULT_REMIND_BEFORE_HOURS: hours(24),
  RESULT_HOLD_DAYS: z.coerce.number().positive().max(90).default(7),
  // What the applicant may ask for (ADR 0033): the same code sent again, this many times per code;
  // more time to collect, this many times, this many hours each.
  CODE_RESENDS_ALLOWED: z.coerce.number().int().min(0).max(20).default(3),
  RESULT_EXTENSIONS_ALLOWED: z.coerce.number().int().min(0).max(10).default(1),
  RESULT_EXTEND_HOURS: hours(72),
  /** working days the hall has to reply to a bad rating (好差评 差评整改, ADR 0032) */
  RATING_FOLLOW_UP_WORKING_DAYS: z.coerce.number().int().min(1).max(60).default(5),
  /** hall calendar days that are not working days, comma-separated YYYY-MM-DD (e.g. public holidays) */
  HALL_HOLIDAYS: z
    .string()
    .regex(/^(\d{4}-\d{2}-\d{2}(,\d{4}-\d{2}-\d{2})*)?$/, 'comma-separated days, YYYY-MM-DD')
    .default(''),
  /** metres around the applicant (or the searched address) that the nearby search covers by default */
  NEARBY_RADIUS_M: z.coerce.number().int().min(100).max(NEARBY_MAX_RADIUS_M).default(5000),
  /** the city's gazetteer for address lookup; the shipped hub/data/gazetteer-xian.json by default */
  GAZETTEER_FILE: z.string().min(1).optional(),
  /**
   * The map's tile server for the web app's locker picker (ADR 0035), a Leaflet URL template such as
   * https://tiles.example.org/{z}/{x}/{y}.png; empty (the default): no tiles, the picker draws its
   * schematic. Its origin is added to the page's img-src.
   */
  TILE_URL: z
    .string()
    .trim()
    .default('')
    .refine(
      (v) => v === '' || (/^https?:\/\/[^/\s]+\/\S+$/.test(v) && ['{z}', '{x}', '{y}'].every((p) => v.includes(p))),
      'an http(s) URL template with {z}, {x} and {y}, or empty',
    ),
  /** the tile server's attribution shown on the map (its licence usually asks for it) */
  TILE_ATTRIBUTION: z.string().trim().max(300).default(''),
  // The partner locker network (全城通港). All four of URL, app id, app secret and webhook secret, or
  // none: without them the hub runs without partner lockers and says so when one is asked for.
  PARTNER_API_URL: z.string().url().optional(),
  PARTNER_APP_ID: z.string().min(1).max(64).optional(),
  PARTNER_APP_SECRET: z.string().min(16).optional(),
  PARTNER_WEBHOOK_SECRET: z.string().min(16).optional(),
  /** the network's name in the site registry (sites.network) */
  PARTNER_NETWORK: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{0,39}$/, 'lower-case letters, digits, _ or -, starting with a letter')
    .refine((n) => n !== 'own', '"own" is the hall\'s own kiosks')
    .default('postal'),
  /** where the partner POSTs its webhooks (this hub's POST /api/partner/webhooks as the partner reaches it); default: this hub's own address */
  PARTNER_CALLBACK_URL: z.string().url().optional(),
  PARTNER_TIMEOUT_MS: z.coerce.number().int().min(50).max(120_000).default(5_000),
  PARTNER_REFRESH_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(MAX_TIMER_MS)
    .default(15 * 60_000),
  PARTNER_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).max(MAX_TIMER_MS).default(60_000),
  /** how long a partner reservation (and its open-code) lasts; the partner allows at most 7 days */
  PARTNER_RESERVATION_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(72 * 60),
  PARTNER_CODE_DELIVERY: z.enum(['sync', 'callback']).default('sync'),
  PARTNER_RETRY_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(10),
  PARTNER_RETRY_BASE_MS: z.coerce.number().int().min(1).max(3_600_000).default(1_000),
  PARTNER_RETRY_MAX_MS: z.coerce
    .number()
    .int()
    .min(1)
    .max(86_400_000)
    .default(15 * 60_000),
  // Notifications by SMS (ADR 0026): the SMS gateway (its simulator in development and tests) and how
  // a notice's send is retried. Without SMS_GATEWAY_URL no SMS is sent: notices wait in the outbox.
  SMS_GATEWAY_URL: z.string().url().optional(),
  SMS_GATEWAY_SECRET: z.string().min(16).default('dev-sms-gateway-secret'),
  SMS_SEND_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(12),
  SMS_RETRY_BASE_MS: z.coerce.number().int().min(1).max(3_600_000).default(1_000),
  // SMS sign-in for applicants (ADR 0026): a one-time code's life and tries, and the send limits.
  SMS_CODE_TTL_MINUTES: z.coerce.number().int().min(1).max(60).default(5),
  /** wrong tries one code takes before it is spent (a new code is then needed) */
  SMS_CODE_MAX_FAILURES: z.coerce.number().int().min(1).max(20).default(5),
  /** one code per phone per this many seconds, whoever asks (the longest a stranger can hold the holder back) */
  SMS_CODE_PHONE_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(3_600).default(60),
  /** codes one address may ask for in an hour, over all phones */
  SMS_CODE_ADDRESS_PER_HOUR: z.coerce.number().int().min(1).max(1_000_000).default(20),
  /** wrong codes one address may send in an hour, over all phones; then it is refused for the hour */
  SMS_LOGIN_ADDRESS_FAILURES_PER_HOUR: z.coerce.number().int().min(1).max(1_000_000).default(30),
  /** the version of the terms an applicant consents to when signing in by SMS */
  TERMS_VERSION: z.string().min(1).max(40).default('2026-12-01'),
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
  offlineCodeKey: Buffer;
  courierDispatchUrl: string | undefined;
  courierDispatchSecret: string;
  queuePrefix: string;
  runWorkers: boolean;
  codeLifetimesHours: { deposit: number; collect: number; courier_pickup: number; courier_deliver: number };
  /** the keypad attempt limit per device and per site (ADR 0015) */
  keypadLimits: { device: KeypadLimit; site: KeypadLimit };
  sessionTtlHours: number;
  login: LoginThrottleLimits;
  openDeposits: OpenDepositLimits;
  kioskPresenceIntervalMs: number;
  peopleSocketRecheckMs: number;
  ratingFollowUp: { workingDays: number; holidays: ReadonlySet<string> };
  sweepIntervalMs: number;
  neverReceivedAfterHours: number;
  /** reminders and the holding period of a result in a locker (ADR 0024) */
  resultTimers: { remindAfterHours: number; remindBeforeHours: number; holdDays: number };
  /** resends per code, and more time to collect (ADR 0033) */
  collect: { resendsAllowed: number; extensionsAllowed: number; extendHours: number };
  nearbyRadiusM: number;
  /** the web app's map (ADR 0035): the tile URL template (null: none, the schematic) and its attribution */
  webMap: { tileUrl: string | null; tileAttribution: string };
  gazetteerFile: string | undefined;
  seedDemo: boolean;
  /** null: no partner network configured, partner lockers are off */
  partner: PartnerConfig | null;
  /** the SMS gateway (url undefined: no SMS is sent) and the retry of a notice's send */
  sms: { gatewayUrl: string | undefined; gatewaySecret: string; retry: { attempts: number; baseDelayMs: number } };
  smsSignIn: SmsSignInLimits;
}

export interface PartnerConfig {
  apiUrl: string;
  appId: string;
  appSecret: string;
  webhookSecret: string;
  network: string;
  callbackUrl: string | undefined;
  timeoutMs: number;
  refreshIntervalMs: number;
  reconcileIntervalMs: number;
  reservationMinutes: number;
  codeDelivery: 'sync' | 'callback';
  retry: { attempts: number; baseMs: number; maxMs: number };
}

const PARTNER_REQUIRED = ['PARTNER_API_URL', 'PARTNER_APP_ID', 'PARTNER_APP_SECRET', 'PARTNER_WEBHOOK_SECRET'] as const;

function keypadLimit(freeFailures: number, e: z.infer<typeof EnvSchema>): KeypadLimit {
  const limit = {
    freeFailures,
    firstDelayMs: e.CODE_FIRST_DELAY_MS,
    maxDelayMs: e.CODE_MAX_DELAY_SECONDS * 1000,
    quietResetMs: e.CODE_FAILURE_WINDOW_SECONDS * 1000,
  };
  if (limit.quietResetMs <= limit.maxDelayMs) {
    throw new ConfigError('CODE_FAILURE_WINDOW_SECONDS must be longer than CODE_MAX_DELAY_SECONDS');
  }
  return limit;
}

function partnerConfig(e: z.infer<typeof EnvSchema>, production: boolean): PartnerConfig | null {
  const given = PARTNER_REQUIRED.filter((k) => e[k] !== undefined);
  if (given.length === 0) return null;
  if (given.length < PARTNER_REQUIRED.length) {
    const missing = PARTNER_REQUIRED.filter((k) => e[k] === undefined);
    throw new ConfigError(
      `invalid hub configuration:\n  the partner network needs ${PARTNER_REQUIRED.join(', ')} together; missing: ${missing.join(', ')}`,
    );
  }
  if (production && !e.PARTNER_CALLBACK_URL) {
    throw new ConfigError(
      'invalid hub configuration:\n  PARTNER_CALLBACK_URL: required in production with a partner network (the URL the partner reaches this hub at)',
    );
  }
  if (e.PARTNER_RETRY_MAX_MS < e.PARTNER_RETRY_BASE_MS) {
    throw new ConfigError('invalid hub configuration:\n  PARTNER_RETRY_MAX_MS: must not be below PARTNER_RETRY_BASE_MS');
  }
  return {
    apiUrl: e.PARTNER_API_URL!,
    appId: e.PARTNER_APP_ID!,
    appSecret: e.PARTNER_APP_SECRET!,
    webhookSecret: e.PARTNER_WEBHOOK_SECRET!,
    network: e.PARTNER_NETWORK,
    callbackUrl: e.PARTNER_CALLBACK_URL,
    timeoutMs: e.PARTNER_TIMEOUT_MS,
    refreshIntervalMs: e.PARTNER_REFRESH_INTERVAL_MS,
    reconcileIntervalMs: e.PARTNER_RECONCILE_INTERVAL_MS,
    reservationMinutes: e.PARTNER_RESERVATION_MINUTES,
    codeDelivery: e.PARTNER_CODE_DELIVERY,
    retry: { attempts: e.PARTNER_RETRY_ATTEMPTS, baseMs: e.PARTNER_RETRY_BASE_MS, maxMs: e.PARTNER_RETRY_MAX_MS },
  };
}

export class ConfigError extends Error {}

interface DevKeys {
  codeHashKey: string;
  qrSigningKey: string;
  offlineCodeKey: string;
}

function devKeys(dataDir: string): DevKeys {
  const file = `${dataDir}/dev-keys.json`;
  const had = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<DevKeys>) : {};
  const keys: DevKeys = {
    codeHashKey: had.codeHashKey ?? randomBytes(32).toString('base64'),
    qrSigningKey: had.qrSigningKey ?? generateKeyPairSync('ed25519').privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    offlineCodeKey: had.offlineCodeKey ?? randomBytes(32).toString('base64'),
  };
  if (had.codeHashKey !== keys.codeHashKey || had.qrSigningKey !== keys.qrSigningKey || had.offlineCodeKey !== keys.offlineCodeKey) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(keys), { mode: 0o600 });
  }
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
  if (production && (!e.CODE_HASH_KEY || !e.QR_SIGNING_KEY || !e.OFFLINE_CODE_KEY || !e.DATABASE_URL || !e.REDIS_URL)) {
    throw new ConfigError(
      'invalid hub configuration: in production CODE_HASH_KEY, QR_SIGNING_KEY, OFFLINE_CODE_KEY, DATABASE_URL and REDIS_URL are required',
    );
  }
  const fallback = !e.CODE_HASH_KEY || !e.QR_SIGNING_KEY || !e.OFFLINE_CODE_KEY ? devKeys(e.DATA_DIR) : undefined;
  const codeHashKey = Buffer.from(e.CODE_HASH_KEY ?? fallback!.codeHashKey, 'base64');
  if (codeHashKey.length < 32) throw new ConfigError('invalid hub configuration:\n  CODE_HASH_KEY: must be base64 of at least 32 bytes');
  const offlineCodeKey = Buffer.from(e.OFFLINE_CODE_KEY ?? fallback!.offlineCodeKey, 'base64');
  if (offlineCodeKey.length < 32)
    throw new ConfigError('invalid hub configuration:\n  OFFLINE_CODE_KEY: must be base64 of at least 32 bytes');
  let qrPrivateKey: KeyObject;
  try {
    qrPrivateKey = createPrivateKey({
      key: Buffer.from(e.QR_SIGNING_KEY ?? fallback!.qrSigningKey, 'base64'),
      format: 'der',
      type: 'pkcs8',
    });
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
    offlineCodeKey,
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
    keypadLimits: {
      device: keypadLimit(e.CODE_MAX_FAILURES, e),
      site: keypadLimit(e.CODE_SITE_FREE_FAILURES, e),
    },
    sessionTtlHours: e.SESSION_TTL_HOURS,
    login: {
      freeFailures: e.LOGIN_FREE_FAILURES,
      maxDelaySeconds: e.LOGIN_MAX_DELAY_SECONDS,
      addressFailuresPerHour: e.LOGIN_ADDRESS_MAX_FAILURES,
      accountSlowAfter: e.LOGIN_ACCOUNT_SLOW_AFTER,
      accountMaxSlowMs: e.LOGIN_ACCOUNT_MAX_SLOW_MS,
    },
    openDeposits: { perSite: e.MAX_OPEN_DEPOSITS_PER_SITE, overall: e.MAX_OPEN_DEPOSITS },
    kioskPresenceIntervalMs: e.KIOSK_PRESENCE_INTERVAL_MS,
    peopleSocketRecheckMs: e.PEOPLE_SOCKET_RECHECK_MS,
    ratingFollowUp: { workingDays: e.RATING_FOLLOW_UP_WORKING_DAYS, holidays: new Set(e.HALL_HOLIDAYS.split(',').filter(Boolean)) },
    sweepIntervalMs: e.SWEEP_INTERVAL_MS,
    neverReceivedAfterHours: e.NEVER_RECEIVED_AFTER_HOURS,
    resultTimers: {
      remindAfterHours: e.RESULT_REMIND_AFTER_HOURS,
      remindBeforeHours: e.RESULT_REMIND_BEFORE_HOURS,
      holdDays: e.RESULT_HOLD_DAYS,
    },
    collect: { resendsAllowed: e.CODE_RESENDS_ALLOWED, extensionsAllowed: e.RESULT_EXTENSIONS_ALLOWED, extendHours: e.RESULT_EXTEND_HOURS },
    nearbyRadiusM: e.NEARBY_RADIUS_M,
    webMap: { tileUrl: e.TILE_URL || null, tileAttribution: e.TILE_ATTRIBUTION },
    gazetteerFile: e.GAZETTEER_FILE,
    seedDemo: e.SEED_DEMO === undefined ? !production : e.SEED_DEMO === 'true' || e.SEED_DEMO === '1',
    partner: partnerConfig(e, production),
    sms: {
      gatewayUrl: e.SMS_GATEWAY_URL,
      gatewaySecret: e.SMS_GATEWAY_SECRET,
      retry: { attempts: e.SMS_SEND_ATTEMPTS, baseDelayMs: e.SMS_RETRY_BASE_MS },
    },
    smsSignIn: {
      codeTtlMinutes: e.SMS_CODE_TTL_MINUTES,
      codeMaxFailures: e.SMS_CODE_MAX_FAILURES,
      phoneIntervalSeconds: e.SMS_CODE_PHONE_INTERVAL_SECONDS,
      addressCodesPerHour: e.SMS_CODE_ADDRESS_PER_HOUR,
      addressFailuresPerHour: e.SMS_LOGIN_ADDRESS_FAILURES_PER_HOUR,
      termsVersion: e.TERMS_VERSION,
    },
  };
}
