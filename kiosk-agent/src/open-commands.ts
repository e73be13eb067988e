// Open commands: a compartment is opened at most once per command id, whoever asks (a code at the
// kiosk, the hub's `command`, a retry of either) and however often. The command is journaled before
// its unlock frame goes out (written before it, fsync'd alongside it: ADR 0019), and its outcome
// becomes an `unlock_result` event once both are done.
import type { Logger } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { fail, ok, type KioskCommand, type KioskEvent, type Reply, type UnlockOutcome } from '@xinbao/protocol';
import type { EventOutbox } from './event-outbox.js';
import type { CommandOutcome, KioskJournal, UnlockAnswer } from './journal.js';
import type { Cabinet } from './lockboard/index.js';

export interface OpenCommandsDeps {
  cabinet: Cabinet;
  journal: KioskJournal;
  outbox: EventOutbox;
  log: Logger;
  now: () => Date;
}

/** What a code spends with its command: the code, and (offline) the event reporting its use. */
export interface Spends {
  codeId: string;
  report?: KioskEvent;
}

export class OpenCommands {
  private readonly inFlight = new Map<string, Promise<CommandOutcome>>();

  constructor(private readonly deps: OpenCommandsDeps) {}

  /**
   * Opens a compartment for a command at most once. `spends` names the code that granted it (and,
   * offline, the event reporting its use): journaled with the command, before the unlock.
   */
  async execute(commandId: string, compartment: number, spends?: Spends): Promise<CommandOutcome> {
    const { journal, cabinet, outbox, log } = this.deps;
    const running = this.inFlight.get(commandId);
    if (running) return running;
    const known = journal.command(commandId);
    if (known) return known.outcome ?? 'interrupted';
    // In the kernel before the unlock frame, on disk alongside it (ADR 0019); the outcome waits for the disk.
    const durable = journal.beginCommandOverlapped(commandId, compartment, this.deps.now(), spends).then(
      () => true,
      (err: unknown) => {
        log.error({ err, commandId }, 'journal: the command line could not be synced to disk');
        return false;
      },
    );
    const run = (async (): Promise<CommandOutcome> => {
      let outcome: UnlockOutcome;
      try {
        outcome = await cabinet.open(compartment);
      } catch (err) {
        log.error({ err, compartment }, 'open failed');
        outcome = 'failed';
      }
      await durable;
      // A door that may not have opened, or a frame that never left, is for a person to look at.
      if (outcome === 'opened') log.info({ commandId, compartment }, 'compartment opened');
      else log.warn({ commandId, compartment, outcome }, `unlock ${outcome}`);
      journal.finishCommand(commandId, outcome);
      outbox.record({ type: 'unlock_result', compartment, commandId, outcome });
      return outcome;
    })();
    this.inFlight.set(commandId, run);
    try {
      return await run;
    } finally {
      this.inFlight.delete(commandId);
    }
  }

  /**
   * A person's answer on the screen to an `unconfirmed` unlock ("did the door open?"): journaled
   * (`not_opened` makes the command's code live again here) and sent to the hub as `unlock_answered`,
   * which gives the code back or settles the alarm (ADR 0014). Only for an unconfirmed command, once.
   */
  answer(
    commandId: string,
    answer: UnlockAnswer,
  ): { ok: true } | { ok: false; code: 'unknown_command' | 'not_unconfirmed' | 'already_answered' } {
    const { journal, outbox, log } = this.deps;
    const c = journal.command(commandId);
    if (!c) return { ok: false, code: 'unknown_command' };
    if (c.outcome !== 'unconfirmed') return { ok: false, code: 'not_unconfirmed' };
    if (c.answer) return { ok: false, code: 'already_answered' };
    const report: KioskEvent = {
      type: 'unlock_answered',
      eventId: uuidv7(),
      at: this.deps.now().toISOString(),
      compartment: c.compartment,
      commandId,
      answer,
    };
    journal.answerCommand(commandId, answer, report);
    outbox.flush();
    log.warn({ commandId, compartment: c.compartment, answer }, 'a person answered "did the door open?"');
    return { ok: true };
  }

  /** A command from the hub, answered `ok` once its compartment opened, otherwise `open_<outcome>`. */
  async fromHub(c: KioskCommand): Promise<Reply<{ commandId: string }>> {
    switch (c.type) {
      case 'open': {
        const outcome = await this.execute(c.commandId, c.compartment);
        return outcome === 'opened' ? ok({ commandId: c.commandId }) : fail(`open_${outcome}`, `compartment ${c.compartment}: ${outcome}`);
      }
    }
  }
}
