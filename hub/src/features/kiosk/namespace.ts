// The `/kiosk` Socket.IO namespace: only a device that passed the signed handshake gets in, and
// every event it sends is answered for its own site only. Each socket sits in its site's room, so
// a change to the site's codes reaches its kiosks as `codes:changed`.
import type { Namespace, Server } from 'socket.io';
import {
  KIOSK_NAMESPACE,
  fail,
  type KioskClientToServer,
  type KioskServerToClient,
} from '@xinbao/protocol';
import type { Logger } from 'pino';
import { HandshakeRefused, type KioskIdentity, type KioskService } from './service.js';

export type KioskNamespace = Namespace<KioskClientToServer, KioskServerToClient, Record<string, never>, KioskIdentity>;

export const siteRoom = (siteId: string): string => `site:${siteId}`;

/** Tells one site's kiosks (or, with null, every kiosk on this hub process) to pull their codes. */
export function announceCodeChange(ns: KioskNamespace, siteId: string | null): void {
  if (siteId === null) {
    for (const socket of ns.sockets.values()) socket.emit('codes:changed', { siteId: socket.data.siteId });
  } else {
    ns.to(siteRoom(siteId)).emit('codes:changed', { siteId });
  }
}

export function mountKioskNamespace(io: Server, service: KioskService, log: Logger, now: () => Date): KioskNamespace {
  // The namespace carries the kiosk contract's types; the server's default namespace does not.
  const ns = io.of(KIOSK_NAMESPACE) as unknown as KioskNamespace;
  ns.use((socket, next) => {
    service.authenticate(socket.handshake.auth).then(
      (identity) => {
        socket.data = identity;
        next();
      },
      (e: unknown) => {
        if (e instanceof HandshakeRefused) {
          log.warn({ code: e.code, address: socket.handshake.address }, 'kiosk handshake refused');
          const err = new Error(e.message) as Error & { data?: unknown };
          err.data = { code: e.code };
          next(err);
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
    service.setOnline(kiosk, true).catch((err: unknown) => log.error({ err }, 'could not mark site online'));
    socket.emit('hello', {
      protocolVersion: kiosk.protocolVersion,
      deviceId: kiosk.deviceId,
      siteId: kiosk.siteId,
      serverTime: now().toISOString(),
    });
    socket.on('code:submit', (req, ack) => {
      if (typeof ack !== 'function') return;
      service.submitCode(kiosk, req).then(ack, (err: unknown) => {
        log.error({ err }, 'code submission failed');
        ack(fail('internal', 'the hub could not check this code; try again'));
      });
    });
    socket.on('code:reassign', (req, ack) => {
      if (typeof ack !== 'function') return;
      service.reassign(kiosk, req).then(ack, (err: unknown) => {
        log.error({ err }, 'reassign failed');
        ack(fail('internal', 'the hub could not find another compartment; try again'));
      });
    });
    socket.on('codes:sync', (req, ack) => {
      if (typeof ack !== 'function') return;
      service.syncCodes(kiosk, req).then(ack, (err: unknown) => {
        log.error({ err }, 'code sync failed');
        ack(fail('internal', 'the hub could not list the codes; it will be asked again'));
      });
    });
    socket.on('kiosk:event', (event, ack) => {
      if (typeof ack !== 'function') return;
      service.recordEvent(kiosk, event).then(ack, (err: unknown) => {
        log.error({ err }, 'kiosk event failed');
        ack(fail('internal', 'the hub could not record this event; it will be sent again'));
      });
    });
    socket.on('disconnect', () => {
      log.info({ deviceId: kiosk.deviceId }, 'kiosk disconnected');
      void ns
        .in(`device:${kiosk.deviceId}`)
        .fetchSockets()
        .then((left) => (left.length === 0 ? service.setOnline(kiosk, false) : undefined))
        .catch((err: unknown) => log.error({ err }, 'could not mark site offline'));
    });
  });
  return ns;
}
