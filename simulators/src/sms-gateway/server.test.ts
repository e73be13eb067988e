// The SMS gateway simulator: signed sends only; a repeated idempotency key answers the first answer
// and sends nothing; an inbox as JSON and as an escaped HTML page; signed delivery receipts with
// event ids, retried until answered 2xx; and its fault switches (fail the next N sends, answer
// slowly, drop receipts).
import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGNATURE_HEADER, SmsReceipt, TIMESTAMP_HEADER, signRequest, verifyRequest } from '@xinbao/protocol';
import { startSmsGatewaySimulator, type SmsGatewaySimulator } from './server.js';

const SECRET = 'sms-gateway-test-secret';
let sim: SmsGatewaySimulator | undefined;
let callback: Server | undefined;
afterEach(async () => {
  await sim?.stop();
  await new Promise<void>((r) => (callback ? callback.close(() => r()) : r()));
  sim = undefined;
  callback = undefined;
});

const send = (url: string, body: unknown, secret = SECRET) => {
  const raw = JSON.stringify(body);
  const ts = Date.now();
  return fetch(`${url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: signRequest(secret, ts, raw) },
    body: raw,
  });
};

/** A receipt endpoint that answers `statuses` in turn (then 200), keeping what it was sent. */
async function receiptEndpoint(statuses: number[]) {
  const got: Array<{ headers: IncomingMessage['headers']; body: string; status: number }> = [];
  callback = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const status = statuses.shift() ?? 200;
      got.push({ headers: req.headers, body, status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => callback!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(callback.address() as AddressInfo).port}/receipts`, got };
}

