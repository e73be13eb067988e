// The end of every simulator program: one JSON ready line on stdout (the only stdout output), then
// run until SIGTERM/SIGINT and stop cleanly (exit 0; 1 when stopping failed).
import type { Logger } from 'pino';

export function announceReady(ready: Record<string, unknown>, stop: () => Promise<void>, log: Logger): void {
  process.stdout.write(`${JSON.stringify({ event: 'ready', ...ready })}\n`);
  const shutdown = (signal: NodeJS.Signals): void => {
    log.info({ signal }, 'stopping');
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
