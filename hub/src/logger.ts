// JSON logs (pino). Personal data and secrets never reach a log line: codes, phones, names,
// addresses, passwords and tokens are redacted wherever they appear in a logged object. A line
// written while an HTTP request is served carries that request's id (http/request-context.ts).
import { pino, type Logger } from 'pino';
import { requestContext } from './http/request-context.js';

export const REDACT_PATHS = [
  'req.headers.authorization',
  '*.password',
  '*.token',
  '*.code',
  '*.phone',
  '*.factor',
  '*.pin',
  '*.displayName',
  '*.address',
  '*.privateKey',
];

export function createLogger(level: string, name: string): Logger {
  return pino({
    name,
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // The request's own child logger already has the id; the mixin gives it to every other line.
    mixin: (_ctx, _level, logger) => {
      const c = requestContext.getStore();
      return c && !(logger.bindings() as { requestId?: string }).requestId ? { requestId: c.requestId } : {};
    },
  });
}
