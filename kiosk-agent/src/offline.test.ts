// Offline operation inside the agent: the code book (what it accepts, what survives a restart) and
// the agent with the hub out of reach (spent before the unlock, never twice, attempt-limited across
// restarts, reported as an event). The hub link is a stand-in that the test drives; the cabinet is
// the real one over an in-memory lock board; journal and book are the real files.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import {
  fail,
  formatQrToken,
  offlineHashInput,
  offlineKeypadInput,
  ok,
  qrSigningInput,
  type CodeGrant,
  type CodeSubmit,
  type CodeSyncReply,
  type CodeSyncRequest,
  type KioskEvent,
  type KioskReply,
  type KioskRequestName,
  type KioskRequests,
  type OfflineCode,
  type Reply,
} from '@xinbao/protocol';
import { KioskAgent } from './agent.js';
import type { HubConnection, HubLinkEvents } from './hub-link.js';
import { KioskJournal } from './journal.js';
import { Cabinet } from './lockboard/index.js';
import { MemoryLockBoard } from './lockboard/memory-driver.js';
import { OfflineCodeBook } from './offline-codes.js';

const SITE = '0190a5d0-0000-7000-8000-000000000001';
const OTHER_SITE = '0190a5d0-0000-7000-8000-000000000002';
const HOUR = 3_600_000;
const qr = generateKeyPairSync('ed25519');
const siteKey = randomBytes(32);

interface Issued {
  entry: OfflineCode;
  code: string;
  /** its second factor (ADR 0018) */
  factor: string;
  qrToken: string;
}

/** A second factor no code here has. */
const WRONG_FACTOR = '000000';

let serial = 0;
function issue(over: Partial<OfflineCode> & { code?: string; site?: string; exp?: number } = {}): Issued {
  const code = over.code ?? String(10_000_000 + ++serial * 7919).slice(0, 8);
  const factor = String(100_000 + serial * 31).slice(-6);
  const codeId = uuidv7();
  const entry: OfflineCode = {
    codeId,
    // As the hub sends a code with a second factor: the hash of the pair only.
    offlineHash: null,
    keypadHash: createHmac('sha256', siteKey)
      .update(offlineKeypadInput(SITE, code, factor))
      .digest('base64'),
    compartment: over.compartment ?? 1,
    purpose: over.purpose ?? 'deposit',
    trackingNumber: 'XB0000000000001',
    validFrom: over.validFrom ?? new Date(Date.now() - HOUR).toISOString(),
    expiresAt: over.expiresAt ?? new Date(Date.now() + HOUR).toISOString(),
  };
  const payload = {
    cid: codeId,
    sid: over.site ?? SITE,
    p: entry.purpose,
    exp: over.exp ?? Math.floor(Date.parse(entry.expiresAt) / 1000),
  };
  return { entry, code, factor, qrToken: formatQrToken(payload, sign(null, Buffer.from(qrSigningInput(payload)), qr.privateKey)) };
}

const reply = (codes: OfflineCode[], over: Partial<CodeSyncReply> = {}): CodeSyncReply => ({
  siteId: SITE,
  cursor: 1,
  full: true,
  codes,
  removed: [],
  offlineKey: siteKey.toString('base64'),
  qrPublicKey: qr.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  serverTime: new Date().toISOString(),
  ...over,
});

