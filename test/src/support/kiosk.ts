// An own kiosk for end-to-end tests: registers a device for a demo site with a fresh Ed25519 key,
// writes the agent's key and configuration file, starts the kiosk agent program and waits until
// it is connected to the hub. The lock hardware (simulator program) is the caller's.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProgram, type RunningProgram } from './processes.js';
import { eventually } from './eventually.js';
import { signIn, type HubApi, type Json } from './http.js';

export interface RunningKiosk {
  agent: RunningProgram;
  /** The agent's local API (touch screen, scanner). */
  kioskUrl: string;
  siteId: string;
  deviceId: string;
}

export async function startKiosk(options: {
  api: HubApi;
  hubUrl: string;
  /** Demo site code, e.g. `own-hall`. */
  site: string;
  /** Where the key, configuration and agent data go (relative paths in the configuration are from here). */
  dir: string;
  buses: object[];
  compartments: Array<{ compartment: number; bus: string; board: number; lock: number }>;
  /** the QR scanner's pseudo-terminal (the terminal simulator's), when the kiosk has one */
  scannerPath?: string;
}): Promise<RunningKiosk> {
  const { api, dir } = options;
  const admin = await signIn(api, 'ops.admin');
  const site = ((await api('GET', '/api/sites', admin)).json.sites as Json[]).find((s) => s.code === options.site);
  if (!site) throw new Error(`no demo site ${options.site}`);
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const reg = await api('POST', '/api/admin/kiosks', admin, {
    siteId: site.id,
    label: `${options.site} kiosk`,
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }),
  });
  if (reg.status !== 201) throw new Error(`kiosk registration refused: ${reg.status} ${JSON.stringify(reg.json)}`);
  writeFileSync(join(dir, 'kiosk.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(
    join(dir, 'kiosk.json'),
    JSON.stringify({
      hubUrl: options.hubUrl,
      deviceId: reg.json.deviceId,
      privateKeyFile: 'kiosk.key',
      dataDir: 'kiosk-data',
      localPort: 0,
      pollIntervalMs: 100,
      buses: options.buses,
      compartments: options.compartments,
      ...(options.scannerPath && { scanner: { path: options.scannerPath } }),
    }),
  );
  const agent = await startProgram('kiosk-agent/dist/main.js', [join(dir, 'kiosk.json')], { isReady: (l) => l.event === 'ready' });
  const kioskUrl = agent.ready.localUrl as string;
  await eventually(
    async () => ((await (await fetch(`${kioskUrl}/api/status`)).json()) as Json).hubConnected === true,
    'the kiosk to connect',
  );
  return { agent, kioskUrl, siteId: site.id as string, deviceId: reg.json.deviceId as string };
}
