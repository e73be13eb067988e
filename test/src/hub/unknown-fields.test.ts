// Unknown fields are refused where they matter (issue 10, ADR 0020): every body and query the hub
// parses is a strict schema, so a field it does not know is a 400 `unknown_field` naming it — on the
// HTTP API (top level and nested, and a body sent to a route that takes none) and on the kiosk
// socket — logged at info without a stack, and nothing changes. The kiosk's handshake and the
// partner's webhooks stay lenient.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { io, type Socket } from 'socket.io-client';
import { signedHandshake } from '@xinbao/kiosk-agent/hub-link';
import { signIn, type Json } from '../support/http.js';
import { startTestHub, type TestHub } from '../support/hub.js';

interface LogLine {
  level: number;
  msg: string;
  requestId?: string;
  [k: string]: unknown;
}

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: unknown;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

/** The paths (`dropOff.oneOf.1`) of every object schema in `s` that takes fields it does not name. */
function openObjects(s: JsonSchema | undefined, at: string): string[] {
  if (!s || typeof s !== 'object') return [];
  const own = (s.type === 'object' || s.properties !== undefined) && s.additionalProperties !== false ? [at] : [];
  return [
    ...own,
    ...Object.entries(s.properties ?? {}).flatMap(([k, v]) => openObjects(v, `${at}.${k}`)),
    ...openObjects(s.items, `${at}[]`),
    ...(['anyOf', 'oneOf', 'allOf'] as const).flatMap((k) => (s[k] ?? []).flatMap((v, i) => openObjects(v, `${at}.${k}.${i}`))),
  ];
}

