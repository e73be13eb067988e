// Runs a simulated terminal device on a real pty (pty.ts), with its HTTP control API: the
// kiosk agent opens `ptyPath` exactly as it would open the USB-serial adapter of a real scanner or
// printer. With a `dir`, the pty link goes to `<dir>/<device>/agent`, so a scanner and a printer
// can share one directory.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type express from 'express';
import { pino, type Logger } from 'pino';
import type { Duplex } from 'node:stream';
import { openSerialLine } from '../lockboard/pty.js';
import { listenControl } from '../control-api.js';
import { createPrinterControlApp, createScannerControlApp } from './control.js';
import { PrinterModel } from './printer-model.js';
import { ScannerModel, type ScanSuffix } from './scanner-model.js';

export type TerminalDevice = 'scanner' | 'printer';

export interface StartTerminalOptions {
  /** Where the pty links go; a fresh temporary directory when omitted. */
  dir?: string;
  /** 0 (default) picks a free port. */
  controlPort?: number;
  logger?: Logger;
}

export interface RunningTerminalSimulator<D extends TerminalDevice, M> {
  device: D;
  /** The agent's end of the line: open this with serialport. */
  ptyPath: string;
  controlUrl: string;
  model: M;
  stop(): Promise<void>;
}

async function startDevice<D extends TerminalDevice, M>(
  device: D,
  options: StartTerminalOptions,
  setup: (port: Duplex, log: Logger) => { model: M; app: express.Express },
): Promise<RunningTerminalSimulator<D, M>> {
  const log = options.logger ?? pino({ level: 'silent' });
  let dir: string | undefined;
  if (options.dir !== undefined) {
    dir = join(options.dir, device);
    await mkdir(dir, { recursive: true });
  }
  const pty = await openSerialLine(dir);
  try {
    pty.device.on('error', (err) => log.error({ err }, `${device} port error`));
    const { model, app } = setup(pty.device, log);
    const control = await listenControl(app, options.controlPort ?? 0);
    log.info({ device, ptyPath: pty.agentPath, controlUrl: control.url }, `${device} simulator ready`);
    let stopped: Promise<void> | undefined;
    return {
      device,
      ptyPath: pty.agentPath,
      controlUrl: control.url,
      model,
      stop: () =>
        (stopped ??= (async () => {
          await control.close();
          await pty.close();
        })()),
    };
  } catch (err) {
    await pty.close();
    throw err;
  }
}

export function startScannerSimulator(
  options: StartTerminalOptions & { suffix?: ScanSuffix } = {},
): Promise<RunningTerminalSimulator<'scanner', ScannerModel>> {
  return startDevice('scanner', options, (port, log) => {
    const model = new ScannerModel(port, options.suffix);
    return { model, app: createScannerControlApp(model, log) };
  });
}

export function startPrinterSimulator(
  options: StartTerminalOptions & { model?: PrinterModel } = {},
): Promise<RunningTerminalSimulator<'printer', PrinterModel>> {
  return startDevice('printer', options, (port, log) => {
    const model = options.model ?? PrinterModel.preset('paper ok');
    port.on('data', (chunk: Buffer) => {
      const answer = model.receive(chunk);
      if (answer.length > 0) port.write(answer);
    });
    return { model, app: createPrinterControlApp(model, log) };
  });
}
