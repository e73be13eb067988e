// Writes the partner network's shipped city data set (simulators/data/xian-partner-sites.json) from
// the gazetteer: `node simulators/dist/partner-network/make-dataset.js [--sites N] [--seed S] [--out F]`.
// Run it after changing the gazetteer or the generator; the dataset test fails until you do.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_SEED, SHIPPED_SITES_PATH, SHIPPED_SITE_COUNT, formatSiteDataset, generateSites } from './dataset.js';

const { values } = parseArgs({ options: { sites: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' } }, strict: true });
const count = Number(values.sites ?? SHIPPED_SITE_COUNT);
const seed = Number(values.seed ?? DEFAULT_SEED);
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(seed)) {
  process.stderr.write('--sites must be a whole number ≥ 1 and --seed a whole number\n');
  process.exit(2);
}
const out = values.out ?? SHIPPED_SITES_PATH;
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, formatSiteDataset(generateSites(count, seed), seed));
process.stdout.write(`${JSON.stringify({ event: 'written', path: out, sites: count, seed })}\n`);
