// The simulator's HTTP control API on 127.0.0.1: what the board received (for tests asserting
// the exact bytes) and the hands of "the person at the locker" (put an item in, close the door,
// force it). Errors answer `{ error: { code, message } }` with a 4xx status.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { KerongBusModel } from './kerong-model.js';

/** What the control API needs from a running simulator. */
export interface ControlledBus {
  readonly model: KerongBusModel;
  readonly frames: ReadonlyArray<{ hex: string; at: string }>;
  readonly bad: number;
  clearFrames(): void;
}

class ControlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const LockParams = z.object({
  board: z.coerce.number().int().min(0).max(15),
  lock: z.coerce.number().int().min(0).max(15),
});
const ItemBody = z.object({ present: z.boolean() }).strict();
const JamBody = z.object({ jammed: z.boolean() }).strict();

function parse<S extends z.ZodType>(schema: S, data: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(data);
  if (!r.success) throw new ControlError(400, 'bad_request', `invalid ${what}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

export function createControlApp(bus: ControlledBus, log?: Logger): express.Express {
  const app = express();
  app.use(express.json({ limit: '16kb' }));

  const lockOf = (req: Request): { board: number; lock: number } => {
    const p = parse(LockParams, req.params, 'path');
    if (!bus.model.hasLock(p.board, p.lock)) throw new ControlError(404, 'unknown_lock', `no lock ${p.lock} on board ${p.board} in this simulator`);
    return p;
  };
  const lockView = (board: number, lock: number) => ({ board, lock, ...bus.model.lock(board, lock) });

  app.get('/frames', (_req, res) => {
    res.json({ frames: bus.frames, bad: bus.bad });
  });
  app.delete('/frames', (_req, res) => {
    bus.clearFrames();
    res.status(204).end();
  });
  app.get('/boards/:board/locks/:lock', (req, res) => {
    const { board, lock } = lockOf(req);
    res.json(lockView(board, lock));
  });
  app.post('/boards/:board/locks/:lock/item', (req, res) => {
    const { board, lock } = lockOf(req);
    const { present } = parse(ItemBody, req.body, 'body');
    bus.model.setItem(board, lock, present);
    res.json(lockView(board, lock));
  });
  app.post('/boards/:board/locks/:lock/close', (req, res) => {
    const { board, lock } = lockOf(req);
    bus.model.closeDoor(board, lock);
    res.json(lockView(board, lock));
  });
  app.post('/boards/:board/locks/:lock/force-open', (req, res) => {
    const { board, lock } = lockOf(req);
    bus.model.forceOpen(board, lock);
    res.json(lockView(board, lock));
  });
  app.post('/boards/:board/locks/:lock/jam', (req, res) => {
    const { board, lock } = lockOf(req);
    const { jammed } = parse(JamBody, req.body, 'body');
    bus.model.withJammed(board, lock, jammed);
    res.json(lockView(board, lock));
  });
  app.use((req, res) => {
    res.status(404).json({ error: { code: 'not_found', message: `no route ${req.method} ${req.path}` } });
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof ControlError) {
      res.status(err.status).json({ error: { code: err.code, message: err.message } });
      return;
    }
    if ((err as { type?: string }).type === 'entity.parse.failed') {
      res.status(400).json({ error: { code: 'bad_json', message: 'the request body is not valid JSON' } });
      return;
    }
    log?.error({ err, method: req.method, path: req.path }, 'control API error');
    res.status(500).json({ error: { code: 'internal', message: 'simulator error' } });
  });
  return app;
}

export interface ControlServer {
  url: string;
  close(): Promise<void>;
}

export async function startControlServer(options: { simulator: ControlledBus; port?: number; logger?: Logger }): Promise<ControlServer> {
  const app = createControlApp(options.simulator, options.logger);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(options.port ?? 0, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
