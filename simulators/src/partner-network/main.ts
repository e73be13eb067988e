// The partner parcel-locker network simulator as a program. Prints one JSON ready line on stdout
// (the only stdout output; logs go to stderr) and runs until SIGTERM/SIGINT.
//   node simulators/dist/partner-network/main.js [--port 0] [--host 127.0.0.1]
//        [--sites N [--seed S]] [--app-id ID] [--app-secret S] [--webhook-secret S]
//        [--rate-per-second N] [--daily-quota N] [--webhook-retry-ms 1000,5000,…]
// Without --sites it serves the shipped Xi'an data set (1,354 sites); with it, N generated sites.
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { DEFAULT_SEED, generateSites, loadSiteDataset } from './dataset.js';
import { DEFAULT_WEBHOOK_RETRY_DELAYS_MS, startPartnerNetworkSimulator } from './server.js';
import { announceReady } from '../program.js';

const log = pino({ name: 'partner-network-sim', level: process.env.LOG_LEVEL ?? 'info' }, pino.destination(2));

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function intArg(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) fail(`--${name} must be a whole number ≥ ${min}, got "${value}"`);
  return n;
}

const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  sites: { type: 'string' },
  seed: { type: 'string' },
  'app-id': { type: 'string' },
  'app-secret': { type: 'string' },
  'webhook-secret': { type: 'string' },
  'rate-per-second': { type: 'string' },
  'daily-quota': { type: 'string' },
  'webhook-retry-ms': { type: 'string' },
} as const;
const { values } = (() => {
  try {
    return parseArgs({ options: OPTIONS, strict: true });
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e));
  }
})();

const siteCount = intArg('sites', values.sites, 1);
const seed = intArg('seed', values.seed, 0) ?? DEFAULT_SEED;
if (values.seed !== undefined && siteCount === undefined) fail('--seed needs --sites');
const ratePerSecond = intArg('rate-per-second', values['rate-per-second'], 1);
const dailyQuota = intArg('daily-quota', values['daily-quota'], 1);
const retries = values['webhook-retry-ms']?.split(',').map((s) => intArg('webhook-retry-ms', s.trim(), 0)!);
const appId = values['app-id'] ?? 'xinbao-hub';
if (!/^[A-Za-z0-9._-]{1,64}$/.test(appId)) fail('--app-id must be 1–64 letters, digits, . _ or -');

const sites = siteCount === undefined ? loadSiteDataset().sites : generateSites(siteCount, seed);
const sim = await startPartnerNetworkSimulator({
  apps: [
    {
      appId,
      appSecret: values['app-secret'] ?? 'dev-partner-app-secret',
      webhookSecret: values['webhook-secret'] ?? 'dev-partner-webhook-secret',
    },
  ],
  sites,
  port: intArg('port', values.port, 0) ?? 0,
  host: values.host ?? '127.0.0.1',
  config: { ...(ratePerSecond !== undefined && { ratePerSecond }), ...(dailyQuota !== undefined && { dailyQuota }) },
  webhookRetryDelaysMs: retries ?? DEFAULT_WEBHOOK_RETRY_DELAYS_MS,
  logger: log,
}).catch((err: unknown) => fail(`partner simulator failed to start: ${err instanceof Error ? err.message : String(err)}`));

announceReady({ url: sim.url, controlUrl: `${sim.url}/control`, sites: sim.network.siteCount, appId }, () => sim.stop(), log);
