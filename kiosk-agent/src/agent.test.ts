// The agent's "another compartment" path: it asks the hub only about a command that really jammed,
// only after the hub has acknowledged the jam, opens the compartment the hub grants exactly once,
// and tells its screen (result and door events). The hub is a named test double speaking the
// /kiosk contract; the real hub takes part in test/src/hub/kiosk-reassign.test.ts and the
// browser test.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { fail, ok, type CodeGrant, type KioskEvent, type KioskReply, type KioskRequestName, type KioskRequests } from '@xinbao/protocol';
import { KioskAgent, type CodeResult, type CodeSource } from './agent.js';
import type { HubConnection, HubLinkEvents } from './hub-link.js';
import { KioskJournal } from './journal.js';
import { Cabinet, type DoorEvent } from './lockboard/index.js';
import { MemoryLockBoard } from './lockboard/memory-driver.js';

/** Test double of the hub's side of the /kiosk contract: grants codes, acknowledges events, reassigns. */
class HubDouble extends EventEmitter<HubLinkEvents> implements HubConnection {
  connected = true;
  /** Events are acknowledged only while this is true (a slow or absent hub otherwise). */
  acking = true;
  readonly log: string[] = [];
  readonly events: KioskEvent[] = [];
  grants = new Map<string, CodeGrant>();
  reassignTo: CodeGrant | null = null;
  reassignRefusal: string | null = null;
  private readonly reassigned = new Map<string, CodeGrant>();
  private readonly answers: { [E in KioskRequestName]: (request: KioskRequests[E]) => Promise<KioskReply<E>> } = {
    'code:submit': async (req) => {
      this.log.push(`submit ${req.via}`);
      const g = this.grants.get(req.code);
      return g ? ok(g) : fail('code_invalid', 'no such code');
    },
    'kiosk:event': async (e) => {
      if (!this.acking) return fail('hub_unreachable', 'not now');
      this.events.push(e);
      this.log.push(`event ${e.type}${e.type === 'unlock_result' ? ` ${e.outcome}` : ''}`);
      return ok({ eventId: e.eventId, duplicate: false });
    },
    'code:reassign': async (req) => {
      this.log.push('reassign');
      const jamSeen = this.events.some((e) => e.type === 'unlock_result' && e.commandId === req.commandId && e.outcome === 'jammed');
      if (!jamSeen) return fail('not_jammed', 'no jam reported');
      if (this.reassignRefusal) return fail(this.reassignRefusal, 'refused');
      const earlier = this.reassigned.get(req.commandId);
      if (earlier) return ok(earlier);
      if (!this.reassignTo) throw new Error('the test did not say where to reassign');
      this.reassigned.set(req.commandId, this.reassignTo);
      return ok(this.reassignTo);
    },
    'code:next': async (req) => {
      this.log.push('next');
      // Like the hub: the next door only once the close of the door before it was received.
      const before = this.nextAfter.get(req.commandId);
      if (before === undefined) return fail('unknown_command', 'no visit door under that command');
      const closed = this.events.some((e) => e.type === 'door_closed' && e.compartment === before.compartment);
      if (!closed) return fail('door_open', 'close the door first');
      return ok({ grant: before.grant });
    },
    'codes:sync': async () => fail('bad_request', 'this kiosk keeps no code book'),
    'kiosk:bus': async () => ok({ stored: true }),
  };
  /** For a visit: after the door of command X (at compartment c) closes, this grant (null: the visit is over). */
  nextAfter = new Map<string, { compartment: number; grant: CodeGrant | null }>();

  connect(): void {}
  close(): void {}
  onCommand(): void {}
  ask<E extends KioskRequestName>(event: E, request: KioskRequests[E]): Promise<KioskReply<E>> {
    return this.answers[event](request);
  }
}

const A = '0190f1a2-0000-7000-8000-00000000000a';
const B = '0190f1a2-0000-7000-8000-00000000000b';
const TN = 'XB123456789012';

