// The HTTP control APIs of the simulated terminal devices on 127.0.0.1, the hands and eyes of the
// person at the kiosk: scan a code; read what the printer printed, clear it, load or take out
// the paper, switch the printer off ('absent'). Errors answer `{ error: { code, message } }` with
// a 4xx status, like the lock-board simulator's control API.
//   scanner: POST /scan {code}          GET /scans
//   printer: GET /receipts  DELETE /receipts  GET /paper  POST /paper {state: ok|low|out|absent}
import type express from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ControlError, controlApp, finishControlApp, parseControl } from '../control-api.js';
import { PAPER_STATES, type PrinterModel } from './printer-model.js';
import { ScanRefused, type ScannerModel } from './scanner-model.js';

const ScanBody = z.object({ code: z.string() }).strict();
const PaperBody = z.object({ state: z.enum(PAPER_STATES) }).strict();

export function createScannerControlApp(scanner: ScannerModel, log?: Logger): express.Express {
  const app = controlApp();
  app.post('/scan', async (req, res) => {
    const { code } = parseControl(ScanBody, req.body);
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
  return finishControlApp(app, log);
}

export function createPrinterControlApp(printer: PrinterModel, log?: Logger): express.Express {
  const app = controlApp();
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
    const { state } = parseControl(PaperBody, req.body);
    printer.setPaper(state);
    res.json({ paper: printer.paper });
  });
  return finishControlApp(app, log);
}
