// Keeps the kiosk's offline code book (ADR 0008) in step with the hub: a pull on every connect,
// every `syncIntervalMs`, and shortly after the hub says the site's codes changed. One pull at a
// time; a pull asked for meanwhile runs once after it. A cursor makes every pull after the first a
// delta; a delta that does not fit the book makes the book ask for everything, at once.
import type { Logger } from 'pino';
import type { HubConnection } from './hub-link.js';
import type { OfflineCodeBook } from './offline-codes.js';

export interface CodeBookSyncOptions {
  /** Pull the code book this often as well as when the hub says it changed. */
  syncIntervalMs: number;
  /**
   * Wait this long after the hub says the codes changed, so a burst of changes (and the hub's note
   * about a code just used here, which the journal already knows) costs one pull, away from the door.
   */
  syncDelayMs: number;
}

export interface CodeBookSyncDeps {
  book: OfflineCodeBook;
  link: HubConnection;
  log: Logger;
  now: () => Date;
}

export class CodeBookSync {
  private syncing: Promise<void> | null = null;
  private syncAgain = false;
  private syncTimer: NodeJS.Timeout | null = null;
  private syncSoonTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly deps: CodeBookSyncDeps,
    private readonly options: CodeBookSyncOptions,
  ) {}

  /** Pulls on the interval from now on. */
  start(): void {
    this.syncTimer = setInterval(() => this.sync(), this.options.syncIntervalMs);
    this.syncTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.syncTimer) clearInterval(this.syncTimer);
    if (this.syncSoonTimer) clearTimeout(this.syncSoonTimer);
    this.syncTimer = null;
    this.syncSoonTimer = null;
    await this.syncing;
  }

  /** What the kiosk knows for working without the hub. */
  state(): { codes: number; cursor: number | null; syncedAt: string | null } {
    const { book } = this.deps;
    return { codes: book.size, cursor: book.cursor, syncedAt: book.syncedAt?.toISOString() ?? null };
  }

  /** Pulls what changed in the site's codes; one pull at a time, and one more if asked meanwhile. */
  sync(): void {
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    this.syncing = this.pull().finally(() => {
      this.syncing = null;
      if (this.syncAgain) {
        this.syncAgain = false;
        this.sync();
      }
    });
  }

  /** The hub says the codes changed: pull after `syncDelayMs`, once for a burst of such notes. */
  syncSoon(): void {
    if (this.syncSoonTimer) return;
    this.syncSoonTimer = setTimeout(() => {
      this.syncSoonTimer = null;
      this.sync();
    }, this.options.syncDelayMs);
  }

  /** Resolves once no pull is running or wanted (for tests and benchmarks). */
  async synced(): Promise<void> {
    while (this.syncing || this.syncSoonTimer) await (this.syncing ?? new Promise((r) => setTimeout(r, 10)));
  }

  private async pull(): Promise<void> {
    const { book, link, log } = this.deps;
    for (let round = 0; round < 2 && link.connected; round++) {
      const reply = await link.ask('codes:sync', { cursor: book.cursor });
      if (reply.status === 'error') {
        log.warn({ error: reply.error.code }, 'code sync failed; will pull again');
        return;
      }
      try {
        // false: a delta that does not fit what the book holds; the book now asks for everything.
        if (book.apply(reply.data, this.deps.now())) return;
      } catch (err) {
        log.error({ err }, 'could not keep the synced codes');
        return;
      }
    }
  }
}
