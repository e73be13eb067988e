// HttpLockControllerDriver: LockBoardDriver for a cabinet whose locks hang off a network lock
// controller (docs/lock-controller-http.md) instead of an RS485 bus. The rules of a bus hold here
// too: one request in flight per controller (ExchangeQueue), a timeout on every request
// (AbortController), and never a second open for one command. An open that timed out or got an
// unusable answer is reported as such and left to the Cabinet to confirm by reading status; the
// request id the controller de-duplicates is a second guard, not a licence to retry. Requests
// reuse one keep-alive connection. The controller is one "board", number 1, with locks 1…N.
import http from 'node:http';
import https from 'node:https';
import { v7 as uuidv7 } from 'uuid';
import type { z } from 'zod';
import {
  ControllerErrorReply,
  ControllerLocksReply,
  ControllerOpenReply,
  REQUEST_ID_HEADER,
  lockControllerPaths,
  type ControllerLockStatus,
} from '@xinbao/protocol';
import { LockBoardError, type LockBoardDriver, type LockState } from './driver.js';
import { ExchangeQueue } from './exchange-queue.js';

/** The board number a controller's locks are configured under (it has no boards of its own). */
export const HTTP_CONTROLLER_BOARD = 1;

export interface HttpLockControllerDriverOptions {
  /** Base URL of the controller, e.g. `http://10.0.0.20:8080`. */
  url: string;
  /** Bearer token; sent on every request, never logged. */
  token: string;
  /** Locks 1…locks are used; the controller must report every one of them. */
  locks: number;
  /** false (default): item state is reported as null whatever the controller says. */
  itemSensors?: boolean;
  /** For the whole exchange, from sending to the last byte of the answer. */
  replyTimeoutMs?: number;
  /** Requests allowed to wait behind the one in flight before new ones are refused as 'busy'. */
  maxQueued?: number;
  /** An idle keep-alive connection is closed after this, before the controller drops it under a request. */
  idleSocketMs?: number;
  newRequestId?: () => string;
}

export interface HttpLockControllerStats {
  requests: number;
  timeouts: number;
  /** Answers that could not be used: 5xx, broken JSON, a body not as documented, a lost connection. */
  badReplies: number;
  /** 4xx answers: the controller did not act. */
  rejected: number;
  /** Connections that could not be made. */
  unreachable: number;
}

/** Connection errors that mean the request never left this machine. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EADDRNOTAVAIL']);
/** A status read of a large cabinet is a few kB; anything far beyond is not this API. */
const MAX_REPLY_BYTES = 256 * 1024;

export class HttpLockControllerDriver implements LockBoardDriver {
  readonly family = 'http' as const;
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;
  private readonly queue: ExchangeQueue;
  private readonly replyTimeoutMs: number;
  private readonly newRequestId: () => string;
  private inFlight: AbortController | null = null;
  private readonly counts: HttpLockControllerStats = { requests: 0, timeouts: 0, badReplies: 0, rejected: 0, unreachable: 0 };

  constructor(private readonly options: HttpLockControllerDriverOptions) {
    if (!Number.isInteger(options.locks) || options.locks < 1)
      throw new RangeError(`locks must be a whole number ≥ 1, got ${options.locks}`);
    this.base = new URL(options.url);
    const isHttps = this.base.protocol === 'https:';
    if (!isHttps && this.base.protocol !== 'http:')
      throw new RangeError(`the controller URL must be http: or https:, got ${this.base.protocol}`);
    this.transport = isHttps ? https : http;
    // One socket: there is never more than one request in flight anyway.
    const agentOptions = { keepAlive: true, maxSockets: 1, timeout: options.idleSocketMs ?? 4_000 };
    this.agent = isHttps ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.queue = new ExchangeQueue(options.maxQueued ?? 64, 'controller');
    this.replyTimeoutMs = options.replyTimeoutMs ?? 3_000;
    this.newRequestId = options.newRequestId ?? uuidv7;
  }

  get stats(): Readonly<HttpLockControllerStats> {
    return { ...this.counts };
  }

  /** `lock` is the controller's lock number 1…locks; `board` must be 1. */
  async unlock(board: number, lock: number): Promise<LockState> {
    this.checkAddress(board, lock);
    const requestId = this.newRequestId();
    const reply = await this.queue.run(() =>
      this.exchange('POST', lockControllerPaths.open(lock), ControllerOpenReply, { [REQUEST_ID_HEADER]: requestId }),
    );
    if (reply.lock.lock !== lock || reply.requestId !== requestId) {
      throw this.fail(
        'bad_reply',
        `the controller answered open of lock ${lock} (request ${requestId}) for lock ${reply.lock.lock} (request ${reply.requestId})`,
      );
    }
    return this.lockState(reply.lock);
  }

