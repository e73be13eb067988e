// The board end of a simulated RS485 line, for any lock-board family: requests are parsed with the
// same protocol code the agent uses, answered through the family's bus model after a configurable
// delay, and every valid frame is logged for tests and the demo. Wire faults (faults.ts: no reply,
// late reply, garbage, bad checksum, random lost replies, and the person who shuts a door at once)
// are applied here, once for both families. `startBoardSimulator` wires a real pty (pty.ts), the
// simulator and its HTTP control API together, and can pull the line (the pty vanishes) and plug it
// back at the same path; kerong-sim.ts and eight-a-sim.ts only say which parser, model and line
// speed their family has.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex, Transform } from 'node:stream';
import { pino, type Logger } from 'pino';
import { toHex } from '@xinbao/protocol';
import { startControlServer, type ControlledModel } from './control.js';
import { FaultSwitchboard, WireFault, findFault, seededRandom, shapeReply } from './faults.js';
import { openSerialLine, type SerialLine } from './pty.js';

export interface ReceivedFrame {
  /** `02 03 31 03 39` */
  hex: string;
  /** ISO time of receipt. */
  at: string;
  /**
   * When the frame's last byte was read, in ms of the machine's monotonic clock (process.hrtime:
   * CLOCK_MONOTONIC, the same in every process on one machine), so another process can time it.
   */
  mono: number;
  /** Simulated faults applied to this frame's reply, when any. */
  faults?: WireFault['kind'][];
}

/** What the simulator needs of a family's bus model. */
export interface BusModel<F> extends ControlledModel {
  handle(frame: F): Buffer | null;
  readonly boardNumbers: number[];
  /** The lock an unlock request pulses, or null for any other request. */
  unlockTarget?(frame: F): { board: number; lock: number } | null;
}

/** A family's request parser: a stream of frames, with counters of what it dropped. */
export interface RequestParser<S> extends Transform {
  readonly stats: S;
}

export interface BoardSimulatorOptions<F, S, M extends BusModel<F>> {
  /** The board end of the line (socat's pipes to the pty's master, pty.ts; or any byte Duplex). */
  port: Duplex;
  model: M;
  /** A board only understands requests; replies from another board on the bus are not for it. */
  parser: RequestParser<S>;
  /** Frames the parser dropped (bad checksum, wrong length, unknown command). */
  countBad: (stats: S) => number;
  /** Time between a request and its reply, as a real board takes. */
  replyDelayMs?: number;
  /** Time between an unlock and its reply instead (a real 8A board answers once the latch has moved, about 1 s). */
  unlockReplyDelayMs?: number;
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
  /** The person's hands (quick_close), pending. */
  private readonly pendingHands = new Set<NodeJS.Timeout>();
  /** One seeded generator per armed lost_reply fault. */
  private readonly lossDraws = new WeakMap<object, () => number>();
  private port: Duplex;
  /** Simulated wire faults armed for the frames to come. */
  readonly faults = new FaultSwitchboard<WireFault>(WireFault);

  constructor(options: BoardSimulatorOptions<F, S, M>) {
    this.o = options;
    this.model = options.model;
    this.log = options.logger ?? pino({ level: 'silent' });
    options.parser.on('data', (frame: F) => this.onFrame(frame));
    this.port = options.port;
    // The line may end (a pulled cable) and another be attached: the parser outlives each.
    options.port.pipe(options.parser, { end: false });
  }

  /** The line was plugged back: the board listens and answers on its new end. */
  attachPort(port: Duplex): void {
    this.port.unpipe(this.o.parser);
    this.port = port;
    port.pipe(this.o.parser, { end: false });
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
    for (const t of [...this.pendingReplies, ...this.pendingHands]) clearTimeout(t);
    this.pendingReplies.clear();
    this.pendingHands.clear();
    this.port.unpipe(this.o.parser);
  }

