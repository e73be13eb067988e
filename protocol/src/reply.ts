// The answer to every request that crosses a process boundary (socket acks, and the shape of
// HTTP error bodies): either ok with data, or an error with a stable machine code.
import { z } from 'zod';

export const ErrorBody = z.object({
  code: z.string(),
  message: z.string(),
  details: z.unknown().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

export type Reply<T> = { status: 'ok'; data: T } | { status: 'error'; error: ErrorBody };

export const ok = <T>(data: T): Reply<T> => ({ status: 'ok', data });
export const fail = (code: string, message: string, details?: unknown): Reply<never> => ({
  status: 'error',
  error: details === undefined ? { code, message } : { code, message, details },
});
