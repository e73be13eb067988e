// A hub with a partner locker network, in this process, on real parts: the hub (startTestHub, its
// BullMQ workers on the test Redis) on its own test database, the partner network SIMULATOR over real
// HTTP (signed requests both ways, webhooks to the hub's real port) and the courier dispatch
// SIMULATOR. Tests play the people at the lockers through the partner simulator's control API and
// read the hub through its HTTP API and its database.
import { pino } from 'pino';
import type { Hub } from '@xinbao/hub/app';
import {
  presetDevice,
  startPartnerNetworkSimulator,
  tinyXian,
  type PartnerApp,
  type PartnerSimulatorOptions,
  type RunningPartnerSimulator,
  type SiteSeed,
} from '@xinbao/simulators/partner-network';
import { startCourierDispatchSimulator, type CourierDispatchSimulator } from '@xinbao/simulators/courier-dispatch';
import type { TestDatabase } from './db.js';
import { eventually } from './eventually.js';
import { signIn, type HubApi, type Json } from './http.js';
import { startTestHub } from './hub.js';
import { applyPassed } from './apply.js';

export const PARTNER_APP: PartnerApp = {
  appId: 'xinbao-hub',
  appSecret: 'rig-partner-app-secret',
  webhookSecret: 'rig-partner-webhook-secret',
};
export const COURIER_SECRET = 'rig-courier-dispatch-secret';

/**
 * "Tiny Xi'an" plus two sites of its own: BIG (钟楼 area, plenty of every size, for tests that need
 * many reservations) and FULL (every compartment taken by other people's parcels).
 */
export function rigSites(): SiteSeed[] {
  return [
    ...tinyXian(),
    {
      siteId: 'BIG',
      name: '西大街社区服务站',
      address: '西安市莲湖区西大街100号社区服务站',
      district: '莲湖区',
      lat: 34.2605,
      lng: 108.935,
      devices: [presetDevice('BIG-1', { S: [40, 0], M: [40, 0], L: [20, 0], XL: [4, 0] })],
    },
    {
      siteId: 'FULL',
      name: '南大街小区东门',
      address: '西安市碑林区南大街20号小区东门',
      district: '碑林区',
      lat: 34.255,
      lng: 108.9435,
      devices: [presetDevice('FULL-1', { S: [4, 4], M: [4, 4], L: [2, 2], XL: [1, 1] })],
    },
  ];
}

export interface PartnerRig {
  db: TestDatabase;
  hub: Hub;
  hubUrl: string;
  api: HubApi;
  sim: RunningPartnerSimulator;
  courier: CourierDispatchSimulator;
  /** the partner simulator's control API ("the people at the lockers", faults, clock) */
  control(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  token(username: string): Promise<string>;
  /** the hub's site id of a partner site */
  siteId(externalId: string): Promise<string>;
  apply(
    externalId: string,
    opts?: { username?: string; matterCode?: string },
  ): Promise<{ status: number; json: Json; applicationId: string; parcelId: string; trackingNumber: string; token: string }>;
  /** the application's drop-off as `username` sees it */
  dropOff(applicationId: string, username?: string): Promise<Json>;
  waitForDropOff(applicationId: string, state: string, username?: string, timeoutMs?: number): Promise<Json>;
  parcelState(parcelId: string): Promise<string>;
  waitForParcel(parcelId: string, state: string, timeoutMs?: number): Promise<void>;
  /** the simulator's reservation made under this parcel's request id (with its codes: control view) */
  simReservation(parcelId: string): Promise<Json | undefined>;
  custody(parcelId: string): Promise<Json[]>;
  events(parcelId: string): Promise<Json[]>;
  stop(): Promise<void>;
}

export interface PartnerRigOptions {
  /** hub environment on top of the rig's */
  env?: Record<string, string>;
  sim?: Partial<PartnerSimulatorOptions>;
  /** false: a hub without a partner network */
  partner?: boolean;
}

export async function startPartnerRig(opts: PartnerRigOptions = {}): Promise<PartnerRig> {
  const sim = await startPartnerNetworkSimulator({
    apps: [PARTNER_APP],
    sites: rigSites(),
    webhookRetryDelaysMs: [200, 500],
    sweepIntervalMs: 200,
    ...opts.sim,
  });
  const courier = await startCourierDispatchSimulator({ secret: COURIER_SECRET });
  const partnerEnv: Record<string, string> =
    opts.partner === false
      ? {}
      : {
          PARTNER_API_URL: sim.url,
          PARTNER_APP_ID: PARTNER_APP.appId,
          PARTNER_APP_SECRET: PARTNER_APP.appSecret,
          PARTNER_WEBHOOK_SECRET: PARTNER_APP.webhookSecret,
          PARTNER_NETWORK: 'postal',
          PARTNER_TIMEOUT_MS: '500',
          PARTNER_RETRY_ATTEMPTS: '6',
          PARTNER_RETRY_BASE_MS: '100',
          PARTNER_RETRY_MAX_MS: '1500',
          // Tests run the reconciliation and the sweep themselves (hub.partner.reconcile/sweep).
          PARTNER_RECONCILE_INTERVAL_MS: '3600000',
          PARTNER_REFRESH_INTERVAL_MS: '3600000',
        };
  const testHub = await startTestHub({
    env: {
      RUN_WORKERS: 'true',
      COURIER_DISPATCH_URL: courier.url,
      COURIER_DISPATCH_SECRET: COURIER_SECRET,
      SWEEP_INTERVAL_MS: '3600000',
      ...partnerEnv,
      ...opts.env,
    },
    log: pino({ level: process.env.RIG_LOG_LEVEL ?? 'silent' }),
  });
  const { hub, db, url: hubUrl, api } = testHub;
  const tokens = new Map<string, string>();
  const token = async (username: string) => {
    const t = tokens.get(username) ?? (await signIn(api, username));
    tokens.set(username, t);
    return t;
  };

  if (opts.partner !== false) {
    // The registry must know the partner's sites before anyone can choose one.
    const admin = await token('ops.admin');
    const queued = await api('POST', '/api/admin/partner/sites/refresh', admin);
    if (queued.status !== 202) throw new Error(`could not queue a site refresh: ${JSON.stringify(queued.json)}`);
    await eventually(async () => {
      const s = await api('GET', `/api/admin/partner/sites/refresh/${queued.json.jobId}`, admin);
      if (s.json.state === 'failed') throw new Error(`site refresh failed: ${JSON.stringify(s.json)}`);
      return s.json.state === 'completed';
    }, 'the partner site refresh');
  }

  const control = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${sim.url}/control${path}`, {
      method,
      ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
  };
  const siteId = async (externalId: string) => {
    const r = await db.pool.query<{ id: string }>(`SELECT id FROM sites WHERE network = 'postal' AND external_id = $1`, [externalId]);
    if (!r.rows[0]) throw new Error(`no partner site ${externalId} in the registry`);
    return r.rows[0].id;
  };
  const dropOff = async (applicationId: string, username = 'zhang.san') => {
    const r = await api('GET', `/api/applications/${applicationId}`, await token(username));
    if (r.status !== 200) throw new Error(`GET application: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json.application.dropOff as Json;
  };
  const parcelState = async (parcelId: string) =>
    (await db.pool.query<{ state: string }>('SELECT state FROM parcels WHERE id = $1', [parcelId])).rows[0]!.state;

