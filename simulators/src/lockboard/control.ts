// The simulator's HTTP control API on 127.0.0.1: what the device received (for tests asserting
// the exact bytes or requests), the hands of "the person at the locker" (put an item in, close
// the door, force it), the service engineer's (jam a latch, break a door sensor) and the link's
// simulated faults (arm, list, clear; faults.ts). Errors answer `{ error: { code, message } }`
// with a 4xx status. Works for every simulator: board and lock numbers are checked against the
// model (Kerong 0–15, 8A 1–64 / 1–32, HTTP controller board 1). The item endpoint answers 409
// `no_item_sensor` for boards without an item sensor (8A): recording an item the agent can never
// see would make tests claim what no board reports.
import type { Express, Request } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ControlError, controlApp, finishControlApp, listenControl, parseControl, type ControlServer } from '../control-api.js';
import { FaultSpecError, type FaultSwitchboard } from './faults.js';

/** What the control API needs from a bus model, whatever the board family. */
export interface ControlledModel {
  hasLock(board: number, lock: number): boolean;
  /** A JSON-able copy of one lock's state. */
  lock(board: number, lock: number): object;
  closeDoor(board: number, lock: number): void;
  forceOpen(board: number, lock: number): void;
  withJammed(board: number, lock: number, jammed: boolean): unknown;
  /** A broken door switch reads "open" whatever the door does. */
  withSensorBroken(board: number, lock: number, broken: boolean): unknown;
  /** false: the boards have no item sensor (8A); absent means they have one. */
  readonly itemSensors?: boolean;
  setItem?(board: number, lock: number, present: boolean): void;
}

/** What the control API needs from a running simulator. */
export interface ControlledBus {
  readonly model: ControlledModel;
  /** What the device received, oldest first: frames of a serial board, requests of an HTTP controller. */
  readonly frames: ReadonlyArray<{ at: string }>;
  /** What the device received and refused (bad frames; HTTP requests answered 4xx). */
  readonly bad: number;
  clearFrames(): void;
  readonly faults: FaultSwitchboard<{ kind: string; count?: number | undefined }>;
  /** Answers decided but not yet sent (late replies waiting, hung requests). */
  readonly pendingReplyCount: number;
}

const LockParams = z.strictObject({
  board: z.coerce.number().int().min(0).max(255),
  lock: z.coerce.number().int().min(0).max(255),
});
const ItemBody = z.object({ present: z.boolean() }).strict();
const JamBody = z.object({ jammed: z.boolean() }).strict();
const SensorBody = z.object({ broken: z.boolean() }).strict();

/** The serial line itself, for simulators that have one: pull the cable, plug it back. */
export interface ControlledLine {
  unplug(): Promise<void>;
  replug(): Promise<void>;
}

export function createControlApp(bus: ControlledBus, log?: Logger, line?: ControlledLine): Express {
  const app = controlApp();
  if (line) {
    app.post('/line/unplug', (_req, res, next) => {
      line.unplug().then(() => res.status(204).end(), next);
    });
    app.post('/line/replug', (_req, res, next) => {
      line.replug().then(() => res.status(204).end(), next);
    });
  }

  const lockOf = (req: Request): { board: number; lock: number } => {
    const p = parseControl(LockParams, req.params, 'path');
    if (!bus.model.hasLock(p.board, p.lock))
      throw new ControlError(404, 'unknown_lock', `no lock ${p.lock} on board ${p.board} in this simulator`);
    return p;
  };
  const lockView = (board: number, lock: number) => ({ board, lock, ...bus.model.lock(board, lock) });

  app.get('/frames', (_req, res) => {
    res.json({ frames: bus.frames, bad: bus.bad });
  });
  app.delete('/frames', (_req, res) => {
    bus.clearFrames();
    res.status(204).end();
  });
  const faultsView = () => ({ faults: bus.faults.list(), pendingReplies: bus.pendingReplyCount });
  app.get('/faults', (_req, res) => {
    res.json(faultsView());
  });
  app.post('/faults', (req, res) => {
    try {
      bus.faults.arm(bus.faults.parse(req.body));
    } catch (err) {
      if (err instanceof FaultSpecError)
        throw new ControlError(400, err.code, err.code === 'unknown_field' ? err.message : `invalid fault: ${err.message}`);
      throw err;
    }
    log?.info({ faults: bus.faults.list() }, 'simulated fault armed');
    res.json(faultsView());
  });
  app.delete('/faults', (_req, res) => {
    bus.faults.clear();
    log?.info('simulated faults cleared');
    res.status(204).end();
  });
  app.get('/boards/:board/locks/:lock', (req, res) => {
    const { board, lock } = lockOf(req);
    res.json(lockView(board, lock));
  });
  app.post('/boards/:board/locks/:lock/item', (req, res) => {
    const { board, lock } = lockOf(req);
    const { present } = parseControl(ItemBody, req.body, 'body');
    if (bus.model.itemSensors === false || bus.model.setItem === undefined) {
      throw new ControlError(409, 'no_item_sensor', 'these boards have no item sensor: an item cannot be seen, so it cannot be set');
    }
    bus.model.setItem(board, lock, present);
    res.json(lockView(board, lock));
  });
  app.post('/boards/:board/locks/:lock/close', (req, res) => {
    const { board, lock } = lockOf(req);
    bus.model.closeDoor(board, lock);
    res.json(lockView(board, lock));
  });
  app.post('/boards/:board/locks/:lock/force-open', (req, res) => {
    const { board, lock } = lockOf(req);
    bus.model.forceOpen(board, lock);
    res.json(lockView(board, lock));
  });
  app.post('/boards/:board/locks/:lock/jam', (req, res) => {
    const { board, lock } = lockOf(req);
    const { jammed } = parseControl(JamBody, req.body, 'body');
    bus.model.withJammed(board, lock, jammed);
    res.json(lockView(board, lock));
  });
  app.post('/boards/:board/locks/:lock/sensor', (req, res) => {
    const { board, lock } = lockOf(req);
    const { broken } = parseControl(SensorBody, req.body, 'body');
    bus.model.withSensorBroken(board, lock, broken);
    res.json(lockView(board, lock));
  });
  return finishControlApp(app, log);
}

export async function startControlServer(options: {
  simulator: ControlledBus;
  port?: number;
  logger?: Logger;
  line?: ControlledLine;
}): Promise<ControlServer> {
  return listenControl(createControlApp(options.simulator, options.logger, options.line), options.port);
}
