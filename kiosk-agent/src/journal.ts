// The kiosk's durable journal: every event is written to disk (fsync'd) before it is sent, and
// every open command is recorded before its unlock frame goes out. After a crash, a restart or a
// day offline, the agent replays what the hub has not acknowledged and never runs a command twice.
// One append-only JSON-lines file; compacted at start to what still matters.
import { closeSync, existsSync, fdatasyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { KioskEvent } from '@xinbao/protocol';

export type CommandOutcome = 'opened' | 'jammed' | 'failed' | 'interrupted';

type Entry =
  | { t: 'event'; event: KioskEvent }
  | { t: 'acked'; eventId: string }
  | { t: 'command'; commandId: string; compartment: number; at: string }
  | { t: 'command_done'; commandId: string; outcome: CommandOutcome };

export interface CommandRecord {
  commandId: string;
  compartment: number;
  at: string;
  outcome: CommandOutcome | null;
}

/** Commands remembered after compaction: enough to recognise any retry of a recent command. */
const KEEP_COMMANDS = 10_000;

export class KioskJournal {
  private readonly file: string;
  private fd: number;
  private readonly pending = new Map<string, KioskEvent>();
  private readonly commands = new Map<string, CommandRecord>();

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
        this.commands.set(e.commandId, { commandId: e.commandId, compartment: e.compartment, at: e.at, outcome: null });
        break;
      case 'command_done': {
        const c = this.commands.get(e.commandId);
        if (c) c.outcome = e.outcome;
        break;
      }
    }
  }

  private compact(): void {
    const keep = [...this.commands.values()].slice(-KEEP_COMMANDS);
    const entries: Entry[] = [];
    for (const c of keep) {
      entries.push({ t: 'command', commandId: c.commandId, compartment: c.compartment, at: c.at });
      if (c.outcome) entries.push({ t: 'command_done', commandId: c.commandId, outcome: c.outcome });
    }
    for (const event of this.pending.values()) entries.push({ t: 'event', event });
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w');
    writeSync(fd, entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
    fdatasyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.file);
  }

  private append(e: Entry): void {
    writeSync(this.fd, `${JSON.stringify(e)}\n`);
    fdatasyncSync(this.fd);
    this.apply(e);
  }

  recordEvent(event: KioskEvent): void {
    this.append({ t: 'event', event });
  }

  ack(eventId: string): void {
    if (this.pending.has(eventId)) this.append({ t: 'acked', eventId });
  }

  /** Events not yet acknowledged by the hub, oldest first. */
  unacked(): KioskEvent[] {
    return [...this.pending.values()];
  }

  command(commandId: string): CommandRecord | undefined {
    return this.commands.get(commandId);
  }

  beginCommand(commandId: string, compartment: number, at: Date): void {
    this.append({ t: 'command', commandId, compartment, at: at.toISOString() });
  }

  finishCommand(commandId: string, outcome: CommandOutcome): void {
    this.append({ t: 'command_done', commandId, outcome });
  }

  close(): void {
    closeSync(this.fd);
  }
}
