// Tells kiosks when their site's codes change (ADR 0008), and cuts off devices an operator deactivated
// or re-keyed (ADR 0017). The access_codes triggers NOTIFY on commit (migration 003), as does the admin
// slice's deactivation; every hub process LISTENs, on one connection of its own for every channel, and
// acts on the kiosks connected to it. A dropped listening connection may have missed notifications,
// so once it is back every handler is called with null ("check everything").
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
  return watchKioskNotifications(db, log, { [CODES_CHANGED_CHANNEL]: onChange }, retryMs);
}

/** Each channel's handler gets the notification's payload, or null after a reconnect. */
export async function watchKioskNotifications(
  db: Db,
  log: Logger,
  handlers: Record<string, (payload: string | null) => void>,
  retryMs = 1_000,
): Promise<CodeChangeWatcher> {
  const channels = Object.keys(handlers);
  for (const c of channels) if (!/^[a-z_]+$/.test(c)) throw new Error(`not a channel name: ${c}`);
  const onChange = (payload: string | null) => {
    for (const h of Object.values(handlers)) h(payload);
  };
  let client: pg.PoolClient | null = null;
  let closed = false;
  let timer: NodeJS.Timeout | null = null;

  const onNotification = (n: pg.Notification) => {
    if (n.payload) handlers[n.channel]?.(n.payload);
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
      log.warn({ err: err.message }, 'kiosk notification listener lost its connection; reconnecting');
      drop(err);
      schedule();
    });
    try {
      for (const channel of channels) await c.query(`LISTEN ${channel}`);
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
          log.warn({ err: err instanceof Error ? err.message : String(err) }, 'kiosk notification listener could not reconnect');
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
        await c.query('UNLISTEN *').catch(() => undefined);
        c.release();
      }
    },
  };
}
