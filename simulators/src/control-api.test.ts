// The simulators' HTTP APIs that tests talk to answer every unreadable request with a 4xx in the
// { error: { code, message } } envelope (issue 10): the control APIs' shared edge and the courier
// dispatch simulator's own.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { controlApp, finishControlApp, listenControl, parseControl, type ControlServer } from './control-api.js';
import { startCourierDispatchSimulator, type CourierDispatchSimulator } from './courier-dispatch/server.js';

const CASES: [string, string, string, string | Buffer, Record<string, string>, number, string][] = [
  ['bad JSON', 'POST', '/thing', '{', {}, 400, 'bad_json'],
  ['a latin1 body', 'POST', '/thing', '{}', { 'content-type': 'application/json; charset=latin1' }, 415, 'unsupported_charset'],
  ['an unknown encoding', 'POST', '/thing', '{}', { 'content-encoding': 'foo' }, 415, 'unsupported_encoding'],
  ['a gzip body that is not', 'POST', '/thing', '{"a":1}', { 'content-encoding': 'gzip' }, 400, 'bad_body'],
  ['too large', 'POST', '/thing', `{"a":"${'x'.repeat(70_000)}"}`, {}, 413, 'too_large'],
  ['a malformed escape', 'GET', '/thing/%ZZ', '', {}, 400, 'bad_path'],
];

const call = async (base: string, method: string, path: string, body: string | Buffer, headers: Record<string, string>) => {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(method === 'GET' ? {} : { body }),
  });
  const json = (await r.json()) as { error?: { code?: string; message?: string } };
  expect(typeof json.error?.message).toBe('string');
  return { status: r.status, code: json.error?.code };
};

describe('simulator control APIs', () => {
  let control: ControlServer;
  beforeAll(async () => {
    const app = controlApp();
    app.post('/thing', (req, res) => void res.json(parseControl(z.object({ a: z.number() }), req.body)));
    app.get('/thing/:id', (req, res) => void res.json({ id: req.params.id }));
    control = await listenControl(finishControlApp(app));
  });
  afterAll(() => control?.close());

  it.each(CASES)('%s (%s %s) is a 4xx with the envelope', async (_what, method, path, body, headers, status, code) => {
    expect(await call(control.url, method, path, body, headers)).toEqual({ status, code });
  });
});

describe('courier dispatch simulator', () => {
  let sim: CourierDispatchSimulator;
  beforeAll(async () => {
    sim = await startCourierDispatchSimulator({ secret: 'sim-secret-0123456789' });
  });
  afterAll(() => sim?.stop());

  it.each(CASES.map(([w, m, p, ...rest]) => [w, m, p.replace('/thing', '/api/orders'), ...rest] as const))(
    '%s (%s %s) is a 4xx with the envelope',
    async (_what, method, path, body, headers, status, code) => {
      // The simulator's GET /api/orders/:id takes any id; its malformed escape is still the path's fault.
      expect(await call(sim.url, method, path, body, headers)).toEqual({ status, code });
    },
  );
});
