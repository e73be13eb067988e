// A stateful model of a network lock controller's cabinet: locks 1…N, addressed by the control API
// as board 1 (as the agent's configuration does). The locks themselves are KR-CU16 lock models
// (kerong-model.ts: latch, item sensor, jammed latch, broken door switch), 16 to a hidden board,
// so a lock behaves the same whether it hangs off an RS485 bus or a network controller. The
// controller adds what a network controller knows: how long its release pulse lasts (the latch
// reads "released" meanwhile) and whether its compartments have item sensors at all.
import { KERONG_LOCKS_PER_BOARD } from '@xinbao/protocol';
import type { ControllerLockStatus } from '@xinbao/protocol';
import { KerongBusModel, type KerongLockModel } from './kerong-model.js';

export const HTTP_CONTROLLER_PRESETS = [
  'all closed',
  'all closed, lock 3 jammed',
  'all open and empty',
  'all closed, item in every lock',
] as const;
export type HttpControllerPreset = (typeof HTTP_CONTROLLER_PRESETS)[number];

export interface HttpControllerModelOptions {
  locks: number;
  itemSensors: boolean;
  /** How long the release pulse lasts. */
  pulseMs?: number;
  now?: () => number;
}

/** The board number the control API and the agent's configuration use for the controller. */
export const HTTP_CONTROLLER_BOARD = 1;

export class HttpControllerModel {
  readonly locks: number;
  readonly itemSensors: boolean;
  readonly pulseMs: number;
  private readonly bus: KerongBusModel;
  private readonly releasedUntil = new Map<number, number>();
  private readonly now: () => number;

  constructor(options: HttpControllerModelOptions) {
    if (!Number.isInteger(options.locks) || options.locks < 1 || options.locks > 15 * KERONG_LOCKS_PER_BOARD) {
      throw new RangeError(`locks must be 1–${15 * KERONG_LOCKS_PER_BOARD}, got ${options.locks}`);
    }
    this.locks = options.locks;
    this.itemSensors = options.itemSensors;
    this.pulseMs = options.pulseMs ?? 500;
    this.now = options.now ?? Date.now;
    this.bus = new KerongBusModel(Array.from({ length: Math.ceil(options.locks / KERONG_LOCKS_PER_BOARD) }, (_, b) => b));
  }

  static preset(name: HttpControllerPreset, options: HttpControllerModelOptions): HttpControllerModel {
    const model = new HttpControllerModel(options);
    const all = Array.from({ length: model.locks }, (_, i) => i + 1);
    switch (name) {
      case 'all closed':
        return model;
      case 'all closed, lock 3 jammed':
        if (model.locks >= 3) model.withJammed(HTTP_CONTROLLER_BOARD, 3, true);
        return model;
      case 'all open and empty':
        for (const l of all) model.forceOpen(HTTP_CONTROLLER_BOARD, l);
        return model;
      case 'all closed, item in every lock':
        for (const l of all) model.bus.withItem(...model.address(l));
        return model;
    }
  }

  hasLock(board: number, lock: number): boolean {
    return board === HTTP_CONTROLLER_BOARD && Number.isInteger(lock) && lock >= 1 && lock <= this.locks;
  }

  /** A copy of one lock's model state, as the control API shows it. */
  lock(_board: number, lock: number): KerongLockModel & { latchReleased: boolean } {
    return { ...this.bus.lock(...this.address(lock)), latchReleased: this.released(lock) };
  }

  /** The controller's view of one lock: what its switches and sensors report. */
  status(lock: number): ControllerLockStatus {
    const [board, channel] = this.address(lock);
    const block = this.bus.statusBlock(board);
    return {
      lock,
      door: block.latchClosed[channel] ? 'closed' : 'open',
      latch: this.released(lock) ? 'released' : 'locked',
      item: this.itemSensors ? (block.itemPresent[channel] ? 'present' : 'absent') : null,
    };
  }

  /** Drives the release pulse of one lock (a jammed latch does not let go). */
  open(lock: number): ControllerLockStatus {
    this.bus.unlock(...this.address(lock));
    this.releasedUntil.set(lock, this.now() + this.pulseMs);
    return this.status(lock);
  }

  // The person at the locker and the service engineer (control API).
  closeDoor(_board: number, lock: number): void {
    this.bus.closeDoor(...this.address(lock));
  }
  forceOpen(_board: number, lock: number): void {
    this.bus.forceOpen(...this.address(lock));
  }
  withJammed(_board: number, lock: number, jammed: boolean): this {
    this.bus.withJammed(...this.address(lock), jammed);
    return this;
  }
  withSensorBroken(_board: number, lock: number, broken: boolean): this {
    this.bus.withSensorBroken(...this.address(lock), broken);
    return this;
  }
  setItem(_board: number, lock: number, present: boolean): void {
    this.bus.setItem(...this.address(lock), present);
  }

  private released(lock: number): boolean {
    return (this.releasedUntil.get(lock) ?? Number.NEGATIVE_INFINITY) > this.now();
  }

  /** Lock 1…N → (hidden board, channel). */
  private address(lock: number): [number, number] {
    if (!Number.isInteger(lock) || lock < 1 || lock > this.locks)
      throw new RangeError(`no lock ${lock} on this controller (1–${this.locks})`);
    return [Math.floor((lock - 1) / KERONG_LOCKS_PER_BOARD), (lock - 1) % KERONG_LOCKS_PER_BOARD];
  }
}
