// A code at the door: typed on the keypad or scanned, checked by the hub (or, with the hub out of
// reach, against the synced code book: ADR 0008), the compartment it grants opened once, and the
// outcome told to whoever asked. The same code again while it is handled (or just after) gets the
// same answer; wrong keypad codes, online or off, are journaled and slow the keypad down offline
// exactly as the hub does online (ADR 0015); signed QR codes are never slowed. A keypad code is judged
// only with its second factor (ADR 0018), online and off. Also the jammed deposit's "another compartment":
// asked of the hub only once the hub has the jam. Knows no bytes and no HTTP.
import { createHash, randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { Logger } from 'pino';
import {
  countFromHistory,
  KeypadCode,
  KeypadFactor,
  QR_TOKEN_PREFIX,
  waitRemaining,
  type CodeGrant,
  type CodePurpose,
  type KeypadLimit,
  type KioskEvent,
  type OfflineCode,
} from '@xinbao/protocol';
import type { EventOutbox } from './event-outbox.js';
import type { HubConnection } from './hub-link.js';
import type { KioskJournal } from './journal.js';
import { UnknownCompartmentError, type Cabinet } from './lockboard/index.js';
import type { OfflineCodeBook } from './offline-codes.js';
import type { OpenCommands } from './open-commands.js';

export type CodeResult =
  /** offline: the kiosk judged the code itself, the hub being out of reach */
  | {
      /** `unconfirmed`: the frame went out, no evidence either way (ask the person); `not_sent`: it never left, the code is live again */
      status: DoorStatus;
      compartment: number;
      purpose: CodePurpose;
      trackingNumber: string;
      commandId: string;
      offline?: boolean;
      /** a courier visit's door (ADR 0023): which of the visit's doors this is */
      visit?: NonNullable<CodeGrant['visit']>;
    }
  | { status: 'refused'; code: string; message: string; retryAfterMs?: number };

/** Hub answers after which the kiosk judges a code itself: the hub did not (or could not) look at it. */
const OFFLINE_FALLBACK = new Set(['hub_unreachable', 'internal']);

/** The keypad attempt limit (ADR 0015); the same numbers as the hub's per-device limit. */
export interface AttemptLimit {
  /** wrong keypad codes allowed without a wait */
  maxFailures: number;
  /** the count is forgotten after this long without a wrong keypad code */
  failureWindowMs: number;
  /** the first wait, doubling with each further wrong code (default 2 s) */
  firstDelayMs?: number;
  /** the longest wait (default 10 min) */
  maxDelayMs?: number;
}

export function keypadLimit(l: AttemptLimit): KeypadLimit {
  return {
    freeFailures: l.maxFailures,
    firstDelayMs: l.firstDelayMs ?? 2_000,
    maxDelayMs: l.maxDelayMs ?? 600_000,
    quietResetMs: l.failureWindowMs,
  };
}

/** The same code again within this long after its answer gets that answer again (ADR 0015). */
export const REPEAT_WINDOW_MS = 10_000;
/** What a door did for a code (ADR 0013); `failed`: an older outcome or an interrupted command, the code spent. */
export type DoorStatus = 'opened' | 'jammed' | 'unconfirmed' | 'not_sent' | 'failed';
const DOOR_STATUSES = new Set<string>(['opened', 'jammed', 'unconfirmed', 'not_sent']);

/**
 * Answers worth repeating: the code was looked at and its door answered. A wait, an unreachable hub
 * or a door that did not open (`not_sent`: the frame never left, the code is given back; `failed`)
 * is asked again.
 */
const REPEATABLE = (r: CodeResult) =>
  r.status === 'refused'
    ? ['code_invalid', 'code_expired', 'code_used'].includes(r.code)
    : r.status !== 'failed' && r.status !== 'not_sent';
/** Refusals that count as a wrong keypad code. */
const COUNTED = new Set(['code_invalid', 'code_expired', 'code_used']);

const slowed = (waitMs: number): CodeResult => ({
  status: 'refused',
  code: 'keypad_slowed',
  message: `too many wrong codes at this locker lately; please wait ${Math.ceil(waitMs / 1000)} s and try again`,
  retryAfterMs: waitMs,
});

export interface CodeEntryDeps {
  cabinet: Cabinet;
  link: HubConnection;
  journal: KioskJournal;
  outbox: EventOutbox;
  commands: OpenCommands;
  log: Logger;
  now: () => Date;
  /** The synced codes; without it the kiosk opens nothing while the hub is out of reach. */
  codes?: OfflineCodeBook;
  /**
   * Book first (ADR 0030): a code the book holds is judged here and opened at once, hub or no hub;
   * the hub hears of the use from the command's journal line. Off: the hub judges whenever it answers.
   */
  bookFirst?: boolean;
  limit: AttemptLimit;
}

export class CodeEntry {
  /** Codes being handled or just answered, by a hash of the code: a second tap gets the same answer. */
  private readonly recent = new Map<string, { answeredAt: number | null; result: Promise<CodeResult> }>();
  private readonly limit: KeypadLimit;

  constructor(private readonly deps: CodeEntryDeps) {
    this.limit = keypadLimit(deps.limit);
  }

  /**
   * A code from the keypad (8 digits, with `factor`: the 6 digits that go with it, ADR 0018) or the
   * scanner (a signed XB1 token, which needs no factor).
   */
  async enter(input: string, factor?: string): Promise<CodeResult> {
    const code = input.trim();
    const keypadFactor = code.startsWith(`${QR_TOKEN_PREFIX}.`) ? undefined : factor?.trim();
    // the pair is one answer: the same code with another factor is another attempt
    const key = createHash('sha256')
      .update(`${code}\u0000${keypadFactor ?? ''}`)
      .digest('base64');
    const now = this.deps.now().getTime();
    for (const [k, r] of this.recent) if (r.answeredAt !== null && now - r.answeredAt > REPEAT_WINDOW_MS) this.recent.delete(k);
    const seen = this.recent.get(key);
    if (seen && seen.answeredAt !== null && ((await this.doorShutSince(seen.result)) || (await this.answeredSince(seen.result)))) {
      this.recent.delete(key);
    } else if (seen) {
      this.deps.log.info('the same code again while (or just after) it was handled: same answer');
      return seen.result;
    }
    const entry: { answeredAt: number | null; result: Promise<CodeResult> } = {
      answeredAt: null,
      result: this.enterOnce(code, keypadFactor),
    };
    this.recent.set(key, entry);
    try {
      const result = await entry.result;
      if (REPEATABLE(result)) entry.answeredAt = this.deps.now().getTime();
      else this.recent.delete(key);
      return result;
    } catch (err) {
      this.recent.delete(key);
      throw err;
    }
  }

  /** An opening answered earlier whose door has been shut since: that answer is history, not a repeat. */
  private async doorShutSince(answer: Promise<CodeResult>): Promise<boolean> {
    const r = await answer;
    if (r.status !== 'opened') return false;
    try {
      return this.deps.cabinet.state(r.compartment)?.latchClosed === true;
    } catch {
      return false;
    }
  }

  /** An `unconfirmed` answer the person has since answered ("did the door open?"): the code is asked anew. */
  private async answeredSince(answer: Promise<CodeResult>): Promise<boolean> {
    const r = await answer;
    return r.status === 'unconfirmed' && this.deps.journal.command(r.commandId)?.answer !== undefined;
  }

  private async enterOnce(code: string, factor: string | undefined): Promise<CodeResult> {
    // While the code is checked, status polls stay off the bus: the unlock goes out the moment it is granted.
    const release = this.deps.cabinet.holdPolling();
    try {
      return await this.check(code, factor);
    } finally {
      release();
      // The code is in: polls go back to the bus at once (door events), not when the typing hint lapses.
      this.deps.cabinet.typingDone();
    }
  }

  /** The wait the keypad owes at `now` by this kiosk's journal (0: a keypad code may be checked). */
  keypadWait(now: Date): number {
    const count = countFromHistory(this.deps.journal.refusalTimes(), now.getTime(), this.limit);
    return waitRemaining(count, now.getTime(), this.limit);
  }

  /** Journals a wrong keypad code (never the code) and logs it with the count. */
  private countFailure(refusal: string, now: Date, offline: boolean): void {
    this.deps.journal.recordRefusal(now);
    const failures = countFromHistory(this.deps.journal.refusalTimes(), now.getTime(), this.limit).failures;
    this.deps.log.warn({ refusal, failures, offline, waitMs: this.keypadWait(now) }, 'keypad code refused');
  }

  /**
   * A deposit whose door jammed: asks the hub for another compartment and opens it once. The hub
   * decides on what it has been told, so the jam report goes first.
   */
  async anotherCompartment(commandId: string): Promise<CodeResult> {
    if (this.deps.journal.command(commandId)?.outcome !== 'jammed') {
      return { status: 'refused', code: 'not_jammed', message: 'no door of this locker jammed for that command' };
    }
    const reported = await this.deps.outbox.delivered((e) => e.type === 'unlock_result' && e.commandId === commandId);
    if (!reported) return { status: 'refused', code: 'hub_unreachable', message: 'the locker cannot reach the hub right now' };
    const reply = await this.deps.link.ask('code:reassign', { requestId: randomUUID(), commandId });
    if (reply.status === 'error') return { status: 'refused', code: reply.error.code, message: reply.error.message };
    return this.openGrant(reply.data);
  }

  private async check(code: string, factor: string | undefined): Promise<CodeResult> {
    const { codes, journal, link } = this.deps;
    const via = code.startsWith(`${QR_TOKEN_PREFIX}.`) ? 'qr' : 'keypad';
    if (via === 'keypad' && !KeypadCode.safeParse(code).success) {
      return { status: 'refused', code: 'code_invalid', message: 'an open-code is 8 digits' };
    }
    // Not a guess yet (nothing is looked at): the screen asks both before anything is judged (ADR 0018).
    if (via === 'keypad' && !KeypadFactor.safeParse(factor).success) {
      return { status: 'refused', code: 'code_invalid', message: 'an open-code is typed with the 6 digits that go with it' };
    }
    // A code spent here (online or off) is refused here, even before the hub has heard of it.
    const judged = codes?.check(via, code, this.deps.now(), factor);
    const named = judged?.code;
    if (named && journal.isSpent(named.codeId)) {
      if (via === 'keypad') this.countFailure('code_used', this.deps.now(), false);
      return { status: 'refused', code: 'code_used', message: 'this code has already been used' };
    }
    // Book first (ADR 0030): a live code of this kiosk's own compartments opens without waiting for
    // the hub; anything else (not in the book yet, a keypad wait owed here, a visit's code) is the hub's.
    if (codes && judged?.ok && this.deps.bookFirst !== false && link.connected) {
      const fromBook = judged.code;
      const waitOwed = via === 'keypad' && this.keypadWait(this.deps.now()) > 0;
      if (!waitOwed && this.hasCompartment(fromBook.compartment)) return this.openFromBook(via, fromBook, this.deps.now(), true);
    }
    const reply = await link.ask('code:submit', { requestId: randomUUID(), via, code, ...(via === 'keypad' ? { factor } : {}) });
    if (reply.status === 'error') {
      if (codes && OFFLINE_FALLBACK.has(reply.error.code)) return this.checkOffline(via, code, codes, factor);
      if (via === 'keypad' && COUNTED.has(reply.error.code)) this.countFailure(reply.error.code, this.deps.now(), false);
      const details = reply.error.details as { retryAfterMs?: unknown } | undefined;
      const retryAfterMs = typeof details?.retryAfterMs === 'number' ? { retryAfterMs: details.retryAfterMs } : {};
      return { status: 'refused', code: reply.error.code, message: reply.error.message, ...retryAfterMs };
    }
    const { codeId, ...grant } = reply.data;
    return this.openGrant(grant, codeId ? { codeId } : undefined);
  }

  /** The hub is out of reach: judge the code against the synced book, spend it, open. */
  private async checkOffline(via: 'keypad' | 'qr', input: string, book: OfflineCodeBook, factor?: string): Promise<CodeResult> {
    const { journal, log } = this.deps;
    const now = this.deps.now();
    // The same limit as the hub's, from the journal: it does not start afresh when the hub is away.
    const wait = via === 'keypad' ? this.keypadWait(now) : 0;
    if (wait > 0) {
      log.info({ waitMs: wait }, 'keypad attempt before its wait, offline: not checked');
      return slowed(wait);
    }
    const check = book.check(via, input, now, factor);
    const refuse = (code: string, message: string): CodeResult => {
      if (via === 'keypad' && code !== 'hub_unreachable') this.countFailure(code, now, true);
      else log.info({ refusal: code, via }, 'code refused offline');
      return { status: 'refused', code, message };
    };
    if (!check.ok) return refuse(check.refusal, check.message);
    if (journal.isSpent(check.code.codeId)) return refuse('code_used', 'this code has already been used');
    if (!this.hasCompartment(check.code.compartment)) return refuse('code_invalid', 'no such code at this locker');
    return this.openFromBook(via, check.code, now, false);
  }

  /**
   * Spends a code from the book in the command's journal line, with the event that tells the hub of
   * its use, and opens its compartment. `bookFirst`: the hub was there but was not asked (ADR 0030).
   */
  private async openFromBook(via: 'keypad' | 'qr', code: OfflineCode, now: Date, bookFirst: boolean): Promise<CodeResult> {
    const { codeId, compartment, purpose, trackingNumber } = code;
    const commandId = uuidv7();
    const report: KioskEvent = {
      type: 'code_used_offline',
      eventId: uuidv7(),
      at: now.toISOString(),
      compartment,
      codeId,
      commandId,
      via,
      ...(bookFirst && { bookFirst: true as const }),
    };
    this.deps.log.info({ compartment, commandId, via }, bookFirst ? 'code accepted from the book' : 'code accepted offline');
    const result = await this.openGrant({ commandId, compartment, purpose, trackingNumber }, { codeId, report });
    return bookFirst ? result : { ...result, offline: true };
  }

  /** Opens what a grant names, once; with `spends`, the code is spent in the command's journal line. */
  private async openGrant(
    grant: Omit<CodeGrant, 'codeId'>,
    spends?: { codeId: string; report?: KioskEvent },
  ): Promise<Extract<CodeResult, { status: DoorStatus }>> {
    const { commandId, compartment, purpose, trackingNumber } = grant;
    const outcome = await this.deps.commands.execute(commandId, compartment, spends);
    const status: DoorStatus = DOOR_STATUSES.has(outcome) ? (outcome as DoorStatus) : 'failed';
    return { status, compartment, purpose, trackingNumber, commandId, ...(grant.visit && { visit: grant.visit }) };
  }

  private hasCompartment(compartment: number): boolean {
    try {
      this.deps.cabinet.state(compartment);
      return true;
    } catch (err) {
      if (err instanceof UnknownCompartmentError) return false;
      throw err;
    }
  }
}
