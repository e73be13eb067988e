// Lock-board simulators, for tests and the demo launcher (the program is main.ts).
export * from './kerong-model.js';
export * from './board-sim.js';
export * from './kerong-sim.js';
export * from './eight-a-model.js';
export * from './eight-a-sim.js';
export * from './control.js';
export * from './pty.js';
export * from './faults.js';
export * from './http-controller-model.js';
export * from './http-controller-sim.js';
