// The hub ↔ kiosk agent contract: Socket.IO namespace `/kiosk`.
//
// Connect: the agent proves its device identity with an Ed25519 signature over a time-stamped
// nonce (`handshakeMessage`), sent as the socket's `auth`; the secret never leaves the kiosk.
// The hub answers `hello` with the negotiated protocol version.
// Agent → hub: `code:submit` (a code typed or scanned; the hub checks and consumes it and grants an
// open command), `code:reassign` (a deposit whose door jammed asks for another compartment) and
// `kiosk:event` (door, item, unlock outcome, the person's answer to an unconfirmed unlock, fault of a
// compartment or of a whole lock board), each with an id and acknowledged; a repeated id is answered
// with the same result and changes nothing; and `kiosk:bus` (each lock-board bus's state and counters).
// Hub → agent: `command` (e.g. open a compartment), each with a command id the agent executes at
// most once.
// Offline (ADR 0008): the agent pulls its site's live codes with `codes:sync` (a cursor makes every
// pull after the first a delta) and the hub pushes `codes:changed` when one is issued, used or
// revoked. With the hub out of reach the agent checks codes itself and reports each such use as a
// `code_used_offline` event, journaled and replayed in order with the others.
// Every request is typed in KioskRequests/KioskReplies and checked where it arrives against its
// schema in KIOSK_REQUESTS; its ack is a KioskReply, `{ status: 'ok', data } | { status: 'error',
// error }`, naming the request's `requestId` where it has one (ADR 0012).
// What the kiosk sends after the handshake is strict (ADR 0020): a field the hub does not know is
// refused `unknown_field`, naming it. The handshake itself stays open (a newer agent may add to it
// and must still be told which version the hub speaks), and so do the hub's answers, which the
// agent reads leniently: a newer hub adding a field to a reply does not break an older agent.
// (`unknown_field` is not among the refusals a resident can meet: it is a bug between agent and hub,
// shown on the screen as the generic refusal.)
import { z } from 'zod';
import { CodePurpose } from './codes.js';
import type { Reply } from './reply.js';

