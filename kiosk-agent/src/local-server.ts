// The kiosk's local HTTP API on loopback, used by its touch screen (and by the scanner path):
// enter a code, ask for another compartment after a jam, follow results and doors as Server-Sent
// Events, see the link and journal state. Also serves the touch-screen page itself (public/).
// Never exposed beyond the kiosk itself.
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { z } from 'zod';
import { badTextIn, httpRefusalOf, schemaRefusalOf, UNLOCK_ANSWERS } from '@xinbao/protocol';
import type { CodeResult, CodeSource, KioskAgent } from './agent.js';
import type { Cabinet, DoorEvent } from './lockboard/index.js';
import type { HubLink } from './hub-link.js';
import type { KioskJournal } from './journal.js';
import type { PrinterStatus } from './terminal/printer.js';

// The touch screen says so, so that it does not show its own results twice (it also hears them as events).
// Strict (ADR 0020): a field these do not know is a 400 `unknown_field` naming it.
// A keypad code comes with its second factor (ADR 0018): the 6 digits the screen asks after the code.
const CodeBody = z.strictObject({
  code: z.string().min(1).max(512),
  factor: z.string().max(16).optional(),
  source: z.enum(['screen', 'api']).default('api'),
});
const AnotherBody = z.strictObject({ commandId: z.string().uuid(), source: z.enum(['screen', 'api']).default('api') });
const AnswerBody = z.strictObject({ commandId: z.string().uuid(), answer: z.enum(UNLOCK_ANSWERS) });

const ANSWER_REFUSED = {
  unknown_command: 'this locker ran no such command',
  not_unconfirmed: 'that door’s unlock was not unconfirmed: nothing to answer',
  already_answered: 'that unlock has been answered already',
} as const;

/** The body checked against `schema`, or a 400 answered: `unknown_field` naming the field, else `bad_request` with `hint`. */
function bodyOf<S extends z.ZodType>(schema: S, req: express.Request, res: express.Response, hint: string): z.infer<S> | null {
  const r = schema.safeParse(req.body);
  if (r.success) return r.data;
  const refusal = schemaRefusalOf(r.error.issues);
  const message = refusal.code === 'unknown_field' ? refusal.message : hint;
  res.status(400).json({ error: { code: refusal.code, message } });
  return null;
}

/** The touch-screen page: plain files, no build step. */
export const SCREEN_DIR = fileURLToPath(new URL('../public/', import.meta.url));

export interface LocalServerOptions {
  /** The screen returns to its start after this long without a touch. */
  screenIdleMs?: number;
}

export async function startLocalServer(
  deps: {
    agent: KioskAgent;
    link: HubLink;
    journal: KioskJournal;
    /** Bus health for the status, and the typing hint that keeps polls off the buses. */
    cabinet?: Pick<Cabinet, 'busHealth' | 'typing'>;
    printer?: { readonly status: PrinterStatus };
  },
  host: string,
  port: number,
  options: LocalServerOptions = {},
): Promise<{ url: string; server: Server }> {
  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    res.set({
      'content-security-policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    });
    next();
  });
  // Bodies over 4 KB are a 413, unreadable ones a 400 or 415 (the error handler below), and a code
  // with a NUL or a lone surrogate never reaches the agent.
  app.use(express.json({ limit: '4kb' }));
  app.use('/api', (req, res, next) => {
    const where = badTextIn(req.query, 'query') ?? (req.body === undefined ? null : badTextIn(req.body, 'body'));
    if (where === null) return next();
    res.status(400).json({ error: { code: 'bad_text', message: `${where} holds a NUL or an invalid character` } });
  });
  app.use(express.static(SCREEN_DIR, { index: 'index.html', cacheControl: false }));
  const answer = (res: express.Response, r: CodeResult) => res.status(r.status === 'refused' ? 422 : 200).json(r);
  app.post('/api/code', (req, res, next) => {
    const body = bodyOf(CodeBody, req, res, 'send { "code": "12345678", "factor": "123456" }');
    if (!body) return;
    deps.agent.enterCode(body.code, body.source, body.factor).then((r) => answer(res, r), next);
  });
  app.post('/api/another', (req, res, next) => {
    const body = bodyOf(AnotherBody, req, res, 'send { "commandId": "<the jammed command>" }');
    if (!body) return;
    deps.agent.anotherCompartment(body.commandId, body.source).then((r) => answer(res, r), next);
  });
  // "Did the door open?": the person's answer to an unconfirmed unlock, for the hub (unlock_answered).
  app.post('/api/answer', (req, res) => {
    const body = bodyOf(AnswerBody, req, res, 'send { "commandId": "<the unconfirmed command>", "answer": "opened" | "not_opened" }');
    if (!body) return;
    const r = deps.agent.answerUnlock(body.commandId, body.answer);
    if (r.ok) res.status(204).end();
    else res.status(r.code === 'unknown_command' ? 404 : 409).json({ error: { code: r.code, message: ANSWER_REFUSED[r.code] } });
  });
  // The screen's first digit (and each after it): polls pause so that the unlock to come finds its bus free.
  app.post('/api/typing', (_req, res) => {
    deps.cabinet?.typing();
    res.status(204).end();
  });
  app.get('/api/screen', (_req, res) => {
    res.json({ idleMs: options.screenIdleMs ?? 60_000 });
  });
  // Every code result (whatever its source: screen, scanner, API) and every door change, as they happen.
  app.get('/api/events', (req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
    res.write('retry: 2000\n\n');
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    const onResult = (result: CodeResult, source: CodeSource) => send('result', { result, source });
    const onDoor = (d: DoorEvent) => send('door', { compartment: d.compartment, state: d.state, itemPresent: d.itemPresent });
    deps.agent.on('result', onResult);
    deps.agent.on('door', onDoor);
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(ping);
      deps.agent.off('result', onResult);
      deps.agent.off('door', onDoor);
    });
  });
  app.get('/api/status', (_req, res) => {
    res.json({
      hubConnected: deps.link.connected,
      unsentEvents: deps.journal.unackedCount,
      offlineCodes: deps.agent.offlineState(),
      printer: deps.printer?.status ?? 'not_configured',
      buses: deps.cabinet?.busHealth() ?? [],
    });
  });
  app.use('/api', (req, res) => {
    res.status(404).json({ error: { code: 'not_found', message: `no route ${req.method} ${req.path}` } });
  });
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const refusal = httpRefusalOf(err);
    if (refusal) {
      res.status(refusal.status).json({ error: { code: refusal.code, message: refusal.message } });
      return;
    }
    res.status(500).json({ error: { code: 'internal', message: 'the kiosk had a problem; please try again' } });
  });
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const a = server.address();
  return { url: `http://${host}:${typeof a === 'object' && a ? a.port : port}`, server };
}
