// Tells kiosks when their site's codes change (ADR 0008). The access_codes triggers NOTIFY on
// commit (migration 003), whichever process or code path made the change; every hub process LISTENs
// on a connection of its own and pushes `codes:changed` to the kiosks connected to it. A dropped
// listening connection may have missed notifications, so once it is back every kiosk is told to pull.
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Db } from '../../store/db.js';

export const CODES_CHANGED_CHANNEL = 'xinbao_codes_changed';

export interface CodeChangeWatcher {
  close(): Promise<void>;
}

/** `onChange(siteId)` for one site, `onChange(null)` for "every site: something may have been missed". */
export async function watchCodeChanges(
  db: Db,
  log: Logger,
  onChange: (siteId: string | null) => void,
  retryMs = 1_000,
): Promise<CodeChangeWatcher> {
  let client: pg.PoolClient | null = null;
  let closed = false;
  let timer: NodeJS.Timeout | null = null;

  const onNotification = (n: pg.Notification) => {
    if (n.channel === CODES_CHANGED_CHANNEL && n.payload) onChange(n.payload);
  };
  const listen = async (): Promise<void> => {
    const c = await db.connect();
    let released = false;
    const drop = (err: Error) => {
      c.removeListener('notification', onNotification);
      if (!released) c.release(err);
      released = true;
      if (client === c) client = null;
    };
    c.on('notification', onNotification);
    c.on('error', (err) => {
      log.warn({ err: err.message }, 'code change listener lost its connection; reconnecting');
      drop(err);
      schedule();
    });
    try {
      await c.query(`LISTEN ${CODES_CHANGED_CHANNEL}`);
    } catch (err) {
      drop(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
    client = c;
  };
  const schedule = () => {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = null;
      listen().then(
        () => onChange(null),
        (err: unknown) => {
          log.warn({ err: err instanceof Error ? err.message : String(err) }, 'code change listener could not reconnect');
          schedule();
        },
      );
    }, retryMs);
  };

  await listen();
  return {
    close: async () => {
      closed = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = null;
      if (c) {
        c.removeListener('notification', onNotification);
        await c.query(`UNLISTEN ${CODES_CHANGED_CHANNEL}`).catch(() => undefined);
        c.release();
      }
    },
  };
}
