// The kiosk's local API refuses what it cannot read with a 4xx (issue 10): a body `{` was a 500, a
// 5 KB body a 500 instead of 413. The agent behind it is a recorder here: these requests must be
// refused before it is asked anything, and a good one must still reach it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import type { KioskAgent } from './agent.js';
import type { HubLink } from './hub-link.js';
import type { KioskJournal } from './journal.js';
import { startLocalServer } from './local-server.js';

const UNCONFIRMED = '0190f1a2-0000-7000-8000-0000000000a1';
const OPENED = '0190f1a2-0000-7000-8000-0000000000a2';

describe('kiosk local API: bad requests are 4xx', () => {
  const entered: string[] = [];
  const answers: string[] = [];
  let url = '';
  let server: Server;

  beforeAll(async () => {
    const agent = {
      enterCode: (code: string, _source: string, factor?: string) => {
        entered.push(factor === undefined ? code : `${code} + ${factor}`);
        return Promise.resolve({ status: 'refused', reason: 'unknown_code', message: 'no such code' });
      },
      answerUnlock: (commandId: string, answer: string) => {
        answers.push(`${commandId} ${answer}`);
        if (commandId === UNCONFIRMED) return { ok: true };
        return { ok: false, code: commandId === OPENED ? 'not_unconfirmed' : 'unknown_command' };
      },
    } as unknown as KioskAgent;
    ({ url, server } = await startLocalServer(
      { agent, link: { connected: false } as HubLink, journal: { unacked: () => [] } as unknown as KioskJournal },
      '127.0.0.1',
      0,
    ));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const post = async (path: string, body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }) => {
    const r = await fetch(`${url}${path}`, { method: 'POST', headers, body });
    const json = (await r.json()) as { error?: { code: string; message: string } };
    return { status: r.status, code: json.error?.code };
  };

  it.each([
    ['a body `{`', '/api/code', '{', {}, 400, 'bad_json'],
    ['a 5 KB body', '/api/code', JSON.stringify({ code: 'x'.repeat(5 * 1024) }), {}, 413, 'too_large'],
    [
      'a latin1 body',
      '/api/code',
      '{"code":"12345678"}',
      { 'content-type': 'application/json; charset=latin1' },
      415,
      'unsupported_charset',
    ],
    ['an unknown encoding', '/api/code', '{"code":"12345678"}', { 'content-encoding': 'foo' }, 415, 'unsupported_encoding'],
    ['a gzip body that is not', '/api/another', '{"commandId":"x"}', { 'content-encoding': 'gzip' }, 400, 'bad_body'],
    ['a NUL in the code', '/api/code', '{"code":"1234\\u0000"}', {}, 400, 'bad_text'],
    ['a lone surrogate in the code', '/api/code', '{"code":"\\ud800"}', {}, 400, 'bad_text'],
    ['an unknown route', '/api/nothing', '{}', {}, 404, 'not_found'],
    ['an unknown field beside a good code', '/api/code', '{"code":"12345678","pin":"1"}', {}, 400, 'unknown_field'],
    [
      'an unknown field in a reassign',
      '/api/another',
      '{"commandId":"0192f0c2-7a1b-7000-8000-000000000000","x":1}',
      {},
      400,
      'unknown_field',
    ],
    ['a code of the wrong type', '/api/code', '{"code":12345678}', {}, 400, 'bad_request'],
  ])('%s on %s', async (_what, path, body, headers, status, code) => {
    expect(await post(path, body, { 'content-type': 'application/json', ...headers })).toEqual({ status, code });
    expect(entered).toEqual([]);
  });

  it('an unknown field is named in the message', async () => {
    const r = await fetch(`${url}/api/code`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"code":"12345678","source":"api","compartment":3}',
    });
    expect(r.status).toBe(400);
    const json = (await r.json()) as { error: { code: string; message: string } };
    expect(json.error.code).toBe('unknown_field');
    expect(json.error.message).toContain('"compartment"');
    expect(entered).toEqual([]);
  });

  it('a malformed % escape in the path is a 400, not a 500', async () => {
    const r = await fetch(`${url}/api/%ZZ`);
    expect(r.status).toBeLessThan(500);
    expect(r.status).toBeGreaterThanOrEqual(400);
  });

  it('a good code still reaches the agent, with its second factor when the screen sends one', async () => {
    expect(await post('/api/code', '{"code":"12345678"}')).toEqual({ status: 422, code: undefined });
    expect(await post('/api/code', '{"code":"12345678","factor":"654321"}')).toEqual({ status: 422, code: undefined });
    expect(entered).toEqual(['12345678', '12345678 + 654321']);
  });

  it('takes a person\'s answer to "did the door open?" for an unconfirmed unlock, and refuses the rest', async () => {
    const answer = (body: unknown) => post('/api/answer', JSON.stringify(body));
    expect(await answer({ commandId: UNCONFIRMED, answer: 'maybe' })).toEqual({ status: 400, code: 'bad_request' });
    expect(await answer({ commandId: 'x', answer: 'opened' })).toEqual({ status: 400, code: 'bad_request' });
    expect(answers).toEqual([]);
    const ok = await fetch(`${url}/api/answer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ commandId: UNCONFIRMED, answer: 'not_opened' }),
    });
    expect(ok.status).toBe(204);
    expect(await answer({ commandId: OPENED, answer: 'opened' })).toEqual({ status: 409, code: 'not_unconfirmed' });
    expect(await answer({ commandId: '0190f1a2-0000-7000-8000-0000000000ff', answer: 'opened' })).toEqual({
      status: 404,
      code: 'unknown_command',
    });
    expect(answers).toEqual([`${UNCONFIRMED} not_opened`, `${OPENED} opened`, '0190f1a2-0000-7000-8000-0000000000ff opened']);
  });
});
