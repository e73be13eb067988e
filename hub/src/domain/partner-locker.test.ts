import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { PARTNER_EVENT_TYPES } from '@xinbao/protocol';
import { INBOUND_STATES, OUTBOUND_STATES, applyMove, type ParcelMove, type ParcelState } from './parcel-journey.js';
import {
  PARTNER_RESERVATION_STATUSES,
  decideDeliveryEvent,
  decidePartnerEvent,
  type DeliveryEventDecision,
  partnerDropOff,
  partnerRetryDelayMs,
  refusalReason,
  type PartnerReservationFacts,
} from './partner-locker.js';

const ALL_STATES: ParcelState[] = [...INBOUND_STATES, ...OUTBOUND_STATES];

describe('partner events against the parcel journey', () => {
  it('decides each event for each state as the journey allows', () => {
    expect(decidePartnerEvent('reserving', 'code_issued')).toEqual({ act: 'code_issued' });
    expect(decidePartnerEvent('awaiting_deposit', 'code_issued').act).toBe('already');
    expect(decidePartnerEvent('deposited', 'code_issued').act).toBe('ignore');
    expect(decidePartnerEvent('reservation_failed', 'code_issued')).toEqual({ act: 'release_orphan' });
    expect(decidePartnerEvent('awaiting_deposit', 'deposited')).toEqual({ act: 'deposited', viaReserved: false });
    // deposited before the code reached the hub (out of order, or a lost code_issued)
    expect(decidePartnerEvent('reserving', 'deposited')).toEqual({ act: 'deposited', viaReserved: true });
    expect(decidePartnerEvent('pickup_ordered', 'deposited').act).toBe('already');
    expect(decidePartnerEvent('pickup_ordered', 'collected')).toEqual({ act: 'collected', viaOrdered: false });
    // collected before the courier dispatch system confirmed an order that carried the partner's code
    expect(decidePartnerEvent('deposited', 'collected', { courierCodeSent: true })).toEqual({ act: 'collected', viaOrdered: true });
    // collected before the deposit, or before any order went out with the code: waits for them
    for (const s of ['reserving', 'awaiting_deposit', 'deposited'] as const) expect(decidePartnerEvent(s, 'collected').act).toBe('defer');
    for (const s of ['reserving', 'awaiting_deposit'] as const)
      expect(decidePartnerEvent(s, 'collected', { courierCodeSent: true }).act).toBe('defer');
    expect(decidePartnerEvent('picked_up', 'collected').act).toBe('already');
    for (const t of ['expired', 'cancelled'] as const) {
      expect(decidePartnerEvent('awaiting_deposit', t)).toEqual({ act: 'ended', move: true });
      expect(decidePartnerEvent('reserving', t)).toEqual({ act: 'ended', move: true });
      expect(decidePartnerEvent('reservation_failed', t)).toEqual({ act: 'ended', move: false });
      expect(decidePartnerEvent('deposit_expired', t).act).toBe('already');
      expect(decidePartnerEvent('deposited', t).act).toBe('ignore');
    }
  });

  it('never decides a move the journey would refuse', () => {
    const movesOf = (state: ParcelState, type: (typeof PARTNER_EVENT_TYPES)[number], courierCodeSent: boolean): ParcelMove[] => {
      const d = decidePartnerEvent(state, type, { courierCodeSent });
      switch (d.act) {
        case 'code_issued':
          return ['reserved'];
        case 'deposited':
          return d.viaReserved ? ['reserved', 'deposited'] : ['deposited'];
        case 'collected':
          return d.viaOrdered ? ['pickup_ordered', 'picked_up'] : ['picked_up'];
        case 'ended':
          return d.move ? ['deposit_expired'] : [];
        case 'release_orphan':
        case 'defer':
        case 'already':
        case 'ignore':
          return [];
      }
    };
    fc.assert(
      fc.property(fc.constantFrom(...ALL_STATES), fc.constantFrom(...PARTNER_EVENT_TYPES), fc.boolean(), (state, type, sent) => {
        let s = state;
        for (const m of movesOf(state, type, sent)) {
          const r = applyMove(s, m);
          expect(r.ok).toBe(true);
          if (r.ok) s = r.to;
        }
      }),
    );
  });

  it('applies an event at most once: after its move, the same event is no longer a move', () => {
    for (const state of ALL_STATES) {
      for (const type of PARTNER_EVENT_TYPES) {
        for (const courierCodeSent of [false, true]) {
          const d = decidePartnerEvent(state, type, { courierCodeSent });
          const after: Partial<Record<typeof d.act, ParcelState>> = {
            code_issued: 'awaiting_deposit',
            deposited: 'deposited',
            collected: 'picked_up',
          };
          const next = d.act === 'ended' ? (d.move ? 'deposit_expired' : null) : (after[d.act] ?? null);
          if (next === null) continue;
          expect(['already', 'ignore']).toContain(decidePartnerEvent(next, type, { courierCodeSent }).act);
        }
      }
    }
  });

  it('leaves outbound parcels alone', () => {
    for (const s of OUTBOUND_STATES) for (const t of PARTNER_EVENT_TYPES) expect(decidePartnerEvent(s, t).act).toBe('ignore');
  });
});

