// The hub ↔ kiosk agent contract: Socket.IO namespace `/kiosk`.
//
// Connect: the agent proves its device identity with an Ed25519 signature over a time-stamped
// nonce (`handshakeMessage`), sent as the socket's `auth`; the secret never leaves the kiosk.
// The hub answers `hello` with the negotiated protocol version.
// Agent → hub: `code:submit` (a code typed or scanned; the hub checks and consumes it and grants an
// open command), `code:reassign` (a deposit whose door jammed asks for another compartment) and
// `kiosk:event` (door, item, unlock outcome, fault), each with an id and acknowledged; a repeated id
// is answered with the same result and changes nothing.
// Hub → agent: `command` (e.g. open a compartment), each with a command id the agent executes at
// most once.
import { z } from 'zod';
import { CodePurpose } from './codes.js';
import type { Reply } from './reply.js';

export const KIOSK_NAMESPACE = '/kiosk';
export const KIOSK_PROTOCOL_VERSIONS = [1] as const;
/** How far a handshake's clock may be from the hub's. */
export const HANDSHAKE_MAX_SKEW_MS = 60_000;

export const KioskHandshake = z.object({
  deviceId: z.string().uuid(),
  /** milliseconds since the epoch, on the kiosk's clock */
  ts: z.number().int(),
  nonce: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
  versions: z.array(z.number().int().positive()).min(1),
  /** base64 Ed25519 signature of handshakeMessage() */
  signature: z.string().min(1),
});
export type KioskHandshake = z.infer<typeof KioskHandshake>;

export function handshakeMessage(h: Pick<KioskHandshake, 'deviceId' | 'ts' | 'nonce'>): string {
  return `xinbao-kiosk-handshake|v1|${h.deviceId}|${h.ts}|${h.nonce}`;
}

export const Hello = z.object({
  protocolVersion: z.number().int(),
  deviceId: z.string().uuid(),
  siteId: z.string().uuid(),
  serverTime: z.string(),
});
export type Hello = z.infer<typeof Hello>;

export const CodeSubmit = z.object({
  requestId: z.string().uuid(),
  via: z.enum(['keypad', 'qr']),
  code: z.string().min(1).max(512),
});
export type CodeSubmit = z.infer<typeof CodeSubmit>;

/** What a valid code grants: open this compartment, once, under this command id. */
export const CodeGrant = z.object({
  commandId: z.string().uuid(),
  compartment: z.number().int().positive(),
  purpose: CodePurpose,
  /** the parcel's tracking number, printed on the deposit receipt */
  trackingNumber: z.string().min(1),
});
export type CodeGrant = z.infer<typeof CodeGrant>;

/** Error codes a code submission can be refused with; the kiosk shows a message for each. */
export const CODE_REFUSALS = ['code_invalid', 'code_expired', 'code_used', 'locked_out', 'bad_request'] as const;
export type CodeRefusal = (typeof CODE_REFUSALS)[number];

/**
 * A deposit whose unlock was reported jammed asks for another compartment. The hub answers a new
 * CodeGrant (a new command id, executed once) or one of REASSIGN_REFUSALS. Idempotent by requestId,
 * and a jammed command is reassigned at most once.
 */
export const CodeReassign = z.object({
  requestId: z.string().uuid(),
  /** the command whose unlock jammed */
  commandId: z.string().uuid(),
});
export type CodeReassign = z.infer<typeof CodeReassign>;

/**
 * Why another compartment cannot be given: the command is not this kiosk's, its unlock was not
 * reported jammed, the documents are already behind the jammed door (collection, courier pickup),
 * or no fitting compartment is free at this site.
 */
export const REASSIGN_REFUSALS = ['unknown_command', 'not_jammed', 'not_reassignable', 'no_free_compartment', 'bad_request'] as const;
export type ReassignRefusal = (typeof REASSIGN_REFUSALS)[number];

const eventBase = {
  eventId: z.string().uuid(),
  /** ISO time on the kiosk's clock */
  at: z.string().datetime({ offset: true }),
  compartment: z.number().int().positive(),
};

export const FAULT_KINDS = ['jammed', 'forced_open', 'left_open', 'board_unreachable'] as const;
export const FaultKind = z.enum(FAULT_KINDS);
export type FaultKind = z.infer<typeof FaultKind>;

export const KioskEvent = z.discriminatedUnion('type', [
  /** The unlock for a command was sent once; `opened` is confirmed by the door's status. */
  z.object({
    ...eventBase,
    type: z.literal('unlock_result'),
    commandId: z.string().uuid(),
    outcome: z.enum(['opened', 'jammed', 'failed']),
    detail: z.string().optional(),
  }),
  z.object({ ...eventBase, type: z.literal('door_opened') }),
  /** itemPresent is null where the board has no item sensor. */
  z.object({ ...eventBase, type: z.literal('door_closed'), itemPresent: z.boolean().nullable() }),
  z.object({ ...eventBase, type: z.literal('item_changed'), itemPresent: z.boolean() }),
  z.object({ ...eventBase, type: z.literal('fault'), fault: FaultKind, detail: z.string().optional() }),
]);
export type KioskEvent = z.infer<typeof KioskEvent>;
export type KioskEventType = KioskEvent['type'];

export const KioskCommand = z.discriminatedUnion('type', [
  z.object({ commandId: z.string().uuid(), type: z.literal('open'), compartment: z.number().int().positive() }),
]);
export type KioskCommand = z.infer<typeof KioskCommand>;

export interface KioskClientToServer {
  'code:submit': (req: CodeSubmit, ack: (reply: Reply<CodeGrant>) => void) => void;
  'code:reassign': (req: CodeReassign, ack: (reply: Reply<CodeGrant>) => void) => void;
  'kiosk:event': (event: KioskEvent, ack: (reply: Reply<{ eventId: string; duplicate: boolean }>) => void) => void;
}

export interface KioskServerToClient {
  hello: (hello: Hello) => void;
  command: (command: KioskCommand, ack: (reply: Reply<{ commandId: string }>) => void) => void;
}
