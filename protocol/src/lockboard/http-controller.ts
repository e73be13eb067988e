// The HTTP API of a network lock controller (docs/lock-controller-http.md): one controller drives
// the locks of a cabinet, numbered 1…N, and answers JSON. The driver (kiosk-agent) and the
// simulator (simulators) both validate with these schemas, so they cannot drift apart. The API is
// this project's model of the common vendor shape (bearer token, request id de-duplicated by the
// controller, one status read for every lock); a real vendor's API gets an adapter to it.
import { z } from 'zod';

export const LOCK_CONTROLLER_API = '/api/v1';
/** Header carrying the caller's id of an open request; the controller acts once per id. */
export const REQUEST_ID_HEADER = 'x-request-id';
/** What a request id may look like (a UUID fits). */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

export const lockControllerPaths = {
  locks: `${LOCK_CONTROLLER_API}/locks`,
  open: (lock: number): string => `${LOCK_CONTROLLER_API}/locks/${lock}/open`,
} as const;

export const ControllerLockStatus = z.object({
  lock: z.number().int().positive(),
  /** The door switch. */
  door: z.enum(['open', 'closed']),
  /** 'released' while the controller drives the lock's release pulse. */
  latch: z.enum(['locked', 'released']),
  /** The item sensor; null where the compartment has none. */
  item: z.enum(['present', 'absent']).nullable(),
});
export type ControllerLockStatus = z.infer<typeof ControllerLockStatus>;

/** `GET /api/v1/locks` */
export const ControllerLocksReply = z.object({ locks: z.array(ControllerLockStatus) });
export type ControllerLocksReply = z.infer<typeof ControllerLocksReply>;

/** `POST /api/v1/locks/{lock}/open`: the lock's status once the pulse has started. */
export const ControllerOpenReply = z.object({
  requestId: z.string(),
  /** true: this request id was seen before; the controller did not pulse again. */
  duplicate: z.boolean(),
  lock: ControllerLockStatus,
});
export type ControllerOpenReply = z.infer<typeof ControllerOpenReply>;

/** Every 4xx/5xx answer. */
export const ControllerErrorReply = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
});
export type ControllerErrorReply = z.infer<typeof ControllerErrorReply>;
