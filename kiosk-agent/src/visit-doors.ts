// A courier's visit code opens several doors, one at a time (ADR 0023): the hub grants the first door
// when the code is typed or scanned; once that door is closed (and the hub has the close), the kiosk
// asks for the next one (`code:next`) and opens it, until the hub says the visit has no door left.
// A door that did not open (jammed, frame not sent) is passed over once the hub has its outcome.
// Each next door is told to the screen like a code's result ("door 7 is open; next: door 9").
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { CodeGrant } from '@xinbao/protocol';
import type { CodeResult, DoorStatus } from './code-entry.js';
import type { EventOutbox } from './event-outbox.js';
import type { HubConnection } from './hub-link.js';
import type { OpenCommands } from './open-commands.js';

type Opened = Extract<CodeResult, { status: DoorStatus }>;

export interface VisitDoorsDeps {
  link: HubConnection;
  outbox: EventOutbox;
  commands: OpenCommands;
  log: Logger;
  /** each next door's result, for the screen */
  onResult: (r: CodeResult) => void;
  /** pause before asking again when the hub does not have the close yet */
  retryDelayMs?: number;
}

export class VisitDoors {
  /** The visit door now open at this kiosk, waiting for its close. */
  private current: Opened | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly deps: VisitDoorsDeps) {}

  /** A code's (or a next door's) result: a visit door that opened waits for its close; one that did not is passed over. */
  follow(r: CodeResult): void {
    if (r.status === 'refused' || !r.visit || r.offline) return;
    if (r.status === 'opened') this.current = r;
    else this.goOn(r);
  }

  /** The cabinet saw a door close. */
  doorClosed(compartment: number): void {
    const door = this.current;
    if (door && door.compartment === compartment) {
      this.current = null;
      this.goOn(door);
    }
  }

  /** Resolves once no next door is being asked for or opened (tests). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  private goOn(door: Opened): void {
    const run: Promise<void> = this.next(door)
      .catch((err: unknown) => this.deps.log.error({ err }, 'next visit door failed'))
      .finally(() => {
        if (this.running === run) this.running = null;
      });
    this.running = run;
  }

  private async next(door: Opened): Promise<void> {
    const { outbox, link, log, commands } = this.deps;
    // The hub judges the next door on what it has been told: the close (or the unlock outcome) goes first.
    const told = await outbox.delivered(
      (e) =>
        (e.type === 'door_closed' && e.compartment === door.compartment) || (e.type === 'unlock_result' && e.commandId === door.commandId),
    );
    if (!told) {
      log.warn({ compartment: door.compartment }, 'the hub has not heard of the visit door yet; the next door waits');
      return;
    }
    const requestId = randomUUID();
    let grant: CodeGrant | null = null;
    for (let attempt = 0; ; attempt++) {
      const reply = await link.ask('code:next', { requestId, commandId: door.commandId });
      if (reply.status === 'ok') {
        grant = reply.data.grant;
        break;
      }
      // The hub may be a moment behind a close it has acknowledged; other refusals end the visit here.
      if (attempt >= 5 || !['door_open', 'hub_unreachable', 'internal'].includes(reply.error.code)) {
        log.warn({ refusal: reply.error.code }, 'no next visit door');
        return;
      }
      await new Promise((r) => setTimeout(r, this.deps.retryDelayMs ?? 300));
    }
    if (!grant) {
      log.info({ visitId: door.visit?.visitId }, 'courier visit: no door left');
      return;
    }
    const outcome = await commands.execute(grant.commandId, grant.compartment);
    const result: Opened = {
      status: outcome === 'opened' || outcome === 'jammed' ? outcome : 'failed',
      compartment: grant.compartment,
      purpose: grant.purpose,
      trackingNumber: grant.trackingNumber,
      commandId: grant.commandId,
      ...(grant.visit && { visit: grant.visit }),
    };
    this.deps.onResult(result);
    this.follow(result);
  }
}
