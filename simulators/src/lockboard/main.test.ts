// The simulator program refuses bad arguments with one clear line and exit code 2, before it
// starts anything.
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const program = fileURLToPath(new URL('../../dist/lockboard/main.js', import.meta.url));

const run = (...args: string[]) => {
  if (!existsSync(program)) throw new Error(`${program} is missing: build first (npx tsc -b)`);
  const r = spawnSync(process.execPath, [program, ...args], { encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.trim() };
};

describe('lock simulator program arguments', () => {
  it.each([
    [['--family', 'acme'], '--family must be kerong, 8a or http, got "acme"'],
    [['--family', 'http'], '--family http needs the bearer token: --token-file F or --token T (one of them)'],
    [['--family', 'http', '--token', 't', '--boards', '1'], '--boards is for --family kerong or 8a only'],
    [['--family', '8a', '--locks', '3'], '--locks is for --family http only'],
    [['--family', 'kerong', '--wiring', 'open_is_set'], '--wiring is for --family 8a only'],
    [['--family', 'kerong', '--boards', '15'], '--boards must be a comma list of kerong board numbers 0–14, got "15"'],
    [['--family', 'http', '--token', 't', '--locks', '0'], '--locks must be a whole number ≥ 1, got "0"'],
    [['--family', 'kerong', '--fault', 'late_reply'], '--fault "late_reply": delayMs:'],
    [['--family', 'http', '--token', 't', '--fault', 'garbage'], '--fault "garbage": kind:'],
    [['--family', '8a', '--preset', 'all closed'], '--preset for 8a is one of: "32 locks, all closed"'],
    [['--family', 'http', '--token-file', '/nonexistent/token'], 'cannot read --token-file'],
  ])('%j → exit 2: %s', (args, message) => {
    const r = run(...args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
  });
});
