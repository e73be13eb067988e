// SMS gateway simulator (stands in for an operator's SMS platform): a SIMULATED peer of the hub, no
// message leaves this process. Takes signed sends (`POST /api/messages`, `{ to, text,
// idempotencyKey }`: the same key again answers the first answer and sends nothing), keeps every
// message in an inbox that tests and the demo read (`GET /api/messages` as JSON, `GET /inbox` as a
// plain HTML page), and sends a signed delivery receipt with its own event id for each message to the
// configured callback, retried with backoff until it is answered 2xx. Fault switches
// (`POST /api/faults`, or the methods): fail the next N sends with 503, answer slowly, drop the next
// N receipts. State is in memory: it is a simulator.
import { randomBytes } from 'node:crypto';
import express from 'express';
import { z } from 'zod';
import {
  SIGNATURE_HEADER,
  SmsSendRequest,
  TIMESTAMP_HEADER,
  smsReceiptHeaders,
  verifyRequest,
  type SmsReceipt,
  type SmsSendAccepted,
} from '@xinbao/protocol';
import { ControlError, finishControlApp, listenControl, parseControl } from '../control-api.js';
import { inboxPage, type InboxMessage } from './inbox-page.js';

export type { InboxMessage } from './inbox-page.js';

/** One attempt to deliver a receipt to the callback. */
export interface ReceiptAttempt {
  eventId: string;
  messageId: string;
  attempt: number;
  at: string;
  outcome: 'delivered' | 'failed' | 'dropped';
  status?: number;
  error?: string;
}

export interface SmsFaults {
  /** sends still to answer 503 (nothing kept, nothing sent) */
  failNext: number;
  /** how long each send waits before its answer */
  slowMs: number;
  /** receipts still to drop (never sent) */
  dropReceipts: number;
}

export const FaultsBody = z.strictObject({
  failNext: z.number().int().min(0).max(1_000).optional(),
  slowMs: z.number().int().min(0).max(60_000).optional(),
  dropReceipts: z.number().int().min(0).max(1_000).optional(),
});

export interface SmsGatewaySimulator {
  url: string;
  /** the inbox's HTML page, for people */
  inboxUrl: string;
  /** every message taken, oldest first (a repeated idempotency key adds none) */
  readonly messages: readonly InboxMessage[];
  /** the messages to one number, oldest first */
  inboxOf(to: string): InboxMessage[];
  /** how many send requests came in (repeats and refusals included) */
  readonly sendRequests: number;
  readonly receiptLog: readonly ReceiptAttempt[];
  /** receipts not yet answered 2xx (in flight, waiting for a retry, or for a callback URL) */
  readonly pendingReceipts: number;
  /** where receipts go (the hub's `/api/notifications/sms-receipts`); null: kept until one is set */
  setCallbackUrl(url: string | null): void;
  setFaults(f: Partial<SmsFaults>): void;
  readonly faults: Readonly<SmsFaults>;
  stop(): Promise<void>;
}

