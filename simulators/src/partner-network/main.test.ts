// The compiled simulator program (dist/, build first: npx tsc -b simulators): one JSON ready line,
// the signed API with the credentials given on the command line, a clean stop on SIGTERM, and a
// clear refusal of bad arguments.
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { NearestSites, partnerRequestHeaders, type PartnerCredentials } from '@xinbao/protocol';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const program = fileURLToPath(new URL('../../dist/partner-network/main.js', import.meta.url));
const children: ChildProcessWithoutNullStreams[] = [];

async function startProgram(args: string[]): Promise<{ child: ChildProcessWithoutNullStreams; ready: Record<string, unknown> }> {
  if (!existsSync(program)) throw new Error(`${program} is missing: build first (npx tsc -b simulators)`);
  const child = spawn(process.execPath, [program, ...args], { cwd: root });
  children.push(child);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolve(JSON.parse(line) as Record<string, unknown>));
    child.once('exit', (code) => reject(new Error(`simulator exited (${code}) before ready: ${stderr}`)));
  });
  return { child, ready };
}

async function signedGet(url: string, path: string, creds: PartnerCredentials): Promise<Response> {
  const u = new URL(path, url);
  return fetch(u, {
    headers: partnerRequestHeaders(
      creds,
      { method: 'GET', target: u.pathname + u.search, body: '' },
      Date.now(),
      randomBytes(16).toString('hex'),
    ),
  });
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

describe('partner network simulator program', () => {
  it('serves N generated sites with the given credentials and stops cleanly on SIGTERM', async () => {
    const { child, ready } = await startProgram([
      '--sites',
      '3000',
      '--seed',
      '5',
      '--app-id',
      'hub-test',
      '--app-secret',
      'secret-1',
      '--webhook-secret',
      'secret-2',
    ]);
    expect(ready).toMatchObject({ event: 'ready', sites: 3000, appId: 'hub-test' });
    const url = ready.url as string;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await signedGet(url, '/v1/sites/nearest?lat=34.2610&lng=108.9423&radius=3000&limit=5', {
      appId: 'hub-test',
      appSecret: 'secret-1',
    });
    expect(res.status).toBe(200);
    const near = NearestSites.parse(await res.json()).sites;
    expect(near).toHaveLength(5);
    expect(near.every((s) => s.distanceMeters <= 3000)).toBe(true);
    expect((await signedGet(url, '/v1/sites', { appId: 'hub-test', appSecret: 'wrong' })).status).toBe(401);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('serves the shipped 1,354-site data set by default', async () => {
    const { child, ready } = await startProgram([]);
    expect(ready.sites).toBe(1354);
    const res = await signedGet(ready.url as string, '/v1/sites/XA001354', { appId: 'xinbao-hub', appSecret: 'dev-partner-app-secret' });
    expect(res.status).toBe(200);
    child.kill('SIGTERM');
  });

  it('refuses bad arguments with exit code 2 and a reason', () => {
    for (const args of [['--sites', 'many'], ['--seed', '3'], ['--rate-per-second', '0'], ['--app-id', 'has space'], ['--no-such-flag']]) {
      const r = spawnSync(process.execPath, [program, ...args], { cwd: root, encoding: 'utf8' });
      expect([args.join(' '), r.status]).toEqual([args.join(' '), 2]);
      expect(r.stderr.length).toBeGreaterThan(0);
    }
  });
});
