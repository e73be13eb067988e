// The kiosk agent's core: a code typed or scanned is checked by the hub, the compartment it grants
// is opened once per command, and everything the cabinet sees becomes a journaled event that is
// delivered to the hub in order until acknowledged. Knows no bytes and no HTTP.
// Offline (ADR 0008): the agent keeps its site's codes in sync from the hub; when the hub is out of
// reach it checks a code against that book itself (attempt-limited), spends it in the journal
// before the unlock, and reports the use as an event like any other.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { v7 as uuidv7 } from 'uuid';
import type { Logger } from 'pino';
import { KeypadCode, QR_TOKEN_PREFIX, fail, ok, type CodeGrant, type CodePurpose, type KioskCommand, type KioskEvent, type Reply } from '@xinbao/protocol';
import { UnknownCompartmentError, type Cabinet, type DoorEvent, type OpenResult } from './lockboard/index.js';
import type { HubLink } from './hub-link.js';
import type { CommandOutcome, KioskJournal } from './journal.js';
import type { OfflineCodeBook } from './offline-codes.js';

export type CodeResult =
  /** offline: the kiosk judged the code itself, the hub being out of reach */
  | { status: 'opened' | 'jammed' | 'failed'; compartment: number; purpose: CodePurpose; trackingNumber: string; commandId: string; offline?: boolean }
  | { status: 'refused'; code: string; message: string };

/** Hub answers after which the kiosk judges a code itself: the hub did not (or could not) look at it. */
const OFFLINE_FALLBACK = new Set(['hub_unreachable', 'internal']);

export interface OfflineOptions {
  /** Codes refused without the hub, within the window, after which the kiosk refuses every code. */
  maxFailures: number;
  failureWindowMs: number;
  /** Pull the code book this often as well as when the hub says it changed. */
  syncIntervalMs: number;
  /**
   * Wait this long after the hub says the codes changed, so a burst of changes (and the hub's note
   * about a code just used here, which the journal already knows) costs one pull, away from the door.
   */
  syncDelayMs: number;
}

/** Where a code came from: the touch screen's keypad, the QR scanner, or the local API. */
export type CodeSource = 'screen' | 'scanner' | 'api';

/** What the agent tells its screen and terminal devices: every code handled, whatever its source. */
export interface KioskAgentEvents {
  result: [result: CodeResult, source: CodeSource];
  /** A door the cabinet saw open or close (the screen moves on when the door it showed closes). */
  door: [DoorEvent];
}

type EventBody = KioskEvent extends infer E ? (E extends KioskEvent ? Omit<E, 'eventId' | 'at'> : never) : never;

export interface KioskAgentDeps {
  cabinet: Cabinet;
  link: HubLink;
  journal: KioskJournal;
  log: Logger;
  now?: () => Date;
  /** wait before re-sending events the hub did not acknowledge */
  retryDelayMs?: number;
  /** how long a request that depends on an event waits for the hub to acknowledge it */
  deliveryTimeoutMs?: number;
  /** The synced codes; without it the kiosk opens nothing while the hub is out of reach. */
  codes?: OfflineCodeBook;
  offline?: Partial<OfflineOptions>;
}