describe('hub: unknown fields are refused, naming them', () => {
  let t: TestHub;
  const tokens: Record<string, string> = {};
  let siteId = '';
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as LogLine);
      done();
    },
  });
  const sockets: Socket[] = [];

  beforeAll(async () => {
    t = await startTestHub({ log: pino({ level: 'info' }, sink) });
    for (const u of ['ops.admin', 'zhang.san', 'hall.staff']) tokens[u] = await signIn(t.api, u);
    siteId = ((await t.api('GET', '/api/sites', tokens['ops.admin'])).json.sites as Json[]).find((s) => s.network === 'own')!.id as string;
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await t?.stop();
  });

  const send = async (method: string, path: string, token: string | undefined, body?: unknown, requestId: string = randomUUID()) => {
    const res = await fetch(`${t.url}${path}`, {
      method,
      headers: {
        'x-request-id': requestId,
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...(token && { authorization: `Bearer ${token}` }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : null) as Json | null };
  };
  const expectUnknown = (r: { status: number; json: Json | null }, ...fields: string[]) => {
    expect({ status: r.status, code: r.json?.error?.code }).toEqual({ status: 400, code: 'unknown_field' });
    for (const f of fields) expect(r.json!.error.message).toContain(`"${f}"`);
  };
  const count = async (table: string) => Number((await t.db.pool.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

  it('the OpenAPI document shows every request body closed: no object schema takes a field it does not name', async () => {
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: JsonSchema }> } }>>;
    };
    const bodies = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).flatMap(([method, op]) =>
        op.requestBody ? [[`${method.toUpperCase()} ${path}`, op.requestBody.content['application/json']!.schema] as const] : [],
      ),
    );
    expect(bodies.length).toBeGreaterThanOrEqual(5);
    expect(bodies.flatMap(([route, schema]) => openObjects(schema, route))).toEqual([]);
  });

  it('a body with a field its route does not know: 400 unknown_field naming it, on every body route, for a caller the route admits', async () => {
    const applications = await count('applications');
    const devices = await count('kiosk_devices');
    // The right password: it is the field that is refused, before anyone is signed in.
    const login = await send('POST', '/api/auth/login', undefined, { username: 'ops.admin', password: 'xinbao-demo', remember: true });
    expectUnknown(login, 'remember');
    expect(login.json!.token).toBeUndefined();
    expectUnknown(
      await send('POST', '/api/applications', tokens['zhang.san'], {
        matterCode: 'business-licence-change',
        dropOff: { channel: 'own_kiosk', siteId },
        priority: 'high',
      }),
      'priority',
    );
    // Nested, in one branch of the drop-off union.
    expectUnknown(
      await send('POST', '/api/applications', tokens['zhang.san'], {
        matterCode: 'business-licence-change',
        dropOff: { channel: 'own_kiosk', siteId, compartment: 3 },
      }),
      'dropOff.compartment',
    );
    expectUnknown(await send('POST', '/api/intake/receive', tokens['hall.staff'], { trackingNumber: 'XB1', weight: 2 }), 'weight');
    const { publicKey } = generateKeyPairSync('ed25519');
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expectUnknown(
      await send('POST', '/api/admin/kiosks', tokens['ops.admin'], { siteId, publicKey: pem, label: 'k', active: false }),
      'active',
    );
    expectUnknown(
      await send('PUT', `/api/admin/kiosks/${randomUUID()}/key`, tokens['ops.admin'], { publicKey: pem, oldKey: 'x' }),
      'oldKey',
    );
    // Several at once: each is named.
    expectUnknown(await send('POST', '/api/auth/login', undefined, { username: 'a', password: 'b', x: 1, y: 2 }), 'x', 'y');
    expect(await count('applications')).toBe(applications);
    expect(await count('kiosk_devices')).toBe(devices);
    // The same bodies without the field are taken.
    expect(
      (
        await send('POST', '/api/applications', tokens['zhang.san'], {
          matterCode: 'business-licence-change',
          dropOff: { channel: 'own_kiosk', siteId },
        })
      ).status,
    ).toBe(201);
    expect((await send('POST', '/api/admin/kiosks', tokens['ops.admin'], { siteId, publicKey: pem, label: 'k' })).status).toBe(201);
  });

  it('a route that takes no body refuses one with a field, and takes {} or nothing', async () => {
    const mine = await signIn(t.api, 'li.si');
    expectUnknown(await send('POST', '/api/auth/logout', mine, { everywhere: true }), 'everywhere');
    // The session was not ended by the refused call …
    expect((await send('GET', '/api/me', mine)).status).toBe(200);
    expectUnknown(await send('POST', '/api/auth/logout-everywhere', mine, { keep: 'this' }), 'keep');
    expect((await send('GET', '/api/me', mine)).status).toBe(200);
    // … and ends with an empty body.
    expect((await send('POST', '/api/auth/logout', mine, {})).status).toBe(204);
    expect((await send('GET', '/api/me', mine)).status).toBe(401);

    const { publicKey } = generateKeyPairSync('ed25519');
    const reg = await send('POST', '/api/admin/kiosks', tokens['ops.admin'], {
      siteId,
      label: 'to deactivate',
      publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    });
    const deviceId = reg.json!.deviceId as string;
    expectUnknown(await send('POST', `/api/admin/kiosks/${deviceId}/deactivate`, tokens['ops.admin'], { reason: 'stolen' }), 'reason');
    const active = async () =>
      (await t.db.pool.query<{ off: boolean }>('SELECT deactivated_at IS NOT NULL AS off FROM kiosk_devices WHERE id = $1', [deviceId]))
        .rows[0]!.off;
    expect(await active()).toBe(false);
    expect((await send('POST', `/api/admin/kiosks/${deviceId}/deactivate`, tokens['ops.admin'])).status).toBe(200);
    expect(await active()).toBe(true);
  });

  it('a query parameter the route does not know: 400 unknown_field', async () => {
    expectUnknown(await send('GET', '/api/sites/nearby?lat=34.26&lng=108.94&radius=5', tokens['zhang.san']), 'radius');
    expect((await send('GET', '/api/sites/nearby?lat=34.26&lng=108.94&radiusM=5000', tokens['zhang.san'])).status).toBe(200);
  });

  it('the refusal is logged at info, with its request id and code, without a stack', async () => {
    const id = `unknown-field-${randomUUID().slice(0, 8)}`;
    await send('POST', '/api/auth/login', undefined, { username: 'a', password: 'b', captcha: '1' }, id);
    const mine = lines.filter((l) => l.requestId === id);
    expect(mine.map((l) => [l.level, l.msg, l.code])).toEqual([[30, 'request refused', 'unknown_field']]);
    expect(JSON.stringify(mine)).not.toContain('stack');
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
  });

  describe('the kiosk socket', () => {
    const connect = (deviceId: string, key: KeyObject, extra: Json = {}) =>
      new Promise<Socket>((resolve, reject) => {
        const socket = io(`${t.url}/kiosk`, {
          transports: ['websocket'],
          auth: { ...signedHandshake(deviceId, key, Date.now()), ...extra },
          reconnection: false,
        });
        sockets.push(socket);
        socket.on('hello', () => resolve(socket));
        socket.on('connect_error', reject);
      });
    let socket: Socket;

    beforeAll(async () => {
      const keys = generateKeyPairSync('ed25519');
      const r = await send('POST', '/api/admin/kiosks', tokens['ops.admin'], {
        siteId,
        label: 'strict socket',
        publicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      });
      // The handshake stays open: a newer agent may add to it and still be told the version.
      socket = await connect(r.json!.deviceId as string, keys.privateKey, { capabilities: ['printer'] });
    });

    const ask = (event: string, body: unknown) => socket.timeout(5_000).emitWithAck(event, body) as Promise<Json>;

    it('a request with a field the hub does not know is answered unknown_field, naming it; nothing is recorded', async () => {
      const events = await count('kiosk_events');
      const submit = await ask('code:submit', { requestId: randomUUID(), via: 'keypad', code: '12345678', pin: '0000' });
      expect(submit).toMatchObject({ status: 'error', error: { code: 'unknown_field', details: { fields: ['pin'] } } });
      expect(submit.error.message).toContain('"pin"');
      const event = await ask('kiosk:event', {
        eventId: randomUUID(),
        at: new Date().toISOString(),
        type: 'door_opened',
        compartment: 1,
        force: 'high',
      });
      expect(event).toMatchObject({ status: 'error', error: { code: 'unknown_field', details: { fields: ['force'] } } });
      const bus = await ask('kiosk:bus', {
        at: new Date().toISOString(),
        buses: [{ bus: 'b1', state: 'up', frames: 1, replies: 1, timeouts: 0, badFramesDropped: 0, reopenings: 0, temperature: 40 }],
      });
      expect(bus).toMatchObject({ status: 'error', error: { code: 'unknown_field', details: { fields: ['buses.0.temperature'] } } });
      expect(await ask('codes:sync', { cursor: null, since: 0 })).toMatchObject({ status: 'error', error: { code: 'unknown_field' } });
      expect(await count('kiosk_events')).toBe(events);
      // Without the field, the same event is recorded.
      expect(
        await ask('kiosk:event', { eventId: randomUUID(), at: new Date().toISOString(), type: 'door_opened', compartment: 1 }),
      ).toMatchObject({ status: 'ok' });
    });

    it('numbers out of range are refused: a compartment the hub cannot store, a counter past 2^53', async () => {
      const big = await ask('kiosk:event', {
        eventId: randomUUID(),
        at: new Date().toISOString(),
        type: 'door_opened',
        compartment: 2 ** 40,
      });
      expect(big).toMatchObject({ status: 'error', error: { code: 'bad_request' } });
      const counter = await ask('kiosk:bus', {
        at: new Date().toISOString(),
        buses: [{ bus: 'b1', state: 'up', frames: 2 ** 60, replies: 1, timeouts: 0, badFramesDropped: 0, reopenings: 0 }],
      });
      expect(counter).toMatchObject({ status: 'error', error: { code: 'bad_request' } });
      expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    });
  });
});
