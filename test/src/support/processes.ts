// Runs the project's programs as real child processes (from their compiled dist/), waits for the
// line that says they are ready, keeps their output for the failure message, and stops them all.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface RunningProgram {
  child: ChildProcess;
  ready: Record<string, unknown>;
  output: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startProgram(
  script: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; isReady: (line: Record<string, unknown>) => boolean; timeoutMs?: number },
): Promise<RunningProgram> {
  const child = spawn(process.execPath, [`${REPO_ROOT}${script}`, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (l: string) => {
    output.push(l);
    if (output.length > 400) output.shift();
  };
  createInterface({ input: child.stderr }).on('line', keep);
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} not ready in time:\n${output.join('\n')}`)), opts.timeoutMs ?? 20_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      keep(line);
      try {
        const j = JSON.parse(line) as Record<string, unknown>;
        if (opts.isReady(j)) {
          clearTimeout(timer);
          resolve(j);
        }
      } catch {
        /* not JSON: just output */
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before it was ready:\n${output.join('\n')}`));
    });
  });
  return {
    child,
    ready,
    output,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', (code) => {
          clearTimeout(kill);
          resolve(code);
        });
        child.kill(signal);
      }),
  };
}

// The polling helper lives in its own module; re-exported here for the files that import it from here.
export { eventually, type EventuallyOptions } from './eventually.js';
