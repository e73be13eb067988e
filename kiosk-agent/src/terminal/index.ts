// The kiosk's terminal devices on serial lines: the QR / barcode scanner and the ESC/POS receipt
// printer, and when a receipt is printed.
export * from './device-port.js';
export * from './scanner.js';
export * from './printer.js';
export * from './receipt.js';
export * from './deposit-receipts.js';
