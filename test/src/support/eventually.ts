// The one polling helper of the tests and benchmarks: asks `check` again and again until it gives an
// answer, or gives up with what it was waiting for and the last thing it saw. `check` may be sync or
// async; `undefined` and `false` mean "not yet", anything else is the answer (so `x || undefined`,
// `list.find(…)` and `cond && value` all read naturally). A check that throws ends the wait at once:
// that is how a caller says "this will never come" (a failed job, a refused request).

export interface EventuallyOptions {
  /** give up after this long (default 15 s) */
  timeoutMs?: number;
  /** pause between checks (default 50 ms) */
  intervalMs?: number;
}

export async function eventually<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  options: number | EventuallyOptions = {},
): Promise<T> {
  const { timeoutMs = 15_000, intervalMs = 50 } = typeof options === 'number' ? { timeoutMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  let checks = 0;
  for (;;) {
    const v = await check();
    checks++;
    if (v !== undefined && v !== false) return v;
    if (Date.now() >= deadline)
      throw new Error(`timed out after ${timeoutMs} ms (${checks} checks) waiting for ${what}; the last check said ${String(v)}`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, Math.max(0, deadline - Date.now()))));
  }
}
