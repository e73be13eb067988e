// Live tracking across hub processes: two hub programs on one database and one Redis; people hold
// `/people` sockets on either. A custody event committed by one process reaches its applicant's and
// the staff's sockets on the other (the Socket.IO Redis adapter), and nobody else's; a socket with no
// or a bad session is refused, one whose session ends is cut; the socket takes no requests.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { eventually } from '../support/eventually.js';
import { freshQueuePrefix, removeQueues, startHubProgram } from '../support/hub.js';
import { hubApi, signIn, type Json } from '../support/http.js';
import { applyPassed } from '../support/apply.js';
import type { RunningProgram } from '../support/processes.js';

describe('live tracking over /people, across two hub processes', () => {
  let db: TestDatabase;
  const hubs: RunningProgram[] = [];
  const urls: string[] = [];
  const queuePrefix = freshQueuePrefix('live');
  const dir = mkdtempSync(join(tmpdir(), 'xinbao-e2e-live-'));
  const sockets: Socket[] = [];
  const apiA = hubApi(() => urls[0]!);
  const apiB = hubApi(() => urls[1]!);

  /** A `/people` socket on a hub, and every step it is told. */
  const follow = async (url: string, token: string | undefined) => {
    const socket = io(`${url}/people`, { auth: token === undefined ? {} : { token }, transports: ['websocket'], reconnection: false });
    sockets.push(socket);
    const steps: Json[] = [];
    socket.on('tracking:step', (s: Json) => steps.push(s));
    const outcome = await new Promise<string>((resolve) => {
      socket.once('connect', () => resolve('connected'));
      socket.once('connect_error', (e) => resolve(e.message));
    });
    return { socket, steps, outcome };
  };

  /** The one place this file applies (the application's own-kiosk parcel and its tracking number). */
  const apply = async (api: typeof apiA, token: string): Promise<{ applicationId: string; trackingNumber: string }> => {
    const sites = (await api('GET', '/api/sites', token)).json.sites as Json[];
    const siteId = sites.find((s) => s.code === 'own-hall')?.id as string;
    const r = await applyPassed(api, token, {
      matterCode: 'business-licence-change',
      dropOff: { channel: 'own_kiosk', siteId },
    });
    expect(r.status).toBe(201);
    return { applicationId: r.json.application.id as string, trackingNumber: r.json.parcel.trackingNumber as string };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    for (const name of ['a', 'b']) {
      const { hub, hubUrl } = await startHubProgram({
        databaseUrl: db.url,
        dir: join(dir, name),
        env: { RUN_WORKERS: 'false', QUEUE_PREFIX: queuePrefix, PEOPLE_SOCKET_RECHECK_MS: '300' },
      });
      hubs.push(hub);
      urls.push(hubUrl);
    }
  }, 180_000);

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    for (const h of hubs) await h.stop();
    await removeQueues(queuePrefix);
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("tells a step committed by one process to its applicant's and the staff's sockets on the other, and to nobody else", async () => {
    const [zhang, li, staff] = [await signIn(apiA, 'zhang.san'), await signIn(apiA, 'li.si'), await signIn(apiA, 'hall.staff')];
    const own = await follow(urls[0]!, zhang);
    const other = await follow(urls[0]!, li);
    const hall = await follow(urls[0]!, staff);
    expect([own.outcome, other.outcome, hall.outcome]).toEqual(['connected', 'connected', 'connected']);

    // Applied through the other process: it commits the parcel's first custody event.
    const app = await apply(apiB, zhang);
    await eventually(() => own.steps.length > 0 && hall.steps.length > 0, 'the step on hub A');
    expect(own.steps).toEqual([
      {
        applicationId: app.applicationId,
        parcelId: expect.any(String),
        trackingNumber: app.trackingNumber,
        direction: 'inbound',
        event: expect.objectContaining({ kind: 'created', fromState: null, toState: 'awaiting_deposit', actorKind: 'applicant' }),
      },
    ]);
    expect(hall.steps).toEqual(own.steps);
    // The same event as the HTTP trail shows, by its id.
    const trail = (await apiA('GET', `/api/parcels/${app.trackingNumber}`, zhang)).json.events as Json[];
    expect(own.steps.map((s) => s.event.id)).toEqual(trail.map((e) => e.id));
    // Told once, though two processes hold sockets; li.si follows nothing of zhang.san's.
    await new Promise((r) => setTimeout(r, 500));
    expect(own.steps).toHaveLength(1);
    expect(other.steps).toEqual([]);
    // li.si's own application reaches li.si (on hub B now), not zhang.san.
    const liOnB = await follow(urls[1]!, li);
    await apply(apiA, li);
    await eventually(() => liOnB.steps.length === 1 && other.steps.length === 1, "li.si's step on both of li.si's sockets");
    expect(own.steps).toHaveLength(1);
  });

  it('refuses a socket without a live session, takes no requests, and cuts one whose session ends', async () => {
    expect((await follow(urls[0]!, undefined)).outcome).toBe('unauthorized');
    expect((await follow(urls[0]!, 'not-a-token')).outcome).toBe('unauthorized');
    expect((await follow(urls[0]!, 'x'.repeat(5_000))).outcome).toBe('unauthorized');

    const token = await signIn(apiB, 'zhang.san');
    const live = await follow(urls[0]!, token);
    expect(live.outcome).toBe('connected');
    expect(await live.socket.timeout(5_000).emitWithAck('tracking:follow', { applicationId: 'someone-else' })).toMatchObject({
      status: 'error',
      error: { code: 'not_allowed' },
    });
    const cut = new Promise<string>((resolve) => live.socket.once('disconnect', (reason) => resolve(reason)));
    const out = await fetch(`${urls[1]!}/api/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(out.status).toBe(204);
    expect(await cut).toBe('io server disconnect');
  });
});
