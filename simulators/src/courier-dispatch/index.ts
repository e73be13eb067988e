// The courier dispatch (EMS 揽派) simulator, for tests (the program is main.ts).
export * from './server.js';