  /** Indexes 1…locks hold the locks, index 0 is a hole (see LockBoardDriver.readStatus). */
  async readStatus(board: number): Promise<LockState[]> {
    this.checkAddress(board, 1);
    const reply = await this.queue.run(() => this.exchange('GET', lockControllerPaths.locks, ControllerLocksReply));
    const states: LockState[] = [];
    for (const s of reply.locks) if (s.lock <= this.options.locks) states[s.lock] = this.lockState(s);
    for (let lock = 1; lock <= this.options.locks; lock++) {
      if (!states[lock]) throw this.fail('bad_reply', `the controller reported no status for lock ${lock}`);
    }
    return states;
  }

  async close(): Promise<void> {
    this.queue.close();
    this.inFlight?.abort();
    this.agent.destroy();
  }

  private checkAddress(board: number, lock: number): void {
    if (board !== HTTP_CONTROLLER_BOARD) throw new RangeError(`an HTTP lock controller is board ${HTTP_CONTROLLER_BOARD}, got ${board}`);
    if (!Number.isInteger(lock) || lock < 1 || lock > this.options.locks)
      throw new RangeError(`lock must be 1–${this.options.locks}, got ${lock}`);
  }

  private lockState(s: ControllerLockStatus): LockState {
    return {
      latchClosed: s.door === 'closed',
      itemPresent: this.options.itemSensors === true && s.item !== null ? s.item === 'present' : null,
    };
  }

  private fail(code: 'bad_reply' | 'rejected' | 'timeout' | 'unreachable', message: string): LockBoardError {
    if (code === 'bad_reply') this.counts.badReplies++;
    else if (code === 'rejected') this.counts.rejected++;
    else if (code === 'timeout') this.counts.timeouts++;
    else this.counts.unreachable++;
    return new LockBoardError(code, message);
  }

  /** One request and its answer, parsed with `schema`; every failure is a LockBoardError. */
  private async exchange<T>(method: 'GET' | 'POST', path: string, schema: z.ZodType<T>, headers: Record<string, string> = {}): Promise<T> {
    this.counts.requests++;
    const { status, text } = await this.send(method, path, headers);
    const what = `${method} ${path}`;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      if (status >= 200 && status < 300) throw this.fail('bad_reply', `${what}: ${status} with a body that is not JSON`);
    }
    if (status < 200 || status >= 300) {
      const error = ControllerErrorReply.safeParse(body);
      const reason = error.success ? `${error.data.error.code}: ${error.data.error.message}` : 'no error body';
      // A 4xx is the controller saying it did not act; anything else may have acted.
      throw status >= 400 && status < 500
        ? this.fail('rejected', `${what}: refused with ${status} (${reason})`)
        : this.fail('bad_reply', `${what}: ${status} (${reason})`);
    }
    const r = schema.safeParse(body);
    if (!r.success)
      throw this.fail(
        'bad_reply',
        `${what}: the answer is not as documented (${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`,
      );
    return r.data;
  }

  private send(method: 'GET' | 'POST', path: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
    if (this.queue.closed) return Promise.reject(new LockBoardError('port_closed', 'driver closed'));
    const abort = new AbortController();
    this.inFlight = abort;
    const url = new URL(path, this.base);
    const what = `${method} ${url.pathname}`;
    return new Promise<{ status: number; text: string }>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => abort.abort(), this.replyTimeoutMs);
      const settle = (err: LockBoardError | null, value?: { status: number; text: string }): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (this.inFlight === abort) this.inFlight = null;
        if (err) reject(err);
        else if (value) resolve(value);
      };
      const failed = (err: Error): void => {
        if (this.queue.closed) return settle(new LockBoardError('port_closed', 'driver closed'));
        if (abort.signal.aborted)
          return settle(this.fail('timeout', `no reply from the controller to ${what} within ${this.replyTimeoutMs} ms`));
        const code = (err as NodeJS.ErrnoException).code ?? '';
        if (NOT_SENT.has(code)) return settle(this.fail('unreachable', `${what}: cannot reach the controller (${code})`));
        settle(this.fail('bad_reply', `${what}: connection lost (${code || err.message})`));
      };
      const req = this.transport.request(
        url,
        {
          method,
          agent: this.agent,
          signal: abort.signal,
          headers: {
            accept: 'application/json',
            authorization: `Bearer ${this.options.token}`,
            ...headers,
            ...(method === 'POST' && { 'content-length': '0' }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_REPLY_BYTES) req.destroy(new Error(`answer larger than ${MAX_REPLY_BYTES} bytes`));
            else chunks.push(chunk);
          });
          res.on('error', failed);
          res.on('close', () => {
            if (!res.complete) failed(new Error('answer cut short'));
          });
          res.on('end', () => settle(null, { status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      req.on('error', failed);
      req.end();
    });
  }
}
