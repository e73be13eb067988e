import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { SerialPortMock } from 'serialport';
import { KerongFixtures as F } from '@xinbao/protocol/lockboard/kerong.fixtures';
import { toHex } from '@xinbao/protocol';
import { LockBoardError } from './driver.js';
import { KerongDriver } from './kerong-driver.js';

let seq = 0;
// SerialPortMock is SerialPortStream on @serialport/binding-mock's MockBinding; taking the binding
// from it avoids loading a second copy of binding-mock (its ESM build has no type declarations).
const MockBinding = SerialPortMock.binding;
let port: SerialPortMock;
let driver: KerongDriver;

const binding = () => {
  if (!port.port) throw new Error('mock port not open');
  return port.port;
};
const written = (): string => toHex(binding().recording);
/** Lets the stream machinery run until the driver has written `bytes` bytes in all. */
async function writtenBytes(bytes: number): Promise<void> {
  for (let i = 0; i < 1000 && binding().recording.length < bytes; i++) await new Promise((r) => setImmediate(r));
  expect(binding().recording.length).toBe(bytes);
}
const reply = (...chunks: Buffer[]): void => {
  for (const c of chunks) binding().emitData(c);
};
/** Lets the driver's reply timeout (80 ms) pass; `result` must still be waiting 1 ms before it ends. */
async function replyTimeoutPasses(result: Promise<unknown>): Promise<void> {
  const settled = jest.fn();
  result.then(settled, settled);
  await jest.advanceTimersByTimeAsync(79);
  expect(settled).not.toHaveBeenCalled();
  await jest.advanceTimersByTimeAsync(1);
}

beforeEach(async () => {
  // The clock is fake (timers and Date.now, which the bus reads): reply timeouts and quiet gaps pass
  // when a test advances it. The mock port's stream machinery runs on setImmediate/nextTick, which
  // stay real.
  jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
  const path = `/dev/lockbus-${++seq}`;
  MockBinding.createPort(path, { echo: false, record: true });
  port = new SerialPortMock({ path, baudRate: 19200 });
  await new Promise<void>((resolve, reject) => port.once('open', resolve).once('error', reject));
  driver = new KerongDriver({ port, replyTimeoutMs: 80, quietGapMs: 0, readGapMs: 0 });
});

afterEach(async () => {
  jest.useRealTimers();
  await driver.close();
  MockBinding.reset();
});

