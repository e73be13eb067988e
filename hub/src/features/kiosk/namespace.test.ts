// The hub's one door for kiosk requests: every request is checked against its schema, every
// answer names its request, a handler that throws is answered `internal` (and logged), and a
// request without an ack is ignored. The whole namespace runs against a real hub in
// test/src/hub/kiosk-*.test.ts.
import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { fail, ok, type KioskReply } from '@xinbao/protocol';
import { answerer } from './namespace.js';

const GRANT = {
  commandId: '0190f1a2-0000-7000-8000-00000000000a',
  compartment: 3,
  purpose: 'deposit' as const,
  trackingNumber: 'XB123456789012',
};
const REQUEST_ID = '0190f1a2-0000-7000-8000-0000000000ff';

function rig() {
  const logged: string[] = [];
  const log = pino({ level: 'info', base: null, timestamp: false }, { write: (s: string) => logged.push(s) });
  return { answer: answerer(log), logged };
}

/** Calls a listener as socket.io would, and resolves with what it acked. */
function call<T>(listener: (request: never, ack: (reply: T) => void) => void, input: unknown): Promise<T> {
  return new Promise((resolve) => (listener as (input: unknown, ack: (reply: T) => void) => void)(input, resolve));
}

describe('answer', () => {
  it('hands a well-formed request to the handler and answers its reply with the request id', async () => {
    const { answer } = rig();
    const seen: unknown[] = [];
    const listener = answer('code:submit', 'try again', async (req) => {
      seen.push(req);
      return ok(GRANT);
    });
    const request = { requestId: REQUEST_ID, via: 'keypad', code: '12345678' };
    expect(await call(listener, request)).toEqual({ status: 'ok', data: GRANT, requestId: REQUEST_ID });
    expect(seen).toEqual([request]);
  });

  it('answers a refusal with the request id too, and a request without one as it is', async () => {
    const { answer } = rig();
    expect(
      await call(
        answer('code:reassign', 'try again', async () => fail('not_jammed', 'no jam')),
        { requestId: REQUEST_ID, commandId: GRANT.commandId },
      ),
    ).toEqual({
      status: 'error',
      error: { code: 'not_jammed', message: 'no jam' },
      requestId: REQUEST_ID,
    });
    const event = { type: 'door_opened', eventId: REQUEST_ID, at: new Date().toISOString(), compartment: 3 };
    expect(
      await call(
        answer('kiosk:event', 'sent again', async (e) => ok({ eventId: e.eventId, duplicate: false })),
        event,
      ),
    ).toEqual({
      status: 'ok',
      data: { eventId: REQUEST_ID, duplicate: false },
    });
  });

  it('answers a malformed request bad_request, without calling the handler', async () => {
    const { answer } = rig();
    let called = 0;
    const listener = answer('codes:sync', 'asked again', async () => {
      called++;
      return fail('internal', 'unreachable');
    });
    expect(await call(listener, { cursor: 'x' })).toEqual({
      status: 'error',
      error: { code: 'bad_request', message: 'malformed code sync request' },
    });
    expect(await call(listener, null)).toMatchObject({ status: 'error', error: { code: 'bad_request' } });
    expect(called).toBe(0);
  });

  it('answers internal when the handler throws, and logs the cause', async () => {
    const { answer, logged } = rig();
    const listener = answer('code:submit', 'the hub could not check this code; try again', async (): Promise<KioskReply<'code:submit'>> => {
      throw new Error('database gone');
    });
    expect(await call(listener, { requestId: REQUEST_ID, via: 'qr', code: 'XB1.a.b' })).toEqual({
      status: 'error',
      error: { code: 'internal', message: 'the hub could not check this code; try again' },
    });
    expect(logged.join('')).toContain('database gone');
  });

  it('ignores a request sent without an ack', () => {
    const { answer } = rig();
    let called = 0;
    const listener = answer('codes:sync', 'asked again', async () => {
      called++;
      return fail('internal', 'unreachable');
    }) as (input: unknown, ack?: unknown) => void;
    listener({ cursor: null }, 'not a function');
    listener({ cursor: null });
    expect(called).toBe(0);
  });
});
