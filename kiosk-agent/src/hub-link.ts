// The agent's link to the hub: Socket.IO `/kiosk`, authenticated by an Ed25519 signature over a
// fresh time stamp and nonce on every (re)connect; the private key never leaves this machine.
// Every request answers a Reply; one that cannot reach the hub answers `hub_unreachable`.
import { randomBytes, sign, type KeyObject } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { io, type Socket } from 'socket.io-client';
import {
  KIOSK_NAMESPACE,
  KIOSK_PROTOCOL_VERSIONS,
  fail,
  handshakeMessage,
  type Hello,
  type KioskClientToServerEvents,
  type KioskCommand,
  type KioskHandshake,
  type KioskReply,
  type KioskRequestName,
  type KioskRequests,
  type KioskServerToClientEvents,
  type Reply,
} from '@xinbao/protocol';

export interface HubLinkOptions {
  hubUrl: string;
  deviceId: string;
  privateKey: KeyObject;
  ackTimeoutMs?: number;
  now?: () => number;
}

export function signedHandshake(deviceId: string, privateKey: KeyObject, now: number): KioskHandshake {
  const base = { deviceId, ts: now, nonce: randomBytes(18).toString('base64url') };
  return {
    ...base,
    versions: [...KIOSK_PROTOCOL_VERSIONS],
    signature: sign(null, Buffer.from(handshakeMessage(base)), privateKey).toString('base64'),
  };
}

export interface HubLinkEvents {
  hello: [Hello];
  connected: [];
  disconnected: [string];
  refused: [string];
  /** the hub says this site's codes changed */
  codesChanged: [];
}

/**
 * What the agent needs of its link to the hub: the real HubLink, or a test's stand-in for the hub.
 * `ask` sends one request and resolves with the hub's reply, or `hub_unreachable` when the hub is
 * not connected or does not answer in time; it never rejects.
 */
export interface HubConnection extends EventEmitter<HubLinkEvents> {
  readonly connected: boolean;
  connect(): void;
  close(): void;
  onCommand(handler: (command: KioskCommand) => Promise<Reply<{ commandId: string }>>): void;
  ask<E extends KioskRequestName>(event: E, request: KioskRequests[E]): Promise<KioskReply<E>>;
}

type KioskSocket = Socket<KioskServerToClientEvents, KioskClientToServerEvents>;

/** One sender per request event, each typed by the contract (socket.io cannot type an emit over a generic event name). */
type Senders = { [E in KioskRequestName]: (request: KioskRequests[E]) => Promise<KioskReply<E>> };

export class HubLink extends EventEmitter<HubLinkEvents> implements HubConnection {
  private readonly socket: KioskSocket;
  private readonly senders: Senders;

  constructor(opts: HubLinkOptions) {
    super();
    const now = opts.now ?? Date.now;
    const ackTimeoutMs = opts.ackTimeoutMs ?? 5_000;
    this.socket = io(new URL(KIOSK_NAMESPACE, opts.hubUrl).toString(), {
      autoConnect: false,
      transports: ['websocket'],
      reconnectionDelay: 500,
      reconnectionDelayMax: 5_000,
      // A function, so that every reconnect signs a fresh time stamp and nonce.
      auth: (cb) => cb(signedHandshake(opts.deviceId, opts.privateKey, now())),
    });
    const timed = () => this.socket.timeout(ackTimeoutMs);
    this.senders = {
      'code:submit': (request) => timed().emitWithAck('code:submit', request),
      'code:reassign': (request) => timed().emitWithAck('code:reassign', request),
      'code:next': (request) => timed().emitWithAck('code:next', request),
      'codes:sync': (request) => timed().emitWithAck('codes:sync', request),
      'kiosk:event': (request) => timed().emitWithAck('kiosk:event', request),
      'kiosk:bus': (request) => timed().emitWithAck('kiosk:bus', request),
    };
    this.socket.on('hello', (h) => this.emit('hello', h));
    this.socket.on('codes:changed', () => this.emit('codesChanged'));
    this.socket.on('connect', () => this.emit('connected'));
    this.socket.on('disconnect', (reason) => this.emit('disconnected', reason));
    this.socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
      if (err.data?.code) this.emit('refused', err.data.code);
    });
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  connect(): void {
    this.socket.connect();
  }

  close(): void {
    this.socket.disconnect();
  }

  onCommand(handler: (command: KioskCommand) => Promise<Reply<{ commandId: string }>>): void {
    this.socket.on('command', (command, ack) => {
      void handler(command).then(ack);
    });
  }

  async ask<E extends KioskRequestName>(event: E, request: KioskRequests[E]): Promise<KioskReply<E>> {
    if (!this.socket.connected) return fail('hub_unreachable', 'the locker cannot reach the hub right now');
    try {
      return await this.senders[event](request);
    } catch {
      return fail('hub_unreachable', 'the hub did not answer in time');
    }
  }
}
