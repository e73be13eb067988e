import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import { HttpControllerFixtures as F } from '@xinbao/protocol/lockboard/http-controller.fixtures';
import { Cabinet } from './cabinet.js';
import { LockBoardError } from './driver.js';
import { HttpLockControllerDriver } from './http-driver.js';

/** A stand-in controller: each test says how it answers; it records what it was asked. */
interface Stub {
  url: string;
  requests: Array<{ method: string; path: string; authorization?: string; requestId?: string; body: string }>;
  connections: number;
  maxConcurrent: number;
  answer: (req: Request, res: Response) => void;
  close(): Promise<void>;
}

async function startStub(): Promise<Stub> {
  const app = express();
  let concurrent = 0;
  const stub: Stub = {
    url: '',
    requests: [],
    connections: 0,
    maxConcurrent: 0,
    answer: (_req, res) => void res.status(500).json(F.internal),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  app.use(express.text({ type: () => true }));
  app.use((req, res) => {
    stub.requests.push({
      method: req.method,
      path: req.path,
      ...(req.get('authorization') !== undefined && { authorization: req.get('authorization') }),
      ...(req.get('x-request-id') !== undefined && { requestId: req.get('x-request-id') }),
      body: typeof req.body === 'string' ? req.body : '',
    });
    concurrent++;
    stub.maxConcurrent = Math.max(stub.maxConcurrent, concurrent);
    res.on('close', () => concurrent--);
    stub.answer(req, res);
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  server.on('connection', () => stub.connections++);
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return stub;
}

const TOKEN = 'test-token';
let stub: Stub;
let driver: HttpLockControllerDriver;

const make = (extra: Partial<ConstructorParameters<typeof HttpLockControllerDriver>[0]> = {}) =>
  new HttpLockControllerDriver({ url: stub.url, token: TOKEN, locks: 4, itemSensors: true, replyTimeoutMs: 300, ...extra });

beforeEach(async () => {
  stub = await startStub();
  driver = make();
});

afterEach(async () => {
  await driver.close();
  await stub.close();
});

const rejection = async (p: Promise<unknown>): Promise<LockBoardError> => {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof LockBoardError)) throw new Error(`expected a LockBoardError, got ${String(err)}`);
  return err;
};

describe('HttpLockControllerDriver', () => {
  it('reads every lock with one GET: door → latch state, item from the sensor, index 0 a hole', async () => {
    stub.answer = (_req, res) => void res.json(F.locksFour);
    const states = await driver.readStatus(1);
    expect(stub.requests).toEqual([{ method: 'GET', path: '/api/v1/locks', authorization: `Bearer ${TOKEN}`, body: '' }]);
    expect(0 in states).toBe(false);
    expect(states.slice(1)).toEqual([
      { latchClosed: true, itemPresent: false },
      { latchClosed: false, itemPresent: true },
      { latchClosed: true, itemPresent: true },
      { latchClosed: true, itemPresent: null },
    ]);
  });

  it('claims no item when the cabinet is configured without item sensors', async () => {
    await driver.close();
    driver = make({ itemSensors: false });
    stub.answer = (_req, res) => void res.json(F.locksFour);
    expect((await driver.readStatus(1)).slice(1).map((s) => s.itemPresent)).toEqual([null, null, null, null]);
  });

  it('opens with one POST carrying a fresh X-Request-Id and no body, and returns the lock state from the answer', async () => {
    stub.answer = (req, res) => void res.json(F.openLock2(req.get('x-request-id') ?? ''));
    await expect(driver.unlock(1, 2)).resolves.toEqual({ latchClosed: false, itemPresent: false });
    await expect(driver.unlock(1, 2)).resolves.toEqual({ latchClosed: false, itemPresent: false });
    expect(stub.requests.map((r) => [r.method, r.path, r.body])).toEqual([
      ['POST', '/api/v1/locks/2/open', ''],
      ['POST', '/api/v1/locks/2/open', ''],
    ]);
    const [a, b] = stub.requests.map((r) => r.requestId);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(b).not.toBe(a);
  });

  it('a jammed latch: the answer says the door is still closed', async () => {
    stub.answer = (req, res) => void res.json(F.openLock3Jammed(req.get('x-request-id') ?? ''));
    await expect(driver.unlock(1, 3)).resolves.toEqual({ latchClosed: true, itemPresent: false });
  });

  it('keeps one request in flight and reuses one keep-alive connection', async () => {
    stub.answer = (_req, res) => void setTimeout(() => res.json(F.locksFour), 20);
    const reads = await Promise.all([driver.readStatus(1), driver.readStatus(1), driver.readStatus(1), driver.readStatus(1)]);
    expect(reads).toHaveLength(4);
    expect(stub.requests).toHaveLength(4);
    expect(stub.maxConcurrent).toBe(1);
    expect(stub.connections).toBe(1);
  });

  it('times out an open without an answer, never sends it again, and works on afterwards', async () => {
    stub.answer = () => undefined; // hangs
    const err = await rejection(driver.unlock(1, 2));
    expect(err.code).toBe('timeout');
    expect(err.message).toContain('no reply from the controller to POST /api/v1/locks/2/open within 300 ms');
    expect(driver.stats).toMatchObject({ requests: 1, timeouts: 1 });
    stub.answer = (_req, res) => void res.json(F.locksFour);
    await expect(driver.readStatus(1)).resolves.toHaveLength(5);
    expect(stub.requests.map((r) => r.method)).toEqual(['POST', 'GET']);
  });

  it('a 5xx, broken JSON or a body not as documented is a bad reply: the open may have acted', async () => {
    stub.answer = (_req, res) => void res.status(500).json(F.internal);
    const e500 = await rejection(driver.unlock(1, 2));
    expect([e500.code, e500.message]).toEqual(['bad_reply', 'POST /api/v1/locks/2/open: 500 (internal: controller error)']);
    stub.answer = (_req, res) => void res.type('application/json').send(F.locksCutShort);
    expect((await rejection(driver.readStatus(1))).message).toContain('not JSON');
    stub.answer = (_req, res) => void res.json(F.locksAjar);
    expect((await rejection(driver.readStatus(1))).message).toContain('not as documented');
    stub.answer = (_req, res) => void res.json({ locks: F.locksFour.locks.slice(0, 3) });
    expect((await rejection(driver.readStatus(1))).message).toBe('the controller reported no status for lock 4');
    stub.answer = (_req, res) => void res.json(F.openLock2('someone-else'));
    expect((await rejection(driver.unlock(1, 2))).code).toBe('bad_reply');
    expect(driver.stats).toMatchObject({ requests: 5, badReplies: 5, rejected: 0 });
  });

  it('a 4xx is a refusal: the controller did not act', async () => {
    stub.answer = (_req, res) => void res.status(401).json(F.unauthorized);
    const e401 = await rejection(driver.unlock(1, 2));
    expect([e401.code, e401.message]).toEqual([
      'rejected',
      'POST /api/v1/locks/2/open: refused with 401 (unauthorized: a valid bearer token is required)',
    ]);
    stub.answer = (_req, res) => void res.status(404).json(F.unknownLock);
    expect((await rejection(driver.unlock(1, 4))).code).toBe('rejected');
    expect(driver.stats.rejected).toBe(2);
  });

  it('a controller nobody listens for is unreachable: nothing was sent', async () => {
    const url = stub.url;
    await stub.close();
    await driver.close();
    driver = new HttpLockControllerDriver({ url, token: TOKEN, locks: 4, replyTimeoutMs: 1_000 });
    expect((await rejection(driver.unlock(1, 1))).code).toBe('unreachable');
    stub = await startStub();
  });

  it('refuses board numbers other than 1 and locks outside 1…locks, sending nothing', async () => {
    await expect(driver.unlock(0, 1)).rejects.toThrow(RangeError);
    await expect(driver.unlock(1, 5)).rejects.toThrow('lock must be 1–4, got 5');
    await expect(driver.readStatus(2)).rejects.toThrow('an HTTP lock controller is board 1');
    expect(stub.requests).toEqual([]);
    expect(() => make({ locks: 0 })).toThrow(RangeError);
    expect(() => make({ url: 'ftp://controller' })).toThrow('http: or https:');
  });

  it('after close, the request in flight and every later one end as port_closed', async () => {
    stub.answer = () => undefined;
    const inFlight = rejection(driver.readStatus(1));
    const queued = rejection(driver.readStatus(1));
    // Close only once the first request is at the controller (a fixed sleep was too short on a busy machine).
    for (let i = 0; i < 500 && stub.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await driver.close();
    expect((await inFlight).code).toBe('port_closed');
    expect((await queued).code).toBe('port_closed');
    expect((await rejection(driver.unlock(1, 1))).code).toBe('port_closed');
    expect(stub.requests).toHaveLength(1);
  });
});

describe('Cabinet on the HTTP lock controller driver', () => {
  /** Compartment 7 is the controller's lock 2; no polling is started. */
  const cabinetOnDriver = () =>
    new Cabinet({
      buses: new Map([['net', driver]]),
      compartments: [{ compartment: 7, bus: 'net', board: 1, lock: 2 }],
      pollIntervalMs: 1_000,
      leftOpenAfterMs: 60_000,
      openGraceMs: 5_000,
    });

  it('a timed-out open is confirmed by reading status, never by a second POST', async () => {
    let open = false;
    stub.answer = (req, res) => {
      if (req.method === 'POST') {
        open = true; // acts, then never answers
        return;
      }
      res.json({ locks: F.locksFour.locks.map((l) => (l.lock === 2 ? { ...l, door: open ? 'open' : 'closed' } : l)) });
    };
    const cabinet = cabinetOnDriver();
    await expect(cabinet.open(7)).resolves.toBe('opened');
    expect(stub.requests.map((r) => r.method)).toEqual(['POST', 'GET']);
  });

  it('a refused open is "not_sent" at once (the controller did not act), without a status read', async () => {
    stub.answer = (_req, res) => void res.status(401).json(F.unauthorized);
    const cabinet = cabinetOnDriver();
    await expect(cabinet.open(7)).resolves.toBe('not_sent');
    expect(stub.requests.map((r) => r.method)).toEqual(['POST']);
  });
});
