// The kiosk's local HTTP API on loopback, used by its touch screen (and by the scanner path):
// enter a code, see the link and journal state. Never exposed beyond the kiosk itself.
import { createServer, type Server } from 'node:http';
import express from 'express';
import { z } from 'zod';
import type { KioskAgent } from './agent.js';
import type { HubLink } from './hub-link.js';
import type { KioskJournal } from './journal.js';

const CodeBody = z.object({ code: z.string().min(1).max(512) });

export async function startLocalServer(
  deps: { agent: KioskAgent; link: HubLink; journal: KioskJournal },
  host: string,
  port: number,
): Promise<{ url: string; server: Server }> {
  const app = express();
  app.use(express.json({ limit: '4kb' }));
  app.post('/api/code', (req, res, next) => {
    const body = CodeBody.safeParse(req.body);
    if (!body.success) {
      res.status(400).json({ error: { code: 'bad_request', message: 'send { "code": "12345678" }' } });
      return;
    }
    deps.agent.enterCode(body.data.code).then((r) => res.status(r.status === 'refused' ? 422 : 200).json(r), next);
  });
  app.get('/api/status', (_req, res) => {
    res.json({ hubConnected: deps.link.connected, unsentEvents: deps.journal.unacked().length, offlineCodes: deps.agent.offlineState() });
  });
  app.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ error: { code: 'internal', message: 'the kiosk had a problem; please try again' } });
  });
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const a = server.address();
  return { url: `http://${host}:${typeof a === 'object' && a ? a.port : port}`, server };
}
