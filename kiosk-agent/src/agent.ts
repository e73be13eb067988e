// The kiosk agent's core: a code typed or scanned is checked by the hub, the compartment it grants
// is opened once per command, and everything the cabinet sees becomes a journaled event that is
// delivered to the hub in order until acknowledged. Knows no bytes and no HTTP.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { v7 as uuidv7 } from 'uuid';
import type { Logger } from 'pino';
import { KeypadCode, QR_TOKEN_PREFIX, fail, ok, type CodeGrant, type CodePurpose, type KioskCommand, type KioskEvent, type Reply } from '@xinbao/protocol';
import type { Cabinet, DoorEvent, OpenResult } from './lockboard/index.js';
import type { HubLink } from './hub-link.js';
import type { CommandOutcome, KioskJournal } from './journal.js';

export type CodeResult =
  | { status: 'opened' | 'jammed' | 'failed'; compartment: number; purpose: CodePurpose; trackingNumber: string; commandId: string }
  | { status: 'refused'; code: string; message: string };

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
}

export class KioskAgent extends EventEmitter<KioskAgentEvents> {
  private readonly now: () => Date;
  private flushing: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Map<string, Promise<CommandOutcome>>();

  constructor(private readonly deps: KioskAgentDeps) {
    super();
    this.now = deps.now ?? (() => new Date());
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
    link.on('connected', () => this.flush());
    link.onCommand((c) => this.onCommand(c));
    cabinet.start();
    link.connect();
  }

  async stop(): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.deps.link.close();
    await this.deps.cabinet.stop();
    await this.flushing;
  }

  /** A code from the keypad (8 digits) or the scanner (a signed XB1 token); emits `result` with what happened. */
  async enterCode(input: string, source: CodeSource = 'api'): Promise<CodeResult> {
    const result = await this.handleCode(input);
    this.emit('result', result, source);
    return result;
  }

  private async handleCode(input: string): Promise<CodeResult> {
    const code = input.trim();
    const via = code.startsWith(`${QR_TOKEN_PREFIX}.`) ? 'qr' : 'keypad';
    if (via === 'keypad' && !KeypadCode.safeParse(code).success) {
      return { status: 'refused', code: 'code_invalid', message: 'an open-code is 8 digits' };
    }
    const reply = await this.deps.link.submitCode({ requestId: randomUUID(), via, code });
    if (reply.status === 'error') return { status: 'refused', code: reply.error.code, message: reply.error.message };
    const { commandId, compartment, purpose, trackingNumber } = reply.data;
    const outcome = await this.executeOpen(commandId, compartment);
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

  /** Opens a compartment for a command at most once, whoever asks and however often. */
  async executeOpen(commandId: string, compartment: number): Promise<CommandOutcome> {
    const { journal, cabinet, log } = this.deps;
    const running = this.inFlight.get(commandId);
    if (running) return running;
    const known = journal.command(commandId);
    if (known) return known.outcome ?? 'interrupted';
    journal.beginCommand(commandId, compartment, this.now());
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
