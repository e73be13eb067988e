// Round trip (b) of issue 11 through partner lockers both ways, every part its own process but the
// simulated courier: PostgreSQL, Redis, the hub, the partner locker network simulator (the shipped
// Xi'an data set) and the courier dispatch simulator (its webhooks to the hub), with a
// SimulatedCourier doing the rounds from the dispatch system's orders. The applicant drops the
// documents off at a partner locker with the partner's open-code; the courier collects them with
// the partner's pickup code; the hall scans them in and accepts; staff approve; the hub reserves a
// compartment *for delivery* at another partner locker and orders the courier with the partner's
// deliver code; the courier puts the result in; the partner's collection code reaches the applicant
// through the notices outbox; the applicant collects. Every custody event of both parcels is checked
// in order, and the partner's record of door openings shows each code opened exactly its
// compartment, once.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstBrokenLink } from '@xinbao/hub/domain/custody';
import { SimulatedCourier, type PartnerPlace } from '@xinbao/simulators/courier-dispatch';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startProgram, type RunningProgram } from '../support/processes.js';
import { eventually } from '../support/eventually.js';
import { removeQueues, startHubProgram } from '../support/hub.js';
import { hubApi, signIn, type Json } from '../support/http.js';
import { applyPassed } from '../support/apply.js';

const APP = { id: 'xinbao-hub', secret: 'e2e-trip-partner-app-secret', webhookSecret: 'e2e-trip-partner-webhook-secret' };
const COURIER_SECRET = 'e2e-trip-courier-dispatch-secret';

/** A port free right now (the dispatch simulator must know the hub's webhook address before the hub starts). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The custody trail as [kind, toState, actorKind], checked against `expected` group by group: the
 * events of one group may come in any order among themselves (a partner's webhook and the courier
 * system's webhook about the same moment race), the groups themselves in order. A courier system
 * event's state is not compared (it is whatever the parcel was when the webhook came).
 */
function expectTrail(trail: Array<[string, string, string]>, expected: Array<Array<[string, string, string]>>): void {
  // A courier system's event does not move the parcel: the state it was recorded at is the race's, not the test's.
  const key = (e: [string, string, string]) => (e[0].startsWith('courier_') ? [e[0], '*', e[2]] : e).join('/');
  let i = 0;
  const got: string[][] = [];
  for (const group of expected) {
    got.push(
      trail
        .slice(i, i + group.length)
        .map(key)
        .sort(),
    );
    i += group.length;
  }
  expect({ groups: got, rest: trail.slice(i).map(key) }).toEqual({ groups: expected.map((g) => g.map(key).sort()), rest: [] });
}

