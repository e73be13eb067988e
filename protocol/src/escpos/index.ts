// ESC/POS receipt printers: the encoder a kiosk prints with, the decoder a simulated printer (and a
// test) reads receipts back with, and the real-time paper status.
export * from './escpos.js';
export * from './decoder.js';
export * from './status.js';
