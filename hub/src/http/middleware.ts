// The HTTP edge's common parts: zod parsing that answers 400 with the reasons, async handlers
// that forward errors, the guard that keeps unreadable text away from PostgreSQL, and the one
// error middleware that shapes every error body as { error: { code, message, requestId } }.
//
// A refusal (any 4xx: the hub's own HubErrors, the body-parser's and the router's) is logged at
// info without a stack; only a real fault is a 500, logged at error with its stack, and that log is
// bounded per minute (fault-log.ts).
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { badTextIn, httpRefusalOf, schemaRefusalOf } from '@xinbao/protocol';
import { BadRequest, HubError, NotFound } from '../errors.js';
import { FaultLog } from './fault-log.js';
import { requestIdOf, requestLog } from './request-context.js';

/**
 * `data` checked against `schema`, or a 400 in the envelope: `unknown_field` naming the fields a
 * strict schema does not know, else `bad_request` with every reason (ADR 0020). Every schema a
 * route parses a body or a query with is a `z.strictObject` (a test walks /openapi.json for it).
 */
export function parse<S extends z.ZodType>(schema: S, data: unknown, what = 'request body'): z.infer<S> {
  const r = schema.safeParse(data);
  if (!r.success) {
    const refusal = schemaRefusalOf(r.error.issues, what);
    throw new BadRequest(refusal.message, refusal.details, refusal.code);
  }
  return r.data;
}

const NoBody = z.strictObject({}).optional();

/**
 * For a route that takes no body: a JSON body with any field in it is refused `unknown_field` (an
 * empty `{}` or no body at all is fine), so a client never believes a field it sent was heard.
 */
export const noBody: RequestHandler = (req, _res, next) => {
  parse(NoBody, req.body);
  next();
};

export const handle =
  (fn: (req: Request, res: Response) => Promise<unknown>): RequestHandler =>
  (req, res, next) => {
    fn(req, res).catch(next);
  };

/** The last handler under /api: whatever no feature answered. */
export const routeNotFound: RequestHandler = () => {
  throw new NotFound('route');
};

/** Answers an error in the envelope, with the request's id. */
export function sendError(res: Response, status: number, error: { code: string; message: string; details?: unknown }): void {
  const requestId = requestIdOf(res);
  res.status(status).json({ error: requestId ? { ...error, requestId } : error });
}

/**
 * Refuses, before any route sees it, a request whose path does not decode or whose path, query or
 * JSON body holds a NUL or a lone surrogate: no feature has to think of them, and PostgreSQL (which
 * refuses NUL in text with an error) never gets one.
 */
export const refuseUnreadableInput: RequestHandler = (req, _res, next) => {
  for (const segment of req.path.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw new BadRequest('the path has a malformed % escape', undefined, 'bad_path');
    }
    if (badTextIn(decoded, 'path') !== null) throw new BadRequest('the path holds a NUL or an invalid character', undefined, 'bad_text');
  }
  const where = badTextIn(req.query, 'query') ?? (req.body === undefined ? null : badTextIn(req.body, 'body'));
  if (where !== null) throw new BadRequest(`${where} holds a NUL or an invalid character (a lone surrogate)`, { path: where }, 'bad_text');
  next();
};

export function errorMiddleware(log: Logger, faults = new FaultLog()) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const reqLog = requestLog(res, log);
    const refusal = err instanceof HubError ? { status: err.statusCode, ...err.toJSON() } : httpRefusalOf(err);
    if (refusal && refusal.status < 500) {
      const { status, ...error } = refusal;
      reqLog.info({ status, code: error.code, method: req.method, path: req.path }, 'request refused');
      if (res.headersSent) return;
      sendError(res, status, error);
      return;
    }
    if (err instanceof HubError) {
      // A 5xx on purpose (a dependency down, a feature not configured): the hub's answer, not a fault.
      reqLog.warn({ status: err.statusCode, code: err.code, method: req.method, path: req.path }, 'request not served');
      if (!res.headersSent) sendError(res, err.statusCode, err.toJSON());
      return;
    }
    faults.write(reqLog, { err, method: req.method, path: req.path }, 'unhandled error');
    if (res.headersSent) return;
    sendError(res, 500, { code: 'internal', message: 'something went wrong on our side; nothing was changed' });
  };
}