describe('partner events against a result delivered into a partner locker (ADR 0025)', () => {
  const BY = [undefined, 'recipient', 'courier'] as const;

  it('decides each event for each state of the result', () => {
    expect(decideDeliveryEvent('delivery_ordered', 'deposited', undefined)).toEqual({ act: 'delivered', viaOrdered: false });
    expect(decideDeliveryEvent('out_for_delivery', 'deposited', undefined)).toEqual({ act: 'delivered', viaOrdered: false });
    // the deliver code only leaves in the order: a deposit while result_ready means the dispatch answer was lost
    expect(decideDeliveryEvent('result_ready', 'deposited', undefined)).toEqual({ act: 'delivered', viaOrdered: true });
    expect(decideDeliveryEvent('in_locker', 'deposited', undefined).act).toBe('already');
    expect(decideDeliveryEvent('in_locker', 'collected', 'recipient')).toEqual({ act: 'collected' });
    expect(decideDeliveryEvent('in_locker', 'collected', 'courier')).toEqual({ act: 'returned' });
    expect(decideDeliveryEvent('delivery_ordered', 'collected', 'recipient').act).toBe('defer');
    expect(decideDeliveryEvent('collected', 'collected', 'recipient').act).toBe('already');
    expect(decideDeliveryEvent('in_locker', 'hold_expired', undefined)).toEqual({ act: 'hold_over' });
    expect(decideDeliveryEvent('returned_to_hall', 'hold_expired', undefined).act).toBe('already');
    expect(decideDeliveryEvent('returning', 'collected', 'courier').act).toBe('already');
    expect(decideDeliveryEvent('delivery_ordered', 'expired', undefined)).toEqual({ act: 'failed', stage: 'reservation_expired' });
    expect(decideDeliveryEvent('result_ready', 'cancelled', undefined)).toEqual({ act: 'failed', stage: 'reservation_cancelled' });
    expect(decideDeliveryEvent('out_for_delivery', 'deposit_refused', undefined)).toEqual({ act: 'failed', stage: 'deposit_refused' });
    expect(decideDeliveryEvent('in_locker', 'expired', undefined).act).toBe('ignore');
    expect(decideDeliveryEvent('in_locker', 'deposit_refused', undefined).act).toBe('ignore');
    for (const s of INBOUND_STATES) for (const t of PARTNER_EVENT_TYPES) expect(decideDeliveryEvent(s, t, undefined).act).toBe('ignore');
  });

  const movesOf = (state: ParcelState, d: DeliveryEventDecision): ParcelMove[] => {
    switch (d.act) {
      case 'delivered':
        return [
          ...(d.viaOrdered ? (['delivery_ordered'] as const) : []),
          ...(d.viaOrdered || state === 'delivery_ordered' ? (['out_for_delivery'] as const) : []),
          'in_locker',
        ];
      case 'collected':
        return ['collected'];
      case 'returned':
        return ['returning'];
      case 'hold_over':
      case 'failed':
      case 'defer':
      case 'already':
      case 'ignore':
        return [];
    }
  };

  it('never decides a move the journey would refuse', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL_STATES), fc.constantFrom(...PARTNER_EVENT_TYPES), fc.constantFrom(...BY), (state, type, by) => {
        let s = state;
        for (const m of movesOf(state, decideDeliveryEvent(state, type, by))) {
          const r = applyMove(s, m);
          expect(r.ok).toBe(true);
          if (r.ok) s = r.to;
        }
      }),
    );
  });

  it('applies an event at most once: after its moves, the same event is no longer a move', () => {
    for (const state of ALL_STATES)
      for (const type of PARTNER_EVENT_TYPES)
        for (const by of BY) {
          const moves = movesOf(state, decideDeliveryEvent(state, type, by));
          if (moves.length === 0) continue;
          let s = state;
          for (const m of moves) {
            const r = applyMove(s, m);
            if (r.ok) s = r.to;
          }
          expect(['already', 'ignore']).toContain(decideDeliveryEvent(s, type, by).act);
        }
  });
});

