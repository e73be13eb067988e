#!/usr/bin/env node
// Makes sure the Debian programs the demo and the tests run are on this machine, installing them
// with apt-get when they are missing and we may (root). Says what it does; changes nothing when all
// is present. redis-server: the private Redis; socat: the pseudo-terminal pairs that stand in for
// RS485 serial lines between the kiosk agent and the lock-board simulators; chromium: the real browser
// the kiosk touch-screen page is tested in (driven by playwright-core, never a downloaded browser).
import { execFileSync, spawnSync } from 'node:child_process';

const needed = [
  { bin: 'redis-server', pkg: 'redis-server', why: 'private Redis for BullMQ and rate limits' },
  { bin: 'socat', pkg: 'socat', why: 'pseudo-terminal serial lines for the lock-board simulators' },
  ...(process.argv.includes('--browser')
    ? [{ bin: 'chromium', pkg: 'chromium', why: 'a real browser for the kiosk touch-screen tests' }]
    : []),
];

const have = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
const missing = needed.filter((n) => !have(n.bin));
if (missing.length === 0) process.exit(0);

const list = missing.map((m) => `${m.pkg} (${m.why})`).join(', ');
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot || !have('apt-get')) {
  console.error(`xinbao: missing Debian packages: ${list}.`);
  console.error(`xinbao: install them first, e.g.  sudo apt-get install -y ${missing.map((m) => m.pkg).join(' ')}`);
  process.exit(1);
}
console.log(`xinbao: installing Debian packages: ${list}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
try {
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing.map((m) => m.pkg)], {
    stdio: 'inherit',
    env,
  });
} catch {
  console.error(`xinbao: apt-get could not install ${missing.map((m) => m.pkg).join(' ')}; install them and try again.`);
  process.exit(1);
}
const still = missing.filter((m) => !have(m.bin));
if (still.length > 0) {
  console.error(`xinbao: still missing after install: ${still.map((m) => m.bin).join(', ')}`);
  process.exit(1);
}
console.log('xinbao: Debian packages installed.');
