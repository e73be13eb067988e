// Lock-board wire formats (LOCKBOARD.md). One module per board family; the 8A family will sit
// beside kerong.ts with the same shape (frame, reader, parser).
export * from './kerong.js';
export * from './kerong-parser.js';
