// The event outbox: everything the cabinet sees (and every unlock's outcome) becomes an event,
// written to the durable journal first and then delivered to the hub in journal order, one sender
// at a time, until acknowledged. What the hub did not acknowledge is sent again after a pause, and
// all of it again after a restart or a reconnect (the journal keeps it).
import { v7 as uuidv7 } from 'uuid';
import type { Logger } from 'pino';
import type { KioskEvent } from '@xinbao/protocol';
import type { HubConnection } from './hub-link.js';
import type { KioskJournal } from './journal.js';

/** An event as its source describes it: the outbox gives it its id and time. */
export type EventBody = KioskEvent extends infer E ? (E extends KioskEvent ? Omit<E, 'eventId' | 'at'> : never) : never;

export interface EventOutboxDeps {
  journal: KioskJournal;
  link: HubConnection;
  log: Logger;
  now: () => Date;
  /** wait before re-sending events the hub did not acknowledge */
  retryDelayMs?: number;
  /** how long a request that depends on an event waits for the hub to acknowledge it */
  deliveryTimeoutMs?: number;
}

export class EventOutbox {
  private flushing: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly deps: EventOutboxDeps) {}

  /** Journals an event (fsync'd) and starts delivering it. */
  record(body: EventBody): void {
    const event = { ...body, eventId: uuidv7(), at: this.deps.now().toISOString() };
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
    while (this.deps.journal.unackedCount > 0 || this.flushing) {
      await (this.flushing ?? new Promise((r) => setTimeout(r, 50)));
    }
  }

  /** Resolves true once no unacknowledged event matches; false when the hub is out of reach. */
  async delivered(match: (e: KioskEvent) => boolean): Promise<boolean> {
    const deadline = Date.now() + (this.deps.deliveryTimeoutMs ?? 5_000);
    for (;;) {
      if (!this.deps.journal.hasUnacked(match)) return true;
      if (!this.deps.link.connected || Date.now() >= deadline) return false;
      this.flush();
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops retrying and waits for a send under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    await this.flushing;
  }

  private async sendPending(): Promise<void> {
    const { journal, link, log } = this.deps;
    // Offline, every event recorded calls this: no copy of the whole backlog each time.
    if (!link.connected) return;
    for (const event of journal.unacked()) {
      if (!link.connected) return;
      const reply = await link.ask('kiosk:event', event);
      if (reply.status === 'ok') {
        journal.ack(event.eventId);
      } else if (reply.error.code === 'bad_request' || reply.error.code === 'unknown_field') {
        // The hub will never take this event (malformed, or with a field it does not know: ADR 0020); keep it out of the way of the ones behind it.
        log.error({ eventId: event.eventId, error: reply.error }, 'hub refused an event; dropping it');
        journal.ack(event.eventId);
      } else {
        log.warn({ eventId: event.eventId, error: reply.error.code }, 'event not acknowledged; will retry');
        if (!this.retryTimer && !this.stopped) {
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
