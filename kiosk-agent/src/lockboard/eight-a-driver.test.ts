import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { SerialPortMock } from 'serialport';
import { EightAFixtures as F } from '@xinbao/protocol/lockboard/eight-a.fixtures';
import { toHex } from '@xinbao/protocol';
import { LockBoardError } from './driver.js';
import { EightADriver, type EightADriverOptions } from './eight-a-driver.js';

let seq = 0;
// See kerong-driver.test.ts: the binding comes from SerialPortMock to avoid a second binding-mock.
const MockBinding = SerialPortMock.binding;
let port: SerialPortMock;
let driver: EightADriver;

const binding = () => {
  if (!port.port) throw new Error('mock port not open');
  return port.port;
};
const written = (): string => toHex(binding().recording);
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
/** Lets the stream machinery run until the driver has written `bytes` bytes in all. */
async function writtenBytes(bytes: number): Promise<void> {
  for (let i = 0; i < 1000 && binding().recording.length < bytes; i++) await tick();
  // The write callback (which arms the reply timer) runs right after the bytes land.
  for (let i = 0; i < 5; i++) await tick();
  expect(binding().recording.length).toBe(bytes);
}
const reply = (...chunks: Buffer[]): void => {
  for (const c of chunks) binding().emitData(c);
};
const newDriver = (options: Partial<EightADriverOptions> = {}): EightADriver =>
  new EightADriver({ port, replyTimeoutMs: 300, pollTimeoutMs: 300, quietGapMs: 0, readGapMs: 0, ...options });

beforeEach(async () => {
  const path = `/dev/lockbus-8a-${++seq}`;
  MockBinding.createPort(path, { echo: false, record: true });
  port = new SerialPortMock({ path, baudRate: 9600 });
  await new Promise<void>((resolve, reject) => port.once('open', resolve).once('error', reject));
  driver = newDriver();
});

afterEach(async () => {
  jest.useRealTimers();
  await driver.close();
  MockBinding.reset();
});