describe('retry delays', () => {
  const policy = { baseMs: 1_000, maxMs: 60_000 };
  it('doubles from the base, waits at least Retry-After, never more than the maximum', () => {
    expect([1, 2, 3, 4].map((n) => partnerRetryDelayMs(n, undefined, policy))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(partnerRetryDelayMs(1, 5_000, policy)).toBe(5_000);
    expect(partnerRetryDelayMs(20, undefined, policy)).toBe(60_000);
    expect(partnerRetryDelayMs(1, 3_600_000, policy)).toBe(60_000);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.option(fc.integer({ min: 0, max: 86_400_000 }), { nil: undefined }),
        (n, retryAfter) => {
          const d = partnerRetryDelayMs(n, retryAfter, policy);
          expect(d).toBeLessThanOrEqual(policy.maxMs);
          expect(d).toBeGreaterThanOrEqual(Math.min(policy.maxMs, retryAfter ?? 0, policy.baseMs * 2 ** (n - 1)));
          expect(d).toBeGreaterThanOrEqual(Math.min(policy.maxMs, retryAfter ?? 0));
          expect(partnerRetryDelayMs(n + 1, retryAfter, policy)).toBeGreaterThanOrEqual(d);
        },
      ),
    );
  });
});

describe('what the applicant sees', () => {
  const site = { id: 's1', name: '钟楼小区北门', address: '西安市碑林区北大街1号' };
  const now = new Date('2026-11-21T10:00:00Z');
  const facts = (f: Partial<PartnerReservationFacts> = {}): PartnerReservationFacts => ({
    status: 'reserved',
    attempts: 1,
    lastError: null,
    failureReason: null,
    compartmentNo: 3,
    size: 'M',
    expiresAt: new Date('2026-11-22T10:00:00Z'),
    ...f,
  });

  it('shows a ready code with its site, compartment and expiry', () => {
    expect(partnerDropOff('awaiting_deposit', facts(), site, now, '12345678')).toMatchObject({
      state: 'ready',
      code: '12345678',
      compartment: 3,
      size: 'M',
      expiresAt: new Date('2026-11-22T10:00:00Z'),
      site,
    });
  });

  it('shows reserving with the attempts and the last failure, failed with the reason and what to do', () => {
    const r = partnerDropOff(
      'reserving',
      facts({ status: 'reserving', attempts: 3, lastError: 'the partner network did not answer in time' }),
      site,
      now,
      null,
    );
    expect(r).toMatchObject({ state: 'reserving', attempts: 3, lastError: 'the partner network did not answer in time' });
    expect(r.message).toContain('trying again');
    const f = partnerDropOff(
      'reservation_failed',
      facts({ status: 'failed', failureReason: refusalReason('NO_COMPARTMENT', 'M') }),
      site,
      now,
      null,
    );
    expect(f).toMatchObject({ state: 'failed', reason: 'this locker has no free compartment of size M or larger right now' });
    expect(f.whatNext!.length).toBeGreaterThan(0);
  });

  it('never shows a code that does not work', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ALL_STATES),
        fc.constantFrom(...PARTNER_RESERVATION_STATUSES),
        fc.integer({ min: -86_400_000, max: 86_400_000 }),
        (state, status, expiresInMs) => {
          const v = partnerDropOff(state, facts({ status, expiresAt: new Date(now.getTime() + expiresInMs) }), site, now, '87654321');
          const works = state === 'awaiting_deposit' && expiresInMs > 0;
          expect(v.code !== undefined).toBe(works);
          if (state === 'awaiting_deposit' && !works) expect(v.state).toBe('expired');
        },
      ),
    );
  });
});
