// `npm run bench`: runs each benchmark in turn (or those named on the command line) and writes their
// figures to bench-report/report.md (for people) and bench-report/report.json (for tools). Each
// benchmark starts the real servers and simulators it needs and stops them again.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bench, BenchResult } from './bench.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Every benchmark, in the order they run. Each module default-exports a Bench. */
const BENCHES: Array<() => Promise<{ default: Bench }>> = [
  () => import('./kiosk-unlock.bench.js'),
  () => import('./serial-line.bench.js'),
  () => import('./nearby.bench.js'),
  () => import('./partner-network.bench.js'),
];

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const benches = (await Promise.all(BENCHES.map((load) => load()))).map((m) => m.default);
  const chosen = only.length > 0 ? benches.filter((b) => only.includes(b.name)) : benches;
  if (only.length > 0 && chosen.length !== only.length) {
    const known = benches.map((b) => b.name).join(', ');
    throw new Error(`unknown benchmark in ${only.join(', ')}; known: ${known}`);
  }
  const results: Array<BenchResult & { name: string; seconds: number }> = [];
  for (const bench of chosen) {
    const workDir = path.join(root, '.data', 'bench', bench.name);
    mkdirSync(workDir, { recursive: true });
    const log = (m: string): void => console.log(`[bench ${bench.name}] ${m}`);
    log('starting');
    const t0 = Date.now();
    const result = await bench.run({ workDir, log });
    results.push({ ...result, name: bench.name, seconds: (Date.now() - t0) / 1000 });
    log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
  const md = [
    '# xinbao benchmark report',
    '',
    `Run ${new Date().toISOString()} on ${machine}.`,
    '',
    ...results.flatMap((r) => [`## ${r.title}`, '', r.markdown.trim(), '']),
  ].join('\n');
  const outDir = path.join(root, 'bench-report');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'report.md'), md);
  writeFileSync(path.join(outDir, 'report.json'), JSON.stringify({ machine, results }, null, 2));
  console.log(md);
  console.log(`\nreport written to ${path.relative(process.cwd(), path.join(outDir, 'report.md'))}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
