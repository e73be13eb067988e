// The courier dispatch (EMS 揽派) simulator and its simulated couriers, for tests (the program is main.ts).
export * from './server.js';
export * from './couriers.js';
export * from './autopilot.js';
