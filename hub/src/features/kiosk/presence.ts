// Which kiosks are connected, counted in PostgreSQL so that every hub process sees the same count: a
// site is online while at least one of its devices has a connection row (ADR 0017). Each hub process
// has an id, refreshes its own rows on a timer and, on the same timer, drops the rows of processes
// that stopped refreshing theirs (they died without saying goodbye).
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { withTransaction, type Db } from '../../store/db.js';
import { deleteConnection, dropStaleConnections, insertConnection, refreshConnections, sitesWithStaleConnections } from './store.js';

/** A row unrefreshed for this many intervals belongs to a process that is gone. */
const STALE_AFTER_INTERVALS = 3;

export class KioskPresence {
  readonly hubId = randomUUID();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: { db: Db; log: Logger; now: () => Date; intervalMs: number }) {}

  /** The socket is in: its site is online. */
  async connected(k: { deviceId: string; siteId: string }, socketId: string): Promise<void> {
    const at = this.deps.now();
    await withTransaction(this.deps.db, (tx) =>
      insertConnection(tx, { socketId, deviceId: k.deviceId, siteId: k.siteId, hubId: this.hubId, at }),
    );
  }

  /** The socket is gone: its site stays online while another of its devices is connected; whether it is. */
  async disconnected(k: { siteId: string }, socketId: string): Promise<boolean> {
    return withTransaction(this.deps.db, (tx) => deleteConnection(tx, socketId, k.siteId));
  }

  /** One beat: this process's rows refreshed, dead processes' rows dropped. */
  async beat(): Promise<void> {
    const now = this.deps.now();
    await refreshConnections(this.deps.db, this.hubId, now);
    await this.drop(new Date(now.getTime() - STALE_AFTER_INTERVALS * this.deps.intervalMs), null);
  }

  start(): void {
    this.timer = setInterval(() => {
      this.beat().catch((err: unknown) =>
        this.deps.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'kiosk presence beat failed'),
      );
    }, this.deps.intervalMs);
    this.timer.unref();
  }

  /** Stops beating and removes every row of this process (its sockets are closed with it). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.drop(new Date(0), this.hubId);
  }

  private async drop(before: Date, hubId: string | null): Promise<void> {
    for (const siteId of await sitesWithStaleConnections(this.deps.db, before, hubId)) {
      await withTransaction(this.deps.db, (tx) => dropStaleConnections(tx, siteId, before, hubId));
    }
  }
}
