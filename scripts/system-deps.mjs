#!/usr/bin/env node
// Makes sure the Debian programs the demo and the tests run are on this machine, installing them
// with apt-get when they are missing and we may (root). Says what it does; changes nothing when all
// is present. redis-server: the private Redis; socat: holds the pseudo-terminals that stand in for
// RS485 serial lines between the kiosk agent and the lock-board simulators; chromium: the real browser
// the kiosk touch-screen page is tested in (driven by playwright-core, never a downloaded browser);
// fonts-wqy-microhei: a Chinese font, without which the page's Chinese text renders as empty boxes.
import { execFileSync, spawnSync } from 'node:child_process';

const needed = [
  { bin: 'redis-server', pkg: 'redis-server', why: 'private Redis for BullMQ and rate limits' },
  { bin: 'socat', pkg: 'socat', why: 'pseudo-terminal serial lines for the lock-board simulators' },
  ...(process.argv.includes('--browser')
    ? [
        { bin: 'chromium', pkg: 'chromium', why: 'a real browser for the kiosk touch-screen tests' },
        { font: 'zh', pkg: 'fonts-wqy-microhei', why: 'a Chinese font for the kiosk touch screen' },
      ]
    : []),
];

const have = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
// Any font for the language will do; without fontconfig's fc-list, the package itself must be there.
const hasFont = (lang, pkg) =>
  (spawnSync('fc-list', [`:lang=${lang}`], { encoding: 'utf8' }).stdout ?? '').trim() !== '' ||
  (spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' }).stdout ?? '').includes('install ok installed');
const present = (n) => (n.font ? hasFont(n.font, n.pkg) : have(n.bin));
const missing = needed.filter((n) => !present(n));
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
const still = missing.filter((m) => !present(m));
if (still.length > 0) {
  console.error(`xinbao: still missing after install: ${still.map((m) => m.pkg).join(', ')}`);
  process.exit(1);
}
console.log('xinbao: Debian packages installed.');
