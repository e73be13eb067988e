// The `/kiosk` Socket.IO namespace: only a device that passed the signed handshake gets in, and
// every event it sends is answered for its own site only. Each socket sits in its site's room, so
// a change to the site's codes reaches its kiosks as `codes:changed`.
import type { Namespace, Server } from 'socket.io';
import {
  KIOSK_NAMESPACE,
  KIOSK_REQUESTS,
  fail,
  schemaRefusalOf,
  type KioskClientToServerEvents,
  type KioskInterServerEvents,
  type KioskReply,
  type KioskRequestName,
  type KioskRequests,
  type KioskServerToClientEvents,
  type KioskSocketData,
} from '@xinbao/protocol';
import type { Logger } from 'pino';
import type { Db } from '../../store/db.js';
import type { KioskPresence } from './presence.js';
import { HandshakeRefused, type KioskService } from './service.js';
import { devicesToCut } from './store.js';

export type KioskServer = Server<KioskClientToServerEvents, KioskServerToClientEvents, KioskInterServerEvents, KioskSocketData>;
export type KioskNamespace = Namespace<KioskClientToServerEvents, KioskServerToClientEvents, KioskInterServerEvents, KioskSocketData>;

export const siteRoom = (siteId: string): string => `site:${siteId}`;

/**
 * Tells one site's kiosks held by this hub process (or, with null, every kiosk it holds) to pull
 * their codes. Local: every hub process hears the change itself (NOTIFY), so none broadcasts it.
 */
export function announceCodeChange(ns: KioskNamespace, siteId: string | null): void {
  if (siteId === null) {
    for (const socket of ns.sockets.values()) socket.emit('codes:changed', { siteId: socket.data.siteId });
  } else {
    ns.local.to(siteRoom(siteId)).emit('codes:changed', { siteId });
  }
}

/**
 * Disconnects a device's sockets held by this hub process (after it was deactivated or re-keyed); with
 * null, every connected device that is deactivated or re-keyed since (after a cut notification may have been missed).
 */
export async function cutDevice(ns: KioskNamespace, db: Db, deviceId: string | null, log: Logger): Promise<void> {
  const ids = deviceId !== null ? [deviceId] : await devicesToCut(db, [...new Set([...ns.sockets.values()].map((s) => s.data.deviceId))]);
  for (const id of ids) {
    const room = `device:${id}`;
    if ((ns.adapter.rooms.get(room)?.size ?? 0) > 0) log.info({ deviceId: id }, 'kiosk device cut off');
    ns.local.in(room).disconnectSockets(true);
  }
}

export function mountKioskNamespace(
  io: KioskServer,
  service: KioskService,
  log: Logger,
  now: () => Date,
  presence: KioskPresence,
): KioskNamespace {
  const ns = io.of(KIOSK_NAMESPACE);
  const answer = answerer(log);
  ns.use((socket, next) => {
    service.authenticate(socket.handshake.auth).then(
      (identity) => {
        socket.data = identity;
        next();
      },
      (e: unknown) => {
        if (e instanceof HandshakeRefused) {
          log.warn({ code: e.code, address: socket.handshake.address }, 'kiosk handshake refused');
          // socket.io hands `data` to the client's connect_error: the kiosk learns why it was refused.
          next(Object.assign(new Error(e.message), { data: { code: e.code } }));
        } else {
          log.error({ err: e }, 'kiosk handshake failed');
          next(new Error('internal error'));
        }
      },
    );
  });
  ns.on('connection', (socket) => {
    const kiosk = socket.data;
    log.info({ deviceId: kiosk.deviceId, siteId: kiosk.siteId }, 'kiosk connected');
    void socket.join([`device:${kiosk.deviceId}`, siteRoom(kiosk.siteId)]);
    // Counted in PostgreSQL: the site is online while any of its devices is connected to any hub process.
    const counted = presence.connected(kiosk, socket.id).catch((err: unknown) => log.error({ err }, 'could not mark site online'));
    socket.emit('hello', {
      protocolVersion: kiosk.protocolVersion,
      deviceId: kiosk.deviceId,
      siteId: kiosk.siteId,
      serverTime: now().toISOString(),
    });
    socket.on(
      'code:submit',
      answer('code:submit', 'the hub could not check this code; try again', (req) => service.submitCode(kiosk, req)),
    );
    socket.on(
      'code:reassign',
      answer('code:reassign', 'the hub could not find another compartment; try again', (req) => service.reassign(kiosk, req)),
    );
    socket.on(
      'code:next',
      answer('code:next', 'the hub could not open the next door; try again', (req) => service.nextDoor(kiosk, req)),
    );
    socket.on(
      'codes:sync',
      answer('codes:sync', 'the hub could not list the codes; it will be asked again', (req) => service.syncCodes(kiosk, req)),
    );
    socket.on(
      'kiosk:event',
      answer('kiosk:event', 'the hub could not record this event; it will be sent again', (event) => service.recordEvent(kiosk, event)),
    );
    socket.on(
      'kiosk:bus',
      answer('kiosk:bus', 'the hub could not store this bus report; it will be sent again', (report) =>
        service.recordBusReport(kiosk, report),
      ),
    );
    socket.on('disconnect', () => {
      log.info({ deviceId: kiosk.deviceId }, 'kiosk disconnected');
      // After the connect was counted, so a quick disconnect never leaves its row behind.
      void counted
        .then(() => presence.disconnected(kiosk, socket.id))
        .catch((err: unknown) => log.error({ err }, 'could not mark site offline'));
    });
  });
  return ns;
}

/**
 * The listener for one request event: checks the request against its schema (a malformed one is
 * answered `bad_request`, one with a field the schema does not know `unknown_field` naming it, both
 * logged at info; ADR 0020), calls the handler, answers what it returns with the request's id, and
 * answers `internal` (logging the cause) when it throws. A request sent without an ack is ignored.
 */
export function answerer(log: Logger) {
  return <E extends KioskRequestName>(
    event: E,
    internalMessage: string,
    handler: (request: KioskRequests[E]) => Promise<KioskReply<E>>,
  ): ((request: KioskRequests[E], ack: (reply: KioskReply<E>) => void) => void) => {
    const { schema, malformed } = KIOSK_REQUESTS[event];
    return (input: unknown, ack?: (reply: KioskReply<E>) => void): void => {
      if (typeof ack !== 'function') return;
      const parsed = schema.safeParse(input);
      if (!parsed.success) {
        const refusal = schemaRefusalOf(parsed.error.issues, malformed);
        log.info({ event, code: refusal.code, unknownFields: refusal.unknownFields }, 'kiosk request refused');
        ack(
          refusal.code === 'unknown_field'
            ? fail(refusal.code, refusal.message, { fields: refusal.unknownFields })
            : fail('bad_request', malformed),
        );
        return;
      }
      const request = parsed.data;
      const requestId = 'requestId' in request ? request.requestId : undefined;
      handler(request).then(
        (reply) => ack(requestId === undefined ? reply : { ...reply, requestId }),
        (err: unknown) => {
          log.error({ err, event }, `${event} failed`);
          ack(fail('internal', internalMessage));
        },
      );
    };
  };
}
