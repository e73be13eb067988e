// JSON logs (pino). Personal data and secrets never reach a log line: codes, phones, names,
// addresses, passwords and tokens are redacted wherever they appear in a logged object.
import { pino, type Logger } from 'pino';

export const REDACT_PATHS = [
  'req.headers.authorization',
  '*.password',
  '*.token',
  '*.code',
  '*.phone',
  '*.displayName',
  '*.address',
  '*.privateKey',
];

export function createLogger(level: string, name: string): Logger {
  return pino({ name, level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
}
