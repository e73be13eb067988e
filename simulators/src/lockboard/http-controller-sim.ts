// A simulated network lock controller: the HTTP API of docs/lock-controller-http.md (bearer token,
// X-Request-Id de-duplicated, JSON errors) over the controller model (http-controller-model.ts),
// with the same control API as the serial board simulators (control.ts) on a second port, and
// simulated HTTP faults (faults.ts: no_reply = the request hangs, late_reply, server_error,
// malformed_json). Every request to the vendor API is logged for tests, without its token.
import { timingSafeEqual } from 'node:crypto';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { pino, type Logger } from 'pino';
import {
  LOCK_CONTROLLER_API,
  REQUEST_ID_HEADER,
  REQUEST_ID_PATTERN,
  type ControllerLocksReply,
  type ControllerOpenReply,
} from '@xinbao/protocol';
import { startControlServer, type ControlledBus } from './control.js';
import { FaultSwitchboard, HttpFault, findFault } from './faults.js';
import { HttpControllerModel, type HttpControllerModelOptions, type HttpControllerPreset } from './http-controller-model.js';

export interface ReceivedRequest {
  /** `POST /api/v1/locks/3/open` */
  request: string;
  requestId?: string;
  at: string;
  faults?: HttpFault['kind'][];
}

/** How many open request ids the controller remembers, and for how long. */
const DEDUP_ENTRIES = 1024;
const DEDUP_MS = 10 * 60_000;

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface HttpControllerSimulatorOptions {
  model: HttpControllerModel;
  /** The bearer token the controller accepts. */
  token: string;
  /** Extra time before every answer, as a real controller takes. */
  replyDelayMs?: number;
  logger?: Logger;
  maxLoggedRequests?: number;
}

export class HttpControllerSimulator implements ControlledBus {
  readonly model: HttpControllerModel;
  readonly faults = new FaultSwitchboard<HttpFault>(HttpFault);
  readonly app: express.Express;
  /** TCP connections accepted so far (keep-alive shows as few). */
  connections = 0;
  private received: ReceivedRequest[] = [];
  private refused = 0;
  private readonly pending = new Set<NodeJS.Timeout | ServerResponse>();
  private readonly opened = new Map<string, { lock: number; reply: ControllerOpenReply; at: number }>();
  private readonly token: Buffer;
  private readonly log: Logger;

  constructor(private readonly o: HttpControllerSimulatorOptions) {
    this.model = o.model;
    this.token = Buffer.from(o.token);
    this.log = o.logger ?? pino({ level: 'silent' });
    this.app = this.createApp();
  }

  get frames(): readonly ReceivedRequest[] {
    return this.received;
  }
  get bad(): number {
    return this.refused;
  }
  get pendingReplyCount(): number {
    return this.pending.size;
  }
  clearFrames(): void {
    this.received = [];
  }

  /** Ends every answer still waiting (hung or late). */
  stop(): void {
    for (const p of this.pending) {
      if ('destroy' in p) p.destroy();
      else clearTimeout(p);
    }
    this.pending.clear();
  }

