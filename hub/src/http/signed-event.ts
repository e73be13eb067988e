// Reading a signed webhook's body (the courier dispatch system's events, the SMS gateway's receipts):
// the HMAC over `${timestamp}.${raw body}` first, then JSON, then no NUL or lone surrogate, then the
// event's schema, then the event-id header (when sent) matching the body's. Each refusal is handed to
// `refuse` (the caller logs, counts and answers it, and may take its time); the event, or null once refused.
import type { Request } from 'express';
import type { z } from 'zod';
import { COURIER_EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, badTextIn, verifyRequest } from '@xinbao/protocol';

export type Refuse = (status: number, code: 'bad_signature' | 'invalid_event', message: string) => unknown;

export async function readSignedEvent<S extends z.ZodType<{ eventId: string }>>(
  req: Request,
  raw: string,
  schema: S,
  opts: { secret: string; nowMs: number; what: string },
  refuse: Refuse,
): Promise<z.infer<S> | null> {
  if (!verifyRequest(opts.secret, Number(req.header(TIMESTAMP_HEADER)), raw, req.header(SIGNATURE_HEADER) ?? '', opts.nowMs)) {
    await refuse(401, 'bad_signature', 'the signature or its timestamp does not hold');
    return null;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    await refuse(400, 'invalid_event', 'the body is not JSON');
    return null;
  }
  const badText = badTextIn(parsed, 'body');
  if (badText !== null) {
    await refuse(400, 'invalid_event', `${badText} holds a NUL or a lone surrogate`);
    return null;
  }
  const event = schema.safeParse(parsed);
  if (!event.success) {
    const issues = event.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    await refuse(400, 'invalid_event', `the body is not ${opts.what}: ${issues}`);
    return null;
  }
  const claimed = req.header(COURIER_EVENT_ID_HEADER);
  if (claimed !== undefined && claimed !== event.data.eventId) {
    await refuse(400, 'invalid_event', `${COURIER_EVENT_ID_HEADER} does not match the body's eventId`);
    return null;
  }
  return event.data;
}
