// `npm run fuzz [-- <target>… --cases N --seed S]`: runs fuzz targets and prints their counts.
// A target is any module in targets/ whose default export is a FuzzTarget (target.ts): adding
// one is adding a file. Exits non-zero when a target reports a failure or a name is unknown.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FuzzTarget } from './target.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface FuzzArgs {
  targets: string[];
  cases?: number;
  seed?: number;
}

export function parseFuzzArgs(argv: readonly string[]): FuzzArgs {
  const args: FuzzArgs = { targets: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const [flag, inline] = a.startsWith('--') ? a.split('=', 2) : [a, undefined];
    if (flag === '--cases' || flag === '--seed') {
      const raw = inline ?? argv[++i];
      const n = Number(raw);
      if (raw === undefined || !Number.isSafeInteger(n) || n < 0)
        throw new Error(`${flag} needs a whole number ≥ 0, got ${raw ?? 'nothing'}`);
      if (flag === '--cases') args.cases = n;
      else args.seed = n;
    } else if (a.startsWith('-')) throw new Error(`unknown option ${a} (known: --cases N, --seed S)`);
    else args.targets.push(a);
  }
  return args;
}

/** Every target module in targets/, by name. */
export async function loadFuzzTargets(dir = path.join(here, 'targets')): Promise<Map<string, FuzzTarget>> {
  const files = readdirSync(dir)
    .filter((f) => /\.[cm]?js$/.test(f) && !f.includes('.test.'))
    .sort();
  const targets = new Map<string, FuzzTarget>();
  for (const f of files) {
    const mod = (await import(pathToFileURL(path.join(dir, f)).href)) as { default?: FuzzTarget };
    const t = mod.default;
    if (!t || typeof t.name !== 'string' || typeof t.run !== 'function')
      throw new Error(`targets/${f} does not default-export a fuzz target`);
    if (targets.has(t.name)) throw new Error(`two fuzz targets are named ${t.name}`);
    targets.set(t.name, t);
  }
  return targets;
}

async function main(): Promise<number> {
  const args = parseFuzzArgs(process.argv.slice(2));
  const all = await loadFuzzTargets();
  const unknown = args.targets.filter((n) => !all.has(n));
  if (unknown.length > 0) {
    console.error(`unknown fuzz target(s): ${unknown.join(', ')} (known: ${[...all.keys()].join(', ')})`);
    return 2;
  }
  const chosen = args.targets.length > 0 ? args.targets.map((n) => all.get(n)!) : [...all.values()];
  const seed = args.seed ?? Date.now() % 0x7fffffff;
  let failed = false;
  for (const t of chosen) {
    const cases = args.cases ?? t.defaultCases;
    console.log(`fuzz ${t.name}: ${t.description}\n  ${cases} cases, seed ${seed}`);
    const started = performance.now();
    const { counts, failures } = await t.run(cases, seed);
    const width = Math.max(...Object.keys(counts).map((k) => k.length));
    for (const [k, v] of Object.entries(counts)) console.log(`  ${k.padEnd(width)}  ${v.toLocaleString('en-US')}`);
    console.log(`  ${((performance.now() - started) / 1000).toFixed(1)} s`);
    if (failures.length > 0) {
      failed = true;
      console.log(`  FAILED (${counts.failures ?? failures.length} failures), first ones:`);
      for (const f of failures) console.log(`  - ${f}`);
    } else console.log('  ok');
  }
  return failed ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exitCode = 2;
    },
  );
}
