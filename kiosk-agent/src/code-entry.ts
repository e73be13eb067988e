// A code at the door: typed on the keypad or scanned, checked by the hub (or, with the hub out of
// reach, against the synced code book, attempt-limited: ADR 0008), the compartment it grants opened
// once, and the outcome told to whoever asked. Also the jammed deposit's "another compartment":
// asked of the hub only once the hub has the jam. Knows no bytes and no HTTP.
import { randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { Logger } from 'pino';
import { KeypadCode, QR_TOKEN_PREFIX, type CodeGrant, type CodePurpose, type KioskEvent } from '@xinbao/protocol';
import type { EventOutbox } from './event-outbox.js';
import type { HubConnection } from './hub-link.js';
import type { KioskJournal } from './journal.js';
import { UnknownCompartmentError, type Cabinet } from './lockboard/index.js';
import type { OfflineCodeBook } from './offline-codes.js';
import type { OpenCommands } from './open-commands.js';

export type CodeResult =
  /** offline: the kiosk judged the code itself, the hub being out of reach */
  | {
      status: 'opened' | 'jammed' | 'failed';
      compartment: number;
      purpose: CodePurpose;
      trackingNumber: string;
      commandId: string;
      offline?: boolean;
    }
  | { status: 'refused'; code: string; message: string };

/** Hub answers after which the kiosk judges a code itself: the hub did not (or could not) look at it. */
const OFFLINE_FALLBACK = new Set(['hub_unreachable', 'internal']);

export interface AttemptLimit {
  /** Codes refused without the hub, within the window, after which the kiosk refuses every code. */
  maxFailures: number;
  failureWindowMs: number;
}

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
  limit: AttemptLimit;
}

export class CodeEntry {
  constructor(private readonly deps: CodeEntryDeps) {}

  /** A code from the keypad (8 digits) or the scanner (a signed XB1 token). */
  async enter(input: string): Promise<CodeResult> {
    // While the code is checked, status polls stay off the bus: the unlock goes out the moment it is granted.
    const release = this.deps.cabinet.holdPolling();
    try {
      return await this.check(input);
    } finally {
      release();
    }
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

  private async check(input: string): Promise<CodeResult> {
    const { codes, journal, link } = this.deps;
    const code = input.trim();
    const via = code.startsWith(`${QR_TOKEN_PREFIX}.`) ? 'qr' : 'keypad';
    if (via === 'keypad' && !KeypadCode.safeParse(code).success) {
      return { status: 'refused', code: 'code_invalid', message: 'an open-code is 8 digits' };
    }
    // A code spent here (online or off) is refused here, even before the hub has heard of it.
    const named = codes?.check(via, code, this.deps.now()).code;
    if (named && journal.isSpent(named.codeId)) {
      journal.recordRefusal(this.deps.now());
      return { status: 'refused', code: 'code_used', message: 'this code has already been used' };
    }
    const reply = await link.ask('code:submit', { requestId: randomUUID(), via, code });
    if (reply.status === 'error') {
      if (codes && OFFLINE_FALLBACK.has(reply.error.code)) return this.checkOffline(via, code, codes);
      return { status: 'refused', code: reply.error.code, message: reply.error.message };
    }
    const { codeId, ...grant } = reply.data;
    return this.openGrant(grant, codeId ? { codeId } : undefined);
  }

  /** The hub is out of reach: judge the code against the synced book, spend it, open. */
  private async checkOffline(via: 'keypad' | 'qr', input: string, book: OfflineCodeBook): Promise<CodeResult> {
    const { journal, log, limit } = this.deps;
    const now = this.deps.now();
    if (journal.refusalsSince(new Date(now.getTime() - limit.failureWindowMs)) >= limit.maxFailures) {
      return {
        status: 'refused',
        code: 'locked_out',
        message: 'too many wrong codes at this locker; please wait a few minutes and try again',
      };
    }
    const check = book.check(via, input, now);
    const refuse = (code: string, message: string): CodeResult => {
      if (code !== 'hub_unreachable') journal.recordRefusal(now);
      log.info({ refusal: code, via }, 'code refused offline');
      return { status: 'refused', code, message };
    };
    if (!check.ok) return refuse(check.refusal, check.message);
    const { codeId, compartment, purpose, trackingNumber } = check.code;
    if (journal.isSpent(codeId)) return refuse('code_used', 'this code has already been used');
    if (!this.hasCompartment(compartment)) return refuse('code_invalid', 'no such code at this locker');
    const commandId = uuidv7();
    const report: KioskEvent = { type: 'code_used_offline', eventId: uuidv7(), at: now.toISOString(), compartment, codeId, commandId, via };
    log.info({ compartment, commandId, via }, 'code accepted offline');
    const result = await this.openGrant({ commandId, compartment, purpose, trackingNumber }, { codeId, report });
    return { ...result, offline: true };
  }

  /** Opens what a grant names, once; with `spends`, the code is spent in the command's journal line. */
  private async openGrant(
    grant: Omit<CodeGrant, 'codeId'>,
    spends?: { codeId: string; report?: KioskEvent },
  ): Promise<Extract<CodeResult, { status: 'opened' | 'jammed' | 'failed' }>> {
    const { commandId, compartment, purpose, trackingNumber } = grant;
    const outcome = await this.deps.commands.execute(commandId, compartment, spends);
    const status = outcome === 'opened' || outcome === 'jammed' ? outcome : 'failed';
    return { status, compartment, purpose, trackingNumber, commandId };
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
