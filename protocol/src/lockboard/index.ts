// Lock-board wire formats (LOCKBOARD.md). One module per serial board family, each with the same
// shape (frame, reader, parser), and the JSON contract of a network lock controller.
export * from './kerong.js';
export * from './kerong-parser.js';
export * from './eight-a.js';
export * from './eight-a-parser.js';
export * from './http-controller.js';