const until = async (cond: () => boolean, ms = 3_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('SMS gateway simulator', () => {
  it('takes a signed message once per idempotency key, and refuses an unsigned or malformed one', async () => {
    sim = await startSmsGatewaySimulator({ secret: SECRET });
    const msg = { to: '13800001111', text: '【政务服务】您好', idempotencyKey: 'notice-0001' };
    const first = await send(sim.url, msg);
    expect(first.status).toBe(201);
    const a = (await first.json()) as { messageId: string; duplicate: boolean };
    expect(a.duplicate).toBe(false);
    const again = await send(sim.url, { ...msg, text: 'another text under the same key' });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ messageId: a.messageId, duplicate: true });
    expect(sim.messages).toHaveLength(1);
    expect(sim.messages[0]).toMatchObject({ to: '13800001111', text: msg.text, idempotencyKey: 'notice-0001' });

    expect((await send(sim.url, { ...msg, idempotencyKey: 'notice-0002' }, 'a-wrong-secret-of-length')).status).toBe(401);
    const bad = await send(sim.url, { ...msg, to: '12345', idempotencyKey: 'notice-0003' });
    expect(bad.status).toBe(400);
    const unknown = await send(sim.url, { ...msg, idempotencyKey: 'notice-0004', cc: '13800002222' });
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('unknown_field');
    expect(sim.messages).toHaveLength(1);
    expect(sim.sendRequests).toBe(5);
  });

  it('shows its inbox as JSON (all, or one number) and as an HTML page with every text escaped', async () => {
    sim = await startSmsGatewaySimulator({ secret: SECRET });
    await send(sim.url, { to: '13800001111', text: '<script>alert(1)</script> 您好', idempotencyKey: 'k-00000001' });
    await send(sim.url, { to: '13800002222', text: 'second', idempotencyKey: 'k-00000002' });
    const all = (await (await fetch(`${sim.url}/api/messages`)).json()) as { simulated: boolean; messages: unknown[] };
    expect(all).toMatchObject({ simulated: true, messages: [{ to: '13800001111' }, { to: '13800002222' }] });
    const one = (await (await fetch(`${sim.url}/api/messages?to=13800002222`)).json()) as { messages: Array<{ text: string }> };
    expect(one.messages.map((m) => m.text)).toEqual(['second']);
    expect(sim.inboxOf('13800001111')).toHaveLength(1);
    const page = await fetch(sim.inboxUrl);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('(simulated)');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62; 您好');
    expect(html).not.toContain('<script>');
  });

  it('sends each message a signed receipt with its event id, retried until the callback answers 2xx', async () => {
    const endpoint = await receiptEndpoint([503, 500]);
    sim = await startSmsGatewaySimulator({ secret: SECRET, callbackUrl: endpoint.url, receiptDelayMs: 5, retryDelaysMs: [20, 40] });
    const r = (await (await send(sim.url, { to: '13800001111', text: 'hi', idempotencyKey: 'k-receipt-1' })).json()) as {
      messageId: string;
    };
    await until(() => endpoint.got.length === 3 && sim!.pendingReceipts === 0);
    const bodies = endpoint.got.map((g) => SmsReceipt.parse(JSON.parse(g.body)));
    expect(new Set(bodies.map((b) => b.eventId)).size).toBe(1);
    expect(bodies[0]).toMatchObject({ messageId: r.messageId, idempotencyKey: 'k-receipt-1', status: 'delivered' });
    for (const g of endpoint.got) {
      expect(g.headers['x-xinbao-event-id']).toBe(bodies[0]!.eventId);
      expect(verifyRequest(SECRET, Number(g.headers[TIMESTAMP_HEADER]), g.body, String(g.headers[SIGNATURE_HEADER]), Date.now())).toBe(
        true,
      );
    }
    expect(sim.receiptLog.map((a) => a.outcome)).toEqual(['failed', 'failed', 'delivered']);
    expect(sim.messages[0]!.receipt).toBe('delivered');
  });

  it('reports a number it cannot reach as failed, and keeps receipts until a callback is set', async () => {
    sim = await startSmsGatewaySimulator({ secret: SECRET, undeliverable: ['13900000000'], receiptDelayMs: 1 });
    await send(sim.url, { to: '13900000000', text: 'hi', idempotencyKey: 'k-unreach-1' });
    await until(() => sim!.pendingReceipts === 1 && sim!.messages[0]!.receipt !== null);
    const endpoint = await receiptEndpoint([]);
    sim.setCallbackUrl(endpoint.url);
    await until(() => endpoint.got.length === 1);
    expect(JSON.parse(endpoint.got[0]!.body)).toMatchObject({ status: 'failed', reason: expect.stringContaining('simulated') });
  });

  it('fails the next N sends (nothing kept), answers slowly, and drops the next N receipts', async () => {
    const endpoint = await receiptEndpoint([]);
    sim = await startSmsGatewaySimulator({ secret: SECRET, callbackUrl: endpoint.url, receiptDelayMs: 1 });
    const faults = await fetch(`${sim.url}/api/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ failNext: 2, dropReceipts: 1, slowMs: 150 }),
    });
    expect(await faults.json()).toEqual({ failNext: 2, dropReceipts: 1, slowMs: 150 });
    const msg = { to: '13800001111', text: 'hi', idempotencyKey: 'k-fault-001' };
    const started = Date.now();
    expect((await send(sim.url, msg)).status).toBe(503);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect((await send(sim.url, msg)).status).toBe(503);
    expect(sim.messages).toHaveLength(0);
    sim.setFaults({ slowMs: 0 });
    expect((await send(sim.url, msg)).status).toBe(201);
    expect((await send(sim.url, { ...msg, idempotencyKey: 'k-fault-002' })).status).toBe(201);
    await until(() => endpoint.got.length === 1 && sim!.receiptLog.length === 2);
    expect(sim.receiptLog.map((a) => a.outcome)).toEqual(['dropped', 'delivered']);
    expect(sim.messages.map((m) => m.receipt)).toEqual([null, 'delivered']);
    const refused = await fetch(`${sim.url}/api/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ failNext: -1 }),
    });
    expect(refused.status).toBe(400);
  });
});