describe('offline code book', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'codes-'));
  });

  it('accepts a live code by keypad or QR, and says why it refuses the rest', () => {
    const book = new OfflineCodeBook(dir);
    const now = new Date();
    expect(book.check('keypad', '12345678', now)).toMatchObject({ ok: false, refusal: 'hub_unreachable' });
    const live = issue();
    const expired = issue({ expiresAt: new Date(Date.now() - 1000).toISOString() });
    const early = issue({ validFrom: new Date(Date.now() + HOUR).toISOString() });
    const foreign = issue({ site: OTHER_SITE });
    const staleToken = issue({ exp: Math.floor(Date.now() / 1000) - 10 });
    const unsynced = issue();
    book.apply(reply([live.entry, expired.entry, early.entry, staleToken.entry]), new Date(0));
    expect(book.check('keypad', live.code, now, live.factor)).toEqual({ ok: true, code: live.entry });
    expect(book.check('qr', live.qrToken, now)).toEqual({ ok: true, code: live.entry });
    // The keypad judges the code with its second factor (ADR 0018): the right code with a wrong
    // factor, or with none, is refused exactly as a code the book does not have.
    const unknownCode = book.check('keypad', unsynced.code, now, unsynced.factor);
    expect(unknownCode).toEqual({ ok: false, refusal: 'code_invalid', message: 'no such code at this locker' });
    expect(book.check('keypad', live.code, now, WRONG_FACTOR)).toEqual(unknownCode);
    expect(book.check('keypad', live.code, now)).toEqual(unknownCode);
    expect(book.check('keypad', live.code, now, live.factor.slice(1))).toEqual(unknownCode);
    // Another code's factor does not fit either.
    expect(book.check('keypad', live.code, now, expired.factor)).toEqual(unknownCode);
    expect(book.check('keypad', unsynced.code, now, unsynced.factor)).toMatchObject({ ok: false, refusal: 'code_invalid' });
    expect(book.check('qr', unsynced.qrToken, now)).toMatchObject({ ok: false, refusal: 'code_invalid' });
    expect(book.check('keypad', expired.code, now, expired.factor)).toMatchObject({
      ok: false,
      refusal: 'code_expired',
      code: expired.entry,
    });
    expect(book.check('keypad', early.code, now, early.factor)).toMatchObject({
      ok: false,
      refusal: 'code_invalid',
      message: 'this code is not valid yet',
    });
    expect(book.check('qr', foreign.qrToken, now)).toMatchObject({ ok: false, refusal: 'code_invalid' });
    expect(book.check('qr', staleToken.qrToken, now)).toMatchObject({ ok: false, refusal: 'code_expired' });
    // A token whose payload is another code's, under this one's signature.
    const [, body] = unsynced.qrToken.split('.');
    const [, , sig] = live.qrToken.split('.');
    expect(book.check('qr', `XB1.${body}.${sig}`, now)).toMatchObject({
      ok: false,
      refusal: 'code_invalid',
      message: 'this QR code is not one of ours',
    });
    book.close();
  });

  it('opens a code without a second factor (issued before ADR 0018) by its QR form only', () => {
    const book = new OfflineCodeBook(dir);
    const now = new Date();
    const old = issue();
    const legacy: OfflineCode = {
      ...old.entry,
      offlineHash: createHmac('sha256', siteKey).update(offlineHashInput(SITE, old.code)).digest('base64'),
      keypadHash: null,
    };
    book.apply(reply([legacy]), now);
    expect(book.check('keypad', old.code, now)).toMatchObject({ ok: false, refusal: 'code_invalid' });
    expect(book.check('keypad', old.code, now, old.factor)).toMatchObject({ ok: false, refusal: 'code_invalid' });
    expect(book.check('qr', old.qrToken, now)).toEqual({ ok: true, code: legacy });
    book.close();
  });

  it('applies deltas, drops used and expired codes, and keeps it all across a restart', () => {
    const book = new OfflineCodeBook(dir, { compactAfter: 2 });
    const [a, b, c] = [issue(), issue(), issue({ expiresAt: new Date(Date.now() + 2000).toISOString() })];
    expect(book.apply(reply([a.entry, b.entry]), new Date())).toBe(true);
    expect(book.apply(reply([c.entry], { full: false, cursor: 5, removed: [a.entry.codeId] }), new Date())).toBe(true);
    expect(book.cursor).toBe(5);
    expect(book.check('keypad', a.code, new Date(), a.factor)).toMatchObject({ ok: false, refusal: 'code_invalid' });
    // A delta that does not follow from this book (another site key) is refused and asks for everything.
    expect(book.apply(reply([], { full: false, cursor: 6, offlineKey: randomBytes(32).toString('base64') }), new Date())).toBe(false);
    expect(book.cursor).toBeNull();
    expect(book.check('keypad', b.code, new Date(), b.factor)).toMatchObject({ ok: true });
    expect(book.apply({ nonsense: true }, new Date())).toBe(false);
    book.close();
    appendFileSync(join(dir, 'codes.jsonl'), '{"t":"sync","reply":{"siteId":');

    const again = new OfflineCodeBook(dir);
    expect(again.cursor).toBe(5);
    expect(again.size).toBe(2);
    expect(again.check('keypad', b.code, new Date(), b.factor)).toEqual({ ok: true, code: b.entry });
    expect(again.check('qr', c.qrToken, new Date())).toEqual({ ok: true, code: c.entry });
    // Pruned on the next sync once past its expiry.
    again.apply(reply([], { full: false, cursor: 7 }), new Date(Date.now() + 3000));
    expect(again.size).toBe(1);
    expect(readFileSync(join(dir, 'codes.jsonl'), 'utf8')).not.toContain(b.code);
    again.close();
  });
});

