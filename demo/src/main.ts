// `npm start`: a whole demo city on one machine with no configuration. Starts, each as its own
// program: an embedded PostgreSQL and a private Redis under .data/ (the hub's local-services
// program), the courier dispatch simulator, the hub, and two demo kiosks, each a lock-board
// simulator on a pseudo-terminal plus a kiosk agent serving its touch screen: the hall's on a KR-CU16
// bus with a QR scanner and a receipt printer (simulated on their own pseudo-terminals), the 华南城
// one on an 8A board; and the partner parcel-locker network (全城通港: 1,354 simulated Xi'an sites)
// whose sites the hub imports into its registry. Then prints where to look and how to walk a parcel
// through. Everything simulated says so. It imports none of the workspaces' code: it only starts
// their programs and reads their JSON ready lines, so it sees them as an operator would.
// `npm start -- --courier` switches the dispatch simulator's SIMULATED couriers on: they do the
// rounds by themselves (collect at the kiosks, deliver results into them). Off by default, so that a
// person plays the courier on the PDA page; switched at any time through the simulator's control API.
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = resolve(import.meta.dirname, '../..');
const DATA = join(ROOT, '.data');
const SECRET = 'demo-courier-dispatch-secret';
const PARTNER_APP = { appId: 'xinbao-demo', appSecret: 'demo-partner-app-secret', webhookSecret: 'demo-partner-webhook-secret' };
interface DemoKiosk {
  site: string;
  family: 'kerong' | '8a';
  /** a simulated QR scanner and receipt printer on their own pseudo-terminals */
  terminal: boolean;
}
const KIOSKS: DemoKiosk[] = [
  { site: 'own-hall', family: 'kerong', terminal: true },
  { site: 'own-huanancheng', family: '8a', terminal: false },
];
/** Board address and lock numbering of the 16 demo compartments per family (see LOCKBOARD.md). */
const WIRING = { kerong: { board: 0, firstLock: 0 }, '8a': { board: 1, firstLock: 1 } } as const;

/** `--courier`: the simulated couriers do the rounds by themselves from the start. */
const AUTO_COURIERS = process.argv.includes('--courier') || process.argv.includes('--couriers');

const children: ChildProcess[] = [];
const say = (s: string) => process.stdout.write(`${s}\n`);