  return {
    db,
    hub,
    hubUrl,
    api,
    sim,
    courier,
    control,
    token,
    siteId,
    apply: async (externalId, o = {}) => {
      const t = await token(o.username ?? 'zhang.san');
      const r = await applyPassed(api, t, {
        matterCode: o.matterCode ?? 'business-licence-change',
        dropOff: { channel: 'partner_locker', siteId: await siteId(externalId) },
      });
      return {
        status: r.status,
        json: r.json,
        applicationId: r.json.application?.id as string,
        parcelId: r.json.parcel?.id as string,
        trackingNumber: r.json.parcel?.trackingNumber as string,
        token: t,
      };
    },
    dropOff,
    waitForDropOff: async (applicationId, state, username, timeoutMs) => {
      let last: Json | undefined;
      try {
        return await eventually(
          async () => {
            last = await dropOff(applicationId, username);
            return last.state === state ? last : undefined;
          },
          `drop-off ${state}`,
          timeoutMs,
        );
      } catch (e) {
        throw new Error(`${(e as Error).message}; last seen ${JSON.stringify(last)}`);
      }
    },
    parcelState,
    waitForParcel: async (parcelId, state, timeoutMs) => {
      let last = '';
      try {
        await eventually(
          async () => {
            last = await parcelState(parcelId);
            return last === state;
          },
          `parcel ${state}`,
          timeoutMs,
        );
      } catch (e) {
        throw new Error(`${(e as Error).message}; the parcel is ${last}`);
      }
    },
    simReservation: async (parcelId) => {
      const r = await control('GET', '/reservations');
      return (r.body.reservations as Json[]).find((x) => x.requestId === parcelId);
    },
    custody: async (parcelId) =>
      (
        await db.pool.query(
          `SELECT seq, id, parcel_id AS "parcelId", kind, from_state AS "fromState", to_state AS "toState", actor_kind AS "actorKind", actor_id AS "actorId",
             site_id AS "siteId", compartment, at, evidence, prev_hash AS "prevHash", hash FROM custody_events WHERE parcel_id = $1 ORDER BY seq`,
          [parcelId],
        )
      ).rows,
    events: async (parcelId) =>
      (
        await db.pool.query(
          `SELECT event_id AS "eventId", seq, type, source, outcome, detail, payload FROM partner_events WHERE parcel_id = $1 ORDER BY seq`,
          [parcelId],
        )
      ).rows,
    stop: async () => {
      await testHub.stop();
      await sim.stop();
      await courier.stop();
    },
  };
}
