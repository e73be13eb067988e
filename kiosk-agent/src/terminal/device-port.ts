// The serial line a terminal device (scanner, receipt printer) sits on, injected as a factory so
// a driver can open it again after the device was unplugged: the real `SerialPort`, a
// `SerialPortStream` on `@serialport/binding-mock` in tests, or any byte Duplex.
import type { Duplex } from 'node:stream';

export type DevicePort = Duplex & {
  readonly isOpen?: boolean;
  close?: (callback?: (err: Error | null) => void) => void;
};

/** Opens the device's line; rejects when the device is not there (no such path, permission). */
export type OpenDevicePort = () => Promise<DevicePort>;

export async function closeDevicePort(port: DevicePort): Promise<void> {
  if (typeof port.close === 'function') {
    if (port.isOpen !== false) await new Promise<void>((resolve) => port.close?.(() => resolve()));
  } else {
    port.destroy();
  }
}
