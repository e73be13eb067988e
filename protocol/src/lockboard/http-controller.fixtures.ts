// JSON fixtures of the network lock controller API (http-controller.ts, docs/lock-controller-http.md),
// shared by the protocol, driver and simulator tests. Locks are numbered 1…N as the controller
// numbers them.
// The byte formats beside it: docs/lockboard-wire-formats.md.
import type { ControllerErrorReply, ControllerLocksReply, ControllerOpenReply } from './http-controller.js';

export const HttpControllerFixtures = {
  /** GET /api/v1/locks of four locks: 2 open with an item in it, 3 closed with an item, 4 without an item sensor. */
  locksFour: {
    locks: [
      { lock: 1, door: 'closed', latch: 'locked', item: 'absent' },
      { lock: 2, door: 'open', latch: 'released', item: 'present' },
      { lock: 3, door: 'closed', latch: 'locked', item: 'present' },
      { lock: 4, door: 'closed', latch: 'locked', item: null },
    ],
  } satisfies ControllerLocksReply,
  /** POST /api/v1/locks/2/open, first time for this request id: the latch let go. */
  openLock2: (requestId: string): ControllerOpenReply => ({
    requestId,
    duplicate: false,
    lock: { lock: 2, door: 'open', latch: 'released', item: 'absent' },
  }),
  /** POST /api/v1/locks/3/open on a jammed latch: released, but the door stays shut. */
  openLock3Jammed: (requestId: string): ControllerOpenReply => ({
    requestId,
    duplicate: false,
    lock: { lock: 3, door: 'closed', latch: 'released', item: 'absent' },
  }),
  unauthorized: { error: { code: 'unauthorized', message: 'a valid bearer token is required' } } satisfies ControllerErrorReply,
  unknownLock: { error: { code: 'unknown_lock', message: 'no lock 9 on this controller (1–4)' } } satisfies ControllerErrorReply,
  internal: { error: { code: 'internal', message: 'controller error' } } satisfies ControllerErrorReply,
  /** Not as documented: a lock without its door state. */
  locksWithoutDoor: { locks: [{ lock: 1, latch: 'locked', item: null }] },
  /** Not as documented: door states the API does not have. */
  locksAjar: { locks: [{ lock: 1, door: 'ajar', latch: 'locked', item: null }] },
  /** Half of a status body: what a connection cut short leaves. */
  locksCutShort: '{"locks":[{"lock":1,"door":"clo',
};
