// The partner parcel-locker network simulator, for tests and the demo launcher (the program is main.ts).
export * from './dataset.js';
export * from './geo.js';
export * from './network.js';
export * from './webhooks.js';
export * from './server.js';
export * from './presets.js';
