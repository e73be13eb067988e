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
  type CodeGrant,
  type CodeReassign,
  type CodeSubmit,
  type CodeSyncReply,
  type CodeSyncRequest,
  type Hello,
  type KioskClientToServer,
  type KioskCommand,
  type KioskEvent,
  type KioskHandshake,
  type KioskServerToClient,
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

interface HubLinkEvents {
  hello: [Hello];
  connected: [];
  disconnected: [string];
  refused: [string];
  /** the hub says this site's codes changed */
  codesChanged: [];
}

export class HubLink extends EventEmitter<HubLinkEvents> {
  private readonly socket: Socket<KioskServerToClient, KioskClientToServer>;
  private readonly ackTimeoutMs: number;

  constructor(opts: HubLinkOptions) {
    super();
    const now = opts.now ?? Date.now;
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 5_000;
    this.socket = io(new URL(KIOSK_NAMESPACE, opts.hubUrl).toString(), {
      autoConnect: false,
      transports: ['websocket'],
      reconnectionDelay: 500,
      reconnectionDelayMax: 5_000,
      // A function, so that every reconnect signs a fresh time stamp and nonce.
      auth: (cb) => cb(signedHandshake(opts.deviceId, opts.privateKey, now())),
    });
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

  async submitCode(req: CodeSubmit): Promise<Reply<CodeGrant>> {
    if (!this.socket.connected) return fail('hub_unreachable', 'the locker cannot reach the hub right now');
    try {
      // socket.io types the ack of a timed emit loosely; the contract says what comes back.
      return (await this.socket.timeout(this.ackTimeoutMs).emitWithAck('code:submit', req)) as Reply<CodeGrant>;
    } catch {
      return fail('hub_unreachable', 'the hub did not answer in time');
    }
  }

  async requestReassign(req: CodeReassign): Promise<Reply<CodeGrant>> {
    if (!this.socket.connected) return fail('hub_unreachable', 'the locker cannot reach the hub right now');
    try {
      return (await this.socket.timeout(this.ackTimeoutMs).emitWithAck('code:reassign', req)) as Reply<CodeGrant>;
    } catch {
      return fail('hub_unreachable', 'the hub did not answer in time');
    }
  }

  async syncCodes(req: CodeSyncRequest): Promise<Reply<CodeSyncReply>> {
    if (!this.socket.connected) return fail('hub_unreachable', 'not connected');
    try {
      return (await this.socket.timeout(this.ackTimeoutMs).emitWithAck('codes:sync', req)) as Reply<CodeSyncReply>;
    } catch {
      return fail('hub_unreachable', 'the hub did not answer in time');
    }
  }

  async sendEvent(event: KioskEvent): Promise<Reply<{ eventId: string; duplicate: boolean }>> {
    if (!this.socket.connected) return fail('hub_unreachable', 'not connected');
    try {
      return (await this.socket.timeout(this.ackTimeoutMs).emitWithAck('kiosk:event', event)) as Reply<{ eventId: string; duplicate: boolean }>;
    } catch {
      return fail('hub_unreachable', 'the hub did not acknowledge in time');
    }
  }
}
