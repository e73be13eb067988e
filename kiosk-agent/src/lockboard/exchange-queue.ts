// ExchangeQueue: one exchange in flight on a line to lock boards (an RS485 bus, an HTTP lock
// controller), later ones waiting in order up to a limit, and nothing after close. A bus mutex,
// written once for SerialBus and the HTTP lock controller driver.
import { LockBoardError } from './driver.js';

export class ExchangeQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  private closedFlag = false;

  constructor(
    private readonly maxQueued: number,
    /** Names the line in a 'busy' message, e.g. "bus". */
    private readonly what: string,
  ) {}

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Runs `exchange` after every exchange queued before it has settled; never retries it. */
  run<T>(exchange: () => Promise<T>): Promise<T> {
    if (this.closedFlag) return Promise.reject(new LockBoardError('port_closed', 'driver closed'));
    if (this.waiting >= this.maxQueued) {
      return Promise.reject(new LockBoardError('busy', `${this.waiting} requests already waiting on this ${this.what}`));
    }
    this.waiting++;
    const run = this.tail.then(() => {
      this.waiting--;
      if (this.closedFlag) throw new LockBoardError('port_closed', 'driver closed');
      return exchange();
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Refuses new exchanges and those still waiting; the one in flight is the caller's to end. */
  close(): void {
    this.closedFlag = true;
  }
}