/** Stands in for the hub link: the test says whether the hub is reachable and what it answers. */
class StandInLink extends EventEmitter<HubLinkEvents> implements HubConnection {
  connected = false;
  submits: CodeSubmit[] = [];
  sent: KioskEvent[] = [];
  answer: (req: CodeSubmit) => Reply<CodeGrant> = () => fail('hub_unreachable', 'not connected');
  book: CodeSyncReply | null = null;
  syncRequests: CodeSyncRequest[] = [];
  private readonly answers: { [E in KioskRequestName]: (request: KioskRequests[E]) => Promise<KioskReply<E>> } = {
    'code:submit': async (req) => {
      this.submits.push(req);
      return this.answer(req);
    },
    'kiosk:event': async (event) => {
      if (!this.connected) return fail('hub_unreachable', 'not connected');
      this.sent.push(event);
      return ok({ eventId: event.eventId, duplicate: false });
    },
    'codes:sync': async (req) => {
      this.syncRequests.push(req);
      return this.connected && this.book ? ok(this.book) : fail('hub_unreachable', 'not connected');
    },
    'code:reassign': async () => fail('unknown_command', 'no reassigning here'),
    'code:next': async () => fail('unknown_command', 'no visits here'),
    'kiosk:bus': async () => ok({ stored: true }),
  };
  /** A new link for a restarted agent (a new process), with the same hub behind it. */
  fresh(): StandInLink {
    const next = new StandInLink();
    Object.assign(next, { connected: this.connected, answer: this.answer, book: this.book });
    return next;
  }
  connect(): void {}
  close(): void {}
  onCommand(): void {}
  ask<E extends KioskRequestName>(event: E, request: KioskRequests[E]): Promise<KioskReply<E>> {
    return this.answers[event](request);
  }
}

