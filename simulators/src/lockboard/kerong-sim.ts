// The KR-CU16 board simulator: the generic board simulator (board-sim.ts) with the KR-CU16
// request parser, bus model and 19200 baud.
import { KERONG_REQUEST_CMDS, KerongParser, type KerongFrame } from '@xinbao/protocol';
import type { BoardSimulator } from './board-sim.js';
import { startBoardSimulator, type RunningSimulator, type StartSimulatorOptions } from './board-sim.js';
import { KerongBusModel } from './kerong-model.js';

export type KerongBoardSimulator = BoardSimulator<KerongFrame, KerongParser['stats'], KerongBusModel>;
export type RunningKerongSimulator = RunningSimulator<'kerong', KerongBoardSimulator>;

export interface StartKerongSimulatorOptions extends StartSimulatorOptions {
  /** Starting state; defaults to '16 locks, all closed' on every board (boards 0–14). */
  model?: KerongBusModel;
}

export function startKerongSimulator(options: StartKerongSimulatorOptions): Promise<RunningKerongSimulator> {
  return startBoardSimulator(
    {
      family: 'kerong',
      model: options.model ?? KerongBusModel.preset('16 locks, all closed', options.boards),
      baudRate: 19200,
      makeParser: () => new KerongParser({ commands: KERONG_REQUEST_CMDS }),
      countBad: (s) => s.badChecksum + s.badLength + s.unknownCommand,
    },
    options,
  );
}
