// The HTTP edge's common parts: zod parsing that answers 400 with the reasons, async handlers
// that forward errors, and the one error middleware that shapes every error body.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { BadRequest, HubError, NotFound } from '../errors.js';

export function parse<S extends z.ZodType>(schema: S, data: unknown, what = 'request body'): z.infer<S> {
  const r = schema.safeParse(data);
  if (!r.success) {
    throw new BadRequest(
      `invalid ${what}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
      r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  return r.data;
}

export const handle =
  (fn: (req: Request, res: Response) => Promise<unknown>): RequestHandler =>
  (req, res, next) => {
    fn(req, res).catch(next);
  };

/** The last handler under /api: whatever no feature answered. */
export const routeNotFound: RequestHandler = () => {
  throw new NotFound('route');
};

export function errorMiddleware(log: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    if (err instanceof HubError) {
      res.status(err.statusCode).json({ error: err.toJSON() });
      return;
    }
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.parse.failed') {
      res.status(400).json({ error: { code: 'bad_json', message: 'the request body is not valid JSON' } });
      return;
    }
    if (e.type === 'entity.too.large') {
      res.status(413).json({ error: { code: 'too_large', message: 'the request body is too large' } });
      return;
    }
    log.error({ err, method: req.method, path: req.path }, 'unhandled error');
    res.status(500).json({ error: { code: 'internal', message: 'something went wrong on our side; nothing was changed' } });
  };
}