export async function startSmsGatewaySimulator(opts: {
  secret: string;
  port?: number;
  callbackUrl?: string;
  /** numbers whose messages the "operator" fails to deliver (their receipts say `failed`) */
  undeliverable?: string[];
  /** wait before a message's receipt is sent */
  receiptDelayMs?: number;
  /** waits between receipt attempts; the last one repeats until the callback answers 2xx */
  retryDelaysMs?: number[];
  now?: () => number;
}): Promise<SmsGatewaySimulator> {
  const now = opts.now ?? Date.now;
  const delays = opts.retryDelaysMs ?? [200, 500, 1_000, 2_000, 5_000];
  const undeliverable = new Set(opts.undeliverable ?? []);
  const messages: InboxMessage[] = [];
  const byKey = new Map<string, InboxMessage>();
  const log: ReceiptAttempt[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const waiting: Array<{ receipt: SmsReceipt; attempt: number }> = [];
  const faults: SmsFaults = { failNext: 0, slowMs: 0, dropReceipts: 0 };
  let callbackUrl = opts.callbackUrl ?? null;
  let inFlight = 0;
  let sendRequests = 0;
  let seq = 0;
  let stopped = false;

  const later = (ms: number, f: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      f();
    }, ms);
    timers.add(timer);
  };

  const attempt = async (receipt: SmsReceipt, n: number): Promise<void> => {
    if (stopped) return;
    if (callbackUrl === null) {
      waiting.push({ receipt, attempt: n });
      return;
    }
    const body = JSON.stringify(receipt);
    const base = { eventId: receipt.eventId, messageId: receipt.messageId, attempt: n };
    let failure: { status?: number; error?: string } | null = null;
    inFlight++;
    try {
      const res = await fetch(callbackUrl, {
        method: 'POST',
        headers: smsReceiptHeaders(opts.secret, receipt.eventId, body, now()),
        body,
        signal: AbortSignal.timeout(5_000),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) log.push({ ...base, at: new Date(now()).toISOString(), outcome: 'delivered', status: res.status });
      else failure = { status: res.status };
    } catch (e) {
      failure = { error: e instanceof Error ? e.message : String(e) };
    } finally {
      inFlight--;
    }
    if (!failure || stopped) return;
    log.push({ ...base, at: new Date(now()).toISOString(), outcome: 'failed', ...failure });
    later(delays[Math.min(n - 1, delays.length - 1)]!, () => void attempt(receipt, n + 1));
  };

  const sendReceipt = (m: InboxMessage) => {
    const status = undeliverable.has(m.to) ? 'failed' : 'delivered';
    const receipt: SmsReceipt = {
      eventId: `sr_${randomBytes(8).toString('hex')}`,
      messageId: m.messageId,
      idempotencyKey: m.idempotencyKey,
      status,
      at: new Date(now()).toISOString(),
      ...(status === 'failed' && { reason: 'subscriber unreachable (simulated)' }),
    };
    m.receipt = status;
    if (faults.dropReceipts > 0) {
      faults.dropReceipts--;
      m.receipt = null;
      log.push({ eventId: receipt.eventId, messageId: m.messageId, attempt: 0, at: receipt.at, outcome: 'dropped' });
      return;
    }
    void attempt(receipt, 1);
  };

  const app = express();
  app.use(
    express.json({ limit: '16kb', verify: (req, _res, buf) => ((req as unknown as { rawBody: string }).rawBody = buf.toString('utf8')) }),
  );

  app.post('/api/messages', async (req, res) => {
    sendRequests++;
    if (faults.slowMs > 0) await new Promise((r) => setTimeout(r, faults.slowMs));
    if (faults.failNext > 0) {
      faults.failNext--;
      res.status(503).json({ error: { code: 'unavailable', message: 'simulated gateway outage' } });
      return;
    }
    const raw = (req as unknown as { rawBody?: string }).rawBody ?? '';
    if (!verifyRequest(opts.secret, Number(req.header(TIMESTAMP_HEADER)), raw, req.header(SIGNATURE_HEADER) ?? '', now())) {
      throw new ControlError(401, 'bad_signature', 'request signature or timestamp is invalid');
    }
    const send = parseControl(SmsSendRequest, req.body, 'message');
    const earlier = byKey.get(send.idempotencyKey);
    if (earlier) {
      res.status(200).json({ messageId: earlier.messageId, duplicate: true } satisfies SmsSendAccepted);
      return;
    }
    const m: InboxMessage = {
      messageId: `SM${String(++seq).padStart(8, '0')}`,
      to: send.to,
      text: send.text,
      idempotencyKey: send.idempotencyKey,
      receivedAt: new Date(now()).toISOString(),
      receipt: null,
    };
    messages.push(m);
    byKey.set(m.idempotencyKey, m);
    later(opts.receiptDelayMs ?? 50, () => sendReceipt(m));
    res.status(201).json({ messageId: m.messageId, duplicate: false } satisfies SmsSendAccepted);
  });
  app.get('/api/messages', (req, res) => {
    const to = typeof req.query.to === 'string' ? req.query.to : undefined;
    res.json({ simulated: true, messages: to ? messages.filter((m) => m.to === to) : messages });
  });
  app.get('/inbox', (_req, res) => {
    res.type('html').send(inboxPage(messages));
  });
  app.get('/api/receipts', (_req, res) => res.json({ attempts: log, pending: inFlight + timers.size + waiting.length }));
  app.get('/api/faults', (_req, res) => res.json(faults));
  app.post('/api/faults', (req, res) => {
    Object.assign(faults, parseControl(FaultsBody, req.body ?? {}));
    res.json(faults);
  });
  finishControlApp(app);

  const server = await listenControl(app, opts.port ?? 0);
  return {
    url: server.url,
    inboxUrl: `${server.url}/inbox`,
    messages,
    inboxOf: (to) => messages.filter((m) => m.to === to),
    get sendRequests() {
      return sendRequests;
    },
    receiptLog: log,
    get pendingReceipts() {
      return inFlight + timers.size + waiting.length;
    },
    setCallbackUrl: (url) => {
      callbackUrl = url;
      if (url !== null) for (const w of waiting.splice(0)) void attempt(w.receipt, w.attempt);
    },
    setFaults: (f) => void Object.assign(faults, f),
    faults,
    stop: () => {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      return server.close();
    },
  };
}