function run(script: string, args: string[], env: NodeJS.ProcessEnv, isReady: (j: Record<string, unknown>) => boolean, name: string) {
  const child = spawn(process.execPath, [join(ROOT, script), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const logFile = join(DATA, 'logs', `${name}.log`);
  const lines: string[] = [];
  const keep = (l: string) => {
    lines.push(l);
    writeFileSync(logFile, `${l}\n`, { flag: 'a' });
  };
  createInterface({ input: child.stderr }).on('line', keep);
  return new Promise<Record<string, unknown>>((ok, fail) => {
    createInterface({ input: child.stdout }).on('line', (l) => {
      keep(l);
      try {
        const j = JSON.parse(l) as Record<string, unknown>;
        if (isReady(j)) ok(j);
      } catch {
        /* plain output */
      }
    });
    child.once('exit', (code) => fail(new Error(`${name} exited (${code}); see ${logFile}:\n${lines.slice(-20).join('\n')}`)));
  });
}

async function main(): Promise<void> {
  mkdirSync(join(DATA, 'logs'), { recursive: true });
  say('xinbao demo city: starting. Data and logs live under .data/ (delete it to start afresh).');
  let databaseUrl = process.env.DATABASE_URL;
  let redisUrl = process.env.REDIS_URL;
  if (!databaseUrl || !redisUrl) {
    const args = [
      ...(databaseUrl ? [] : ['--postgres-dir', join(DATA, 'pg'), '--keep', '--database', 'xinbao']),
      ...(redisUrl ? [] : ['--redis-dir', join(DATA, 'redis')]),
    ];
    const what = [
      ...(databaseUrl ? [] : ['an embedded PostgreSQL (.data/pg)']),
      ...(redisUrl ? [] : ['a private redis-server (.data/redis)']),
    ];
    say(`  starting ${what.join(' and ')} …`);
    const local = await run('hub/dist/infra/local-services-main.js', args, {}, (j) => j.event === 'ready', 'local-services');
    databaseUrl ??= local.databaseUrl as string;
    redisUrl ??= local.redisUrl as string;
  }
  const port = process.env.PORT ?? String(await freePortPreferring(8080));
  const dispatch = await run(
    'simulators/dist/courier-dispatch/main.js',
    AUTO_COURIERS ? ['--couriers'] : [],
    // Its webhooks (assigned, picked up, …) wait and retry until the hub below answers.
    { COURIER_DISPATCH_SECRET: SECRET, HUB_WEBHOOK_URL: `http://127.0.0.1:${port}/api/courier/webhooks` },
    (j) => j.event === 'ready',
    'courier-dispatch',
  );
  // SIMULATED SMS gateway: the hub's SMS (notices, sign-in codes) land in its inbox page; receipts come back signed.
  const sms = await run(
    'simulators/dist/sms-gateway/main.js',
    [],
    { SMS_GATEWAY_SECRET: SECRET, HUB_RECEIPT_URL: `http://127.0.0.1:${port}/api/notifications/sms-receipts` },
    (j) => j.event === 'ready',
    'sms-gateway',
  );
  say("  starting the SIMULATED partner locker network (1,354 Xi'an sites) …");
  const partner = await run(
    'simulators/dist/partner-network/main.js',
    ['--app-id', PARTNER_APP.appId, '--app-secret', PARTNER_APP.appSecret, '--webhook-secret', PARTNER_APP.webhookSecret],
    {},
    (j) => j.event === 'ready',
    'partner-network',
  );
  const hubReady = await run(
    'hub/dist/main.js',
    [],
    {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      PORT: port,
      DATA_DIR: DATA,
      COURIER_DISPATCH_URL: dispatch.url as string,
      COURIER_DISPATCH_SECRET: SECRET,
      SWEEP_INTERVAL_MS: '5000',
      PARTNER_API_URL: partner.url as string,
      PARTNER_APP_ID: PARTNER_APP.appId,
      PARTNER_APP_SECRET: PARTNER_APP.appSecret,
      PARTNER_WEBHOOK_SECRET: PARTNER_APP.webhookSecret,
      PARTNER_RECONCILE_INTERVAL_MS: '10000',
      SMS_GATEWAY_URL: sms.url as string,
      SMS_GATEWAY_SECRET: SECRET,
    },
    (j) => j.msg === 'listening',
    'hub',
  );
  const hubUrl = `http://127.0.0.1:${String(hubReady.port)}`;

  const login = (await (
    await fetch(`${hubUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'ops.admin', password: 'xinbao-demo' }),
    })
  ).json()) as { token: string };
  const auth = { 'content-type': 'application/json', authorization: `Bearer ${login.token}` };
  const sites = (
    (await (await fetch(`${hubUrl}/api/sites`, { headers: auth })).json()) as { sites: Array<{ id: string; code: string; name: string }> }
  ).sites;
  const refresh = await fetch(`${hubUrl}/api/admin/partner/sites/refresh`, { method: 'POST', headers: auth });
  say(
    `  importing the partner's sites into the hub's registry (job ${((await refresh.json()) as { jobId?: string }).jobId ?? refresh.status}) …`,
  );

  const kiosks: Array<{
    site: string;
    name: string;
    family: string;
    localUrl: string;
    controlUrl: string;
    ptyPath: string;
    scanner?: string;
    printer?: string;
  }> = [];
  /** where the simulated couriers find each kiosk (its agent and its lock boards), by site code */
  const places: Record<string, { kind: 'own'; kioskUrl: string; controlUrl: string; board: number; firstLock: number }> = {};
  for (const { site: code, family, terminal } of KIOSKS) {
    const site = sites.find((s) => s.code === code);
    if (!site) continue;
    const dir = join(DATA, 'kiosks', code);
    mkdirSync(join(dir, 'pty'), { recursive: true });
    const { board: boardAddress, firstLock } = WIRING[family];
    const board = await run(
      'simulators/dist/lockboard/main.js',
      ['--family', family, '--boards', String(boardAddress), '--dir', join(dir, 'pty')],
      {},
      (j) => j.event === 'ready',
      `board-${code}`,
    );
    const device = (d: 'scanner' | 'printer') =>
      run('simulators/dist/terminal/main.js', ['--device', d, '--dir', join(dir, 'pty')], {}, (j) => j.event === 'ready', `${d}-${code}`);
    const scanner = terminal ? await device('scanner') : null;
    const printer = terminal ? await device('printer') : null;
    // The kiosk's key pair is made once; the hub knows only the public half.
    const idFile = join(dir, 'device.json');
    if (!existsSync(idFile)) {
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      writeFileSync(join(dir, 'device.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
      const reg = (await (
        await fetch(`${hubUrl}/api/admin/kiosks`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({ siteId: site.id, label: `${code} kiosk`, publicKey: publicKey.export({ type: 'spki', format: 'pem' }) }),
        })
      ).json()) as { deviceId: string };
      writeFileSync(idFile, JSON.stringify({ deviceId: reg.deviceId }));
    }
    const { deviceId } = JSON.parse(readFileSync(idFile, 'utf8')) as { deviceId: string };
    writeFileSync(
      join(dir, 'kiosk.json'),
      JSON.stringify(
        {
          hubUrl,
          deviceId,
          privateKeyFile: 'device.key',
          dataDir: 'journal',
          localPort: 0,
          siteName: site.name,
          buses: [{ id: 'bus0', family, path: board.ptyPath }],
          compartments: Array.from({ length: 16 }, (_, i) => ({
            compartment: i + 1,
            bus: 'bus0',
            board: boardAddress,
            lock: firstLock + i,
          })),
          ...(scanner && printer && { scanner: { path: scanner.ptyPath }, printer: { path: printer.ptyPath } }),
        },
        null,
        2,
      ),
    );
    const agent = await run('kiosk-agent/dist/main.js', [join(dir, 'kiosk.json')], {}, (j) => j.event === 'ready', `kiosk-${code}`);
    kiosks.push({
      site: site.id,
      name: site.name,
      family: family === 'kerong' ? 'KR-CU16' : '8A',
      localUrl: agent.localUrl as string,
      controlUrl: board.controlUrl as string,
      ptyPath: board.ptyPath as string,
      ...(scanner && printer && { scanner: scanner.controlUrl as string, printer: printer.controlUrl as string }),
    });
    places[code] = {
      kind: 'own',
      kioskUrl: agent.localUrl as string,
      controlUrl: board.controlUrl as string,
      board: boardAddress,
      firstLock,
    };
  }
  const couriers = (await (
    await fetch(`${String(dispatch.url)}/control/couriers`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ places }),
    })
  ).json()) as { on: boolean; couriers: string[] };

  const k = kiosks[0]!;
  say(`
xinbao demo city is up.

  web app            ${hubUrl}/   (sign in: hall.staff → intake desk ${hubUrl}/#/intake · ems.courier → my tasks · applicants by SMS code → their applications)${
    existsSync(join(ROOT, 'hub/web/dist/index.html')) ? '' : '  NOT BUILT: run npm run build -w @xinbao/web'
  }
    applicant        ${hubUrl}/#/apply        sign in by SMS (zhang.san's phone 13800000001; the code is in the SMS inbox below), apply, choose a locker, follow it live
    pre-review       ${hubUrl}/#/prereview    hall.staff (pass, one-time notice, 容缺) · search ${hubUrl}/#/search · rating follow-ups ${hubUrl}/#/follow-ups
    courier PDA      ${hubUrl}/#/courier      ems.courier (the dispatch courier EMS-XA-001: today's visits, codes as digits and QR)
    intake desk      ${hubUrl}/#/intake       hall.staff (scan or type a tracking number)
    processing queue ${hubUrl}/#/queue        hall.staff (accept, approve, reject)   API: ${hubUrl}/api/intake/queue
    exceptions       ${hubUrl}/#/exceptions   hall.staff (every failure, with its custody trail)   API: ${hubUrl}/api/exceptions
  simulated couriers ${couriers.on ? 'ON: they do the rounds by themselves' : 'OFF: play the courier on the PDA'} (${couriers.couriers.join(', ')})
                     switch: curl -s -XPUT ${String(dispatch.url)}/control/couriers -H 'content-type: application/json' -d '{"on":${couriers.on ? 'false' : 'true'}}'
                     (or start with npm start -- --courier) · their rounds: curl -s ${String(dispatch.url)}/control/couriers
  hub API            ${hubUrl}/api          (OpenAPI: ${hubUrl}/openapi.json, health: ${hubUrl}/health)
  courier dispatch   ${String(dispatch.url)}/api/orders   (SIMULATED EMS 揽派: what a courier's PDA shows)
  SMS inbox          ${String(sms.inboxUrl)}   (SIMULATED SMS gateway: every SMS the hub sent; JSON at ${String(sms.url)}/api/messages)
${kiosks
  .map((x) =>
    [
      `  kiosk              ${x.name}`,
      `                     touch screen ${x.localUrl}/  (open it in a browser) · status ${x.localUrl}/api/status`,
      `                     SIMULATED ${x.family} board ${x.controlUrl}/frames on ${x.ptyPath}`,
      ...(x.scanner ? [`                     SIMULATED QR scanner ${x.scanner} (POST /scan) · receipt printer ${x.printer}/receipts`] : []),
    ].join('\n'),
  )
  .join('\n')}
  partner lockers    ${String(partner.url)}/control/reservations   (SIMULATED 全城通港 network: ${String(partner.sites)} sites; the person at the locker)
  logs               .data/logs/

  Demo accounts (password xinbao-demo), for the web app and the API:
    zhang.san, li.si (applicants) · hall.staff (hall staff: intake desk) · ems.courier (courier) · ops.admin (operator)

Walk a parcel through (copy and paste):
  T=$(curl -s ${hubUrl}/api/auth/login -H 'content-type: application/json' -d '{"username":"zhang.san","password":"xinbao-demo"}' | sed 's/.*"token":"\\([^"]*\\)".*/\\1/')
  curl -s ${hubUrl}/api/applications -H "authorization: Bearer $T" -H 'content-type: application/json' \\
       -d '{"matterCode":"business-licence-change","materials":[{"code":"application-form"},{"code":"shareholder-resolution"},{"code":"licence-original"}],"dropOff":{"channel":"own_kiosk","siteId":"${k.site}"}}'
  # pre-review (资料预审) as hall.staff: the queue, then pass it (or return it with a one-time notice)
  S=$(curl -s ${hubUrl}/api/auth/login -H 'content-type: application/json' -d '{"username":"hall.staff","password":"xinbao-demo"}' | sed 's/.*"token":"\\([^"]*\\)".*/\\1/')
  curl -s ${hubUrl}/api/prereview -H "authorization: Bearer $S"
  curl -s -XPOST ${hubUrl}/api/prereview/<application id>/pass -H "authorization: Bearer $S" -H 'content-type: application/json' -d '{}'
  curl -s ${hubUrl}/api/applications/<application id> -H "authorization: Bearer $T"   # deposit: the code, once pre-review passed
  # type the 8-digit deposit code on the kiosk's touch screen and then its second factor, the last 6 digits
  # of the applicant's phone (zhang.san: 13800000001 → 000001), or here (N = the compartment it answered, lock = N-1):
  curl -s ${k.localUrl}/api/code -H 'content-type: application/json' -d '{"code":"<code>","factor":"000001"}'
  curl -s -XPOST ${k.controlUrl}/boards/0/locks/<N-1>/item -H 'content-type: application/json' -d '{"present":true}'
  curl -s -XPOST ${k.controlUrl}/boards/0/locks/<N-1>/close
  curl -s ${k.printer ?? '(no printer)'}/receipts              # the receipt the kiosk printed (tracking number, QR)
  curl -s ${String(dispatch.url)}/api/orders          # the courier's pickup code and its 6-digit pin appear here; type both at the kiosk the same way
  curl -s ${hubUrl}/api/parcels/<tracking number> -H "authorization: Bearer $T"   # the tracking log

Walk a whole round trip (documents in, the result back into a compartment):
  1. apply with the result coming back to the kiosk, and hand the documents in as above:
     curl -s ${hubUrl}/api/applications -H "authorization: Bearer $T" -H 'content-type: application/json' \\
       -d '{"matterCode":"business-licence-change","dropOff":{"channel":"own_kiosk","siteId":"${k.site}"},"returnChannel":{"channel":"own_kiosk","siteId":"${k.site}"}}'
  2. the courier collects: on the PDA (${hubUrl}/#/courier, ems.courier) the visit's one code, typed at the kiosk with its PIN
     (or scanned as its QR), opens each door in turn — or switch the simulated couriers on (above) and watch
  3. the hall: scan the tracking number at ${hubUrl}/#/intake (hall.staff), then accept and approve it in the queue, or:
     S=$(curl -s ${hubUrl}/api/auth/login -H 'content-type: application/json' -d '{"username":"hall.staff","password":"xinbao-demo"}' | sed 's/.*"token":"\\([^"]*\\)".*/\\1/')
     curl -s -XPOST ${hubUrl}/api/applications/<application id>/accept -H "authorization: Bearer $S"
     curl -s -XPOST ${hubUrl}/api/applications/<application id>/approve -H "authorization: Bearer $S" -H 'content-type: application/json' -d '{}'
  4. the courier delivers the result: the delivery order's code (PDA, or ${String(dispatch.url)}/api/orders) at the kiosk, envelope in, door shut
     (or the simulated couriers do it)
  5. the applicant collects: the collection code is in the notices (curl -s ${hubUrl}/api/me/notices -H "authorization: Bearer $T");
     type it at the kiosk with 000001, take the envelope, close the door; GET /api/parcels/<result tracking number> tells it all

Or through a partner locker near an address (全城通港):
  curl -s -G ${hubUrl}/api/sites/nearby -H "authorization: Bearer $T" --data-urlencode 'address=小寨东路'
  curl -s ${hubUrl}/api/applications -H "authorization: Bearer $T" -H 'content-type: application/json' \
       -d '{"matterCode":"business-licence-change","dropOff":{"channel":"partner_locker","siteId":"<a partner site id>"}}'
  curl -s -XPOST ${hubUrl}/api/prereview/<application id>/pass -H "authorization: Bearer $S" -H 'content-type: application/json' -d '{}'
  curl -s ${hubUrl}/api/applications/<application id> -H "authorization: Bearer $T"   # dropOff: reserving → ready, with the code
  curl -s -XPOST ${String(partner.url)}/control/devices/<deviceId>/keypad -H 'content-type: application/json' -d '{"code":"<code>"}'

Ctrl-C stops everything.`);
}

/** The port if it is free on loopback, else any free one. */
async function freePortPreferring(p: number): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number>((ok, fail) => {
      const s = createServer();
      s.once('error', fail);
      s.listen(port, '127.0.0.1', () => {
        const a = s.address();
        s.close(() => ok(typeof a === 'object' && a ? a.port : port));
      });
    });
  return tryListen(p).catch(() => tryListen(0));
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('\nxinbao demo: stopping …');
  const end = (c: ChildProcess) =>
    new Promise<void>((ok) => {
      if (c.exitCode !== null || c.signalCode !== null) return ok();
      c.once('exit', () => ok());
      c.kill('SIGTERM');
    });
  // The databases (started first) stop last, once nothing is using them.
  const [first, ...rest] = children;
  await Promise.all(rest.map(end));
  if (first) await end(first);
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

main().catch(async (e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  await stop();
  process.exit(1);
});
