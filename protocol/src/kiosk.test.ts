import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { BusReport, isBoardFault, KioskEvent, UNLOCK_OUTCOMES } from './kiosk.js';

const base = () => ({ eventId: randomUUID(), at: '2026-12-01T10:00:00.000Z' });

describe('the kiosk contract: unlock outcomes, board faults, bus reports', () => {
  it.each(UNLOCK_OUTCOMES)('accepts the unlock outcome %s', (outcome) => {
    expect(KioskEvent.safeParse({ ...base(), type: 'unlock_result', compartment: 3, commandId: randomUUID(), outcome }).success).toBe(true);
  });

  it.each<[string, Record<string, unknown>, boolean]>([
    ['a compartment fault', { fault: 'left_open', compartment: 3 }, true],
    ['a compartment fault without its compartment', { fault: 'jammed' }, false],
    ['a compartment fault naming a board only', { fault: 'forced_open', bus: 'b', board: 1 }, false],
    ['a board fault', { fault: 'board_unreachable', bus: 'rs485-1', board: 0 }, true],
    ['a board fault naming a compartment too', { fault: 'board_unreachable', bus: 'rs485-1', board: 0, compartment: 5 }, true],
    ['a board answering again', { fault: 'board_reachable', bus: 'rs485-1', board: 2 }, true],
    ['a board fault without its board', { fault: 'board_unreachable', bus: 'rs485-1', compartment: 5 }, false],
    ['a board fault without its bus', { fault: 'board_reachable', board: 0 }, false],
    ['an unknown fault', { fault: 'on_fire', compartment: 1 }, false],
  ])('%s', (_name, fault, valid) => {
    const parsed = KioskEvent.safeParse({ ...base(), type: 'fault', ...fault });
    expect(parsed.success).toBe(valid);
    if (parsed.success) expect(isBoardFault(parsed.data)).toBe(String(fault.fault).startsWith('board_'));
  });

  it('takes a person’s answer to an unconfirmed unlock, opened or not_opened only', () => {
    const answer = (a: string) =>
      KioskEvent.safeParse({ ...base(), type: 'unlock_answered', compartment: 1, commandId: randomUUID(), answer: a });
    expect(answer('opened').success).toBe(true);
    expect(answer('not_opened').success).toBe(true);
    expect(answer('maybe').success).toBe(false);
  });

  it('checks a bus report', () => {
    const bus = { bus: 'rs485-1', state: 'reopening', frames: 3, replies: 2, timeouts: 1, badFramesDropped: 0, reopenings: 1 };
    expect(
      BusReport.safeParse({ at: '2026-12-01T10:00:00Z', buses: [bus, { ...bus, bus: 'rs485-2', state: 'up', lastError: 'x' }] }).success,
    ).toBe(true);
    expect(BusReport.safeParse({ at: '2026-12-01T10:00:00Z', buses: [{ ...bus, state: 'flaky' }] }).success).toBe(false);
    expect(BusReport.safeParse({ at: '2026-12-01T10:00:00Z', buses: [{ ...bus, timeouts: -1 }] }).success).toBe(false);
    expect(BusReport.safeParse({ buses: [] }).success).toBe(false);
  });
});
