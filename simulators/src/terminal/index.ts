// Simulated terminal devices (QR scanner, ESC/POS receipt printer), for tests and the demo
// launcher (the program is main.ts).
export * from './scanner-model.js';
export * from './printer-model.js';
export * from './control.js';
export * from './terminal-sim.js';
