// The kiosk's durable journal: every event is written to disk (fsync'd) before it is sent, and
// every open command is recorded before its unlock frame goes out (written before it, fsync'd
// alongside it: ADR 0019). After a crash, a restart or a day offline, the agent replays what the
// hub has not acknowledged and never runs a command twice. Acknowledgements are not fsync'd (one
// lost to a power cut only sends its event again). A command that a code opened names the code,
// which makes the code spent at this kiosk for good (ADR 0008: a code checked offline is spent,
// and its report journaled, in the same line as its command, before the unlock); a person's
// "it did not open" answer to an unconfirmed unlock gives it back here, as `not_sent` does. Wrong keypad codes (online and offline) are counted here for the attempt limit (ADR 0015).
// One append-only JSON-lines file; compacted at start to what still matters.
import { closeSync, existsSync, fdatasync, fdatasyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { KioskEvent, UNLOCK_ANSWERS, UnlockOutcome } from '@xinbao/protocol';

/** What became of a command's unlock (ADR 0013), or `interrupted`: the agent stopped before it knew. */
export type CommandOutcome = UnlockOutcome | 'interrupted';

type Entry =
  | { t: 'event'; event: KioskEvent }
  | { t: 'acked'; eventId: string }
  // `report` rides in the command's own line so that a torn write loses both or neither.
  | { t: 'command'; commandId: string; compartment: number; at: string; codeId?: string; report?: KioskEvent }
  | { t: 'command_done'; commandId: string; outcome: CommandOutcome }
  // A person's answer on the screen to an `unconfirmed` unlock ("did the door open?").
  // Its `unlock_answered` report rides in the same line, as a code's offline use does in `command`.
  | { t: 'answered'; commandId: string; answer: UnlockAnswer; report?: KioskEvent }
  | { t: 'refused'; at: string };

export interface CommandRecord {
  commandId: string;
  compartment: number;
  at: string;
  outcome: CommandOutcome | null;
  /** the code that opened it, spent from then on */
  codeId?: string;
  /** a person's answer to an `unconfirmed` unlock: `not_opened` gives the code back here, as `not_sent` does */
  answer?: UnlockAnswer;
}

export type UnlockAnswer = (typeof UNLOCK_ANSWERS)[number];

/** Commands remembered after compaction: enough to recognise any retry of a recent command. */
const KEEP_COMMANDS = 10_000;
/** A spent code is remembered at least this long: longer than any code lives (the hub allows 90 days). */
const KEEP_SPENT_MS = 91 * 24 * 3_600_000;
/** Refused codes remembered after compaction: more than any attempt limit. */
const KEEP_REFUSALS = 100;

export class KioskJournal {
  private readonly file: string;
  private fd: number;
  private readonly pending = new Map<string, KioskEvent>();
  private readonly commands = new Map<string, CommandRecord>();
  private readonly spent = new Set<string>();
  private refusals: number[] = [];

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'journal.jsonl');
    if (existsSync(this.file)) this.load();
    this.compact();
    this.fd = openSync(this.file, 'a');
  }

  private load(): void {
    const lines = readFileSync(this.file, 'utf8').split('\n');
    for (const line of lines) {
      if (!line.trim()) continue;
      let e: Entry;
      try {
        e = JSON.parse(line) as Entry;
      } catch {
        continue; // a torn last line from a power cut: everything before it is intact
      }
      this.apply(e);
    }
    // A command begun but not finished before a crash may have sent its unlock: never send it again.
    for (const c of this.commands.values()) if (c.outcome === null) c.outcome = 'interrupted';
  }

  private apply(e: Entry): void {
    switch (e.t) {
      case 'event':
        this.pending.set(e.event.eventId, e.event);
        break;
      case 'acked':
        this.pending.delete(e.eventId);
        break;
      case 'command':
        this.commands.set(e.commandId, {
          commandId: e.commandId,
          compartment: e.compartment,
          at: e.at,
          outcome: null,
          ...(e.codeId ? { codeId: e.codeId } : {}),
        });
        if (e.codeId) this.spent.add(e.codeId);
        if (e.report) this.pending.set(e.report.eventId, e.report);
        break;
      case 'command_done': {
        const c = this.commands.get(e.commandId);
        if (c) c.outcome = e.outcome;
        // Its unlock frame never left (ADR 0013): the code opened nothing, so it is not spent here (the hub gives it back too).
        if (c?.codeId && e.outcome === 'not_sent') this.spent.delete(c.codeId);
        break;
      }
      case 'answered': {
        const c = this.commands.get(e.commandId);
        if (!c) break;
        c.answer = e.answer;
        if (e.report) this.pending.set(e.report.eventId, e.report);
        // The person says it did not open (ADR 0014): the hub gives the code back, and so does this kiosk.
        if (c.codeId && e.answer === 'not_opened') this.spent.delete(c.codeId);
        break;
      }
      case 'refused':
        this.refusals.push(Date.parse(e.at));
        if (this.refusals.length > 2 * KEEP_REFUSALS) this.refusals = this.refusals.slice(-KEEP_REFUSALS);
        break;
    }
  }

  private compact(): void {
    const all = [...this.commands.values()];
    const recentFrom = all.length - KEEP_COMMANDS;
    const spentSince = Date.now() - KEEP_SPENT_MS;
    const keep = all.filter((c, i) => i >= recentFrom || (c.codeId !== undefined && Date.parse(c.at) >= spentSince));
    const entries: Entry[] = [];
    for (const c of keep) {
      entries.push({
        t: 'command',
        commandId: c.commandId,
        compartment: c.compartment,
        at: c.at,
        ...(c.codeId ? { codeId: c.codeId } : {}),
      });
      if (c.outcome) entries.push({ t: 'command_done', commandId: c.commandId, outcome: c.outcome });
      if (c.answer) entries.push({ t: 'answered', commandId: c.commandId, answer: c.answer });
    }
    for (const at of this.refusals.slice(-KEEP_REFUSALS)) entries.push({ t: 'refused', at: new Date(at).toISOString() });
    for (const event of this.pending.values()) entries.push({ t: 'event', event });
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w');
    writeSync(fd, entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
    fdatasyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.file);
  }

  private append(e: Entry, sync = true): void {
    writeSync(this.fd, `${JSON.stringify(e)}\n`);
    if (sync) fdatasyncSync(this.fd);
    this.apply(e);
  }

  /**
   * Writes a line now (into the kernel: it survives the agent crashing or being killed) and makes
   * it durable on disk off the event loop; resolves once it is (ADR 0019).
   */
  private appendOverlapped(e: Entry): Promise<void> {
    this.append(e, false);
    return new Promise<void>((resolve, reject) => fdatasync(this.fd, (err) => (err ? reject(err) : resolve())));
  }

  recordEvent(event: KioskEvent): void {
    this.append({ t: 'event', event });
  }

  /**
   * Not fsync'd (ADR 0019): an acknowledgement lost to a power cut only sends its event again, and
   * the hub takes an event once by its id.
   */
  ack(eventId: string): void {
    if (this.pending.has(eventId)) this.append({ t: 'acked', eventId }, false);
  }

  /** Events not yet acknowledged by the hub, oldest first. */
  unacked(): KioskEvent[] {
    return [...this.pending.values()];
  }

  /** How many events await the hub's acknowledgement (without copying them: offline there are thousands). */
  get unackedCount(): number {
    return this.pending.size;
  }

  /** Whether an event awaiting acknowledgement matches. */
  hasUnacked(match: (e: KioskEvent) => boolean): boolean {
    for (const e of this.pending.values()) if (match(e)) return true;
    return false;
  }

  command(commandId: string): CommandRecord | undefined {
    return this.commands.get(commandId);
  }

  /**
   * Records a command before its unlock frame is sent. With `spends`, the code that granted it is
   * spent at this kiosk in the same line; so is `report` (the offline use of that code, an event for
   * the hub, sent in order with the others): one fsync, and a torn line loses all three together.
   */
  beginCommand(commandId: string, compartment: number, at: Date, spends?: { codeId: string; report?: KioskEvent }): void {
    this.append(commandLine(commandId, compartment, at, spends));
  }

  /**
   * The same line, written before the unlock but fsync'd alongside it rather than before it (ADR
   * 0019): the line is in the kernel before the frame leaves, so a crash or kill of the agent never
   * loses it; the returned promise resolves once it is on disk, which the command's outcome awaits.
   */
  beginCommandOverlapped(
    commandId: string,
    compartment: number,
    at: Date,
    spends?: { codeId: string; report?: KioskEvent },
  ): Promise<void> {
    return this.appendOverlapped(commandLine(commandId, compartment, at, spends));
  }

  /** true once a command that this code opened was begun here, online or offline, unless its unlock was `not_sent`. */
  isSpent(codeId: string): boolean {
    return this.spent.has(codeId);
  }

  /** Counts a code refused at this kiosk without the hub (the offline attempt limit). */
  recordRefusal(at: Date): void {
    this.append({ t: 'refused', at: at.toISOString() });
  }

  /** When each remembered refused keypad code was refused (epoch ms), oldest first: the attempt limit's history. */
  refusalTimes(): number[] {
    return [...this.refusals];
  }

  refusalsSince(since: Date): number {
    const t = since.getTime();
    return this.refusals.filter((at) => at >= t).length;
  }

  finishCommand(commandId: string, outcome: CommandOutcome): void {
    this.append({ t: 'command_done', commandId, outcome });
  }

  /**
   * A person's answer to an `unconfirmed` unlock, with its report for the hub in the same line;
   * `not_opened` makes the command's code live again here.
   */
  answerCommand(commandId: string, answer: UnlockAnswer, report: KioskEvent): void {
    this.append({ t: 'answered', commandId, answer, report });
  }

  close(): void {
    closeSync(this.fd);
  }
}

function commandLine(commandId: string, compartment: number, at: Date, spends?: { codeId: string; report?: KioskEvent }): Entry {
  return {
    t: 'command',
    commandId,
    compartment,
    at: at.toISOString(),
    ...(spends ? { codeId: spends.codeId } : {}),
    ...(spends?.report ? { report: spends.report } : {}),
  };
}
