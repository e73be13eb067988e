// The 8A board simulator: the generic board simulator (board-sim.ts) with the 8A request parser,
// bus model (with its door-switch wiring) and 9600 baud.
import { EIGHT_A_REQUEST_KINDS, EightAParser, type EightAFrame } from '@xinbao/protocol';
import type { BoardSimulator } from './board-sim.js';
import { startBoardSimulator, type RunningSimulator, type StartSimulatorOptions } from './board-sim.js';
import { EightABusModel, type EightAWiring } from './eight-a-model.js';

export type EightABoardSimulator = BoardSimulator<EightAFrame, EightAParser['stats'], EightABusModel>;
export type RunningEightASimulator = RunningSimulator<'8a', EightABoardSimulator>;

export interface StartEightASimulatorOptions extends StartSimulatorOptions {
  /** Starting state; defaults to '32 locks, all closed' on every board (1–64) with `wiring`. */
  model?: EightABusModel;
  /** Feedback switch wiring of a default model. */
  wiring?: EightAWiring;
}

export function startEightASimulator(options: StartEightASimulatorOptions): Promise<RunningEightASimulator> {
  return startBoardSimulator(
    {
      family: '8a',
      model: options.model ?? new EightABusModel(options.boards, options.wiring ?? 'open_is_set'),
      baudRate: 9600,
      makeParser: () => new EightAParser({ expect: EIGHT_A_REQUEST_KINDS }),
      countBad: (s) => s.badChecksum + s.badLength + s.unexpected,
    },
    options,
  );
}