let dir: string;
let board: MemoryLockBoard;
let hub: HubDouble;
let journal: KioskJournal;
let agent: KioskAgent;
let results: Array<[CodeResult, CodeSource]>;
let doors: DoorEvent[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'xinbao-agent-'));
  board = new MemoryLockBoard();
  hub = new HubDouble();
  journal = new KioskJournal(dir);
  const cabinet = new Cabinet({
    buses: new Map([['bus0', board]]),
    compartments: Array.from({ length: 16 }, (_, i) => ({ compartment: i + 1, bus: 'bus0', board: 0, lock: i })),
    pollIntervalMs: 20,
    leftOpenAfterMs: 60_000,
    openGraceMs: 1_000,
  });
  agent = new KioskAgent({ cabinet, link: hub, journal, log: pino({ level: 'silent' }), retryDelayMs: 20, deliveryTimeoutMs: 300 });
  results = [];
  doors = [];
  agent.on('result', (r, s) => results.push([r, s]));
  agent.on('door', (d) => doors.push(d));
  agent.start();
  hub.grants.set('12345678', { commandId: A, compartment: 3, purpose: 'deposit', trackingNumber: TN });
});

afterEach(async () => {
  await agent.stop();
  journal.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('KioskAgent.anotherCompartment', () => {
  it('asks only after the hub has the jam, then opens the granted compartment once', async () => {
    board.jammed.add('0/2');
    hub.acking = false;
    const jammed = await agent.enterCode('12345678', 'screen', '123456');
    expect(jammed).toEqual({ status: 'jammed', compartment: 3, purpose: 'deposit', trackingNumber: TN, commandId: A });

    // The jam report is still waiting for the hub: the agent delivers it before it asks.
    hub.reassignTo = { commandId: B, compartment: 7, purpose: 'deposit', trackingNumber: TN };
    setTimeout(() => {
      hub.acking = true;
    }, 60);
    const moved = await agent.anotherCompartment(A, 'screen');
    expect(moved).toEqual({ status: 'opened', compartment: 7, purpose: 'deposit', trackingNumber: TN, commandId: B });
    expect(hub.log.indexOf('event unlock_result jammed')).toBeGreaterThan(-1);
    expect(hub.log.indexOf('event unlock_result jammed')).toBeLessThan(hub.log.indexOf('reassign'));
    expect(board.unlocks).toEqual(['unlock 0/2', 'unlock 0/6']);

    // Asked again (a double tap): the hub gives the same grant, and the door is not unlocked again.
    expect(await agent.anotherCompartment(A, 'screen')).toMatchObject({ status: 'opened', compartment: 7, commandId: B });
    expect(board.unlocks).toEqual(['unlock 0/2', 'unlock 0/6']);
    expect(results.map(([r, s]) => [r.status, s])).toEqual([
      ['jammed', 'screen'],
      ['opened', 'screen'],
      ['opened', 'screen'],
    ]);
  });

  it('does not ask the hub about a command that did not jam, or that it never ran', async () => {
    expect(await agent.enterCode('12345678', 'scanner', '123456')).toMatchObject({ status: 'opened', commandId: A });
    expect(await agent.anotherCompartment(A)).toMatchObject({ status: 'refused', code: 'not_jammed' });
    expect(await agent.anotherCompartment(B)).toMatchObject({ status: 'refused', code: 'not_jammed' });
    expect(hub.log).not.toContain('reassign');
    expect(board.unlocks).toEqual(['unlock 0/2']);
  });

  it('passes the hub’s refusal on and opens nothing', async () => {
    board.jammed.add('0/2');
    await agent.enterCode('12345678', 'api', '123456');
    hub.reassignRefusal = 'no_free_compartment';
    expect(await agent.anotherCompartment(A)).toMatchObject({ status: 'refused', code: 'no_free_compartment' });
    expect(board.unlocks).toEqual(['unlock 0/2']);
  });

  it('says the hub is out of reach when the jam cannot be reported, and asks nothing', async () => {
    board.jammed.add('0/2');
    hub.acking = false;
    await agent.enterCode('12345678', 'api', '123456');
    hub.connected = false;
    expect(await agent.anotherCompartment(A)).toMatchObject({ status: 'refused', code: 'hub_unreachable' });
    hub.connected = true;
    expect(await agent.anotherCompartment(A)).toMatchObject({ status: 'refused', code: 'hub_unreachable' });
    expect(hub.log).not.toContain('reassign');
    expect(board.unlocks).toEqual(['unlock 0/2']);
  });

  it('tells the screen when a door opens and when it closes', async () => {
    await agent.enterCode('12345678', 'api', '123456');
    // The commanded opening is told as the unlock is confirmed, before the code's result.
    expect(doors).toEqual([{ compartment: 3, state: 'opened', itemPresent: false, commanded: true }]);
    const closed = new Promise<DoorEvent>((resolve) =>
      agent.on('door', (d) => {
        if (d.state === 'closed') resolve(d);
      }),
    );
    Object.assign(board.lock(0, 2), { latchClosed: true, itemPresent: true });
    // Seen at the cabinet's next status poll.
    expect(await closed).toMatchObject({ compartment: 3, itemPresent: true });
  });
});

describe('KioskAgent: doors that may not have opened (ADR 0013/0014)', () => {
  const CODE_ID = '0190f1a2-0000-7000-8000-0000000000c1';

  it('tells `unconfirmed` apart, and sends the person’s answer to the hub once; `not_opened` makes the code live here again', async () => {
    hub.grants.set('12345678', { commandId: A, compartment: 3, purpose: 'deposit', trackingNumber: TN, codeId: CODE_ID });
    // The board does not answer: the unlock may have gone out, nothing shows the door moved.
    board.offline.add(0);
    const r = await agent.enterCode('12345678', 'screen', '123456');
    expect(r).toEqual({ status: 'unconfirmed', compartment: 3, purpose: 'deposit', trackingNumber: TN, commandId: A });
    expect(journal.isSpent(CODE_ID)).toBe(true);
    board.offline.delete(0);

    // Not for a command it never ran; once for this one.
    expect(agent.answerUnlock(B, 'not_opened')).toEqual({ ok: false, code: 'unknown_command' });
    expect(agent.answerUnlock(A, 'not_opened')).toEqual({ ok: true });
    expect(agent.answerUnlock(A, 'opened')).toEqual({ ok: false, code: 'already_answered' });
    await agent.drained();
    const answered = hub.events.filter((e) => e.type === 'unlock_answered');
    expect(answered).toEqual([expect.objectContaining({ type: 'unlock_answered', compartment: 3, commandId: A, answer: 'not_opened' })]);
    // The answer follows the outcome it answers.
    const types = hub.events.map((e) => (e.type === 'unlock_result' ? `${e.type} ${e.outcome}` : e.type));
    expect(types.indexOf('unlock_result unconfirmed')).toBeLessThan(types.indexOf('unlock_answered'));
    expect(journal.isSpent(CODE_ID)).toBe(false);

    // The same code again at once is asked anew (the hub gave it back), not answered from memory.
    const submits = hub.log.filter((l) => l.startsWith('submit')).length;
    hub.grants.set('12345678', { commandId: B, compartment: 3, purpose: 'deposit', trackingNumber: TN, codeId: CODE_ID });
    expect(await agent.enterCode('12345678', 'screen', '123456')).toMatchObject({ status: 'opened', commandId: B });
    expect(hub.log.filter((l) => l.startsWith('submit')).length).toBe(submits + 1);

    // The answer survives a restart of the journal (and its compaction).
    await agent.stop();
    journal.close();
    journal = new KioskJournal(dir);
    expect(journal.command(A)).toMatchObject({ outcome: 'unconfirmed', answer: 'not_opened' });
    expect(journal.isSpent(CODE_ID)).toBe(true); // spent again by command B, which opened
    expect(journal.command(B)).toMatchObject({ outcome: 'opened', codeId: CODE_ID });
  }, 15_000);

  it('tells `not_sent` apart: nothing opened, nothing to answer, and the same code is asked again', async () => {
    board.portGone = true;
    expect(await agent.enterCode('12345678', 'screen', '123456')).toEqual({
      status: 'not_sent',
      compartment: 3,
      purpose: 'deposit',
      trackingNumber: TN,
      commandId: A,
    });
    expect(board.unlocks).toEqual([]);
    expect(agent.answerUnlock(A, 'not_opened')).toEqual({ ok: false, code: 'not_unconfirmed' });
    board.portGone = false;
    hub.grants.set('12345678', { commandId: B, compartment: 3, purpose: 'deposit', trackingNumber: TN });
    expect(await agent.enterCode('12345678', 'screen', '123456')).toMatchObject({ status: 'opened', commandId: B });
    expect(board.unlocks).toEqual(['unlock 0/2']);
    expect(results.map(([r]) => r.status)).toEqual(['not_sent', 'opened']);
  });
});
describe('a courier visit: one code, its doors one at a time (ADR 0023)', () => {
  const C = '0190f1a2-0000-7000-8000-00000000000c';
  const VISIT = '0190f1a2-0000-7000-8000-0000000000ff';
  const visit = (position: number) => ({ visitId: VISIT, position, doors: [3, 7, 9] });

  it('opens the next door only after the hub has the close of the one before, one unlock each, then stops', async () => {
    hub.grants.set('87654321', { commandId: A, compartment: 3, purpose: 'courier_pickup', trackingNumber: TN, visit: visit(1) });
    hub.nextAfter.set(A, {
      compartment: 3,
      grant: { commandId: B, compartment: 7, purpose: 'courier_pickup', trackingNumber: 'XB2', visit: visit(2) },
    });
    hub.nextAfter.set(B, {
      compartment: 7,
      grant: { commandId: C, compartment: 9, purpose: 'courier_pickup', trackingNumber: 'XB3', visit: visit(3) },
    });
    hub.nextAfter.set(C, { compartment: 9, grant: null });

    expect(await agent.enterCode('87654321', 'screen', '123456')).toMatchObject({ status: 'opened', compartment: 3, visit: visit(1) });
    // Nothing more opens while door 3 stands open.
    await new Promise((r) => setTimeout(r, 100));
    expect(board.unlocks).toEqual(['unlock 0/2']);
    expect(hub.log).not.toContain('next');

    // The courier shuts door 3 (the hub is slow to take the close: the agent waits for it).
    hub.acking = false;
    Object.assign(board.lock(0, 2), { latchClosed: true, itemPresent: false });
    setTimeout(() => {
      hub.acking = true;
    }, 80);
    await waitFor(() => board.unlocks.length === 2);
    await agent.visitSettled();
    expect(board.unlocks).toEqual(['unlock 0/2', 'unlock 0/6']);
    const closedAt = hub.log.indexOf('event door_closed');
    expect(closedAt).toBeGreaterThan(-1);
    expect(closedAt).toBeLessThan(hub.log.indexOf('next'));

    Object.assign(board.lock(0, 6), { latchClosed: true, itemPresent: false });
    await waitFor(() => board.unlocks.length === 3);
    Object.assign(board.lock(0, 8), { latchClosed: true, itemPresent: false });
    await waitFor(() => hub.log.filter((l) => l === 'next').length === 3);
    await agent.visitSettled();
    // The hub said no door is left: nothing else opens.
    expect(board.unlocks).toEqual(['unlock 0/2', 'unlock 0/6', 'unlock 0/8']);
    // Each next door was told to the screen like a code's result.
    expect(results.map(([r, s]) => [r.status, r.status === 'refused' ? null : r.compartment, s])).toEqual([
      ['opened', 3, 'screen'],
      ['opened', 7, 'api'],
      ['opened', 9, 'api'],
    ]);
  });
});

async function waitFor(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
