// Each request's id and logger. The id is the client's `x-request-id` when it is a sane token (a
// proxy or a kiosk can follow its own id through the hub's log), otherwise a fresh one; it is sent
// back in `x-request-id`, in every error answer (`error.requestId`) and, through the async context
// that the hub's logger reads (logger.ts), in every log line written while the request is served.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestHandler, Request, Response } from 'express';
import type { Logger } from 'pino';
import { v7 as uuidv7 } from 'uuid';

export interface RequestContext {
  requestId: string;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();

const SANE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The client's id when it is 1–64 letters, digits or `._:-`; anything else is replaced. */
export function acceptedRequestId(header: string | undefined): string {
  return header !== undefined && SANE_ID.test(header) ? header : uuidv7();
}

interface RequestLocals {
  requestId?: string;
  log?: Logger;
}

export function requestIdOf(res: Response): string | undefined {
  return (res.locals as RequestLocals).requestId;
}

/** The request's child logger (its lines carry `requestId`), or `fallback` before the id was given. */
export function requestLog(res: Response, fallback: Logger): Logger {
  return (res.locals as RequestLocals).log ?? fallback;
}

export function requestIds(log: Logger): RequestHandler {
  return (req: Request, res: Response, next) => {
    const requestId = acceptedRequestId(req.header('x-request-id'));
    const locals = res.locals as RequestLocals;
    locals.requestId = requestId;
    locals.log = log.child({ requestId });
    res.setHeader('x-request-id', requestId);
    requestContext.run({ requestId }, next);
  };
}
