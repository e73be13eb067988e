// Every bad request a clear 4xx (issue 10, item 2): the requests that got a 500 from the hub now
// each get a 4xx in the { error: { code, message, requestId } } envelope, logged at info without a
// stack; helmet's headers and the request id are on every answer; and a real fault is still a 500,
// logged with its stack, at most so many times a minute.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { gzipSync } from 'node:zlib';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { signIn, type Json } from '../support/http.js';
import { startTestHub, type TestHub } from '../support/hub.js';

interface LogLine {
  level: number;
  msg: string;
  requestId?: string;
  err?: { stack?: string };
  [k: string]: unknown;
}

describe('hub: bad requests are 4xx with the envelope', () => {
  let t: TestHub;
  let admin = '';
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as LogLine);
      done();
    },
  });

  beforeAll(async () => {
    t = await startTestHub({ log: pino({ level: 'info' }, sink) });
    admin = await signIn(t.api, 'ops.admin');
  });
  afterAll(async () => {
    await t?.stop();
  });

  const send = async (
    method: string,
    path: string,
    init: { headers?: Record<string, string>; body?: string | Buffer; token?: string } = {},
  ) => {
    const res = await fetch(`${t.url}${path}`, {
      method,
      headers: { ...(init.token && { authorization: `Bearer ${init.token}` }), ...init.headers },
      ...(init.body !== undefined && { body: init.body }),
    });
    const text = await res.text();
    let json: Json | null = null;
    try {
      json = JSON.parse(text) as Json;
    } catch {
      json = null;
    }
    return { status: res.status, json, headers: res.headers };
  };
  const expectRefusal = (r: { status: number; json: Json | null; headers: Headers }, status: number, code: string) => {
    expect({ status: r.status, code: r.json?.error?.code }).toEqual({ status, code });
    expect(typeof r.json!.error.message).toBe('string');
    expect(r.json!.error.requestId).toBe(r.headers.get('x-request-id'));
  };

  it.each(['GET', 'POST', 'PUT', 'DELETE', 'PATCH'])('%s /api/parcels/%%ZZ: 400 bad_path, signed in or not', async (method) => {
    expectRefusal(await send(method, '/api/parcels/%ZZ'), 400, 'bad_path');
    expectRefusal(await send(method, '/api/parcels/%ZZ', { token: admin }), 400, 'bad_path');
    expectRefusal(await send(method, '/api/applications/%E0%A4%A', { token: admin }), 400, 'bad_path');
  });

  it('NUL and lone surrogates in a path, a query or a body are refused before PostgreSQL', async () => {
    expectRefusal(await send('GET', '/api/parcels/%00', { token: admin }), 400, 'bad_text');
    // A surrogate has no UTF-8 form: its would-be bytes are a malformed escape.
    expectRefusal(await send('GET', '/api/parcels/%ED%A0%80', { token: admin }), 400, 'bad_path');
    expectRefusal(await send('GET', '/api/sites/nearby?address=a%00b', { token: admin }), 400, 'bad_text');
    const json = { 'content-type': 'application/json' };
    expectRefusal(
      await send('POST', '/api/auth/login', { headers: json, body: '{"username":"a\\u0000","password":"x"}' }),
      400,
      'bad_text',
    );
    expectRefusal(await send('POST', '/api/auth/login', { headers: json, body: '{"username":"\\ud800","password":"x"}' }), 400, 'bad_text');
    expectRefusal(
      await send('POST', '/api/applications', { headers: json, token: admin, body: '{"matterCode":"M\\u0000","x":["\\udc00"]}' }),
      400,
      'bad_text',
    );
    expectRefusal(await send('POST', '/api/admin/kiosks', { headers: json, token: admin, body: '{"label":"K\\u0000"}' }), 400, 'bad_text');
    // A key counts as text too, and a pair of surrogates is a real character, not a fault.
    expectRefusal(await send('POST', '/api/auth/login', { headers: json, body: '{"\\u0000":1}' }), 400, 'bad_text');
    const emoji = await send('POST', '/api/auth/login', { headers: json, body: '{"username":"\\ud83d\\ude00","password":"x"}' });
    expect(emoji.status).toBe(401);
  });

  it('charsets, encodings and bodies the parser cannot read: 415, 400 and 413, on every POST route', async () => {
    for (const path of ['/api/auth/login', '/api/applications', '/api/intake/receive', '/api/admin/kiosks']) {
      const token = path === '/api/auth/login' ? undefined : admin;
      expectRefusal(
        await send('POST', path, { token, headers: { 'content-type': 'application/json; charset=latin1' }, body: '{}' }),
        415,
        'unsupported_charset',
      );
      expectRefusal(
        await send('POST', path, { token, headers: { 'content-type': 'application/json', 'content-encoding': 'foo' }, body: '{}' }),
        415,
        'unsupported_encoding',
      );
      expectRefusal(
        await send('POST', path, { token, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: '{"a":1}' }),
        400,
        'bad_body',
      );
      expectRefusal(await send('POST', path, { token, headers: { 'content-type': 'application/json' }, body: '{' }), 400, 'bad_json');
      expectRefusal(
        await send('POST', path, { token, headers: { 'content-type': 'application/json' }, body: `{"a":"${'x'.repeat(70_000)}"}` }),
        413,
        'too_large',
      );
    }
    // A real gzip body is read.
    const ok = await send('POST', '/api/auth/login', {
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify({ username: 'ops.admin', password: 'wrong-password' })),
    });
    expect(ok.status).toBe(401);
  });

  it('an unknown route outside /api is a JSON 404 too', async () => {
    expectRefusal(await send('GET', '/nothing/here'), 404, 'not_found');
    expectRefusal(await send('GET', '/health/%ZZ'), 400, 'bad_path');
  });

  it('helmet headers and a request id on every answer; a sane x-request-id is kept, another replaced', async () => {
    const r = await send('GET', '/health');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(r.headers.get('strict-transport-security')).toMatch(/max-age=/);
    expect(r.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect((await send('GET', '/health', { headers: { 'x-request-id': 'kiosk-7.abc:1' } })).headers.get('x-request-id')).toBe(
      'kiosk-7.abc:1',
    );
    const odd = await send('GET', '/health', { headers: { 'x-request-id': 'a b<script>' } });
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a refusal is logged at info with its request id and no stack', async () => {
    const r = await send('GET', '/api/parcels/%ZZ', { headers: { 'x-request-id': 'trace-bad-path-1' } });
    expect(r.json!.error.requestId).toBe('trace-bad-path-1');
    const mine = lines.filter((l) => l.requestId === 'trace-bad-path-1');
    expect(mine.map((l) => [l.level, l.msg, l.code])).toEqual([[30, 'request refused', 'bad_path']]);
    expect(JSON.stringify(mine)).not.toContain('stack');
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
  });
});
