// The SMS gateway simulator, for tests (the program is main.ts).
export * from './server.js';
