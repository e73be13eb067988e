// The 8A board simulator: the board end of a serial line, parsing requests with the same protocol
// code the agent uses, answering through EightABusModel after a configurable delay, and keeping a
// log of every valid frame for tests and the demo. `startEightASimulator` wires a real pty pair,
// the simulator and its HTTP control API together, as `startKerongSimulator` does for KR-CU16.
import type { Duplex } from 'node:stream';
import { pino, type Logger } from 'pino';
import { SerialPort } from 'serialport';
import { EIGHT_A_REQUEST_KINDS, EightAParser, toHex, type EightAFrame } from '@xinbao/protocol';
import { startControlServer } from './control.js';
import { EightABusModel, type EightAWiring } from './eight-a-model.js';
import type { ReceivedFrame } from './kerong-sim.js';
import { createPtyPair } from './pty.js';

export interface EightABoardSimulatorOptions {
  /** The board end of the line (a SerialPort on the pty, or any byte Duplex). */
  port: Duplex;
  model: EightABusModel;
  /** Time between a request and its reply (a real board answers an open ~1 s later). */
  replyDelayMs?: number;
  logger?: Logger;
  /** Oldest frames are dropped beyond this many. */
  maxLoggedFrames?: number;
}

export class EightABoardSimulator {
  readonly model: EightABusModel;
  private readonly port: Duplex;
  private readonly parser: EightAParser;
  private readonly replyDelayMs: number;
  private readonly log: Logger;
  private readonly maxLogged: number;
  private received: ReceivedFrame[] = [];
  private readonly pendingReplies = new Set<NodeJS.Timeout>();

  constructor(options: EightABoardSimulatorOptions) {
    this.model = options.model;
    this.port = options.port;
    this.replyDelayMs = options.replyDelayMs ?? 5;
    this.log = options.logger ?? pino({ level: 'silent' });
    this.maxLogged = options.maxLoggedFrames ?? 10_000;
    // A board only understands requests; another board's replies on the bus are not for it.
    this.parser = new EightAParser({ expect: EIGHT_A_REQUEST_KINDS });
    this.parser.on('data', (frame: EightAFrame) => this.onFrame(frame));
    this.port.pipe(this.parser);
  }

  get frames(): readonly ReceivedFrame[] {
    return this.received;
  }

  /** Frames dropped for a bad XOR, a wrong length or an unexpected command byte. */
  get bad(): number {
    const s = this.parser.stats;
    return s.badChecksum + s.badLength + s.unexpected;
  }

  get parserStats(): EightAParser['stats'] {
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

  private onFrame(frame: EightAFrame): void {
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

export interface StartEightASimulatorOptions {
  /** Boards on the bus (1–64). */
  boards: number[];
  /** Where the pty links go; a fresh temporary directory when omitted. */
  dir?: string;
  /** 0 (default) picks a free port. */
  controlPort?: number;
  replyDelayMs?: number;
  /** Starting state; defaults to '32 locks, all closed' on every board with `wiring`. */
  model?: EightABusModel;
  /** Feedback switch wiring of a default model. */
  wiring?: EightAWiring;
  baudRate?: number;
  logger?: Logger;
}

export interface RunningEightASimulator {
  family: '8a';
  /** The agent's end of the line: open this with serialport. */
  ptyPath: string;
  controlUrl: string;
  simulator: EightABoardSimulator;
  stop(): Promise<void>;
}

export async function startEightASimulator(options: StartEightASimulatorOptions): Promise<RunningEightASimulator> {
  const log = options.logger ?? pino({ level: 'silent' });
  const model = options.model ?? new EightABusModel(options.boards, options.wiring ?? 'open_is_set');
  const pty = await createPtyPair(options.dir);
  let port: SerialPort | undefined;
  try {
    const opened = new SerialPort({ path: pty.boardPath, baudRate: options.baudRate ?? 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => opened.open((err) => (err ? reject(err) : resolve())));
    port = opened;
    port.on('error', (err) => log.error({ err }, 'board port error'));
    const simulator = new EightABoardSimulator({ port, model, replyDelayMs: options.replyDelayMs ?? 5, logger: log });
    const control = await startControlServer({ simulator, port: options.controlPort ?? 0, logger: log });
    log.info({ ptyPath: pty.agentPath, boardPath: pty.boardPath, controlUrl: control.url, boards: model.boardNumbers, wiring: model.wiring }, '8a simulator ready');
    let stopped: Promise<void> | undefined;
    const boardPort = port;
    return {
      family: '8a',
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