export class KioskAgent extends EventEmitter<KioskAgentEvents> {
  private readonly now: () => Date;
  private flushing: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Map<string, Promise<CommandOutcome>>();
  private readonly offline: OfflineOptions;
  private syncing: Promise<void> | null = null;
  private syncAgain = false;
  private syncTimer: NodeJS.Timeout | null = null;
  private syncSoonTimer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: KioskAgentDeps) {
    super();
    this.now = deps.now ?? (() => new Date());
    this.offline = { maxFailures: 5, failureWindowMs: 900_000, syncIntervalMs: 60_000, syncDelayMs: 250, ...deps.offline };
  }

  start(): void {
    const { cabinet, link } = this.deps;
    cabinet.on('door', (d) => {
      this.record(
        d.state === 'opened'
          ? { type: 'door_opened', compartment: d.compartment }
          : { type: 'door_closed', compartment: d.compartment, itemPresent: d.itemPresent },
      );
      this.emit('door', d);
    });
    cabinet.on('item', (i) => this.record({ type: 'item_changed', compartment: i.compartment, itemPresent: i.itemPresent }));
    cabinet.on('fault', (f) =>
      this.record({ type: 'fault', compartment: f.compartment, fault: f.fault, ...(f.detail ? { detail: f.detail } : {}) }),
    );
    link.on('connected', () => {
      this.flush();
      this.syncCodes();
    });
    link.on('codesChanged', () => this.syncSoon());
    link.onCommand((c) => this.onCommand(c));
    if (this.deps.codes) {
      this.syncTimer = setInterval(() => this.syncCodes(), this.offline.syncIntervalMs);
      this.syncTimer.unref();
    }
    cabinet.start();
    link.connect();
  }

  async stop(): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.syncTimer) clearInterval(this.syncTimer);
    if (this.syncSoonTimer) clearTimeout(this.syncSoonTimer);
    this.syncSoonTimer = null;
    this.deps.link.close();
    await this.deps.cabinet.stop();
    await this.flushing;
    await this.syncing;
  }

  /** What the kiosk knows for working without the hub. */
  offlineState(): { codes: number; cursor: number | null; syncedAt: string | null } | null {
    const book = this.deps.codes;
    return book ? { codes: book.size, cursor: book.cursor, syncedAt: book.syncedAt?.toISOString() ?? null } : null;
  }

  /** Pulls what changed in the site's codes; one pull at a time, and one more if asked meanwhile. */
  syncCodes(): void {
    if (!this.deps.codes) return;
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    this.syncing = this.pullCodes().finally(() => {
      this.syncing = null;
      if (this.syncAgain) {
        this.syncAgain = false;
        this.syncCodes();
      }
    });
  }

  private syncSoon(): void {
    if (this.syncSoonTimer || !this.deps.codes) return;
    this.syncSoonTimer = setTimeout(() => {
      this.syncSoonTimer = null;
      this.syncCodes();
    }, this.offline.syncDelayMs);
  }

  /** Resolves once no pull is running or wanted (for tests and benchmarks). */
  async codesSynced(): Promise<void> {
    while (this.syncing || this.syncSoonTimer) await (this.syncing ?? new Promise((r) => setTimeout(r, 10)));
  }

  private async pullCodes(): Promise<void> {
    const { codes, link, log } = this.deps;
    if (!codes) return;
    for (let round = 0; round < 2 && link.connected; round++) {
      const reply = await link.syncCodes({ cursor: codes.cursor });
      if (reply.status === 'error') {
        log.warn({ error: reply.error.code }, 'code sync failed; will pull again');
        return;
      }
      try {
        // false: a delta that does not fit what the book holds; the book now asks for everything.
        if (codes.apply(reply.data, this.now())) return;
      } catch (err) {
        log.error({ err }, 'could not keep the synced codes');
        return;
      }
    }
  }

  /** A code from the keypad (8 digits) or the scanner (a signed XB1 token); emits `result` with what happened. */
  async enterCode(input: string, source: CodeSource = 'api'): Promise<CodeResult> {
    // While the code is checked, status polls stay off the bus: the unlock goes out the moment it is granted.
    const release = this.deps.cabinet.holdPolling();
    let result: CodeResult;
    try {
      result = await this.handleCode(input);
    } finally {
      release();
    }
    this.emit('result', result, source);
    return result;
  }

  private async handleCode(input: string): Promise<CodeResult> {
    const code = input.trim();
    const via = code.startsWith(`${QR_TOKEN_PREFIX}.`) ? 'qr' : 'keypad';
    if (via === 'keypad' && !KeypadCode.safeParse(code).success) {
      return { status: 'refused', code: 'code_invalid', message: 'an open-code is 8 digits' };
    }
    // A code spent here (online or off) is refused here, even before the hub has heard of it.
    const named = this.deps.codes?.check(via, code, this.now()).code;
    if (named && this.deps.journal.isSpent(named.codeId)) {
      this.deps.journal.recordRefusal(this.now());
      return { status: 'refused', code: 'code_used', message: 'this code has already been used' };
    }
    const reply = await this.deps.link.submitCode({ requestId: randomUUID(), via, code });
    if (reply.status === 'error') {
      if (this.deps.codes && OFFLINE_FALLBACK.has(reply.error.code)) return this.handleOffline(via, code, this.deps.codes);
      return { status: 'refused', code: reply.error.code, message: reply.error.message };
    }
    const { commandId, compartment, purpose, trackingNumber, codeId } = reply.data;
    const outcome = await this.executeOpen(commandId, compartment, codeId ? { codeId } : undefined);
    const status = outcome === 'opened' || outcome === 'jammed' ? outcome : 'failed';
    return { status, compartment, purpose, trackingNumber, commandId };
  }

  /**
   * A deposit whose door jammed: asks the hub for another compartment and opens it once; emits
   * `result` like a code. The hub decides on what it has been told, so the jam report goes first.
   */
  async anotherCompartment(commandId: string, source: CodeSource = 'api'): Promise<CodeResult> {
    const result = await this.handleAnother(commandId);
    this.emit('result', result, source);
    return result;
  }

  private async handleAnother(commandId: string): Promise<CodeResult> {
    if (this.deps.journal.command(commandId)?.outcome !== 'jammed') {
      return { status: 'refused', code: 'not_jammed', message: 'no door of this locker jammed for that command' };
    }
    const reported = await this.delivered((e) => e.type === 'unlock_result' && e.commandId === commandId);
    if (!reported) return { status: 'refused', code: 'hub_unreachable', message: 'the locker cannot reach the hub right now' };
    const reply = await this.deps.link.requestReassign({ requestId: randomUUID(), commandId });
    if (reply.status === 'error') return { status: 'refused', code: reply.error.code, message: reply.error.message };
    return this.openGrant(reply.data);
  }

  private async openGrant(grant: CodeGrant): Promise<CodeResult> {
    const outcome = await this.executeOpen(grant.commandId, grant.compartment);
    return { ...grant, status: outcome === 'opened' || outcome === 'jammed' ? outcome : 'failed' };
  }

  /** Resolves true once no unacknowledged event matches; false when the hub is out of reach. */
  private async delivered(match: (e: KioskEvent) => boolean): Promise<boolean> {
    const deadline = Date.now() + (this.deps.deliveryTimeoutMs ?? 5_000);
    for (;;) {
      if (!this.deps.journal.unacked().some(match)) return true;
      if (!this.deps.link.connected || Date.now() >= deadline) return false;
      this.flush();
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The hub is out of reach: judge the code against the synced book, spend it, open. */
  private async handleOffline(via: 'keypad' | 'qr', input: string, book: OfflineCodeBook): Promise<CodeResult> {
    const { journal, log } = this.deps;
    const now = this.now();
    if (journal.refusalsSince(new Date(now.getTime() - this.offline.failureWindowMs)) >= this.offline.maxFailures) {
      return { status: 'refused', code: 'locked_out', message: 'too many wrong codes at this locker; please wait a few minutes and try again' };
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
    const outcome = await this.executeOpen(commandId, compartment, { codeId, report });
    const status = outcome === 'opened' || outcome === 'jammed' ? outcome : 'failed';
    return { status, compartment, purpose, trackingNumber, commandId, offline: true };
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

  /**
   * Opens a compartment for a command at most once, whoever asks and however often. `spends` names
   * the code that granted it (and, offline, the event reporting its use): journaled with the command,
   * before the unlock.
   */
  async executeOpen(commandId: string, compartment: number, spends?: { codeId: string; report?: KioskEvent }): Promise<CommandOutcome> {
    const { journal, cabinet, log } = this.deps;
    const running = this.inFlight.get(commandId);
    if (running) return running;
    const known = journal.command(commandId);
    if (known) return known.outcome ?? 'interrupted';
    journal.beginCommand(commandId, compartment, this.now(), spends);
    const run = (async (): Promise<CommandOutcome> => {
      let outcome: OpenResult;
      try {
        outcome = await cabinet.open(compartment);
      } catch (err) {
        log.error({ err, compartment }, 'open failed');
        outcome = 'failed';
      }
      journal.finishCommand(commandId, outcome);
      this.record({ type: 'unlock_result', compartment, commandId, outcome });
      return outcome;
    })();
    this.inFlight.set(commandId, run);
    try {
      return await run;
    } finally {
      this.inFlight.delete(commandId);
    }
  }

  private async onCommand(c: KioskCommand): Promise<Reply<{ commandId: string }>> {
    switch (c.type) {
      case 'open': {
        const outcome = await this.executeOpen(c.commandId, c.compartment);
        return outcome === 'opened' ? ok({ commandId: c.commandId }) : fail(`open_${outcome}`, `compartment ${c.compartment}: ${outcome}`);
      }
    }
  }

  private record(body: EventBody): void {
    const event = { ...body, eventId: uuidv7(), at: this.now().toISOString() };
    this.deps.journal.recordEvent(event);
    this.flush();
  }

  /** Sends unacknowledged events in order; one sender at a time; stops at the first failure and retries later. */
  flush(): void {
    if (this.flushing) {
      void this.flushing.then(() => this.flush());
      return;
    }
    this.flushing = this.sendPending().finally(() => {
      this.flushing = null;
    });
  }

  /** Resolves once every journaled event has been acknowledged (for tests and orderly shutdown). */
  async drained(): Promise<void> {
    while (this.deps.journal.unacked().length > 0 || this.flushing) {
      await (this.flushing ?? new Promise((r) => setTimeout(r, 50)));
    }
  }

  private async sendPending(): Promise<void> {
    const { journal, link, log } = this.deps;
    for (const event of journal.unacked()) {
      if (!link.connected) return;
      const reply = await link.sendEvent(event);
      if (reply.status === 'ok') {
        journal.ack(event.eventId);
      } else if (reply.error.code === 'bad_request') {
        // The hub will never take this event; keep it out of the way of the ones behind it.
        log.error({ eventId: event.eventId, error: reply.error }, 'hub refused an event; dropping it');
        journal.ack(event.eventId);
      } else {
        log.warn({ eventId: event.eventId, error: reply.error.code }, 'event not acknowledged; will retry');
        if (!this.retryTimer) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = null;
            this.flush();
          }, this.deps.retryDelayMs ?? 1_000);
        }
        return;
      }
    }
  }
}
