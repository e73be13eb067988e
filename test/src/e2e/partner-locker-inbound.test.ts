// The inbound journey through a partner locker (全城通港) on real parts, every part its own process:
// PostgreSQL, Redis, the hub, the partner locker network simulator (the shipped Xi'an data set of
// 1,354 sites) and the courier dispatch simulator. The registry is refreshed from the partner; the
// applicant finds a locker near 钟楼 and applies; the hub reserves at the partner and shows the
// partner's open-code; the applicant types it at the locker — and the partner's deposit callback is
// lost; the hub's reconciliation pulls it from the partner's event log, orders the courier with the
// partner's courier code; the courier collects with it, and the hall receives the parcel.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstBrokenLink } from '@xinbao/hub/domain/custody';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startProgram, type RunningProgram } from '../support/processes.js';
import { eventually } from '../support/eventually.js';
import { removeQueues, startHubProgram } from '../support/hub.js';
import { hubApi, signIn, type Json } from '../support/http.js';
import { applyPassed } from '../support/apply.js';

const APP = { id: 'xinbao-hub', secret: 'e2e-partner-app-secret', webhookSecret: 'e2e-partner-webhook-secret' };
const COURIER_SECRET = 'e2e-courier-dispatch-secret';

describe('partner locker, inbound: apply → partner code → deposit (callback lost) → reconciliation → courier → hall', () => {
  let db: TestDatabase;
  let partner: RunningProgram;
  let courier: RunningProgram;
  let hub: RunningProgram;
  let hubUrl = '';
  let queuePrefix = '';
  let partnerUrl = '';
  let courierUrl = '';
  const dir = mkdtempSync(join(tmpdir(), 'xinbao-e2e-partner-'));
  const api = hubApi(() => hubUrl);

  const control = async (method: string, path: string, body?: unknown): Promise<Json> => {
    const res = await fetch(`${partnerUrl}/control${path}`, {
      method,
      ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as Json;
    if (res.status >= 300) throw new Error(`partner control ${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    partner = await startProgram(
      'simulators/dist/partner-network/main.js',
      [
        '--port',
        '0',
        '--app-id',
        APP.id,
        '--app-secret',
        APP.secret,
        '--webhook-secret',
        APP.webhookSecret,
        '--webhook-retry-ms',
        '500,2000',
      ],
      { isReady: (l) => l.event === 'ready' },
    );
    partnerUrl = partner.ready.url as string;
    courier = await startProgram('simulators/dist/courier-dispatch/main.js', [], {
      env: { COURIER_DISPATCH_SECRET: COURIER_SECRET, PORT: '0' },
      isReady: (l) => l.event === 'ready',
    });
    courierUrl = courier.ready.url as string;
    ({ hub, hubUrl, queuePrefix } = await startHubProgram({
      databaseUrl: db.url,
      dir,
      env: {
        COURIER_DISPATCH_URL: courierUrl,
        COURIER_DISPATCH_SECRET: COURIER_SECRET,
        PARTNER_API_URL: partnerUrl,
        PARTNER_APP_ID: APP.id,
        PARTNER_APP_SECRET: APP.secret,
        PARTNER_WEBHOOK_SECRET: APP.webhookSecret,
        PARTNER_NETWORK: 'postal',
        PARTNER_RECONCILE_INTERVAL_MS: '1000',
        PARTNER_REFRESH_INTERVAL_MS: '3600000',
      },
    }));
  }, 90_000);

  afterAll(async () => {
    await hub?.stop();
    if (queuePrefix) await removeQueues(queuePrefix);
    await courier?.stop();
    await partner?.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes the documents from a partner locker to the hall, every step in custody', async () => {
    // The admin refreshes the site registry from the partner.
    const admin = await signIn(api, 'ops.admin');
    const queued = await api('POST', '/api/admin/partner/sites/refresh', admin);
    expect(queued.status).toBe(202);
    const refreshed = await eventually(
      async () => {
        const s = await api('GET', `/api/admin/partner/sites/refresh/${queued.json.jobId}`, admin);
        return s.json.state === 'completed' ? s.json : undefined;
      },
      'the site refresh',
      60_000,
    );
    expect(refreshed.result).toMatchObject({ network: 'postal', fetched: 1354, invalid: 0 });

    // The applicant looks for a locker near 钟楼 with a free M compartment, and applies there.
    const applicant = await signIn(api, 'zhang.san');
    const nearby = await api('GET', `/api/sites/nearby?address=${encodeURIComponent('钟楼')}&size=M`, applicant);
    expect(nearby.status).toBe(200);
    const site = (nearby.json.sites as Json[]).find((s) => s.network === 'postal' && s.online === true)!;
    expect(site).toBeDefined();
    expect(site.distanceM).toBeLessThanOrEqual(5000);
    const externalId = (await db.pool.query(`SELECT external_id FROM sites WHERE id = $1`, [site.id])).rows[0].external_id as string;
    const created = await applyPassed(api, applicant, {
      matterCode: 'business-licence-change',
      dropOff: { channel: 'partner_locker', siteId: site.id },
    });
    expect(created.status).toBe(201);
    expect(created.json.dropOff.state).toBe('reserving');
    const appId = created.json.application.id as string;
    const parcelId = created.json.parcel.id as string;
    const tn = created.json.parcel.trackingNumber as string;

    // The hub reserves at the partner; the applicant receives the partner's open-code.
    const ready = await eventually(async () => {
      const a = await api('GET', `/api/applications/${appId}`, applicant);
      return a.json.application.dropOff.state === 'ready' ? (a.json.application.dropOff as Json) : undefined;
    }, 'the partner code');
    const reservation = ((await control('GET', '/reservations')).reservations as Json[]).find((r) => r.requestId === parcelId)!;
    expect(reservation).toMatchObject({ siteId: externalId, state: 'reserved', reference: tn });
    expect(ready).toMatchObject({ code: reservation.openCode, compartment: reservation.compartmentNo, site: { id: site.id } });

    // The partner's deposit callback will be lost.
    await control('POST', '/webhooks/faults', { mode: 'drop', count: 1 });
    // The applicant types the code at the locker's keypad and puts the documents in.
    const deposited = await control('POST', `/devices/${reservation.deviceId}/keypad`, { code: ready.code });
    expect(deposited.state).toBe('deposited');
    const lost = (await control('GET', `/deliveries?reservationId=${reservation.reservationId}`)).deliveries as Json[];
    expect(lost.filter((d) => d.type === 'deposited').map((d) => d.outcome)).toEqual(['dropped']);

    // The reconciliation catches it up; the hub orders the courier with the partner's courier code.
    await eventually(
      async () => (await api('GET', `/api/parcels/${tn}`, applicant)).json.parcel.state === 'pickup_ordered',
      'pickup_ordered',
      30_000,
    );
    const events = (await db.pool.query(`SELECT type, source, outcome FROM partner_events WHERE parcel_id = $1 ORDER BY seq`, [parcelId]))
      .rows;
    expect(events.find((e) => e.type === 'deposited')).toEqual({ type: 'deposited', source: 'pull', outcome: 'applied' });
    const pickupCode = (await control('GET', `/reservations/${reservation.reservationId}`)).pickupCode as string;
    const orders = ((await (await fetch(`${courierUrl}/api/orders`)).json()) as Json).orders as Json[];
    const order = orders.find((o) => o.trackingNumber === tn)!;
    expect(order).toMatchObject({
      kind: 'pickup',
      code: pickupCode,
      compartment: reservation.compartmentNo,
      site: { code: `postal:${externalId}` },
    });
    expect(((await api('GET', `/api/applications/${appId}`, applicant)).json.application.dropOff as Json).state).toBe('deposited');

    // The courier opens the compartment with that code and takes the envelope.
    expect((await control('POST', `/devices/${reservation.deviceId}/keypad`, { code: order.code })).state).toBe('collected');
    await eventually(async () => (await api('GET', `/api/parcels/${tn}`, applicant)).json.parcel.state === 'picked_up', 'picked_up');

    // At the hall: into the processing queue.
    const staff = await signIn(api, 'hall.staff');
    const received = await api('POST', '/api/intake/receive', staff, { trackingNumber: tn });
    expect(received.status).toBe(200);
    expect(received.json.parcel.state).toBe('received_at_hall');

    const { events: custody } = (await api('GET', `/api/parcels/${tn}`, applicant)).json as { events: Json[] };
    expect(custody.map((e) => [e.kind, e.toState, e.actorKind])).toEqual([
      ['created', 'reserving', 'applicant'],
      ['reserved', 'awaiting_deposit', 'partner'],
      ['deposited', 'deposited', 'applicant'],
      ['pickup_ordered', 'pickup_ordered', 'system'],
      ['picked_up', 'picked_up', 'courier'],
      ['received_at_hall', 'received_at_hall', 'staff'],
    ]);
    const times = custody.map((e) => Date.parse(e.at as string));
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
    expect(firstBrokenLink(custody.map((e) => ({ ...e, at: new Date(e.at as string) })) as never)).toBe(-1);
    expect(custody.slice(1, 5).every((e) => e.compartment === reservation.compartmentNo && e.siteId === site.id)).toBe(true);
    expect(JSON.stringify(custody)).not.toContain(reservation.openCode as string);
    expect(JSON.stringify(custody)).not.toContain(pickupCode);
    // The compartment is free again at the partner.
    expect((await control('GET', `/reservations/${reservation.reservationId}`)).state).toBe('collected');
  }, 120_000);
});
