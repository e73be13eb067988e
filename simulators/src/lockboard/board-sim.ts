// The board end of a simulated RS485 line, for any lock-board family: requests are parsed with the
// same protocol code the agent uses, answered through the family's bus model after a configurable
// delay, and every valid frame is logged for tests and the demo. Wire faults (faults.ts: no reply,
// late reply, garbage, bad checksum) are applied here, once for both families. `startBoardSimulator`
// wires a real pty pair, the simulator and its HTTP control API together; kerong-sim.ts and
// eight-a-sim.ts only say which parser, model and line speed their family has.
import type { Duplex, Transform } from 'node:stream';
import { pino, type Logger } from 'pino';
import { SerialPort } from 'serialport';
import { toHex } from '@xinbao/protocol';
import { startControlServer, type ControlledModel } from './control.js';
import { FaultSwitchboard, WireFault, findFault, shapeReply } from './faults.js';
import { createPtyPair } from './pty.js';

export interface ReceivedFrame {
  /** `02 03 31 03 39` */
  hex: string;
  /** ISO time of receipt. */
  at: string;
  /** Simulated faults applied to this frame's reply, when any. */
  faults?: WireFault['kind'][];
}

/** What the simulator needs of a family's bus model. */
export interface BusModel<F> extends ControlledModel {
  handle(frame: F): Buffer | null;
  readonly boardNumbers: number[];
}

/** A family's request parser: a stream of frames, with counters of what it dropped. */
export interface RequestParser<S> extends Transform {
  readonly stats: S;
}

export interface BoardSimulatorOptions<F, S, M extends BusModel<F>> {
  /** The board end of the line (a SerialPort on the pty, or any byte Duplex). */
  port: Duplex;
  model: M;
  /** A board only understands requests; replies from another board on the bus are not for it. */
  parser: RequestParser<S>;
  /** Frames the parser dropped (bad checksum, wrong length, unknown command). */
  countBad: (stats: S) => number;
  /** Time between a request and its reply, as a real board takes. */
  replyDelayMs?: number;
  logger?: Logger;
  /** Oldest frames are dropped beyond this many. */
  maxLoggedFrames?: number;
}

export class BoardSimulator<F extends { raw: Uint8Array }, S, M extends BusModel<F>> {
  readonly model: M;
  private readonly o: BoardSimulatorOptions<F, S, M>;
  private readonly log: Logger;
  private received: ReceivedFrame[] = [];
  private readonly pendingReplies = new Set<NodeJS.Timeout>();
  /** Simulated wire faults armed for the frames to come. */
  readonly faults = new FaultSwitchboard<WireFault>(WireFault);

  constructor(options: BoardSimulatorOptions<F, S, M>) {
    this.o = options;
    this.model = options.model;
    this.log = options.logger ?? pino({ level: 'silent' });
    options.parser.on('data', (frame: F) => this.onFrame(frame));
    options.port.pipe(options.parser);
  }

  get frames(): readonly ReceivedFrame[] {
    return this.received;
  }

  get bad(): number {
    return this.o.countBad(this.o.parser.stats);
  }

  get parserStats(): S {
    return this.o.parser.stats;
  }

  /** Replies decided but not yet on the wire (late replies waiting). */
  get pendingReplyCount(): number {
    return this.pendingReplies.size;
  }

  clearFrames(): void {
    this.received = [];
  }

  stop(): void {
    for (const t of this.pendingReplies) clearTimeout(t);
    this.pendingReplies.clear();
    this.o.port.unpipe(this.o.parser);
  }

  private onFrame(frame: F): void {
    const faults = this.faults.take();
    const entry: ReceivedFrame = {
      hex: toHex(frame.raw),
      at: new Date().toISOString(),
      ...(faults.length > 0 && { faults: faults.map((f) => f.kind) }),
    };
    this.received.push(entry);
    if (this.received.length > (this.o.maxLoggedFrames ?? 10_000)) this.received.shift();
    // A silent board does not act either: the request leaves no trace but this log.
    const reply = findFault(faults, 'no_reply') ? null : this.model.handle(frame);
    this.log.info({ frame: entry.hex, reply: reply && toHex(reply), bad: this.bad, faults: entry.faults }, 'frame received');
    if (!reply) return;
    const out = shapeReply(reply, faults, this.o.replyDelayMs ?? 5);
    const t = setTimeout(() => {
      this.pendingReplies.delete(t);
      this.o.port.write(out.bytes);
    }, out.delayMs);
    this.pendingReplies.add(t);
  }
}

/** What a caller chooses when starting any family's simulator. */
export interface StartSimulatorOptions {
  /** Boards on the bus. */
  boards: number[];
  /** Where the pty links go; a fresh temporary directory when omitted. */
  dir?: string;
  /** 0 (default) picks a free port. */
  controlPort?: number;
  replyDelayMs?: number;
  baudRate?: number;
  /** Faults armed from the start (the program's --fault). */
  faults?: readonly WireFault[];
  logger?: Logger;
}

export interface RunningSimulator<Family extends string, Sim> {
  family: Family;
  /** The agent's end of the line: open this with serialport. */
  ptyPath: string;
  controlUrl: string;
  simulator: Sim;
  stop(): Promise<void>;
}

export interface FamilySetup<Family extends string, F, S, M extends BusModel<F>> {
  family: Family;
  model: M;
  baudRate: number;
  makeParser: () => RequestParser<S>;
  countBad: (stats: S) => number;
}

export async function startBoardSimulator<Family extends string, F extends { raw: Uint8Array }, S, M extends BusModel<F>>(
  setup: FamilySetup<Family, F, S, M>,
  options: StartSimulatorOptions,
): Promise<RunningSimulator<Family, BoardSimulator<F, S, M>>> {
  const log = options.logger ?? pino({ level: 'silent' });
  const pty = await createPtyPair(options.dir);
  let port: SerialPort | undefined;
  try {
    const opened = new SerialPort({ path: pty.boardPath, baudRate: setup.baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => opened.open((err) => (err ? reject(err) : resolve())));
    port = opened;
    port.on('error', (err) => log.error({ err }, 'board port error'));
    const simulator = new BoardSimulator<F, S, M>({
      port,
      model: setup.model,
      parser: setup.makeParser(),
      countBad: setup.countBad,
      replyDelayMs: options.replyDelayMs ?? 5,
      logger: log,
    });
    for (const f of options.faults ?? []) simulator.faults.arm(f);
    const control = await startControlServer({ simulator, port: options.controlPort ?? 0, logger: log });
    log.info(
      { family: setup.family, ptyPath: pty.agentPath, boardPath: pty.boardPath, controlUrl: control.url, boards: setup.model.boardNumbers },
      'board simulator ready',
    );
    let stopped: Promise<void> | undefined;
    const boardPort = port;
    return {
      family: setup.family,
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