describe('EightADriver on a mock serial port', () => {
  it('is the 8a family', () => {
    expect(driver.family).toBe('8a');
  });

  it('writes 8A 01 01 11 9B for board 1 lock 1 and reads the door open from the raw reply (default polarity)', async () => {
    const result = driver.unlock(1, 1);
    await writtenBytes(5);
    expect(written()).toBe('8A 01 01 11 9B');
    reply(F.statusBoard1Lock1Set);
    await expect(result).resolves.toEqual({ latchClosed: false, itemPresent: null });
  });

  it('open_is_clear wiring reads the same bit the other way round', async () => {
    await driver.close();
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    driver = newDriver({ openPolarity: 'open_is_clear' });
    const result = driver.unlock(1, 1);
    await writtenBytes(5);
    reply(F.statusBoard1Lock1Clear);
    await expect(result).resolves.toEqual({ latchClosed: false, itemPresent: null });
    const status = driver.readStatus(1);
    await writtenBytes(10);
    reply(F.allStatusBoard1Lock1Set);
    const states = await status;
    expect(states[1]).toEqual({ latchClosed: true, itemPresent: null });
    expect(states[2]).toEqual({ latchClosed: false, itemPresent: null });
  });

  it('reads all 32 locks with a query-all; index = wire lock number, index 0 empty, never an item claim', async () => {
    const result = driver.readStatus(1);
    await writtenBytes(5);
    expect(binding().recording).toEqual(F.queryAllBoard1);
    reply(F.allStatusBoard1Locks9_17_32Set);
    const states = await result;
    expect(states).toHaveLength(33);
    expect(0 in states).toBe(false);
    expect(Object.keys(states)).toHaveLength(32);
    expect(states.map((s, lock) => (s.latchClosed ? 0 : lock)).filter(Boolean)).toEqual([9, 17, 32]);
    expect(states.every((s) => s.itemPresent === null)).toBe(true);
  });

  it('reassembles a reply split across chunks, one byte at a time', async () => {
    const result = driver.readStatus(1);
    await writtenBytes(5);
    reply(...[...F.allStatusBoard1Lock1Set].map((b) => Buffer.from([b])));
    await expect(result).resolves.toHaveLength(33);
  });

  it('skips junk before the head byte and its own echoed request', async () => {
    const result = driver.readStatus(1);
    await writtenBytes(5);
    reply(Buffer.concat([F.noise, F.queryAllBoard1, F.allStatusBoard1AllClear]));
    const states = await result;
    expect(states.every((s) => s.latchClosed)).toBe(true);
    expect(driver.stats.noiseBytes).toBeGreaterThanOrEqual(F.noise.length);
  });

  it('ignores a reply with a bad XOR and takes the good one after it', async () => {
    const result = driver.unlock(1, 3);
    await writtenBytes(5);
    expect(written()).toBe('8A 01 03 11 99');
    // The bad frame says "set" (open); acting on it could report an open that never happened.
    reply(F.statusBoard1Lock3BadXor, F.statusBoard1Lock3Clear);
    await expect(result).resolves.toEqual({ latchClosed: true, itemPresent: null });
    expect(driver.stats.badChecksum).toBe(1);
  });

  it('ignores a reply for another lock and one of the wrong length', async () => {
    const result = driver.unlock(1, 3);
    await writtenBytes(5);
    reply(F.statusBoard1Lock1Set, F.statusBoard1Lock3Set);
    await expect(result).resolves.toEqual({ latchClosed: false, itemPresent: null });
    expect(driver.stats.unmatched).toBe(1);
    const status = driver.readStatus(1);
    await writtenBytes(10);
    reply(F.allStatusTruncated, F.allStatusBoard1AllSet);
    await expect(status).resolves.toHaveLength(33);
    expect(driver.stats.badLength).toBe(1);
  });

  it('a missing reply rejects with LockBoardError(timeout) after the 2 s default, and the unlock is NOT sent again', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    await driver.close();
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    driver = new EightADriver({ port, quietGapMs: 0, readGapMs: 0 });
    const result = driver.unlock(1, 1);
    const settled = jest.fn();
    result.then(settled, settled);
    await writtenBytes(5);
    // The board answers only after the latch has moved (~1 s): still waiting well past that.
    await jest.advanceTimersByTimeAsync(1500);
    expect(settled).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(500);
    await expect(result).rejects.toBeInstanceOf(LockBoardError);
    await expect(result).rejects.toMatchObject({ code: 'timeout' });
    // The next request on the bus is a status read, not a second unlock.
    const status = driver.readStatus(1);
    await writtenBytes(10);
    reply(F.allStatusBoard1Lock1Set);
    await status;
    expect(written()).toBe('8A 01 01 11 9B 80 01 00 33 B2');
    expect(driver.stats.timeouts).toBe(1);
  });

  it('a reply arriving after the timeout answers nothing: counted as unmatched, the unlock not re-sent', async () => {
    const result = driver.unlock(1, 1);
    await writtenBytes(5);
    await expect(result).rejects.toMatchObject({ code: 'timeout' });
    reply(F.statusBoard1Lock1Set); // the late reply
    for (let i = 0; i < 5; i++) await tick();
    expect(driver.stats).toMatchObject({ unmatched: 1, timeouts: 1 });
    const status = driver.readStatus(1);
    await writtenBytes(10);
    reply(F.allStatusBoard1AllClear);
    expect((await status)[1]).toEqual({ latchClosed: true, itemPresent: null });
    expect(written()).toBe('8A 01 01 11 9B 80 01 00 33 B2');
  });

  it('noise inside a reply loses that reply (dropped and counted), never a half-read state', async () => {
    const good = F.statusBoard1Lock1Set;
    const result = driver.unlock(1, 1);
    await writtenBytes(5);
    reply(Buffer.concat([good.subarray(0, 2), F.noise, good.subarray(2)]));
    await expect(result).rejects.toMatchObject({ code: 'timeout' });
    expect(driver.stats.frames).toBe(0);
    expect(driver.stats.noiseBytes).toBeGreaterThan(0);
  });

  it('keeps one request in flight: concurrent calls go out one after the other', async () => {
    const first = driver.readStatus(1);
    const second = driver.readStatus(2);
    await writtenBytes(5);
    for (let i = 0; i < 20; i++) await tick();
    expect(written()).toBe('80 01 00 33 B2');
    reply(F.allStatusBoard1AllClear);
    await first;
    await writtenBytes(10);
    expect(binding().recording.subarray(5)).toEqual(F.queryAllBoard2);
    reply(F.allStatusBoard1AllClear); // board 1 again: not the awaited reply
    reply(Buffer.from([0x80, 0x02, 0x00, 0x00, 0x00, 0x00, 0x33, 0xb1]));
    await expect(second).resolves.toHaveLength(33);
    expect(driver.stats.unmatched).toBe(1);
  });

  it('refuses requests after close with port_closed', async () => {
    await driver.close();
    await expect(driver.readStatus(1)).rejects.toMatchObject({ code: 'port_closed' });
  });

  it('rejects a board outside 1–64 or a lock outside 1–32 before touching the bus', async () => {
    await expect(driver.unlock(1, 0)).rejects.toThrow(RangeError);
    await expect(driver.unlock(1, 33)).rejects.toThrow(RangeError);
    await expect(driver.readStatus(0)).rejects.toThrow(RangeError);
    await expect(driver.readStatus(65)).rejects.toThrow(RangeError);
    expect(binding().recording.length).toBe(0);
  });
});