describe('round trip (b): a partner locker both ways, across processes', () => {
  let db: TestDatabase;
  let partner: RunningProgram;
  let dispatch: RunningProgram;
  let hub: RunningProgram;
  let hubUrl = '';
  let queuePrefix = '';
  let partnerUrl = '';
  let dispatchUrl = '';
  const dir = mkdtempSync(join(tmpdir(), 'xinbao-e2e-trip-partner-'));
  const api = hubApi(() => hubUrl);

  const control = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> => {
    const res = await fetch(`${partnerUrl}/control${path}`, {
      method,
      ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as Json };
  };
  const reservationOf = async (parcelId: string): Promise<Json> =>
    ((await control('GET', '/reservations')).json.reservations as Json[]).find((r) => r.requestId === parcelId)!;
  /** A partner site's keypad as a person (or a courier) uses it: the code is typed on the site's device that knows it. */
  const keypadAt = (externalId: string) => async (code: string) => {
    const devices = new Set(
      ((await control('GET', '/reservations')).json.reservations as Json[]).filter((r) => r.siteId === externalId).map((r) => r.deviceId),
    );
    for (const deviceId of devices) {
      const r = await control('POST', `/devices/${deviceId as string}/keypad`, { code });
      if (r.status === 200) return r.json;
    }
    throw new Error(`code refused at every device of ${externalId}`);
  };
  const doors = async () => (await control('GET', '/doors')).json.openings as Json[];
  const tracked = async (token: string, tn: string) => (await api('GET', `/api/parcels/${tn}`, token)).json;
  const stateOf = async (token: string, tn: string) => (await tracked(token, tn)).parcel.state as string;
  const trail = async (token: string, tn: string): Promise<Array<[string, string, string]>> => {
    const { events } = await tracked(token, tn);
    const chain = (events as Json[]).map((e) => ({ ...e, at: new Date(e.at as string) }));
    expect(firstBrokenLink(chain as never)).toBe(-1);
    return (events as Json[]).map((e) => [e.kind as string, e.toState as string, e.actorKind as string]);
  };
  const webhooksSettled = async () => {
    const w = (await (await fetch(`${dispatchUrl}/api/webhooks`)).json()) as Json;
    return w.pending === 0;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    const hubPort = await freePort();
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
        '300,1000',
      ],
      { isReady: (l) => l.event === 'ready' },
    );
    partnerUrl = partner.ready.url as string;
    dispatch = await startProgram('simulators/dist/courier-dispatch/main.js', [], {
      env: { COURIER_DISPATCH_SECRET: COURIER_SECRET, PORT: '0', HUB_WEBHOOK_URL: `http://127.0.0.1:${hubPort}/api/courier/webhooks` },
      isReady: (l) => l.event === 'ready',
    });
    dispatchUrl = dispatch.ready.url as string;
    ({ hub, hubUrl, queuePrefix } = await startHubProgram({
      databaseUrl: db.url,
      dir,
      env: {
        PORT: String(hubPort),
        COURIER_DISPATCH_URL: dispatchUrl,
        COURIER_DISPATCH_SECRET: COURIER_SECRET,
        PARTNER_API_URL: partnerUrl,
        PARTNER_APP_ID: APP.id,
        PARTNER_APP_SECRET: APP.secret,
        PARTNER_WEBHOOK_SECRET: APP.webhookSecret,
        PARTNER_NETWORK: 'postal',
        PARTNER_RECONCILE_INTERVAL_MS: '3600000',
        PARTNER_REFRESH_INTERVAL_MS: '3600000',
      },
    }));
  }, 90_000);

  afterAll(async () => {
    await hub?.stop();
    if (queuePrefix) await removeQueues(queuePrefix);
    await dispatch?.stop();
    await partner?.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('drop-off at a partner locker → hall → approve → delivery into a partner locker → collected with the partner’s code', async () => {
    const admin = await signIn(api, 'ops.admin');
    const queued = await api('POST', '/api/admin/partner/sites/refresh', admin);
    expect(queued.status).toBe(202);
    await eventually(
      async () => (await api('GET', `/api/admin/partner/sites/refresh/${queued.json.jobId}`, admin)).json.state === 'completed',
      'the site refresh',
      60_000,
    );

    // Two partner lockers near 钟楼 with a free M compartment: one to drop off at, one for the result.
    const zhang = await signIn(api, 'zhang.san');
    const nearby = await api('GET', `/api/sites/nearby?address=${encodeURIComponent('钟楼')}&size=M`, zhang);
    const [inSite, outSite] = (nearby.json.sites as Json[]).filter((s) => s.network === 'postal' && s.online === true);
    expect(inSite && outSite).toBeDefined();
    const externalOf = async (id: string) =>
      (await db.pool.query(`SELECT external_id FROM sites WHERE id = $1`, [id])).rows[0].external_id as string;
    const inExternal = await externalOf(inSite!.id as string);
    const outExternal = await externalOf(outSite!.id as string);

    const courier = new SimulatedCourier({
      dispatchUrl,
      courierId: 'EMS-XA-002',
      travelMs: 50,
      handleMs: 20,
      places: {
        [`postal:${inExternal}`]: { kind: 'partner', keypad: keypadAt(inExternal) } satisfies PartnerPlace,
        [`postal:${outExternal}`]: { kind: 'partner', keypad: keypadAt(outExternal) } satisfies PartnerPlace,
      },
    });

    // Apply: documents in at the first partner locker, the result back to the second.
    const created = await applyPassed(api, zhang, {
      matterCode: 'business-licence-change',
      dropOff: { channel: 'partner_locker', siteId: inSite!.id },
      returnChannel: { channel: 'partner_locker', siteId: outSite!.id },
    });
    expect(created.status).toBe(201);
    const applicationId = created.json.application.id as string;
    const inParcel = created.json.parcel.id as string;
    const inTn = created.json.parcel.trackingNumber as string;

    // The partner's open-code reaches the applicant; typed at the locker, it opens the compartment.
    const ready = await eventually(async () => {
      const a = await api('GET', `/api/applications/${applicationId}`, zhang);
      return a.json.application.dropOff.state === 'ready' ? (a.json.application.dropOff as Json) : undefined;
    }, 'the partner open-code');
    const inReservation = await reservationOf(inParcel);
    expect(ready).toMatchObject({ code: inReservation.openCode, compartment: inReservation.compartmentNo });
    expect((await keypadAt(inExternal)(ready.code as string)).state).toBe('deposited');

    // The hub orders the courier with the partner's pickup code; the simulated courier collects and brings it in.
    await eventually(async () => (await stateOf(zhang, inTn)) === 'pickup_ordered', 'pickup_ordered', 30_000);
    await eventually(webhooksSettled, 'the courier system’s webhooks (assigned)');
    await eventually(async () => (await courier.roundOnce()).length === 1, 'the courier’s pickup round', 30_000);
    await eventually(async () => (await stateOf(zhang, inTn)) === 'picked_up', 'picked_up');
    await eventually(webhooksSettled, 'the courier system’s webhooks');
    const pickupCode = (await reservationOf(inParcel)).pickupCode as string;

    // The hall scans it in and accepts; staff approve.
    const staff = await signIn(api, 'hall.staff');
    expect((await api('POST', '/api/intake/scans', staff, { trackingNumber: inTn })).status).toBe(201);
    expect((await api('POST', `/api/applications/${applicationId}/accept`, staff)).status).toBeLessThan(300);
    const approved = await api('POST', `/api/applications/${applicationId}/approve`, staff, { note: '准予变更' });
    expect(approved).toMatchObject({ status: 201, json: { result: { state: 'result_ready', channel: 'partner_locker' } } });
    const outParcel = approved.json.result.id as string;
    const outTn = approved.json.result.trackingNumber as string;

    // The hub reserves for delivery at the second locker and orders the courier with the partner's deliver code.
    await eventually(async () => (await stateOf(zhang, outTn)) === 'delivery_ordered', 'delivery_ordered', 30_000);
    const outReservation = await reservationOf(outParcel);
    expect(outReservation).toMatchObject({ purpose: 'delivery', siteId: outExternal, state: 'reserved', reference: outTn });
    const order = ((await (await fetch(`${dispatchUrl}/api/orders`)).json()) as { orders: Json[] }).orders.find(
      (o) => o.trackingNumber === outTn,
    )!;
    expect(order).toMatchObject({
      kind: 'delivery',
      code: outReservation.openCode,
      compartment: outReservation.compartmentNo,
      site: { code: `postal:${outExternal}` },
    });
    // The courier takes it at the hall and puts it in the partner's locker with that code.
    await eventually(webhooksSettled, 'the courier system’s webhooks (assigned)');
    await eventually(async () => (await courier.roundOnce()).length === 1, 'the courier’s delivery round', 30_000);
    expect(courier.rounds.at(-1)).toMatchObject({ kind: 'delivery', orderId: order.orderId, outcome: 'delivered' });
    await eventually(async () => (await stateOf(zhang, outTn)) === 'in_locker', 'in_locker');
    await eventually(webhooksSettled, 'the courier system’s webhooks');

    // The partner's collection code reaches the applicant in the notices outbox, and opens the compartment.
    const notice = ((await api('GET', '/api/me/notices', zhang)).json.notices as Json[]).find(
      (n) => n.parcelId === outParcel && n.kind === 'result_in_locker',
    )!;
    const collectionCode = (await reservationOf(outParcel)).collectionCode as string;
    expect(notice.details).toMatchObject({
      compartment: outReservation.compartmentNo,
      code: collectionCode,
      factor: 'none',
      partner: true,
    });
    expect((await keypadAt(outExternal)(notice.details.code as string)).state).toBe('collected');
    await eventually(async () => (await stateOf(zhang, outTn)) === 'collected', 'collected');

    // Each code opened exactly its compartment, once; none opens anything again.
    const opened = await doors();
    expect(opened.map((o) => [o.reservationId, o.compartmentNo, o.codeKind, o.code])).toEqual([
      [inReservation.reservationId, inReservation.compartmentNo, 'open', inReservation.openCode],
      [inReservation.reservationId, inReservation.compartmentNo, 'pickup', pickupCode],
      [outReservation.reservationId, outReservation.compartmentNo, 'deliver', outReservation.openCode],
      [outReservation.reservationId, outReservation.compartmentNo, 'collection', collectionCode],
    ]);
    for (const [site, code] of [
      [inExternal, inReservation.openCode],
      [inExternal, pickupCode],
      [outExternal, outReservation.openCode],
      [outExternal, collectionCode],
    ] as Array<[string, string]>) {
      await expect(keypadAt(site)(code)).rejects.toThrow(/refused/);
    }
    expect(await doors()).toHaveLength(4);

    // Every custody event of both parcels, in order.
    expectTrail(await trail(zhang, inTn), [
      [['created', 'reserving', 'applicant']],
      [['reserved', 'awaiting_deposit', 'partner']],
      [['deposited', 'deposited', 'applicant']],
      [
        ['pickup_ordered', 'pickup_ordered', 'system'],
        ['courier_assigned', 'pickup_ordered', 'courier'],
      ],
      // The partner's `collected` webhook and the courier's two reports (picked up, delivered at the hall) race.
      [
        ['picked_up', 'picked_up', 'courier'],
        ['courier_picked_up', 'picked_up', 'courier'],
        ['courier_delivered', 'picked_up', 'courier'],
      ],
      [['received_at_hall', 'received_at_hall', 'staff']],
      [['accepted', 'accepted', 'staff']],
    ]);
    expectTrail(await trail(zhang, outTn), [
      [['created', 'result_ready', 'staff']],
      [['partner_reserved', 'result_ready', 'partner']],
      // A result's order tells custody only when the result changes hands (ADR 0028): the courier
      // takes it at the hall (racing the hub's own record of the order); the partner's events put it in.
      [
        ['delivery_ordered', 'delivery_ordered', 'system'],
        ['courier_picked_up', 'delivery_ordered', 'courier'],
      ],
      [
        ['out_for_delivery', 'out_for_delivery', 'courier'],
        ['in_locker', 'in_locker', 'courier'],
      ],
      [['collected', 'collected', 'applicant']],
    ]);
    // No code of the partner's in the custody log or the stored partner events.
    const stored = JSON.stringify([
      await trail(zhang, inTn),
      (await tracked(zhang, outTn)).events,
      (await db.pool.query('SELECT payload FROM partner_events')).rows,
      (await db.pool.query('SELECT open_code_enc FROM partner_reservations')).rows,
    ]);
    for (const code of [inReservation.openCode, pickupCode, outReservation.openCode, collectionCode]) expect(stored).not.toContain(code);
  }, 180_000);
});
