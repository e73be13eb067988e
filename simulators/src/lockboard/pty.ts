// A pair of connected pseudo-terminals made by socat: the agent opens one end as if it were the
// USB-RS485 adapter, the simulated board opens the other. Both ends are real ttys, so the agent
// runs its real `serialport` code path (termios, baud rate) against the simulator.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PtyPair {
  /** The end the kiosk agent opens (stable symlink to /dev/pts/N). */
  agentPath: string;
  /** The end the simulated board opens. */
  boardPath: string;
  /** Stops socat (which removes both links) and the temporary directory if we made it. */
  close(): Promise<void>;
}

export interface PtyPairOptions {
  /** How long to wait for socat to create both links. */
  readyTimeoutMs?: number;
  socatPath?: string;
}

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));

export async function createPtyPair(dir?: string, options: PtyPairOptions = {}): Promise<PtyPair> {
  const ownDir = dir === undefined;
  const base = dir ?? (await mkdtemp(join(tmpdir(), 'xinbao-pty-')));
  const agentPath = join(base, 'agent');
  const boardPath = join(base, 'board');
  // raw,echo=0 on both ends: bytes pass untouched, nothing is echoed back to the writer.
  const child = spawn(options.socatPath ?? 'socat', ['-d', '-d', `pty,raw,echo=0,link=${agentPath}`, `pty,raw,echo=0,link=${boardPath}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    stderr = (stderr + s).slice(-4000);
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited(child);
    if (ownDir) await rm(base, { recursive: true, force: true });
  };

  const gone = exited(child).then(() => new Error(`socat exited (${child.exitCode ?? child.signalCode}): ${stderr.trim()}`));
  const deadline = Date.now() + (options.readyTimeoutMs ?? 5000);
  for (;;) {
    if (existsSync(agentPath) && existsSync(boardPath)) return { agentPath, boardPath, close };
    const failed = await Promise.race([spawnError, gone, new Promise<null>((r) => setTimeout(() => r(null), 20))]);
    if (failed || Date.now() > deadline) {
      await close();
      throw failed ?? new Error(`socat did not create ${agentPath} and ${boardPath} in time: ${stderr.trim()}`);
    }
  }
}
