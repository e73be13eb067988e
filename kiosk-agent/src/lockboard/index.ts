// Lock boards as the kiosk agent sees them: one driver per bus (or network lock controller), a
// cabinet of compartments on top.
export * from './driver.js';
export * from './kerong-driver.js';
export * from './eight-a-driver.js';
export * from './http-driver.js';
export * from './cabinet.js';
export { DEFAULT_READ_GAP_MS } from './serial-bus.js';
