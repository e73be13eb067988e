// The intake desk's decision for every parcel state and direction, the masking of the clerk's name
// and the desk's clock (China Standard Time).
import { describe, expect, it } from '@jest/globals';
import { decideScan, hhmm, scanMessage, type ScanDecision } from './intake-scan.js';
import { INBOUND_STATES, OUTBOUND_STATES, type ParcelState } from './parcel-journey.js';
import { maskName } from './masking.js';

const INBOUND: Record<(typeof INBOUND_STATES)[number], ScanDecision> = {
  reserving: { result: 'unannounced', why: 'not_picked_up' },
  pickup_requested: { result: 'unannounced', why: 'not_picked_up' },
  reservation_failed: { result: 'refused', reason: 'never_handed_in' },
  awaiting_deposit: { result: 'unannounced', why: 'not_picked_up' },
  deposited: { result: 'unannounced', why: 'not_picked_up' },
  pickup_ordered: { result: 'unannounced', why: 'not_picked_up' },
  picked_up: { result: 'received' },
  received_at_hall: { result: 'already_received' },
  accepted: { result: 'already_received' },
  deposit_expired: { result: 'refused', reason: 'never_handed_in' },
  missing_at_pickup: { result: 'unannounced', why: 'not_picked_up' },
  rejected_at_intake: { result: 'already_received' },
};

describe('decideScan', () => {
  it.each(Object.entries(INBOUND))('an inbound parcel that is %s', (state, want) => {
    expect(decideScan({ direction: 'inbound', state: state as ParcelState })).toEqual(want);
  });

  const OUTBOUND_BACK: Partial<Record<(typeof OUTBOUND_STATES)[number], ScanDecision>> = {
    returning: { result: 'received' },
    returned_to_hall: { result: 'already_received' },
  };
  it.each(OUTBOUND_STATES.filter((s) => !(s in OUTBOUND_BACK)).map((s) => [s]))('an outbound parcel that is %s is refused', (state) => {
    expect(decideScan({ direction: 'outbound', state })).toEqual({ result: 'refused', reason: 'outbound' });
  });

  it.each(Object.entries(OUTBOUND_BACK))('a result on its way back from a locker that is %s', (state, want) => {
    expect(decideScan({ direction: 'outbound', state: state as ParcelState })).toEqual(want);
  });

  it('only a result the courier took back out of its locker is received of the outbound ones', () => {
    expect(OUTBOUND_STATES.filter((state) => decideScan({ direction: 'outbound', state }).result === 'received')).toEqual(['returning']);
  });

  it('an unknown tracking number is unannounced', () => {
    expect(decideScan(null)).toEqual({ result: 'unannounced', why: 'unknown' });
  });

  it('only a picked-up inbound parcel is received', () => {
    const received = INBOUND_STATES.filter((state) => decideScan({ direction: 'inbound', state }).result === 'received');
    expect(received).toEqual(['picked_up']);
  });
});

describe('scanMessage', () => {
  it('says when and by whom a parcel was first received, in the hall’s time', () => {
    const first = { at: new Date('2026-12-01T02:42:10Z'), by: maskName('王五 (受理窗口)') };
    expect(scanMessage({ result: 'already_received' }, 'XB000', first)).toBe(
      'XB000 was already received at 10:42 by 王*; nothing was written',
    );
  });

  it.each([
    ['2026-12-01T00:00:00Z', '08:00'],
    ['2026-12-01T16:05:00Z', '00:05'],
    ['2026-12-01T15:59:59Z', '23:59'],
  ])('hhmm(%s) = %s', (iso, want) => {
    expect(hhmm(new Date(iso))).toBe(want);
  });
});