export const KIOSK_NAMESPACE = '/kiosk';
export const KIOSK_PROTOCOL_VERSIONS = [1] as const;
/** How far a handshake's clock may be from the hub's. */
export const HANDSHAKE_MAX_SKEW_MS = 60_000;
/** The highest compartment number a kiosk may name (the hub stores them as 32-bit integers). */
export const MAX_COMPARTMENT_NUMBER = 9_999;
const Compartment = z.number().int().min(1).max(MAX_COMPARTMENT_NUMBER);
/** A counter the hub stores (bigint), within what JSON and a JS number carry exactly. */
const Counter = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const KioskHandshake = z.object({
  deviceId: z.string().uuid(),
  /** milliseconds since the epoch, on the kiosk's clock */
  ts: z.number().int().min(0),
  nonce: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
  versions: z.array(z.number().int().min(1).max(1_000)).min(1).max(32),
  /** base64 Ed25519 signature of handshakeMessage() */
  signature: z.string().min(1).max(512),
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

export const CodeSubmit = z.strictObject({
  requestId: z.string().uuid(),
  via: z.enum(['keypad', 'qr']),
  code: z.string().min(1).max(512),
  /**
   * keypad only (ADR 0018): the code's second factor, 6 digits only its holder has (the last 6 of
   * the phone the code was sent to, or the PIN sent with it). A keypad code is judged only with it.
   */
  factor: z.string().min(1).max(16).optional(),
});
export type CodeSubmit = z.infer<typeof CodeSubmit>;

/** What a valid code grants: open this compartment, once, under this command id. */
export const CodeGrant = z.object({
  commandId: z.string().uuid(),
  compartment: z.number().int().positive(),
  purpose: CodePurpose,
  /** the parcel's tracking number, printed on the deposit receipt */
  trackingNumber: z.string().min(1),
  /** the code it used: the agent remembers it as spent, so it never opens with it offline */
  codeId: z.string().uuid().optional(),
  /**
   * A courier's visit code (ADR 0023): it opens several doors, one at a time. This grant is door
   * `position` of `doors`; once its door is closed the kiosk asks for the next with `code:next`.
   */
  visit: z
    .object({
      visitId: z.string().uuid(),
      position: z.number().int().positive(),
      doors: z.array(z.number().int().positive()).min(1),
    })
    .optional(),
});
export type CodeGrant = z.infer<typeof CodeGrant>;

/** After a visit door closed (or did not open): the next door of the visit, if any. Idempotent by requestId. */
export const CodeNext = z.object({
  requestId: z.string().uuid(),
  /** the command of the door just handled */
  commandId: z.string().uuid(),
});
export type CodeNext = z.infer<typeof CodeNext>;
/** The next door's grant, or null when the visit has no door left. */
export interface CodeNextReply {
  grant: CodeGrant | null;
}

/** A live code of the kiosk's site, as the kiosk keeps it for checking codes without the hub. */
export const OfflineCode = z.object({
  codeId: z.string().uuid(),
  /** base64 HMAC-SHA256(site offline key, offlineHashInput(site, code)); null for a code issued without one (its QR form still works) */
  offlineHash: z.string().nullable(),
  /**
   * base64 HMAC-SHA256(site offline key, offlineKeypadInput(site, code, factor)) (ADR 0018): the
   * keypad opens a code offline only with this; `offlineHash` is then null. Absent or null: the code
   * has no second factor and opens by its QR form only.
   */
  keypadHash: z.string().nullable().optional(),
  compartment: z.number().int().positive(),
  purpose: CodePurpose,
  trackingNumber: z.string().min(1),
  validFrom: z.string().datetime({ offset: true }),
  expiresAt: z.string().datetime({ offset: true }),
});
export type OfflineCode = z.infer<typeof OfflineCode>;

/** null: send everything; a number: send only what changed after it. */
export const CodeSyncRequest = z.strictObject({ cursor: Counter.nullable() });
export type CodeSyncRequest = z.infer<typeof CodeSyncRequest>;

export const CodeSyncReply = z.object({
  siteId: z.string().uuid(),
  /** Pass this back on the next pull. */
  cursor: z.number().int().min(0),
  /** true: `codes` is the whole live set and replaces what the kiosk had; false: a delta */
  full: z.boolean(),
  /** live codes, new or changed */
  codes: z.array(OfflineCode),
  /** codes no longer usable (used, revoked) since the cursor */
  removed: z.array(z.string().uuid()),
  /** base64 key of this site's offline hashes; given only to this site's authenticated kiosks */
  offlineKey: z.string().min(1),
  /** SPKI PEM of the Ed25519 key that signs QR tokens */
  qrPublicKey: z.string().min(1),
  serverTime: z.string(),
});
export type CodeSyncReply = z.infer<typeof CodeSyncReply>;

/**
 * Error codes a code submission can be refused with; the kiosk shows a message for each.
 * `keypad_slowed` (ADR 0015): too many wrong keypad codes lately, the code was not looked at; the
 * error's `details.retryAfterMs` says how long to wait. `locked_out` is no longer sent (kept so that
 * an older hub's answer still parses).
 */
export const CODE_REFUSALS = ['code_invalid', 'code_expired', 'code_used', 'locked_out', 'keypad_slowed', 'bad_request'] as const;
export type CodeRefusal = (typeof CODE_REFUSALS)[number];

/**
 * A deposit whose unlock was reported jammed asks for another compartment. The hub answers a new
 * CodeGrant (a new command id, executed once) or one of REASSIGN_REFUSALS. Idempotent by requestId,
 * and a jammed command is reassigned at most once.
 */
export const CodeReassign = z.strictObject({
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
  compartment: Compartment,
};

/**
 * What became of one open command's unlock (ADR 0014):
 * - `opened`: a read in the confirmation window showed the door open or the item sensor changed;
 * - `jammed`: the unlock frame went out and reads across the whole window show the door never moved
 *   and the item never changed (the only outcome that lets a deposit ask for another compartment);
 * - `unconfirmed`: the frame went out but the evidence is missing (lost replies): the door may be
 *   open; a person is asked, nothing is reassigned, the compartment is not marked faulty;
 * - `not_sent`: the unlock frame was never written (bus down, port gone): nothing opened, and the
 *   hub gives the code back;
 * - `failed`: an older agent's catch-all: the code stays spent and the door cycle is settled (ADR 0003).
 */
export const UNLOCK_OUTCOMES = ['opened', 'jammed', 'unconfirmed', 'not_sent', 'failed'] as const;
export const UnlockOutcome = z.enum(UNLOCK_OUTCOMES);
export type UnlockOutcome = z.infer<typeof UnlockOutcome>;

/** Faults of one compartment. */
export const COMPARTMENT_FAULT_KINDS = ['jammed', 'forced_open', 'left_open'] as const;
/** Faults of one lock board: reported once per board (after N consecutive failed exchanges), and once when it answers again. */
export const BOARD_FAULT_KINDS = ['board_unreachable', 'board_reachable'] as const;
export const FAULT_KINDS = [...COMPARTMENT_FAULT_KINDS, ...BOARD_FAULT_KINDS] as const;
export const FaultKind = z.enum(FAULT_KINDS);
export type FaultKind = z.infer<typeof FaultKind>;

/** The bus id as the kiosk's configuration names it, and the board's address on it. */
export const BoardRef = z.strictObject({ bus: z.string().min(1).max(64), board: z.number().int().min(0).max(255) });
export type BoardRef = z.infer<typeof BoardRef>;

const faultBase = { eventId: eventBase.eventId, at: eventBase.at, type: z.literal('fault'), detail: z.string().max(500).optional() };

/** A fault event: a compartment's, or a whole board's (compartment then optional). */
export const FaultEvent = z.discriminatedUnion('fault', [
  z.strictObject({ ...faultBase, compartment: eventBase.compartment, fault: z.enum(COMPARTMENT_FAULT_KINDS) }),
  z.strictObject({ ...faultBase, ...BoardRef.shape, compartment: eventBase.compartment.optional(), fault: z.enum(BOARD_FAULT_KINDS) }),
]);
export type FaultEvent = z.infer<typeof FaultEvent>;

/** What the person at the screen answered to "did the door open?" after an `unconfirmed` unlock. */
export const UNLOCK_ANSWERS = ['opened', 'not_opened'] as const;

export const KioskEvent = z.discriminatedUnion('type', [
  /** The unlock for a command was sent at most once; see UNLOCK_OUTCOMES. Repeats for one command change nothing. */
  z.strictObject({
    ...eventBase,
    type: z.literal('unlock_result'),
    commandId: z.string().uuid(),
    outcome: UnlockOutcome,
    detail: z.string().max(500).optional(),
  }),
  /** The person's answer on the screen to an `unconfirmed` unlock of this command. */
  z.strictObject({ ...eventBase, type: z.literal('unlock_answered'), commandId: z.string().uuid(), answer: z.enum(UNLOCK_ANSWERS) }),
  z.strictObject({ ...eventBase, type: z.literal('door_opened') }),
  /** itemPresent is null where the board has no item sensor. */
  z.strictObject({ ...eventBase, type: z.literal('door_closed'), itemPresent: z.boolean().nullable() }),
  z.strictObject({ ...eventBase, type: z.literal('item_changed'), itemPresent: z.boolean() }),
  FaultEvent,
  /**
   * The kiosk, without the hub, accepted a code from its synced set and opened `compartment` under
   * its own command id. Journaled (with the code marked spent) before the unlock frame was sent.
   */
  z.strictObject({
    ...eventBase,
    type: z.literal('code_used_offline'),
    codeId: z.string().uuid(),
    commandId: z.string().uuid(),
    via: z.enum(['keypad', 'qr']),
    /** The hub was connected but not asked: the kiosk judged a code its book holds (ADR 0030). */
    bookFirst: z.literal(true).optional(),
  }),
]);
export type KioskEvent = z.infer<typeof KioskEvent>;
export type BoardFaultEvent = Extract<FaultEvent, { fault: (typeof BOARD_FAULT_KINDS)[number] }>;
/** The events that name a compartment (all but a whole board's faults). */
export type CompartmentEvent = Exclude<KioskEvent, BoardFaultEvent>;

export function isBoardFault(e: KioskEvent): e is BoardFaultEvent {
  return e.type === 'fault' && (BOARD_FAULT_KINDS as readonly string[]).includes(e.fault);
}
export type KioskEventType = KioskEvent['type'];

export const KioskCommand = z.discriminatedUnion('type', [
  z.object({ commandId: z.string().uuid(), type: z.literal('open'), compartment: z.number().int().positive() }),
]);
export type KioskCommand = z.infer<typeof KioskCommand>;

/** One lock-board bus's health as the agent sees it; counters run from the agent's start. */
export const BusHealth = z.strictObject({
  bus: z.string().min(1).max(64),
  /** `reopening`: the port went away and the agent is trying to open it again (with backoff). */
  state: z.enum(['up', 'down', 'reopening']),
  frames: Counter,
  replies: Counter,
  timeouts: Counter,
  badFramesDropped: Counter,
  reopenings: Counter,
  lastError: z.string().max(500).optional(),
});
export type BusHealth = z.infer<typeof BusHealth>;

/**
 * `kiosk:bus`: the agent's buses, sent on connect, on every change of a bus's state and every
 * minute or so. The hub keeps the latest per bus (an older report than the one stored is ignored).
 */
export const BusReport = z.strictObject({
  /** ISO time on the kiosk's clock */
  at: z.string().datetime({ offset: true }),
  buses: z.array(BusHealth).max(32),
});
export type BusReport = z.infer<typeof BusReport>;

/** What the hub answers a kiosk event: its id, and whether it had been recorded before. */
export interface EventAck {
  eventId: string;
  duplicate: boolean;
}

/** Every request the kiosk sends the hub, by event name: the request's body. */
export interface KioskRequests {
  'code:submit': CodeSubmit;
  'code:reassign': CodeReassign;
  'code:next': CodeNext;
  'codes:sync': CodeSyncRequest;
  'kiosk:event': KioskEvent;
  'kiosk:bus': BusReport;
}
export type KioskRequestName = keyof KioskRequests;

/** The data of each request's ok reply. */
export interface KioskReplies {
  'code:submit': CodeGrant;
  'code:reassign': CodeGrant;
  'code:next': CodeNextReply;
  'codes:sync': CodeSyncReply;
  'kiosk:event': EventAck;
  /** stored: false when a newer report was already stored */
  'kiosk:bus': { stored: boolean };
}

/**
 * The answer to a request: ok with its data, or an error with a stable code. `requestId` echoes
 * the request's id where it has one (a kiosk event's id is `eventId`, in its data).
 */
export type KioskReply<E extends KioskRequestName> = Reply<KioskReplies[E]> & { requestId?: string };

/** The schema each request is checked with where it arrives, and the message for one that fails it. */
export const KIOSK_REQUESTS: { [E in KioskRequestName]: { schema: z.ZodType<KioskRequests[E]>; malformed: string } } = {
  'code:submit': { schema: CodeSubmit, malformed: 'malformed code submission' },
  'code:reassign': { schema: CodeReassign, malformed: 'malformed reassign request' },
  'code:next': { schema: CodeNext, malformed: 'malformed next-door request' },
  'codes:sync': { schema: CodeSyncRequest, malformed: 'malformed code sync request' },
  'kiosk:event': { schema: KioskEvent, malformed: 'malformed kiosk event' },
  'kiosk:bus': { schema: BusReport, malformed: 'malformed bus report' },
};

/** Socket.IO event maps of the `/kiosk` namespace (`Server<…>` on the hub, `Socket<…>` on the kiosk). */
export type KioskClientToServerEvents = {
  [E in KioskRequestName]: (request: KioskRequests[E], ack: (reply: KioskReply<E>) => void) => void;
};

export interface KioskServerToClientEvents {
  hello: (hello: Hello) => void;
  command: (command: KioskCommand, ack: (reply: Reply<{ commandId: string }>) => void) => void;
  /** The site's live codes changed: pull with `codes:sync`. */
  'codes:changed': (note: { siteId: string }) => void;
}

/** The hub's processes exchange nothing over Socket.IO. */
export type KioskInterServerEvents = Record<string, never>;

/** What the hub keeps on a kiosk's socket once its handshake passed. */
export interface KioskSocketData {
  deviceId: string;
  siteId: string;
  protocolVersion: number;
}
