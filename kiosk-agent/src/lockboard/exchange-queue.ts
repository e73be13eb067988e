// ExchangeQueue: one exchange in flight on a line to lock boards (an RS485 bus, an HTTP lock
// controller), later ones waiting in order up to a limit, and nothing after close. A bus mutex,
// written once for SerialBus and the HTTP lock controller driver. Urgent exchanges (an unlock and
// the reads that confirm it) go ahead of every waiting ordinary one (polls), behind the urgent
// ones already waiting: an unlock never waits behind more than the exchange on the line.
import { LockBoardError } from './driver.js';

interface Job {
  urgent: boolean;
  start: () => Promise<void>;
  refuse: (err: LockBoardError) => void;
}

export class ExchangeQueue {
  private readonly waiting: Job[] = [];
  private running = false;
  private closedFlag = false;

  constructor(
    private readonly maxQueued: number,
    /** Names the line in a 'busy' message, e.g. "bus". */
    private readonly what: string,
  ) {}

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Runs `exchange` after the one in flight and those queued before it (urgent ones: before every ordinary one); never retries it. */
  run<T>(exchange: () => Promise<T>, urgent = false): Promise<T> {
    if (this.closedFlag) return Promise.reject(new LockBoardError('port_closed', 'driver closed', false));
    if (this.waiting.length >= this.maxQueued) {
      return Promise.reject(new LockBoardError('busy', `${this.waiting.length} requests already waiting on this ${this.what}`, false));
    }
    return new Promise<T>((resolve, reject) => {
      const job: Job = {
        urgent,
        start: () => Promise.resolve().then(exchange).then(resolve, reject),
        refuse: reject,
      };
      const at = urgent ? this.waiting.findIndex((j) => !j.urgent) : -1;
      if (at < 0) this.waiting.push(job);
      else this.waiting.splice(at, 0, job);
      this.pump();
    });
  }

  /** Refuses new exchanges and fails those still waiting; the one in flight is the caller's to end. */
  close(): void {
    this.closedFlag = true;
    for (const job of this.waiting.splice(0)) job.refuse(new LockBoardError('port_closed', 'driver closed', false));
  }

  private pump(): void {
    if (this.running) return;
    const job = this.waiting.shift();
    if (!job) return;
    this.running = true;
    void job.start().finally(() => {
      this.running = false;
      this.pump();
    });
  }
}
