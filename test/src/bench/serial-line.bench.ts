// Benchmark: the simulated serial line alone (ADR 0038). A 5-byte frame written by write(2) to the
// agent's end, opened with serialport as the kiosk agent opens it, until the device's process has
// read it whole: through the simulators' line (one pty, socat relaying its master over pipes) and,
// as the baseline in the same run, through the socat pair of ptys used before. This is the rig's
// share of every "unlock frame at the board" figure in kiosk-unlock, not a part of any kiosk.
import { fork } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { SerialPort } from 'serialport';
import type { Bench, BenchContext, BenchResult } from './bench.js';
import { fmtMs, nowMs, summarize, type Summary } from './stats.js';

const FRAME_BYTES = 5;
const FRAMES = Number(process.env.SERIAL_LINE_BENCH_FRAMES ?? 1_500);
const WARMUP = 100;
/** Frames this far apart, at random: a bus at rest between exchanges, as before each unlock. */
const GAP_MS = [20, 40] as const;
/** Later than this, a frame waited for the scheduler somewhere (a tick is 4 ms on this kind of machine). */
const LATE_MS = 2;
const DEVICE = fileURLToPath(new URL('./serial-line-device.js', import.meta.url));

type Mode = 'pair' | 'line';

async function measure(ctx: BenchContext, mode: Mode): Promise<{ s: Summary; late: number }> {
  const dir = mkdtempSync(join(ctx.workDir, `${mode}-`));
  const device = fork(DEVICE, [mode, dir, String(FRAME_BYTES)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let port: SerialPort | undefined;
  try {
    let onRead: ((at: number) => void) | null = null;
    const agentPath = await new Promise<string>((resolve, reject) => {
      device.once('error', reject);
      device.once('exit', (code) => reject(new Error(`the ${mode} device exited (${code}) before it was ready`)));
      device.on('message', (m: { agentPath?: string; read?: number }) => {
        if (m.agentPath) resolve(m.agentPath);
        else if (m.read !== undefined) onRead?.(m.read);
      });
    });
    port = new SerialPort({ path: agentPath, baudRate: 19_200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port!.open((err) => (err ? reject(err) : resolve())));
    const fd = (port as unknown as { port: { fd: number } }).port.fd;
    // A KR-CU16 unlock of board 0, lock 0: the device only counts bytes.
    const frame = Buffer.from([0x02, 0x00, 0x31, 0x03, 0x36]);
    const samples: number[] = [];
    for (let i = 0; i < WARMUP + FRAMES; i++) {
      await sleep(randomInt(GAP_MS[0], GAP_MS[1] + 1));
      const read = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the ${mode} device did not read frame ${i} within 5 s`)), 5_000);
        onRead = (at) => {
          clearTimeout(timer);
          resolve(at);
        };
      });
      const written = nowMs();
      writeSync(fd, frame);
      const at = await read;
      if (i >= WARMUP) samples.push(at - written);
    }
    return { s: summarize(samples), late: samples.filter((ms) => ms > LATE_MS).length / samples.length };
  } finally {
    if (port?.isOpen) await new Promise<void>((resolve) => port!.close(() => resolve()));
    if (device.connected) device.disconnect();
    if (device.exitCode === null && device.signalCode === null) await new Promise((resolve) => device.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function run(ctx: BenchContext): Promise<BenchResult> {
  ctx.log(`the socat pair (baseline): ${FRAMES} frames`);
  const pair = await measure(ctx, 'pair');
  ctx.log(`one pty, socat relaying its master: ${FRAMES} frames`);
  const line = await measure(ctx, 'line');
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const row = (name: string, { s, late }: { s: Summary; late: number }) =>
    `| ${name} | ${s.n} | ${fmtMs(s.p50)} | ${fmtMs(s.p99)} | ${fmtMs(s.max)} | ${pct(late)} | ${(s.p50 / pair.s.p50).toFixed(2)}× | ${(s.p99 / pair.s.p99).toFixed(2)}× |`;
  const markdown = `
A ${FRAME_BYTES}-byte frame written by write(2) to the agent's end (opened with serialport, as the kiosk agent
opens it) until the device's process has read it whole; ${FRAMES} frames after ${WARMUP} not counted, ${GAP_MS[0]}–${GAP_MS[1]} ms
apart at random. The device is its own process, as a lock board is its own hardware.

| line | n | p50 ms | p99 ms | max ms | later than ${LATE_MS} ms | p50 / pair | p99 / pair |
|---|---|---|---|---|---|---|---|
${row('socat pair of ptys, the device on serialport (before ADR 0038; the baseline)', pair)}
${row('one pty, socat relaying its master to the device over pipes (the simulators\u2019 line)', line)}

What bounds it: each pty hop goes through the kernel's flip-buffer work, which now and then waits for
a scheduler tick; the pair makes two such hops, the line one. Frames later than ${LATE_MS} ms are those
waits: when they are near 1 %, the p99 jumps between a hop's time and a tick's from run to run, so
their share says more than the p99 does. This is the rig's share of kiosk-unlock's
"write → last byte read by the board" part: a kiosk's USB-serial adapter has no such hop.
`;
  return {
    title: 'Simulated serial line: write at the agent → read by the device',
    markdown,
    figures: {
      pair_p50_ms: pair.s.p50,
      pair_p99_ms: pair.s.p99,
      pair_late_share: pair.late,
      line_p50_ms: line.s.p50,
      line_p99_ms: line.s.p99,
      line_late_share: line.late,
      line_p99_over_pair: line.s.p99 / pair.s.p99,
    },
  };
}

const bench: Bench = { name: 'serial-line', run };
export default bench;