describe('KerongDriver on a mock serial port', () => {
  it('writes the exact unlock frame and returns the lock state from the 0x35 reply', async () => {
    const result = driver.unlock(0, 3);
    await writtenBytes(5);
    expect(written()).toBe('02 03 31 03 39');
    reply(F.statusBoard0Lock3OpenItemIn5);
    await expect(result).resolves.toEqual({ latchClosed: false, itemPresent: false });
  });

  it('reads all 16 locks of a board', async () => {
    const result = driver.readStatus(0);
    await writtenBytes(5);
    expect(binding().recording).toEqual(F.readStatusBoard0);
    reply(F.statusBoard0AllClosedItemIn3);
    const states = await result;
    expect(states).toHaveLength(16);
    expect(states[3]).toEqual({ latchClosed: true, itemPresent: true });
    expect(states.filter((s) => s.itemPresent)).toHaveLength(1);
  });

  it('reassembles a reply split across chunks, one byte at a time', async () => {
    const result = driver.unlock(0, 3);
    await writtenBytes(5);
    reply(...[...F.statusBoard0Lock3OpenItemIn5].map((b) => Buffer.from([b])));
    await expect(result).resolves.toEqual({ latchClosed: false, itemPresent: false });
  });

  it('skips junk before STX', async () => {
    const result = driver.readStatus(0);
    await writtenBytes(5);
    reply(Buffer.concat([F.noise, F.statusBoard0AllClosedEmpty]));
    await expect(result).resolves.toHaveLength(16);
    expect(driver.stats.noiseBytes).toBe(F.noise.length);
  });

  it('ignores a reply with a bad checksum and takes the good one after it', async () => {
    const result = driver.unlock(0, 3);
    await writtenBytes(5);
    // The bad frame says every latch is closed; acting on it would make the unlock look jammed.
    reply(F.statusBoard0BadChecksum, F.statusBoard0Lock3OpenItemIn5);
    await expect(result).resolves.toEqual({ latchClosed: false, itemPresent: false });
    expect(driver.stats.badChecksum).toBe(1);
  });

  it('with only a bad reply, times out rather than acting on it', async () => {
    const result = driver.unlock(0, 3);
    await writtenBytes(5);
    reply(F.statusBoard0BadChecksum);
    await replyTimeoutPasses(result);
    await expect(result).rejects.toMatchObject({ code: 'timeout' });
  });

  it('ignores a reply from another board and its own echoed request', async () => {
    const result = driver.readStatus(0);
    await writtenBytes(5);
    reply(F.readStatusBoard0, F.statusBoard1AllClosedEmpty, F.statusBoard0AllClosedEmpty);
    const states = await result;
    expect(states.every((s) => s.latchClosed)).toBe(true);
    expect(driver.stats.unmatched).toBe(1);
  });

  it('a missing reply rejects with LockBoardError(timeout) and the unlock is NOT sent again', async () => {
    const result = driver.unlock(0, 3);
    await writtenBytes(5);
    await replyTimeoutPasses(result);
    await expect(result).rejects.toBeInstanceOf(LockBoardError);
    await expect(result).rejects.toMatchObject({ code: 'timeout' });
    // The next request on the bus is a status read, not a second unlock.
    const status = driver.readStatus(0);
    await writtenBytes(10);
    reply(F.statusBoard0AllClosedEmpty);
    await status;
    expect(written()).toBe('02 03 31 03 39 02 00 30 03 35');
    expect(driver.stats.timeouts).toBe(1);
  });

  it('a reply arriving after the timeout answers nothing: counted as unmatched, the unlock not re-sent', async () => {
    const result = driver.unlock(0, 3);
    await writtenBytes(5);
    await replyTimeoutPasses(result);
    await expect(result).rejects.toMatchObject({ code: 'timeout' });
    reply(F.statusBoard0Lock3OpenItemIn5); // the late reply
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(driver.stats).toMatchObject({ unmatched: 1, timeouts: 1 });
    const status = driver.readStatus(0);
    await writtenBytes(10);
    reply(F.statusBoard0AllClosedItemIn3);
    expect((await status)[3]).toEqual({ latchClosed: true, itemPresent: true });
    expect(written()).toBe('02 03 31 03 39 02 00 30 03 35');
  });

  it('noise inside a reply loses that reply (dropped and counted), never a half-read state', async () => {
    const good = F.statusBoard0Lock3OpenItemIn5;
    const result = driver.unlock(0, 3);
    await writtenBytes(5);
    reply(Buffer.concat([good.subarray(0, 4), F.noise, good.subarray(4)]));
    await replyTimeoutPasses(result);
    await expect(result).rejects.toMatchObject({ code: 'timeout' });
    expect(driver.stats.badLength).toBeGreaterThan(0);
    expect(driver.stats.frames).toBe(0);
  });

  it('keeps one request in flight: concurrent calls go out one after the other', async () => {
    const first = driver.readStatus(0);
    const second = driver.readStatus(1);
    await writtenBytes(5);
    // The second request waits for the first reply.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(written()).toBe('02 00 30 03 35');
    reply(F.statusBoard0AllClosedEmpty);
    await first;
    await writtenBytes(10);
    expect(binding().recording.subarray(5)).toEqual(F.readStatusBoard1);
    reply(F.statusBoard1AllClosedEmpty);
    await expect(second).resolves.toHaveLength(16);
  });

  it('leaves the long quiet gap after an unlock and only the short one after a status read', async () => {
    await driver.close();
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    driver = new KerongDriver({ port, replyTimeoutMs: 500, quietGapMs: 200, readGapMs: 0 });
    const read = driver.readStatus(0);
    await writtenBytes(5);
    reply(F.statusBoard0AllClosedEmpty);
    await read;
    // After a read the next frame goes out at once …
    const unlock = driver.unlock(0, 3);
    await writtenBytes(10);
    reply(F.statusBoard0Lock3OpenItemIn5);
    await unlock;
    // … after an unlock the board is left alone for quietGapMs: nothing 1 ms before it ends …
    const after = driver.readStatus(0);
    await jest.advanceTimersByTimeAsync(199);
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    expect(binding().recording.length).toBe(10);
    // … and the status read as soon as it has.
    await jest.advanceTimersByTimeAsync(1);
    await writtenBytes(15);
    reply(F.statusBoard0AllClosedEmpty);
    await after;
  });

  it('reports item state as null for boards fitted without item sensors', async () => {
    await driver.close();
    driver = new KerongDriver({ port, replyTimeoutMs: 80, quietGapMs: 0, readGapMs: 0, itemSensors: false });
    // close() above closed the port; reopen it for the new driver.
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    const result = driver.unlock(0, 3);
    await writtenBytes(5);
    reply(F.statusBoard0Lock3OpenItemIn5);
    await expect(result).resolves.toEqual({ latchClosed: false, itemPresent: null });
  });

  it('refuses requests after close with port_closed', async () => {
    await driver.close();
    await expect(driver.readStatus(0)).rejects.toMatchObject({ code: 'port_closed' });
  });

  it('rejects a lock channel outside 0–15 before touching the bus', async () => {
    await expect(driver.unlock(0, 16)).rejects.toThrow(RangeError);
    expect(binding().recording.length).toBe(0);
  });
});
