// One pseudo-terminal per simulated serial line: the agent opens its slave end as if it were the
// USB-RS485 adapter (a stable link to /dev/pts/N, as /dev/serial/by-id/… is), so it runs its real
// `serialport` code path (termios, baud rate) on a real tty. socat holds the master end and passes
// its bytes to and from the simulated device over pipes, both ways at once: one kernel pty hop, as
// few as a pty allows (ADR 0038; a pair of ptys cost two, and the second one's tail was the rig's,
// not the kiosk's). Killing socat closes the master: the agent's end hangs up, as when a USB
// adapter is pulled.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';

export interface SerialLine {
  /** The end the agent opens: a link to the pty's slave, at the same path each time the line is made. */
  agentPath: string;
  /** The device's end: what the agent writes comes out here, what is written here the agent reads. */
  device: Duplex;
  /** The cable pulled: socat stops, the master closes (the agent's end hangs up) and the link goes. */
  close(): Promise<void>;
}

export interface SerialLineOptions {
  /** How long to wait for socat to make the link. */
  readyTimeoutMs?: number;
  socatPath?: string;
}

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));

/**
 * Makes a line whose agent end is linked at `<dir>/agent` (a fresh temporary directory when `dir`
 * is omitted, removed again by `close`). Raw from the start (no echo, no line editing, no output
 * processing), as the agent's serialport sets it anyway when it opens its end.
 */
export async function openSerialLine(dir?: string, options: SerialLineOptions = {}): Promise<SerialLine> {
  const ownDir = dir === undefined;
  const base = dir ?? (await mkdtemp(join(tmpdir(), 'xinbao-pty-')));
  const agentPath = join(base, 'agent');
  const child = spawn(options.socatPath ?? 'socat', ['-d', '-d', `pty,raw,echo=0,link=${agentPath}`, 'STDIO'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr = (stderr + s).slice(-4000);
  });
  const device = Duplex.from({ readable: child.stdout, writable: child.stdin });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited(child);
    device.destroy();
    if (ownDir) await rm(base, { recursive: true, force: true });
  };

  const gone = exited(child).then(() => new Error(`socat exited (${child.exitCode ?? child.signalCode}): ${stderr.trim()}`));
  const deadline = Date.now() + (options.readyTimeoutMs ?? 5000);
  for (;;) {
    if (existsSync(agentPath)) return { agentPath, device, close };
    const failed = await Promise.race([spawnError, gone, new Promise<null>((r) => setTimeout(() => r(null), 10))]);
    if (failed || Date.now() > deadline) {
      await close();
      throw failed ?? new Error(`socat did not make ${agentPath} in time: ${stderr.trim()}`);
    }
  }
}
