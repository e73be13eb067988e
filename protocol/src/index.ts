export * from './reply.js';
export * from './codes.js';
export * from './kiosk.js';
export * from './lockboard/index.js';
export * from './courier.js';
export * from './escpos/index.js';
export * from './partner.js';
export * from './gazetteer.js';
