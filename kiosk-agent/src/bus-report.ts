// The lock-board buses' health, told to the hub (`kiosk:bus`) and the agent's log: on connect, at
// every change of a bus's state and every minute; the log gets a line at info when counters of
// trouble (timeouts, bad frames dropped, reopenings) moved, and at warn when a bus goes down.
import type { Logger } from 'pino';
import type { BusHealth } from '@xinbao/protocol';
import type { HubConnection } from './hub-link.js';

export interface BusReportDeps {
  health: () => BusHealth[];
  link: HubConnection;
  log: Logger;
  now?: () => Date;
  intervalMs?: number;
}

export class BusReporter {
  private timer: NodeJS.Timeout | undefined;
  private lastLogged = new Map<string, BusHealth>();

  constructor(private readonly deps: BusReportDeps) {}

  start(): void {
    this.deps.link.on('connected', this.report);
    this.timer = setInterval(() => {
      this.logCounters();
      this.report();
    }, this.deps.intervalMs ?? 60_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.deps.link.off('connected', this.report);
  }

  /** A bus changed state: tell the hub now. */
  changed(): void {
    this.report();
  }

  private logCounters(): void {
    for (const h of this.deps.health()) {
      const before = this.lastLogged.get(h.bus);
      this.lastLogged.set(h.bus, h);
      const moved =
        !before || before.timeouts !== h.timeouts || before.badFramesDropped !== h.badFramesDropped || before.reopenings !== h.reopenings;
      if (moved && (h.timeouts > 0 || h.badFramesDropped > 0 || h.reopenings > 0))
        this.deps.log.info({ bus: h }, 'lock-board bus counters');
    }
  }

  private readonly report = (): void => {
    const { link, log } = this.deps;
    if (!link.connected) return;
    const buses = this.deps.health();
    if (buses.length === 0) return;
    link.ask('kiosk:bus', { at: (this.deps.now?.() ?? new Date()).toISOString(), buses }).then(
      (r) => {
        if (r.status === 'error') log.debug({ error: r.error }, 'bus report not taken');
      },
      (err: unknown) => log.debug({ err }, 'bus report not sent'),
    );
  };
}
