// What every simulator's HTTP control API shares: clear JSON errors (ControlError, zod-checked
// bodies, 404 for an unknown route, a 4xx for every body or path that cannot be read — broken JSON,
// an unknown charset or encoding, too large, a malformed % escape — and a 500 logged only for a real
// fault), and listening on loopback.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { httpRefusalOf, schemaRefusalOf } from '@xinbao/protocol';

export class ControlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** `data` checked against `schema`, or a 400: `unknown_field` naming the fields a strict schema does not know, else `bad_request` naming `what` and every problem (ADR 0020). */
export function parseControl<S extends z.ZodType>(schema: S, data: unknown, what = 'body'): z.infer<S> {
  const r = schema.safeParse(data);
  if (!r.success) {
    const refusal = schemaRefusalOf(r.error.issues, what);
    throw new ControlError(refusal.status, refusal.code, refusal.message);
  }
  return r.data;
}

/** An express app taking small JSON bodies; add routes, then `finishControlApp`. */
export function controlApp(): express.Express {
  const app = express();
  app.use(express.json({ limit: '16kb' }));
  return app;
}

/** The 404 and error handlers, after every route. */
export function finishControlApp(app: express.Express, log?: Logger): express.Express {
  app.use((req, res) => {
    res.status(404).json({ error: { code: 'not_found', message: `no route ${req.method} ${req.path}` } });
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof ControlError) {
      res.status(err.status).json({ error: { code: err.code, message: err.message } });
      return;
    }
    const refusal = httpRefusalOf(err);
    if (refusal) {
      res.status(refusal.status).json({ error: { code: refusal.code, message: refusal.message } });
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

export async function listenControl(app: express.Express, port = 0): Promise<ControlServer> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