  private createApp(): express.Express {
    const app = express();
    app.disable('x-powered-by');
    app.use(LOCK_CONTROLLER_API, (req, res, next) => {
      const faults = this.faults.take();
      const requestId = req.get(REQUEST_ID_HEADER);
      this.received.push({
        request: `${req.method} ${req.baseUrl}${req.path}`,
        ...(requestId !== undefined && { requestId }),
        at: new Date().toISOString(),
        ...(faults.length > 0 && { faults: faults.map((f) => f.kind) }),
      });
      if (this.received.length > (this.o.maxLoggedRequests ?? 10_000)) this.received.shift();
      res.locals.faults = faults;
      if (findFault(faults, 'no_reply')) {
        // Hangs: takes the request, never acts, never answers; gone when the client gives up.
        this.pending.add(res);
        res.on('close', () => this.pending.delete(res));
        this.log.info({ request: `${req.method} ${req.path}` }, 'simulated fault: request hangs');
        return;
      }
      if (!this.authorised(req.get('authorization'))) throw new ApiError(401, 'unauthorized', 'a valid bearer token is required');
      next();
    });
    app.get(`${LOCK_CONTROLLER_API}/locks`, (_req, res) => {
      const body: ControllerLocksReply = { locks: Array.from({ length: this.model.locks }, (_, i) => this.model.status(i + 1)) };
      this.answer(res, 200, body);
    });
    app.post(`${LOCK_CONTROLLER_API}/locks/:lock/open`, (req, res) => {
      const lock = Number(req.params.lock);
      if (!/^\d+$/.test(req.params.lock)) throw new ApiError(400, 'bad_request', `lock must be a number, got "${req.params.lock}"`);
      if (!this.model.hasLock(1, lock))
        throw new ApiError(404, 'unknown_lock', `no lock ${lock} on this controller (1–${this.model.locks})`);
      const requestId = req.get(REQUEST_ID_HEADER);
      if (requestId === undefined || !REQUEST_ID_PATTERN.test(requestId)) {
        throw new ApiError(400, 'missing_request_id', `every open needs an ${REQUEST_ID_HEADER} header of 1–128 letters, digits, - or _`);
      }
      this.forgetOldRequestIds();
      const seen = this.opened.get(requestId);
      if (seen) {
        if (seen.lock !== lock) throw new ApiError(409, 'request_id_reused', `request id ${requestId} was used to open lock ${seen.lock}`);
        this.log.info({ lock, requestId }, 'duplicate open request: not pulsed again');
        return this.answer(res, 200, { ...seen.reply, duplicate: true });
      }
      const reply: ControllerOpenReply = { requestId, duplicate: false, lock: this.model.open(lock) };
      this.opened.set(requestId, { lock, reply, at: Date.now() });
      this.log.info({ lock, requestId, door: reply.lock.door }, 'lock opened');
      this.answer(res, 200, reply);
    });
    app.use((req) => {
      throw new ApiError(404, 'not_found', `no route ${req.method} ${req.path}`);
    });
    app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
      if (err instanceof ApiError) {
        this.refused++;
        this.answer(res, err.status, { error: { code: err.code, message: err.message } });
        return;
      }
      this.log.error({ err, method: req.method, path: req.path }, 'controller simulator error');
      this.answer(res, 500, { error: { code: 'internal', message: 'controller error' } });
    });
    return app;
  }

  /** Sends an answer the way the armed faults say: the controller has already acted. */
  private answer(res: Response, status: number, body: object): void {
    const faults = (res.locals.faults ?? []) as HttpFault[];
    const serverError = findFault(faults, 'server_error');
    const send = (): void => {
      if (res.destroyed || res.writableEnded) return;
      if (serverError) {
        res.status(serverError.status).json({ error: { code: 'controller_fault', message: 'simulated controller failure' } });
      } else if (findFault(faults, 'malformed_json')) {
        const json = JSON.stringify(body);
        res
          .status(status)
          .type('application/json')
          .send(json.slice(0, Math.max(1, Math.floor(json.length / 2))));
      } else {
        res.status(status).json(body);
      }
    };
    const delay = (this.o.replyDelayMs ?? 0) + (findFault(faults, 'late_reply')?.delayMs ?? 0);
    if (delay === 0) return send();
    const t = setTimeout(() => {
      this.pending.delete(t);
      send();
    }, delay);
    this.pending.add(t);
  }

  private authorised(header: string | undefined): boolean {
    const m = /^Bearer (.+)$/.exec(header ?? '');
    if (!m?.[1]) return false;
    const given = Buffer.from(m[1]);
    return given.length === this.token.length && timingSafeEqual(given, this.token);
  }

  private forgetOldRequestIds(): void {
    const cutoff = Date.now() - DEDUP_MS;
    for (const [id, e] of this.opened) {
      if (e.at >= cutoff && this.opened.size < DEDUP_ENTRIES) break;
      this.opened.delete(id);
    }
  }
}

export interface StartHttpControllerOptions extends Omit<HttpControllerModelOptions, 'now'> {
  token: string;
  preset?: HttpControllerPreset;
  /** 0 (default) picks a free port, for the vendor API and the control API each. */
  port?: number;
  controlPort?: number;
  replyDelayMs?: number;
  /** Faults armed from the start (the program's --fault). */
  faults?: readonly HttpFault[];
  logger?: Logger;
}

export interface RunningHttpController {
  family: 'http';
  /** The controller's base URL (the agent's bus `url`). */
  url: string;
  controlUrl: string;
  simulator: HttpControllerSimulator;
  stop(): Promise<void>;
}

export async function startHttpControllerSimulator(options: StartHttpControllerOptions): Promise<RunningHttpController> {
  const log = options.logger ?? pino({ level: 'silent' });
  const modelOptions = {
    locks: options.locks,
    itemSensors: options.itemSensors,
    ...(options.pulseMs !== undefined && { pulseMs: options.pulseMs }),
  };
  const model = options.preset ? HttpControllerModel.preset(options.preset, modelOptions) : new HttpControllerModel(modelOptions);
  const simulator = new HttpControllerSimulator({ model, token: options.token, replyDelayMs: options.replyDelayMs ?? 0, logger: log });
  for (const f of options.faults ?? []) simulator.faults.arm(f);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = simulator.app.listen(options.port ?? 0, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  server.on('connection', () => simulator.connections++);
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  let control;
  try {
    control = await startControlServer({ simulator, port: options.controlPort ?? 0, logger: log });
  } catch (err) {
    server.close();
    throw err;
  }
  log.info(
    { family: 'http', url, controlUrl: control.url, locks: model.locks, itemSensors: model.itemSensors },
    'lock controller simulator ready',
  );
  let stopped: Promise<void> | undefined;
  const controlServer = control;
  return {
    family: 'http',
    url,
    controlUrl: control.url,
    simulator,
    stop: () =>
      (stopped ??= (async () => {
        simulator.stop();
        await controlServer.close();
        server.closeAllConnections();
        await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
      })()),
  };
}
