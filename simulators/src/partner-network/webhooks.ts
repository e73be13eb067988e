// Webhook delivery of the simulated partner network: each event of a reservation with a
// callbackUrl is POSTed there, signed (x-partner-event-signature over `${timestamp}.${body}`, each
// attempt signed afresh), and retried after the configured delays while the answer is not 2xx.
// Every attempt goes into a delivery log a test can read. Faults for tests: drop the next N events
// (lost callbacks), deliver the next N twice, or hold the next N and deliver them in reverse order.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { partnerWebhookHeaders, type PartnerEvent } from '@xinbao/protocol';

export type WebhookOutcome = 'delivered' | 'failed' | 'gave_up' | 'dropped' | 'held';
export type WebhookFaultMode = 'drop' | 'duplicate' | 'reorder';

export interface DeliveryAttempt {
  /** one per copy of an event (a duplicated event has two) */
  deliveryId: string;
  eventId: string;
  seq: number;
  type: PartnerEvent['type'];
  reservationId: string;
  appId: string;
  url: string;
  /** 1 for the first try; 0 for an event dropped or held before any try */
  attempt: number;
  /** wall-clock time of the attempt */
  at: string;
  outcome: WebhookOutcome;
  status?: number;
  error?: string;
}

interface Job {
  deliveryId: string;
  event: PartnerEvent;
  appId: string;
  url: string;
  body: string;
}

export interface WebhookDispatcherOptions {
  now: () => number;
  /** wait before attempt 2, 3, …; after the last, the delivery gives up */
  retryDelaysMs: readonly number[];
  timeoutMs: number;
  webhookSecretOf: (appId: string) => string | undefined;
  logger?: Logger;
}

const LOG_LIMIT = 10_000;

export class WebhookDispatcher {
  private readonly attempts: DeliveryAttempt[] = [];
  private readonly faults: Record<WebhookFaultMode, number> = { drop: 0, duplicate: 0, reorder: 0 };
  private held: Job[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<AbortController>();
  private stopped = false;

  constructor(private readonly opts: WebhookDispatcherOptions) {}

  get log(): readonly DeliveryAttempt[] {
    return this.attempts;
  }

  /** Deliveries not finished yet: in flight, waiting for a retry, or held for reordering. */
  get pending(): number {
    return this.inFlight.size + this.timers.size + this.held.length;
  }

  get faultCounts(): Readonly<Record<WebhookFaultMode, number>> {
    return { ...this.faults };
  }

  setFault(mode: WebhookFaultMode, count: number): void {
    this.faults[mode] = count;
    if (mode === 'reorder' && count === 0) this.flush();
  }

  clearFaults(): void {
    this.faults.drop = this.faults.duplicate = this.faults.reorder = 0;
    this.flush();
  }

  enqueue(event: PartnerEvent, appId: string, url: string): void {
    if (this.stopped) return;
    const job = (): Job => ({ deliveryId: `dlv_${randomBytes(8).toString('hex')}`, event, appId, url, body: JSON.stringify(event) });
    if (this.faults.drop > 0) {
      this.faults.drop--;
      this.record(job(), 0, 'dropped');
      return;
    }
    const jobs = [job()];
    if (this.faults.duplicate > 0) {
      this.faults.duplicate--;
      jobs.push(job());
    }
    if (this.faults.reorder > 0) {
      this.faults.reorder--;
      for (const j of jobs) {
        this.held.push(j);
        this.record(j, 0, 'held');
      }
      if (this.faults.reorder === 0) this.flush();
      return;
    }
    for (const j of jobs) void this.attempt(j, 1);
  }

  /** Sends every held event, newest first, one after the other (each first try ends before the next starts). */
  flush(): void {
    const held = this.held.reverse();
    this.held = [];
    void (async () => {
      for (const j of held) await this.attempt(j, 1);
    })();
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const c of this.inFlight) c.abort();
    this.held = [];
  }

  private async attempt(job: Job, attempt: number): Promise<void> {
    if (this.stopped) return;
    const secret = this.opts.webhookSecretOf(job.appId);
    if (secret === undefined) {
      this.record(job, attempt, 'gave_up', { error: `no webhook secret for app ${job.appId}` });
      return;
    }
    const ctrl = new AbortController();
    this.inFlight.add(ctrl);
    let failure: { status?: number; error?: string } | undefined;
    try {
      const res = await fetch(job.url, {
        method: 'POST',
        headers: partnerWebhookHeaders(job.appId, secret, job.event.eventId, job.body, this.opts.now()),
        body: job.body,
        signal: AbortSignal.any([ctrl.signal, AbortSignal.timeout(this.opts.timeoutMs)]),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) this.record(job, attempt, 'delivered', { status: res.status });
      else failure = { status: res.status };
    } catch (e) {
      failure = { error: e instanceof Error ? (e.cause instanceof Error ? `${e.message}: ${e.cause.message}` : e.message) : String(e) };
    } finally {
      this.inFlight.delete(ctrl);
    }
    if (!failure || this.stopped) return;
    const delay = this.opts.retryDelaysMs[attempt - 1];
    if (delay === undefined) {
      this.record(job, attempt, 'gave_up', failure);
      this.opts.logger?.warn({ eventId: job.event.eventId, type: job.event.type, attempts: attempt }, 'webhook delivery gave up');
      return;
    }
    this.record(job, attempt, 'failed', failure);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(job, attempt + 1);
    }, delay);
    this.timers.add(timer);
  }

  private record(job: Job, attempt: number, outcome: WebhookOutcome, extra: { status?: number; error?: string } = {}): void {
    const e = job.event;
    this.attempts.push({
      deliveryId: job.deliveryId,
      eventId: e.eventId,
      seq: e.seq,
      type: e.type,
      reservationId: e.reservationId,
      appId: job.appId,
      url: job.url,
      attempt,
      at: new Date(this.opts.now()).toISOString(),
      outcome,
      ...extra,
    });
    if (this.attempts.length > LOG_LIMIT) this.attempts.splice(0, this.attempts.length - LOG_LIMIT);
    this.opts.logger?.debug({ eventId: e.eventId, type: e.type, attempt, outcome, status: extra.status }, 'webhook');
  }
}
