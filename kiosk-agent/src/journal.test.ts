import { describe, expect, it } from '@jest/globals';
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { KioskEvent } from '@xinbao/protocol';
import { KioskJournal } from './journal.js';

const event = (compartment: number): KioskEvent => ({
  eventId: randomUUID(),
  at: new Date().toISOString(),
  type: 'door_closed',
  compartment,
  itemPresent: true,
});

describe('kiosk journal', () => {
  it('keeps unacknowledged events across a restart, in order, and forgets acknowledged ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const j = new KioskJournal(dir);
    const [a, b, c] = [event(1), event(2), event(3)];
    j.recordEvent(a);
    j.recordEvent(b);
    j.recordEvent(c);
    j.ack(b.eventId);
    j.close();
    const again = new KioskJournal(dir);
    expect(again.unacked()).toEqual([a, c]);
    expect(again.unackedCount).toBe(2);
    expect(again.hasUnacked((e) => e.eventId === c.eventId)).toBe(true);
    expect(again.hasUnacked((e) => e.eventId === b.eventId)).toBe(false);
    again.close();
  });

  it('survives a torn last line from a power cut', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const j = new KioskJournal(dir);
    const a = event(4);
    j.recordEvent(a);
    j.close();
    appendFileSync(join(dir, 'journal.jsonl'), '{"t":"event","event":{"eventId":"');
    const again = new KioskJournal(dir);
    expect(again.unacked()).toEqual([a]);
    again.close();
  });

  it('marks a command begun but not finished before a crash as interrupted, so it is never run again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const j = new KioskJournal(dir);
    const done = randomUUID();
    const cut = randomUUID();
    j.beginCommand(done, 3, new Date());
    j.finishCommand(done, 'opened');
    j.beginCommand(cut, 5, new Date());
    j.close();
    const again = new KioskJournal(dir);
    expect(again.command(done)?.outcome).toBe('opened');
    expect(again.command(cut)).toMatchObject({ compartment: 5, outcome: 'interrupted' });
    expect(again.command(randomUUID())).toBeUndefined();
    again.close();
  });

  it('spends a code with its command and its report in one line: a torn line loses all three', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const j = new KioskJournal(dir);
    const codeId = randomUUID();
    const commandId = randomUUID();
    const report: KioskEvent = {
      type: 'code_used_offline',
      eventId: randomUUID(),
      at: new Date().toISOString(),
      compartment: 2,
      codeId,
      commandId,
      via: 'keypad',
    };
    j.beginCommand(commandId, 2, new Date(), { codeId, report });
    j.recordRefusal(new Date());
    expect(j.isSpent(codeId)).toBe(true);
    expect(j.unacked()).toEqual([report]);
    j.close();
    const line = `${JSON.stringify({ t: 'command', commandId: randomUUID(), compartment: 3, at: new Date().toISOString(), codeId: 'torn', report: { ...report, eventId: randomUUID() } })}`;
    appendFileSync(join(dir, 'journal.jsonl'), line.slice(0, line.length - 5));
    const again = new KioskJournal(dir);
    expect(again.isSpent(codeId)).toBe(true);
    expect(again.isSpent('torn')).toBe(false);
    expect(again.unacked()).toEqual([report]);
    expect(again.command(commandId)).toMatchObject({ compartment: 2, codeId, outcome: 'interrupted' });
    expect(again.refusalsSince(new Date(Date.now() - 60_000))).toBe(1);
    again.close();
  });

  it('a code whose command was not_sent (the frame never left) is not spent, also after a restart; any other outcome spends it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const j = new KioskJournal(dir);
    const [notSent, unconfirmed] = [randomUUID(), randomUUID()];
    const commandNotSent = randomUUID();
    j.beginCommand(commandNotSent, 3, new Date(), { codeId: notSent });
    j.finishCommand(commandNotSent, 'not_sent');
    const commandUnconfirmed = randomUUID();
    j.beginCommand(commandUnconfirmed, 4, new Date(), { codeId: unconfirmed });
    j.finishCommand(commandUnconfirmed, 'unconfirmed');
    expect(j.isSpent(notSent)).toBe(false);
    expect(j.isSpent(unconfirmed)).toBe(true);
    j.close();
    const again = new KioskJournal(dir);
    expect(again.isSpent(notSent)).toBe(false);
    expect(again.isSpent(unconfirmed)).toBe(true);
    again.close();
  });
});
