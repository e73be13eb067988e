// Cuts a kiosk device off the moment an operator deactivates it or rotates its key, on whichever hub
// process its socket is: the admin slice NOTIFYs on commit, every hub process LISTENs on a connection
// of its own and disconnects the device's sockets it holds. A dropped listening connection may have
// missed a notification, so once it is back the process checks its connected devices itself.
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Db } from '../../store/db.js';

export const DEVICE_CUT_CHANNEL = 'xinbao_kiosk_device_cut';

export interface DeviceCutWatcher {
  close(): Promise<void>;
}

/** `onCut(deviceId)` for one device, `onCut(null)` for "check every connected device: one may have been missed". */
export async function watchDeviceCuts(
  db: Db,
  log: Logger,
  onCut: (deviceId: string | null) => void,
  retryMs = 1_000,
): Promise<DeviceCutWatcher> {
  let client: pg.PoolClient | null = null;
  let closed = false;
  let timer: NodeJS.Timeout | null = null;

  const onNotification = (n: pg.Notification) => {
    if (n.channel === DEVICE_CUT_CHANNEL && n.payload) onCut(n.payload);
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
      log.warn({ err: err.message }, 'device cut listener lost its connection; reconnecting');
      drop(err);
      schedule();
    });
    try {
      await c.query(`LISTEN ${DEVICE_CUT_CHANNEL}`);
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
        () => onCut(null),
        (err: unknown) => {
          log.warn({ err: err instanceof Error ? err.message : String(err) }, 'device cut listener could not reconnect');
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
        await c.query(`UNLISTEN ${DEVICE_CUT_CHANNEL}`).catch(() => undefined);
        c.release();
      }
    },
  };
}