  private onFrame(frame: F): void {
    const faults = this.faults.take();
    const entry: ReceivedFrame = {
      hex: toHex(frame.raw),
      at: new Date().toISOString(),
      mono: Number(process.hrtime.bigint()) / 1e6,
      ...(faults.length > 0 && { faults: faults.map((f) => f.kind) }),
    };
    this.received.push(entry);
    if (this.received.length > (this.o.maxLoggedFrames ?? 10_000)) this.received.shift();
    // A silent board does not act either: the request leaves no trace but this log.
    const reply = findFault(faults, 'no_reply') ? null : this.model.handle(frame);
    const target = this.model.unlockTarget?.(frame) ?? null;
    const quick = findFault(faults, 'quick_close');
    if (quick && target && reply) this.shutAgain(target, quick);
    const loss = findFault(faults, 'lost_reply');
    const lost = loss !== undefined && reply !== null && this.draw(loss) < loss.ratio;
    this.log.info({ frame: entry.hex, reply: reply && toHex(reply), bad: this.bad, faults: entry.faults, lost }, 'frame received');
    if (!reply || lost) return;
    const delay = target ? (this.o.unlockReplyDelayMs ?? this.o.replyDelayMs ?? 5) : (this.o.replyDelayMs ?? 5);
    const out = shapeReply(reply, faults, delay);
    const t = setTimeout(() => {
      this.pendingReplies.delete(t);
      this.port.write(out.bytes);
    }, out.delayMs);
    this.pendingReplies.add(t);
  }

  private draw(fault: Extract<WireFault, { kind: 'lost_reply' }>): number {
    let next = this.lossDraws.get(fault);
    if (!next) {
      next = seededRandom(fault.seed);
      this.lossDraws.set(fault, next);
    }
    return next();
  }

  /** The quick person: takes or puts the item and shuts the door `afterMs` after the unlock. */
  private shutAgain(at: { board: number; lock: number }, how: Extract<WireFault, { kind: 'quick_close' }>): void {
    const t = setTimeout(() => {
      this.pendingHands.delete(t);
      if (how.item !== 'none') this.model.setItem?.(at.board, at.lock, how.item === 'put');
      this.model.closeDoor(at.board, at.lock);
    }, how.afterMs);
    this.pendingHands.add(t);
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
  /** See BoardSimulatorOptions.unlockReplyDelayMs. */
  unlockReplyDelayMs?: number;
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
  /** The cable is pulled: the pty pair goes away (the agent's end and its link vanish). */
  unplug(): Promise<void>;
  /** The cable is back: a new pty pair at the same link path. */
  replug(): Promise<void>;
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
  // Our own directory (unless given), so that the links can vanish and come back in it.
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'xinbao-pty-')));
  const openLine = async (): Promise<SerialLine> => {
    const opened = await openSerialLine(dir);
    opened.device.on('error', (err) => log.error({ err }, 'board port error'));
    return opened;
  };
  let line: SerialLine | null = await openLine();
  try {
    const simulator = new BoardSimulator<F, S, M>({
      port: line.device,
      model: setup.model,
      parser: setup.makeParser(),
      countBad: setup.countBad,
      replyDelayMs: options.replyDelayMs ?? 5,
      ...(options.unlockReplyDelayMs !== undefined && { unlockReplyDelayMs: options.unlockReplyDelayMs }),
      logger: log,
    });
    for (const f of options.faults ?? []) simulator.faults.arm(f);
    const cable = {
      unplug: async (): Promise<void> => {
        if (!line) return;
        const gone = line;
        line = null;
        await gone.close();
        log.warn('simulated cable pulled: the pty is gone');
      },
      replug: async (): Promise<void> => {
        if (line) return;
        line = await openLine();
        simulator.attachPort(line.device);
        log.warn({ ptyPath: line.agentPath }, 'simulated cable plugged back at the same path');
      },
    };
    const control = await startControlServer({ simulator, port: options.controlPort ?? 0, logger: log, line: cable });
    log.info(
      {
        family: setup.family,
        ptyPath: line.agentPath,
        baudRate: setup.baudRate,
        controlUrl: control.url,
        boards: setup.model.boardNumbers,
      },
      'board simulator ready',
    );
    let stopped: Promise<void> | undefined;
    return {
      family: setup.family,
      ptyPath: line.agentPath,
      controlUrl: control.url,
      simulator,
      ...cable,
      stop: () =>
        (stopped ??= (async () => {
          simulator.stop();
          await control.close();
          await line?.close();
          if (ownDir) await rm(dir, { recursive: true, force: true });
        })()),
    };
  } catch (err) {
    await line?.close();
    if (ownDir) await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
