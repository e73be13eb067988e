// The kiosk agent: the composition of what the kiosk does. A code at the door is checked and its
// compartment opened once (code-entry.ts, open-commands.ts); everything the cabinet sees becomes a
// journaled event delivered to the hub in order until acknowledged (event-outbox.ts); the site's
// codes are kept in sync for working without the hub (code-book-sync.ts, ADR 0008). This module
// wires them to the cabinet and the hub link, and tells the screen and terminal what happened.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { CodeBookSync, type CodeBookSyncOptions } from './code-book-sync.js';
import { CodeEntry, type AttemptLimit, type CodeResult } from './code-entry.js';
import { EventOutbox } from './event-outbox.js';
import type { HubConnection } from './hub-link.js';
import type { CommandOutcome, KioskJournal, UnlockAnswer } from './journal.js';
import type { Cabinet, DoorEvent } from './lockboard/index.js';
import type { OfflineCodeBook } from './offline-codes.js';
import { OpenCommands, type Spends } from './open-commands.js';
import { VisitDoors } from './visit-doors.js';

export type { CodeResult } from './code-entry.js';

export type OfflineOptions = AttemptLimit & CodeBookSyncOptions;

/** Where a code came from: the touch screen's keypad, the QR scanner, or the local API. */
export type CodeSource = 'screen' | 'scanner' | 'api';

/** What the agent tells its screen and terminal devices: every code handled, whatever its source. */
export interface KioskAgentEvents {
  result: [result: CodeResult, source: CodeSource];
  /** A door the cabinet saw open or close (the screen moves on when the door it showed closes). */
  door: [DoorEvent];
}

export interface KioskAgentDeps {
  cabinet: Cabinet;
  link: HubConnection;
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
  /** Judge a code the book holds at the kiosk even with the hub there (ADR 0030; default on). */
  bookFirst?: boolean;
}

export class KioskAgent extends EventEmitter<KioskAgentEvents> {
  private readonly outbox: EventOutbox;
  private readonly commands: OpenCommands;
  private readonly entry: CodeEntry;
  private readonly sync: CodeBookSync | null;
  private readonly visits: VisitDoors;

  constructor(private readonly deps: KioskAgentDeps) {
    super();
    const { cabinet, link, journal, log, codes } = deps;
    const now = deps.now ?? (() => new Date());
    const offline: OfflineOptions = {
      maxFailures: 5,
      failureWindowMs: 86_400_000,
      syncIntervalMs: 60_000,
      syncDelayMs: 250,
      ...deps.offline,
    };
    this.outbox = new EventOutbox({
      journal,
      link,
      log,
      now,
      ...(deps.retryDelayMs !== undefined && { retryDelayMs: deps.retryDelayMs }),
      ...(deps.deliveryTimeoutMs !== undefined && { deliveryTimeoutMs: deps.deliveryTimeoutMs }),
    });
    this.commands = new OpenCommands({ cabinet, journal, outbox: this.outbox, log, now });
    this.entry = new CodeEntry({
      cabinet,
      link,
      journal,
      outbox: this.outbox,
      commands: this.commands,
      log,
      now,
      ...(codes && { codes }),
      bookFirst: deps.bookFirst ?? true,
      limit: offline,
    });
    this.sync = codes ? new CodeBookSync({ book: codes, link, log, now }, offline) : null;
    this.visits = new VisitDoors({
      link,
      outbox: this.outbox,
      commands: this.commands,
      log,
      onResult: (r) => this.emit('result', r, 'api'),
      ...(deps.retryDelayMs !== undefined && { retryDelayMs: deps.retryDelayMs }),
    });
  }

  start(): void {
    const { cabinet, link } = this.deps;
    const outbox = this.outbox;
    cabinet.on('door', (d) => {
      outbox.record(
        d.state === 'opened'
          ? { type: 'door_opened', compartment: d.compartment }
          : { type: 'door_closed', compartment: d.compartment, itemPresent: d.itemPresent },
      );
      this.emit('door', d);
      if (d.state === 'closed') this.visits.doorClosed(d.compartment);
    });
    cabinet.on('item', (i) => outbox.record({ type: 'item_changed', compartment: i.compartment, itemPresent: i.itemPresent }));
    cabinet.on('fault', (f) => outbox.record({ type: 'fault', ...f }));
    link.on('connected', () => {
      outbox.flush();
      this.sync?.sync();
    });
    link.on('codesChanged', () => this.sync?.syncSoon());
    link.onCommand((c) => this.commands.fromHub(c));
    this.sync?.start();
    cabinet.start();
    link.connect();
  }

  async stop(): Promise<void> {
    const stopping = [this.outbox.stop(), ...(this.sync ? [this.sync.stop()] : [])];
    this.deps.link.close();
    await this.deps.cabinet.stop();
    await Promise.all(stopping);
  }

  /** What the kiosk knows for working without the hub. */
  offlineState(): { codes: number; cursor: number | null; syncedAt: string | null } | null {
    return this.sync?.state() ?? null;
  }

  /** Pulls what changed in the site's codes; one pull at a time, and one more if asked meanwhile. */
  syncCodes(): void {
    this.sync?.sync();
  }

  /** Resolves once no pull is running or wanted (for tests and benchmarks). */
  async codesSynced(): Promise<void> {
    await this.sync?.synced();
  }

  /** A code from the keypad (8 digits) or the scanner (a signed XB1 token); emits `result` with what happened. */
  /** How long the keypad must still wait by this kiosk's own count (ADR 0015), in ms. */
  keypadWait(): number {
    return this.entry.keypadWait((this.deps.now ?? (() => new Date()))());
  }

  /** `factor`: a keypad code's second factor (ADR 0018); a scanned QR code needs none. */
  async enterCode(input: string, source: CodeSource = 'api', factor?: string): Promise<CodeResult> {
    const result = await this.entry.enter(input, factor);
    this.emit('result', result, source);
    this.visits.follow(result);
    return result;
  }

  /**
   * A deposit whose door jammed: asks the hub for another compartment and opens it once; emits
   * `result` like a code.
   */
  async anotherCompartment(commandId: string, source: CodeSource = 'api'): Promise<CodeResult> {
    const result = await this.entry.anotherCompartment(commandId);
    this.emit('result', result, source);
    return result;
  }

  /** A person's answer on the screen to an `unconfirmed` unlock ("did the door open?"), for the hub (ADR 0014). */
  answerUnlock(commandId: string, answer: UnlockAnswer): ReturnType<OpenCommands['answer']> {
    return this.commands.answer(commandId, answer);
  }

  /** Opens a compartment for a command at most once, whoever asks and however often. */
  executeOpen(commandId: string, compartment: number, spends?: Spends): Promise<CommandOutcome> {
    return this.commands.execute(commandId, compartment, spends);
  }

  /** Sends unacknowledged events in order (see EventOutbox). */
  flush(): void {
    this.outbox.flush();
  }

  /** Resolves once no courier visit's next door is being asked for or opened (for tests). */
  visitSettled(): Promise<void> {
    return this.visits.settled();
  }

  /** Resolves once every journaled event has been acknowledged (for tests and orderly shutdown). */
  drained(): Promise<void> {
    return this.outbox.drained();
  }
}
