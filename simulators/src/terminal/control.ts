// The HTTP control APIs of the simulated terminal devices on 127.0.0.1, the hands and eyes of the
// person at the kiosk: scan a code; read what the printer printed, clear it, load or take out
// the paper, switch the printer off ('absent'). Errors answer `{ error: { code, message } }` with
// a 4xx status, like the lock-board simulator's control API.
//   scanner: POST /scan {code}          GET /scans
//   printer: GET /receipts  DELETE /receipts  GET /paper  POST /paper {state: ok|low|out|absent}
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { PAPER_STATES, type PrinterModel } from './printer-model.js';
import { ScanRefused, type ScannerModel } from './scanner-model.js';

class ControlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const ScanBody = z.object({ code: z.string() }).strict();
const PaperBody = z.object({ state: z.enum(PAPER_STATES) }).strict();

function parse<S extends z.ZodType>(schema: S, data: unknown): z.infer<S> {
  const r = schema.safeParse(data);
  if (!r.success) throw new ControlError(400, 'bad_request', `invalid body: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

function finish(app: express.Express, log?: Logger): express.Express {
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

export function createScannerControlApp(scanner: ScannerModel, log?: Logger): express.Express {
  const app = express();
  app.use(express.json({ limit: '16kb' }));
  app.post('/scan', async (req, res) => {
    const { code } = parse(ScanBody, req.body);
    try {
      await scanner.scan(code);
    } catch (err) {
      if (err instanceof ScanRefused) throw new ControlError(400, 'bad_code', err.message);
      throw err;
    }
    res.json({ scans: scanner.scans });
  });
  app.get('/scans', (_req, res) => {
    res.json({ scans: scanner.scans });
  });
  return finish(app, log);
}

export function createPrinterControlApp(printer: PrinterModel, log?: Logger): express.Express {
  const app = express();
  app.use(express.json({ limit: '16kb' }));
  app.get('/receipts', (_req, res) => {
    res.json({ receipts: printer.receipts, paper: printer.paper, stats: printer.stats });
  });
  app.delete('/receipts', (_req, res) => {
    printer.clearReceipts();
    res.status(204).end();
  });
  app.get('/paper', (_req, res) => {
    res.json({ paper: printer.paper });
  });
  app.post('/paper', (req, res) => {
    const { state } = parse(PaperBody, req.body);
    printer.setPaper(state);
    res.json({ paper: printer.paper });
  });
  return finish(app, log);
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
