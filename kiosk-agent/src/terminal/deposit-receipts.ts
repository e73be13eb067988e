// When the kiosk prints a receipt: after a code result `opened` for purpose `deposit`, whatever the
// code came from (keypad, scanner, local API). That is the moment the resident is standing at the
// open compartment; the receipt gives them the tracking number to follow the parcel with. Not at
// door close: that may come minutes later, after they have walked away (and the hub, not the
// receipt, is the record of custody, made from the door events). Not for `jammed` or `failed`
// (nothing can be deposited, a receipt would prove a deposit that never happened), nor for
// collections and couriers (they take something out; the courier's PDA has the record).
//
// Listening to the agent's `result` event keeps the agent unaware of the printer. Printing is
// fire-and-forget: the result has already been decided (and the door opened) when the event
// fires; nothing thrown here can reach the code path.
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { CodeResult, KioskAgentEvents } from '../agent.js';
import type { PrintOutcome } from './printer.js';
import { buildDepositReceipt } from './receipt.js';

export interface DepositReceiptOptions {
  printer: { print(receipt: Buffer): Promise<PrintOutcome> };
  siteName: string;
  log: Logger;
  now?: () => Date;
}

export const printsReceipt = (r: CodeResult): r is Exclude<CodeResult, { status: 'refused' }> =>
  r.status === 'opened' && r.purpose === 'deposit';

/** Prints a receipt for every deposit compartment opened; returns a function that stops it. */
export function printDepositReceipts(agent: EventEmitter<KioskAgentEvents>, options: DepositReceiptOptions): () => void {
  const { printer, siteName, log } = options;
  const now = options.now ?? (() => new Date());
  const onResult = (r: CodeResult): void => {
    if (!printsReceipt(r)) return;
    let receipt: Buffer;
    try {
      receipt = buildDepositReceipt({ siteName, compartment: r.compartment, trackingNumber: r.trackingNumber, at: now() });
    } catch (err) {
      log.error(
        { err: err instanceof Error ? err.message : String(err), compartment: r.compartment },
        'deposit receipt could not be built',
      );
      return;
    }
    void printer.print(receipt).then((outcome) => {
      if (outcome.printed) log.info({ compartment: r.compartment, printer: outcome.status }, 'deposit receipt printed');
      else log.warn({ compartment: r.compartment, printer: outcome.status, reason: outcome.reason }, 'deposit receipt not printed');
    });
  };
  agent.on('result', onResult);
  return () => agent.off('result', onResult);
}
