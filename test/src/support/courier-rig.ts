// The end-to-end rig of the courier and results journeys, every part its own process: PostgreSQL
// and Redis (the jest global setup), the hub program (running its workers), the courier dispatch
// simulator (a real peer: signed orders in, signed webhooks out), and an own kiosk — a kiosk agent
// on a KR-CU16 board simulator on a real pseudo-terminal, 16 compartments (lock = compartment − 1) —
// at the demo site `own-hall`. Tests act as the people: type codes on the kiosk's local API, put
// envelopes in and close doors through the simulator's control API, read the unlock frames the
// board received, and send simulated couriers on their rounds.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_COURIERS,
  SimulatedCourier,
  courierAutopilot,
  startCourierDispatchSimulator,
  type CourierDispatchSimulator,
  type CourierRoundsOptions,
} from '@xinbao/simulators/courier-dispatch';
import { createTestDatabase, type TestDatabase } from './db.js';
import { removeQueues, startHubProgram } from './hub.js';
import { hubApi, type HubApi, type Json } from './http.js';
import { startKiosk } from './kiosk.js';
import { kerongUnlockFrames, typeCode } from './kiosk-local.js';
export { unlockHex } from './kiosk-local.js';
import { startProgram, type RunningProgram } from './processes.js';

export interface CourierRig {
  db: TestDatabase;
  dispatch: CourierDispatchSimulator;
  hubUrl: string;
  api: HubApi;
  /** the kiosk agent's local API (touch screen, scanner) */
  kioskUrl: string;
  /** the board simulator's control API (the person at the locker) */
  controlUrl: string;
  /** the own-hall site's id */
  siteId: string;
  /** a keypad code with its second factor (ADR 0018), as a person types them; the kiosk's answer */
  typeAtKiosk(code: string, factor: string | null | undefined): Promise<Json>;
  /** every KR-CU16 unlock frame the board received, in order, as lower-case hex */
  unlockFrames(): Promise<string[]>;
  /** the person at the locker: an envelope in or out (`item`), or the door pushed shut (`close`) */
  person(compartment: number, action: 'item' | 'close', body?: unknown): Promise<void>;
  /** a simulated courier whose rounds include this kiosk */
  courier(options?: Partial<Omit<CourierRoundsOptions, 'dispatchUrl' | 'places'>>): SimulatedCourier;
  /** the last lines the hub program and the kiosk agent printed, for a failure's message */
  logs(): { hub: string[] };
  stop(): Promise<void>;
}

export async function startCourierRig(options: {
  /** the scratch directory's name */
  name: string;
  /** the secret the hub and the dispatch simulator share */
  secret: string;
  /** send the dispatch simulator's webhooks to the hub (default: kept in the simulator) */
  webhooks?: boolean;
  retryDelaysMs?: number[];
  /** the simulator's autopilot control (`PUT /control/couriers`, off until switched on), with quick couriers */
  autopilot?: boolean;
  /** more of the hub's settings (e.g. its SMS gateway) */
  hubEnv?: Record<string, string>;
}): Promise<CourierRig> {
  const dir = mkdtempSync(join(tmpdir(), `xinbao-e2e-${options.name}-`));
  const started: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const s of started.reverse()) await s();
    rmSync(dir, { recursive: true, force: true });
  };
  let hubUrl = '';
  const api = hubApi(() => hubUrl);
  try {
    const db = await createTestDatabase();
    started.push(() => db.drop());
    const autopilot = options.autopilot
      ? courierAutopilot({ couriers: DEFAULT_COURIERS, travelMs: 50, handleMs: 300, everyMs: 200 })
      : null;
    const dispatch = await startCourierDispatchSimulator({
      secret: options.secret,
      ...(options.retryDelaysMs && { retryDelaysMs: options.retryDelaysMs }),
      ...(autopilot && { routes: (app) => autopilot.routes(app) }),
    });
    started.push(() => dispatch.stop());
    if (autopilot) {
      autopilot.bind(dispatch.url);
      started.push(() => autopilot.stop());
    }
    mkdirSync(join(dir, 'pty'));
    const board: RunningProgram = await startProgram(
      'simulators/dist/lockboard/main.js',
      ['--family', 'kerong', '--boards', '0', '--dir', join(dir, 'pty')],
      { isReady: (l) => l.event === 'ready' },
    );
    started.push(() => board.stop());
    const controlUrl = board.ready.controlUrl as string;
    const hub = await startHubProgram({
      databaseUrl: db.url,
      dir,
      env: { COURIER_DISPATCH_URL: dispatch.url, COURIER_DISPATCH_SECRET: options.secret, ...options.hubEnv },
    });
    started.push(() => removeQueues(hub.queuePrefix));
    started.push(() => hub.hub.stop());
    hubUrl = hub.hubUrl;
    if (options.webhooks) dispatch.setWebhookUrl(`${hubUrl}/api/courier/webhooks`);
    const kiosk = await startKiosk({
      api,
      hubUrl,
      site: 'own-hall',
      dir,
      buses: [{ id: 'bus0', family: 'kerong', path: board.ready.ptyPath }],
      compartments: Array.from({ length: 16 }, (_, i) => ({ compartment: i + 1, bus: 'bus0', board: 0, lock: i })),
    });
    started.push(() => kiosk.agent.stop());
    const { kioskUrl, siteId } = kiosk;
    return {
      db,
      dispatch,
      hubUrl,
      api,
      kioskUrl,
      controlUrl,
      siteId,
      typeAtKiosk: (code, factor) => typeCode(kioskUrl, code, factor),
      unlockFrames: () => kerongUnlockFrames(controlUrl),
      person: async (compartment, action, body) => {
        const res = await fetch(`${controlUrl}/boards/0/locks/${compartment - 1}/${action}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body ?? {}),
        });
        if (res.status >= 300) throw new Error(`simulator ${action} on compartment ${compartment}: ${res.status} ${await res.text()}`);
      },
      courier: (o = {}) =>
        new SimulatedCourier({
          courierId: 'EMS-XA-001',
          travelMs: 50,
          handleMs: 300,
          ...o,
          dispatchUrl: dispatch.url,
          places: { 'own-hall': { kind: 'own', kioskUrl, controlUrl, lockOf: (c) => ({ board: 0, lock: c - 1 }) } },
        }),
      logs: () => ({ hub: [...hub.hub.output] }),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