describe('kiosk agent with the hub out of reach', () => {
  let dir: string;
  let board: MemoryLockBoard;
  /** Each unlock, with what the journal held on disk as it arrived at the board. */
  let unlocks: Array<{ lock: number; journalOnDisk: string }>;
  let link: StandInLink;
  let running: Array<{ agent: KioskAgent; journal: KioskJournal; book: OfflineCodeBook }>;

  const start = (maxFailures = 5, limit: { firstDelayMs?: number; maxDelayMs?: number } = {}, bookFirst = true) => {
    const journal = new KioskJournal(dir);
    const book = new OfflineCodeBook(dir);
    const cabinet = new Cabinet({
      buses: new Map([['bus0', board]]),
      compartments: [1, 2, 3].map((n) => ({ compartment: n, bus: 'bus0', board: 0, lock: n - 1 })),
      pollIntervalMs: 60_000,
      leftOpenAfterMs: 600_000,
      openGraceMs: 1_000,
    });
    const agent = new KioskAgent({
      cabinet,
      link,
      journal,
      log: pino({ level: 'info' }, logStream),
      now: () => new Date(clock),
      codes: book,
      offline: { maxFailures, failureWindowMs: HOUR, syncIntervalMs: HOUR, ...limit },
      bookFirst,
    });
    agent.start();
    running.push({ agent, journal, book });
    return { agent, journal, book };
  };
  const stopAll = async () => {
    for (const r of running.splice(0)) {
      await r.agent.stop();
      r.journal.close();
      r.book.close();
    }
  };
  const restart = async (maxFailures = 5, limit: { firstDelayMs?: number; maxDelayMs?: number } = {}) => {
    await stopAll();
    link = link.fresh();
    return start(maxFailures, limit);
  };
  /** The agent's clock: the real one unless a test moves it. */
  let clock = Date.now();
  const logLines: Array<Record<string, unknown>> = [];
  const logStream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  afterEach(stopAll);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'agent-offline-'));
    board = new MemoryLockBoard();
    unlocks = [];
    board.onUnlock = (_board, lock) => unlocks.push({ lock, journalOnDisk: readFileSync(join(dir, 'journal.jsonl'), 'utf8') });
    link = new StandInLink();
    running = [];
    clock = Date.now();
    logLines.length = 0;
  });

  it('opens with a synced code once, spent on disk before the unlock, and reports the use when the hub is back', async () => {
    const [a, b] = [issue({ compartment: 2 }), issue({ compartment: 3, purpose: 'collect' })];
    link.book = reply([a.entry, b.entry]);
    link.connected = true;
    let { agent, journal } = start();
    agent.syncCodes();
    await agent.codesSynced();
    expect(agent.offlineState()).toMatchObject({ codes: 2, cursor: 1 });
    link.connected = false;

    const opened = await agent.enterCode(a.code, 'api', a.factor);
    expect(opened).toEqual({
      status: 'opened',
      compartment: 2,
      purpose: 'deposit',
      trackingNumber: 'XB0000000000001',
      commandId: expect.any(String),
      offline: true,
    });
    expect(unlocks).toHaveLength(1);
    expect(unlocks[0]!.lock).toBe(1);
    // When the unlock frame went out, the code was already spent and its use reported, on disk.
    const line = unlocks[0]!.journalOnDisk
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, any>)
      .find((e) => e.codeId === a.entry.codeId);
    expect(line).toMatchObject({
      t: 'command',
      codeId: a.entry.codeId,
      report: { type: 'code_used_offline', codeId: a.entry.codeId, compartment: 2, via: 'keypad' },
    });
    expect(line!.report.commandId).toBe(line!.commandId);

    // Typed again at once: the same answer (a double tap), nothing opened again; later, refused as used.
    expect(await agent.enterCode(a.code, 'api', a.factor)).toEqual(opened);
    expect(unlocks).toHaveLength(1);
    clock += 11_000;
    expect(await agent.enterCode(a.code, 'api', a.factor)).toMatchObject({ status: 'refused', code: 'code_used' });
    expect(await agent.enterCode(a.qrToken)).toMatchObject({ status: 'refused', code: 'code_used' });
    expect(unlocks).toHaveLength(1);

    // Restarted with the hub still away: the book and the spent mark are still there.
    ({ agent, journal } = await restart());
    expect(await agent.enterCode(a.code, 'api', a.factor)).toMatchObject({ status: 'refused', code: 'code_used' });
    expect(await agent.enterCode(b.qrToken)).toMatchObject({
      status: 'opened',
      compartment: 3,
      purpose: 'collect',
      commandId: expect.any(String),
      offline: true,
    });
    expect(unlocks.map((u) => u.lock)).toEqual([1, 2]);

    // The hub comes back: the uses are delivered in order, before the outcomes of their unlocks.
    const pending = journal.unacked();
    expect(pending.map((e) => e.type)).toEqual([
      'code_used_offline',
      'door_opened',
      'unlock_result',
      'code_used_offline',
      'door_opened',
      'unlock_result',
    ]);
    link.connected = true;
    link.emit('connected');
    await agent.drained();
    expect(link.sent).toEqual(pending);
    expect(link.sent.filter((e) => e.type === 'code_used_offline').map((e) => (e as { via: string }).via)).toEqual(['keypad', 'qr']);
  });

  it("slows the keypad offline by the hub's rule, counting online refusals too, across a restart; a genuine QR and keypad code open", async () => {
    const good = issue({ compartment: 1 });
    const goodQr = issue({ compartment: 2 });
    link.book = reply([good.entry, goodQr.entry]);
    link.connected = true;
    let { agent, journal } = start(3, { firstDelayMs: 1_000, maxDelayMs: 8_000 });
    agent.syncCodes();
    await agent.codesSynced();
    // Refused by the hub while online: counted in the journal too, so the offline limit does not start afresh.
    link.answer = () => fail('code_invalid', 'no such code at this locker');
    expect(await agent.enterCode('00000001', 'api', WRONG_FACTOR)).toMatchObject({ status: 'refused', code: 'code_invalid' });
    link.answer = () => fail('hub_unreachable', 'not connected');
    link.connected = false;
    // Offline, the genuine code with a wrong second factor is a wrong code, counted like one.
    expect(await agent.enterCode(good.code, 'api', WRONG_FACTOR)).toMatchObject({ status: 'refused', code: 'code_invalid' });
    ({ agent, journal } = await restart(3, { firstDelayMs: 1_000, maxDelayMs: 8_000 }));
    // A forged QR is refused and not counted: QR codes are never slowed.
    expect(await agent.enterCode('XB1.e30.AA')).toMatchObject({ status: 'refused', code: 'code_invalid' });
    expect(await agent.enterCode('00000003', 'api', WRONG_FACTOR)).toMatchObject({ status: 'refused', code: 'code_invalid' });
    // The third wrong keypad code: the keypad waits 1 s, even for a genuine code; not looked at, not counted.
    expect(await agent.enterCode(good.code, 'api', good.factor)).toEqual({
      status: 'refused',
      code: 'keypad_slowed',
      message: expect.stringContaining('1 s'),
      retryAfterMs: 1_000,
    });
    expect(journal.refusalTimes()).toHaveLength(3);
    // A genuine signed QR opens at once.
    expect(await agent.enterCode(goodQr.qrToken)).toMatchObject({ status: 'opened', compartment: 2, offline: true });
    // Wrong codes typed as fast as allowed: the wait doubles up to the cap, never a lock-out.
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      clock += 8_000;
      expect(await agent.enterCode(`0000001${i}`, 'api', WRONG_FACTOR)).toMatchObject({ status: 'refused', code: 'code_invalid' });
      waits.push(agent.keypadWait());
    }
    expect(waits).toEqual([2_000, 4_000, 8_000, 8_000, 8_000]);
    clock += 7_999;
    expect(await agent.enterCode(good.code, 'api', good.factor)).toMatchObject({
      status: 'refused',
      code: 'keypad_slowed',
      retryAfterMs: 1,
    });
    clock += 1;
    expect(await agent.enterCode(good.code, 'api', good.factor)).toMatchObject({ status: 'opened', compartment: 1, offline: true });
    expect(unlocks.map((u) => u.lock)).toEqual([1, 0]);
    // Every wrong keypad code logged with its count, none of the codes in any line.
    const refused = logLines.filter((l) => l.msg === 'keypad code refused');
    expect(refused.map((l) => l.failures)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const everything = logLines.map((l) => JSON.stringify(l)).join('\n');
    for (const code of [good.code, goodQr.code, '00000001', '00000003', '00000010', '00000014']) {
      expect(everything).not.toContain(code);
    }
    // … nor any second factor, right or wrong
    for (const factor of [good.factor, WRONG_FACTOR]) expect(everything).not.toContain(`"${factor}"`);
  });

  it('answers a double tap with the same result and one unlock, online and offline, counting nothing', async () => {
    const codes = Array.from({ length: 9 }, (_, i) => issue({ compartment: (i % 3) + 1 }));
    link.book = reply(codes.map((c) => c.entry));
    link.connected = true;
    const { agent, journal } = start(5, {}, false); // the hub judges (book first off)
    agent.syncCodes();
    await agent.codesSynced();
    link.answer = (req) => {
      const c = codes.find((x) => x.code === req.code)!;
      return ok({
        commandId: uuidv7(),
        compartment: c.entry.compartment,
        purpose: 'deposit',
        trackingNumber: 'XB0000000000001',
        codeId: c.entry.codeId,
      });
    };
    for (const c of codes.slice(0, 8)) {
      const [one, two] = await Promise.all([agent.enterCode(c.code, 'api', c.factor), agent.enterCode(c.code, 'api', c.factor)]);
      expect(one).toMatchObject({ status: 'opened', compartment: c.entry.compartment });
      expect(two).toEqual(one);
      clock += 5_000; // a third tap just after: the same answer still
      expect(await agent.enterCode(c.code, 'api', c.factor)).toEqual(one);
      clock += 6_000;
    }
    expect(link.submits).toHaveLength(8);
    // The hub is asked with the code and its second factor together (ADR 0018).
    expect(link.submits[0]).toEqual({ requestId: expect.any(String), via: 'keypad', code: codes[0]!.code, factor: codes[0]!.factor });
    expect(unlocks).toHaveLength(8);
    expect(journal.refusalTimes()).toEqual([]);
    // Offline, the same.
    link.connected = false;
    link.answer = () => fail('hub_unreachable', 'not connected');
    const last = codes[8]!;
    const [one, two] = await Promise.all([agent.enterCode(last.code, 'api', last.factor), agent.enterCode(last.code, 'api', last.factor)]);
    expect(one).toMatchObject({ status: 'opened', offline: true });
    expect(two).toEqual(one);
    expect(unlocks).toHaveLength(9);
    expect(journal.refusalTimes()).toEqual([]);
    expect(agent.keypadWait()).toBe(0);
  });

  it('spends a code the hub granted, so it never opens again offline', async () => {
    const a = issue({ compartment: 1 });
    link.book = reply([a.entry]);
    link.connected = true;
    const { agent } = start(5, {}, false); // the hub judges (book first off)
    agent.syncCodes();
    await agent.codesSynced();
    link.answer = () =>
      ok({ commandId: uuidv7(), compartment: 1, purpose: 'deposit', trackingNumber: 'XB0000000000001', codeId: a.entry.codeId });
    const opened = await agent.enterCode(a.code, 'api', a.factor);
    expect(opened).toMatchObject({ status: 'opened', compartment: 1 });
    expect(link.submits).toHaveLength(1);
    // Typed again at once: the same answer (a double tap), nothing opened again.
    expect(await agent.enterCode(a.code, 'api', a.factor)).toEqual(opened);
    // The hub's note that it is used has not arrived yet: the kiosk refuses it itself, online or not.
    clock += 11_000;
    expect(await agent.enterCode(a.code, 'api', a.factor)).toMatchObject({ status: 'refused', code: 'code_used' });
    link.connected = false;
    expect(await agent.enterCode(a.code, 'api', a.factor)).toMatchObject({ status: 'refused', code: 'code_used' });
    expect(link.submits).toHaveLength(1);
    expect(unlocks).toHaveLength(1);
  });

  it('judges the code itself when the hub does not answer in time, and refuses what it cannot judge', async () => {
    const a = issue({ compartment: 1 });
    const elsewhere = issue({ compartment: 9 });
    link.connected = true;
    const { agent } = start(5, {}, false); // the hub judges (book first off)
    // No book yet: nothing to judge against.
    expect(await agent.enterCode(a.code, 'api', a.factor)).toMatchObject({ status: 'refused', code: 'hub_unreachable' });
    link.book = reply([a.entry, elsewhere.entry]);
    agent.syncCodes();
    await agent.codesSynced();
    link.answer = () => fail('hub_unreachable', 'the hub did not answer in time');
    expect(await agent.enterCode(a.code, 'api', a.factor)).toMatchObject({
      status: 'opened',
      commandId: expect.any(String),
      offline: true,
    });
    // A code for a compartment this cabinet does not have opens nothing.
    expect(await agent.enterCode(elsewhere.code, 'api', elsewhere.factor)).toMatchObject({ status: 'refused', code: 'code_invalid' });
    // A refusal the hub gives stands.
    link.answer = () => fail('code_expired', 'this code has expired');
    const unknown = issue();
    expect(await agent.enterCode(unknown.code, 'api', unknown.factor)).toMatchObject({ status: 'refused', code: 'code_expired' });
    expect(unlocks).toHaveLength(1);
  });

  it('book first: a code the book holds opens at once without asking the hub, which hears of it; the rest is for the hub', async () => {
    const [a, late] = [issue({ compartment: 1 }), issue({ compartment: 2 })];
    link.book = reply([a.entry]);
    link.connected = true;
    const { agent, journal } = start(2);
    agent.syncCodes();
    await agent.codesSynced();
    link.answer = (req) =>
      req.code === late.code
        ? ok({ commandId: uuidv7(), compartment: 2, purpose: 'deposit', trackingNumber: 'XB0000000000002', codeId: late.entry.codeId })
        : fail('code_invalid', 'no such code');
    const opened = await agent.enterCode(a.code, 'api', a.factor);
    // Not `offline`: the screen says nothing of the hub being away, because it is not.
    expect(opened).toEqual({
      status: 'opened',
      compartment: 1,
      purpose: 'deposit',
      trackingNumber: 'XB0000000000001',
      commandId: expect.any(String),
    });
    expect(link.submits).toEqual([]);
    expect(unlocks.map((u) => u.lock)).toEqual([0]);
    // The use went to the hub at once, marked as judged from the book while the hub was there.
    await agent.drained();
    expect(link.sent.find((e) => e.type === 'code_used_offline')).toMatchObject({
      codeId: a.entry.codeId,
      commandId: (opened as { commandId: string }).commandId,
      via: 'keypad',
      bookFirst: true,
    });
    clock += 11_000;
    expect(await agent.enterCode(a.code, 'api', a.factor)).toMatchObject({ status: 'refused', code: 'code_used' });
    // A code the book does not hold yet (issued a moment ago) is the hub's to judge.
    expect(await agent.enterCode(late.code, 'api', late.factor)).toMatchObject({ status: 'opened', compartment: 2 });
    expect(link.submits.map((r) => r.code)).toEqual([late.code]);
    // Wrong codes until a keypad wait is owed here: then even a code the book holds goes to the hub,
    // which applies the same limit (so the book is no way around it).
    const b = issue({ compartment: 3 });
    link.book = reply([a.entry, b.entry], { cursor: 2 });
    agent.syncCodes();
    await agent.codesSynced();
    for (let i = 0; i < 3; i++) await agent.enterCode(issue().code, 'api', a.factor);
    expect(agent.keypadWait()).toBeGreaterThan(0);
    const submitsBefore = link.submits.length;
    link.answer = () => fail('keypad_slowed', 'please wait', { retryAfterMs: 2_000 });
    expect(await agent.enterCode(b.code, 'api', b.factor)).toMatchObject({ status: 'refused', code: 'keypad_slowed' });
    expect(link.submits).toHaveLength(submitsBefore + 1);
    expect(journal.refusalTimes().length).toBeGreaterThanOrEqual(3);
    expect(unlocks.map((u) => u.lock)).toEqual([0, 1]);
  });

  it('pulls the book when the hub says it changed, as deltas after its cursor', async () => {
    const [a, b] = [issue(), issue()];
    link.book = reply([a.entry], { cursor: 3 });
    link.connected = true;
    const { agent } = start();
    link.emit('connected');
    await agent.codesSynced();
    expect(link.syncRequests.at(-1)).toEqual({ cursor: null });
    link.book = reply([b.entry], { full: false, cursor: 4, removed: [a.entry.codeId] });
    link.emit('codesChanged');
    await agent.codesSynced();
    expect(link.syncRequests.at(-1)).toEqual({ cursor: 3 });
    expect(agent.offlineState()).toMatchObject({ codes: 1, cursor: 4 });
  });
});
