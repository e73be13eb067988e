// SerialBus when the port misbehaves: a port that closes under a request, a write that never calls
// back, a port that is gone and comes back, and unlocks that must not wait behind polls. The port
// is a small Duplex the test drives by hand (the byte-level happy paths run on binding-mock in the
// family drivers' tests).
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import type { BusState, LockBoardPort } from './driver.js';
import { LockBoardError } from './driver.js';
import { SerialBus } from './serial-bus.js';

/** A port whose writes the test sees, and which answers only when told. */
class HandPort extends Duplex {
  readonly written: string[] = [];
  /** false: writes never call back (a closing serialport stream waiting for an open that never comes). */
  writesComplete = true;
  failWrites = false;
  isOpen = true as boolean;
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.failWrites) return cb(new Error('EIO'));
    this.written.push(chunk.toString('hex'));
    if (this.writesComplete) cb();
  }
  close(cb?: (err: Error | null) => void): void {
    this.isOpen = false;
    this.emit('close');
    cb?.(null);
  }
  /** The adapter is pulled: the OS reports an error, then the stream closes. */
  pull(): void {
    this.isOpen = false;
    this.emit('error', new Error('read EIO'));
  }
  reply(hex: string): void {
    this.push(Buffer.from(hex, 'hex'));
  }
}

/** Frames are single bytes; the reply to request 0xNN is 0xNN. */
const byteReader = { push: (chunk: Uint8Array): number[] => [...chunk] };

function busOn(port: HandPort | null, extra: { reopen?: () => Promise<LockBoardPort>; states?: BusState[] } = {}): SerialBus<number> {
  return new SerialBus<number>({
    port,
    reader: byteReader,
    replyTimeoutMs: 100,
    quietGapMs: 0,
    maxQueued: 8,
    now: Date.now,
    reopenBackoffMs: { min: 20, max: 40 },
    ...(extra.reopen && { reopen: extra.reopen }),
    onState: (s) => extra.states?.push(s),
  });
}

const ask = (bus: SerialBus<number>, byte: number, how: { timeoutMs?: number; urgent?: boolean } = {}): Promise<number> =>
  bus.request(Buffer.from([byte]), { prepare: () => undefined, matches: (f): f is number => f === byte, from: 'board 0', ...how });

const failure = async (p: Promise<unknown>): Promise<LockBoardError> => {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof LockBoardError)) throw new Error(`expected a LockBoardError, got ${String(err)}`);
  return err;
};

