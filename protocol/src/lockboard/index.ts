// Lock-board wire formats (LOCKBOARD.md). One module per board family, each with the same shape
// (frame, reader, parser).
export * from './kerong.js';
export * from './kerong-parser.js';
export * from './eight-a.js';
export * from './eight-a-parser.js';
