// The KR-CU16 board simulator: the board end of a serial line, parsing requests with the same
// protocol code the agent uses, answering through KerongBusModel after a configurable delay, and
// keeping a log of every valid frame for tests and the demo. `startKerongSimulator` wires a real
// pty pair, the simulator and its HTTP control API together (the program in main.ts is a thin
// shell around it).
import type { Duplex } from 'node:stream';
import { pino, type Logger } from 'pino';
import { SerialPort } from 'serialport';
import { KERONG_REQUEST_CMDS, KerongParser, toHex, type KerongFrame } from '@xinbao/protocol';
import { startControlServer } from './control.js';
import { KerongBusModel } from './kerong-model.js';
import { createPtyPair } from './pty.js';

export interface ReceivedFrame {
  /** `02 03 31 03 39` */
  hex: string;
  /** ISO time of receipt. */
  at: string;
}

export interface KerongBoardSimulatorOptions {
  /** The board end of the line (a SerialPort on the pty, or any byte Duplex). */
  port: Duplex;
  model: KerongBusModel;
  /** Time between a request and its reply, as a real board takes. */
  replyDelayMs?: number;
  logger?: Logger;
  /** Oldest frames are dropped beyond this many. */
  maxLoggedFrames?: number;
}

export class KerongBoardSimulator {
  readonly model: KerongBusModel;
  private readonly port: Duplex;
  private readonly parser: KerongParser;
  private readonly replyDelayMs: number;
  private readonly log: Logger;
  private readonly maxLogged: number;
  private received: ReceivedFrame[] = [];
  private readonly pendingReplies = new Set<NodeJS.Timeout>();

  constructor(options: KerongBoardSimulatorOptions) {
    this.model = options.model;
    this.port = options.port;
    this.replyDelayMs = options.replyDelayMs ?? 5;
    this.log = options.logger ?? pino({ level: 'silent' });
    this.maxLogged = options.maxLoggedFrames ?? 10_000;
    // A board only understands requests; replies from another board on the bus are not for it.
    this.parser = new KerongParser({ commands: KERONG_REQUEST_CMDS });
    this.parser.on('data', (frame: KerongFrame) => this.onFrame(frame));
    this.port.pipe(this.parser);
  }

  get frames(): readonly ReceivedFrame[] {
    return this.received;
  }

  /** Frames dropped for a bad checksum, a wrong length or an unknown command. */
  get bad(): number {
    const s = this.parser.stats;
    return s.badChecksum + s.badLength + s.unknownCommand;
  }

  get parserStats(): KerongParser['stats'] {
    return this.parser.stats;
  }

  clearFrames(): void {
    this.received = [];
  }

  stop(): void {
    for (const t of this.pendingReplies) clearTimeout(t);
    this.pendingReplies.clear();
    this.port.unpipe(this.parser);
  }

  private onFrame(frame: KerongFrame): void {
    const entry = { hex: toHex(frame.raw), at: new Date().toISOString() };
    this.received.push(entry);
    if (this.received.length > this.maxLogged) this.received.shift();
    const reply = this.model.handle(frame);
    this.log.info({ frame: entry.hex, reply: reply && toHex(reply), bad: this.bad }, 'frame received');
    if (!reply) return;
    const t = setTimeout(() => {
      this.pendingReplies.delete(t);
      this.port.write(reply);
    }, this.replyDelayMs);
    this.pendingReplies.add(t);
  }
}

export interface StartKerongSimulatorOptions {
  /** Boards on the bus (0–14). */
  boards: number[];
  /** Where the pty links go; a fresh temporary directory when omitted. */
  dir?: string;
  /** 0 (default) picks a free port. */
  controlPort?: number;
  replyDelayMs?: number;
  /** Starting state; defaults to '16 locks, all closed' on every board. */
  model?: KerongBusModel;
  baudRate?: number;
  logger?: Logger;
}

export interface RunningKerongSimulator {
  family: 'kerong';
  /** The agent's end of the line: open this with serialport. */
  ptyPath: string;
  controlUrl: string;
  simulator: KerongBoardSimulator;
  stop(): Promise<void>;
}

export async function startKerongSimulator(options: StartKerongSimulatorOptions): Promise<RunningKerongSimulator> {
  const log = options.logger ?? pino({ level: 'silent' });
  const model = options.model ?? KerongBusModel.preset('16 locks, all closed', options.boards);
  const pty = await createPtyPair(options.dir);
  let port: SerialPort | undefined;
  try {
    const opened = new SerialPort({ path: pty.boardPath, baudRate: options.baudRate ?? 19200, autoOpen: false });
    await new Promise<void>((resolve, reject) => opened.open((err) => (err ? reject(err) : resolve())));
    port = opened;
    port.on('error', (err) => log.error({ err }, 'board port error'));
    const simulator = new KerongBoardSimulator({ port, model, replyDelayMs: options.replyDelayMs ?? 5, logger: log });
    const control = await startControlServer({ simulator, port: options.controlPort ?? 0, logger: log });
    log.info({ ptyPath: pty.agentPath, boardPath: pty.boardPath, controlUrl: control.url, boards: model.boardNumbers }, 'kerong simulator ready');
    let stopped: Promise<void> | undefined;
    const boardPort = port;
    return {
      family: 'kerong',
      ptyPath: pty.agentPath,
      controlUrl: control.url,
      simulator,
      stop: () =>
        (stopped ??= (async () => {
          simulator.stop();
          await control.close();
          if (boardPort.isOpen) await new Promise<void>((resolve) => boardPort.close(() => resolve()));
          await pty.close();
        })()),
    };
  } catch (err) {
    if (port?.isOpen) await new Promise<void>((resolve) => port?.close(() => resolve()));
    await pty.close();
    throw err;
  }
}