describe('SerialBus when the port goes away', () => {
  it('a write that never calls back still fails within the reply timeout (written: may have acted), and the bus goes down', async () => {
    const port = new HandPort();
    port.writesComplete = false;
    const states: BusState[] = [];
    const bus = busOn(port, { states });
    const started = Date.now();
    const err = await failure(ask(bus, 0x31));
    expect(Date.now() - started).toBeLessThan(400);
    expect(err.code).toBe('timeout');
    expect(err.written).toBe(true);
    // Still no callback a while later: the port is stuck, taken for gone.
    for (let i = 0; i < 200 && states.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(states).toEqual(['down']);
    // The next request fails at once, and says nothing was sent.
    const next = await failure(ask(bus, 0x30));
    expect(next).toMatchObject({ code: 'port_closed', written: false });
    await bus.close();
  });

  it('a port pulled while a request waits: that request fails as written, the rest as not sent, and the bus reports down once', async () => {
    const port = new HandPort();
    const states: BusState[] = [];
    const bus = busOn(port, { states });
    const first = ask(bus, 0x31, { urgent: true });
    const second = ask(bus, 0x30);
    await new Promise((r) => setTimeout(r, 10));
    expect(port.written).toEqual(['31']);
    port.pull();
    port.emit('close');
    expect(await failure(first)).toMatchObject({ written: true });
    expect(await failure(second)).toMatchObject({ code: 'port_closed', written: false });
    expect(port.written).toEqual(['31']);
    expect(states).toEqual(['down']);
    expect(bus.health(0)).toMatchObject({ state: 'down', frames: 1, replies: 0, lastError: 'port error: read EIO' });
    await bus.close();
  });

  it('a write that fails says nothing was sent', async () => {
    const port = new HandPort();
    port.failWrites = true;
    const bus = busOn(port);
    expect(await failure(ask(bus, 0x31))).toMatchObject({ code: 'port_closed', written: false });
    await bus.close();
  });

  it('opens the port again by its path with backoff and carries on without a restart', async () => {
    const first = new HandPort();
    const second = new HandPort();
    const attempts: string[] = [];
    const states: BusState[] = [];
    const bus = busOn(first, {
      states,
      reopen: async () => {
        attempts.push('open');
        if (attempts.length < 3) throw new Error('ENOENT: no such file');
        return second;
      },
    });
    first.pull();
    for (let i = 0; i < 100 && bus.state !== 'up'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(attempts).toHaveLength(3);
    expect(states).toEqual(['down', 'reopening', 'down', 'reopening', 'down', 'reopening', 'up']);
    const reply = ask(bus, 0x30);
    await new Promise((r) => setTimeout(r, 5));
    second.reply('30');
    await expect(reply).resolves.toBe(0x30);
    expect(first.written).toEqual([]);
    expect(second.written).toEqual(['30']);
    expect(bus.health(0)).toMatchObject({ state: 'up', reopenings: 1, frames: 1, replies: 1 });
    await bus.close();
  });

  it('starts down when its port is not there at start, refuses requests as not sent, and opens the port when it appears', async () => {
    const port = new HandPort();
    let there = false;
    const states: BusState[] = [];
    let opens = 0;
    const bus = busOn(null, {
      states,
      reopen: async () => {
        opens++;
        if (!there) throw new Error('ENOENT: no such file or directory');
        return port;
      },
    });
    expect(bus.state).toBe('down');
    expect(states).toEqual(['down']);
    expect(await failure(ask(bus, 0x31))).toMatchObject({ code: 'port_closed', written: false });
    expect(bus.health(0)).toMatchObject({ state: 'down', frames: 0, lastError: 'port not open at start' });
    for (let i = 0; i < 100 && opens < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(opens).toBeGreaterThanOrEqual(2);
    there = true;
    for (let i = 0; i < 200 && bus.state !== 'up'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(bus.state).toBe('up');
    // Reported down once, then each attempt, then up.
    expect(states.filter((s) => s === 'down').length).toBe(opens);
    expect(states.at(-1)).toBe('up');
    const reply = ask(bus, 0x30);
    await new Promise((r) => setTimeout(r, 5));
    port.reply('30');
    await expect(reply).resolves.toBe(0x30);
    expect(port.written).toEqual(['30']);
    expect(bus.health(0)).toMatchObject({ state: 'up', reopenings: 1, frames: 1, replies: 1 });
    await bus.close();
  });

  it('close() of a bus whose port never appeared completes and ends the attempts', async () => {
    let opens = 0;
    const bus = busOn(null, {
      reopen: async () => {
        opens++;
        throw new Error('ENOENT');
      },
    });
    await bus.close();
    const after = opens;
    await new Promise((r) => setTimeout(r, 100));
    expect(opens).toBe(after);
  });

  it('close() completes even when the port never calls back, and ends the reopening', async () => {
    const port = new HandPort();
    port.writesComplete = false;
    port.close = () => undefined;
    let opens = 0;
    const bus = busOn(port, {
      reopen: async () => {
        opens++;
        throw new Error('gone');
      },
    });
    const pending = failure(ask(bus, 0x31));
    await new Promise((r) => setTimeout(r, 5));
    const started = Date.now();
    await bus.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await pending).toMatchObject({ code: 'port_closed' });
    await new Promise((r) => setTimeout(r, 100));
    expect(opens).toBe(0);
  });
});

describe('SerialBus puts unlocks first', () => {
  it('an urgent request goes ahead of every waiting poll, behind only the exchange on the line', async () => {
    const port = new HandPort();
    const bus = busOn(port);
    const answered: number[] = [];
    const polls = [0x30, 0x32, 0x33].map((b) =>
      ask(bus, b, { timeoutMs: 30 }).then(
        (x) => answered.push(x),
        () => answered.push(-b),
      ),
    );
    const unlock = ask(bus, 0x31, { urgent: true }).then((x) => answered.push(x));
    await new Promise((r) => setTimeout(r, 5));
    expect(port.written).toEqual(['30']);
    // The first poll's reply is lost: the unlock goes next, after only that poll's short timeout.
    await new Promise((r) => setTimeout(r, 40));
    expect(port.written).toEqual(['30', '31']);
    port.reply('31');
    await unlock;
    await Promise.all(polls);
    expect(port.written).toEqual(['30', '31', '32', '33']);
    expect(answered.slice(0, 2)).toEqual([-0x30, 0x31]);
    await bus.close();
  });
});

describe('SerialBus writes a frame straight to the port’s descriptor when it has one', () => {
  /** A HandPort with a descriptor, as SerialPort's binding has: here a scratch file's, so the test reads what reached the kernel. */
  const withFd = () => {
    const dir = mkdtempSync(join(tmpdir(), 'xinbao-serial-bus-'));
    const file = join(dir, 'line');
    const fd = openSync(file, 'w');
    const port = Object.assign(new HandPort(), { port: { fd } });
    const onLine = () => readFileSync(file).toString('hex');
    return { port, fd, onLine, done: () => rmSync(dir, { recursive: true, force: true }) };
  };

  it('write(2) from the event loop: the bytes are in the kernel before request() returns, the stream is not used', async () => {
    const { port, fd, onLine, done } = withFd();
    const bus = busOn(port);
    const answered = ask(bus, 0x31);
    await new Promise((r) => setImmediate(r));
    expect(onLine()).toBe('31');
    expect(port.written).toEqual([]);
    port.reply('31');
    expect(await answered).toBe(0x31);
    expect(bus.health(0)).toMatchObject({ state: 'up', frames: 1, replies: 1 });
    await bus.close();
    closeSync(fd);
    done();
  });

  it('behind a write of the stream still waiting, a frame goes through the stream too: never ahead of bytes queued before it', async () => {
    const { port, fd, onLine, done } = withFd();
    port.writesComplete = false;
    const bus = busOn(port);
    // The first frame: straight to the descriptor. Then something of the stream's own is pending …
    const first = ask(bus, 0x30);
    await new Promise((r) => setImmediate(r));
    port.write(Buffer.from([0x7f]));
    port.reply('30');
    expect(await first).toBe(0x30);
    // … so the next frame queues behind it in the stream instead of overtaking it.
    const second = failure(ask(bus, 0x31, { timeoutMs: 50 }));
    expect((await second).code).toBe('timeout');
    expect(onLine()).toBe('30');
    expect(port.written).toEqual(['7f']);
    await bus.close();
    closeSync(fd);
    done();
  });

  it('a descriptor that fails (closed under the bus) says nothing was sent, and the bus goes down', async () => {
    const { port, fd, done } = withFd();
    closeSync(fd);
    const states: BusState[] = [];
    const bus = busOn(port, { states });
    const err = await failure(ask(bus, 0x31));
    expect(err).toMatchObject({ code: 'port_closed', written: false });
    expect(err.message).toMatch(/EBADF/);
    expect(states).toEqual(['down']);
    await bus.close();
    done();
  });
});
