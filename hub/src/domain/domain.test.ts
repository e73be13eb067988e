import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { applyMove, INBOUND_STATES, OUTBOUND_STATES, PARCEL_MOVES, type ParcelMove, type ParcelState } from './parcel-journey.js';
import { factorHash, hashCode, judgeCode, makeFactorPin, makeKeypadCode, offlineCodeHash, offlineKeypadHash } from './access-codes.js';
import { custodyHash, firstBrokenLink, type CustodyFields } from './custody.js';
import {
  applyCompartmentMove,
  chooseCompartment,
  COMPARTMENT_MOVES,
  COMPARTMENT_STATES,
  judgeReassignment,
  type CompartmentMove,
} from './compartments.js';
import { isValidTrackingNumber, makeTrackingNumber } from './tracking-number.js';

describe('parcel journey', () => {
  it('walks the inbound journey in order', () => {
    let s = 'awaiting_deposit' as Parameters<typeof applyMove>[0];
    for (const m of ['deposited', 'pickup_ordered', 'picked_up', 'received_at_hall', 'accepted'] as ParcelMove[]) {
      const r = applyMove(s, m);
      expect(r.ok).toBe(true);
      if (r.ok) s = r.to;
    }
    expect(s).toBe('accepted');
  });
  it('walks the partner locker journey: reserving → reserved → deposited …, or reserving → reservation_failed', () => {
    let s = 'reserving' as Parameters<typeof applyMove>[0];
    for (const m of ['reserved', 'deposited', 'pickup_ordered', 'picked_up', 'received_at_hall'] as ParcelMove[]) {
      const r = applyMove(s, m);
      expect(r.ok).toBe(true);
      if (r.ok) s = r.to;
    }
    expect(s).toBe('received_at_hall');
    expect(applyMove('reserving', 'reservation_failed')).toEqual({ ok: true, to: 'reservation_failed' });
    expect(applyMove('reserving', 'deposit_expired')).toEqual({ ok: true, to: 'deposit_expired' });
    // A parcel still reserving has no code to deposit with, and a failed one goes nowhere.
    expect(applyMove('reserving', 'deposited').ok).toBe(false);
    for (const m of Object.keys(PARCEL_MOVES) as ParcelMove[]) expect(applyMove('reservation_failed', m).ok).toBe(false);
    expect(applyMove('awaiting_deposit', 'reserved').ok).toBe(false);
  });
  it('walks the address pickup journey: pickup_requested → pickup_ordered → picked_up → received_at_hall (ADR 0037)', () => {
    let s = 'pickup_requested' as Parameters<typeof applyMove>[0];
    for (const m of ['pickup_ordered', 'picked_up', 'received_at_hall', 'accepted'] as ParcelMove[]) {
      const r = applyMove(s, m);
      expect(r.ok).toBe(true);
      if (r.ok) s = r.to;
    }
    expect(s).toBe('accepted');
    // Nothing is deposited, picked up or received before a courier order exists.
    for (const m of ['deposited', 'picked_up', 'received_at_hall', 'missing_at_pickup', 'deposit_expired'] as ParcelMove[])
      expect(applyMove('pickup_requested', m).ok).toBe(false);
  });
  it('walks the result journeys: own kiosk, counter, mail, and back to the hall then out again', () => {
    const walk = (from: ParcelState, moves: ParcelMove[]) =>
      moves.reduce<ParcelState>((s, m) => {
        const r = applyMove(s, m);
        if (!r.ok) throw new Error(r.reason);
        return r.to;
      }, from);
    expect(walk('result_ready', ['delivery_ordered', 'out_for_delivery', 'in_locker', 'collected'])).toBe('collected');
    expect(walk('result_ready', ['at_counter', 'collected'])).toBe('collected');
    expect(walk('result_ready', ['mailed', 'delivered'])).toBe('delivered');
    expect(
      walk('result_ready', [
        'delivery_ordered',
        'out_for_delivery',
        'in_locker',
        'returning',
        'returned_to_hall',
        'at_counter',
        'collected',
      ]),
    ).toBe('collected');
    expect(walk('in_locker', ['returning', 'returned_to_hall', 'mailed', 'delivered'])).toBe('delivered');
    // Taken out of the locker is not yet back: only the hall's scan makes it returned_to_hall.
    expect(applyMove('in_locker', 'returned_to_hall').ok).toBe(false);
    expect(applyMove('returning', 'at_counter').ok).toBe(false);
    expect(applyMove('returning', 'mailed').ok).toBe(false);
    // A result still on its way to the locker, or already collected, cannot be sent elsewhere.
    expect(applyMove('out_for_delivery', 'mailed').ok).toBe(false);
    expect(applyMove('collected', 'returned_to_hall').ok).toBe(false);
    expect(applyMove('in_locker', 'at_counter').ok).toBe(false);
  });
  it('refuses a step out of order with a reason', () => {
    const r = applyMove('awaiting_deposit', 'received_at_hall');
    expect(r).toEqual({ ok: false, reason: expect.stringContaining('awaiting_deposit') });
    expect(applyMove('picked_up', 'picked_up').ok).toBe(false);
  });
  it('every move leads somewhere it can only reach from its listed states', () => {
    const states: ParcelState[] = [...INBOUND_STATES, ...OUTBOUND_STATES];
    for (const [move, rule] of Object.entries(PARCEL_MOVES) as Array<[ParcelMove, (typeof PARCEL_MOVES)[ParcelMove]]>) {
      for (const from of states) {
        const listed = (rule.from as readonly ParcelState[]).includes(from);
        expect(applyMove(from, move)).toEqual(listed ? { ok: true, to: rule.to } : { ok: false, reason: expect.stringContaining(from) });
      }
    }
  });
});

describe('access codes', () => {
  it('makes 8-digit codes, zero-padded, without modulo bias', () => {
    expect(makeKeypadCode(() => 5)).toBe('00000005');
    const seq = [0xffff_ffff, 42];
    expect(makeKeypadCode(() => seq.shift()!)).toBe('00000042'); // the first draw lies above the unbiased limit
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), (n) => {
        const seq2 = [n, 7];
        expect(makeKeypadCode(() => seq2.shift()!)).toMatch(/^\d{8}$/);
      }),
    );
  });
  it('binds the hash to the key and the site', () => {
    const k1 = Buffer.alloc(32, 1),
      k2 = Buffer.alloc(32, 2);
    const h = hashCode(k1, 'site-a', '12345678');
    expect(h.equals(hashCode(k1, 'site-a', '12345678'))).toBe(true);
    expect(h.equals(hashCode(k2, 'site-a', '12345678'))).toBe(false);
    expect(h.equals(hashCode(k1, 'site-b', '12345678'))).toBe(false);
  });
  it('binds the code+factor hash to the key, the site, the code and the factor, and never to the code alone (ADR 0018)', () => {
    const k1 = Buffer.alloc(32, 1),
      k2 = Buffer.alloc(32, 2);
    const h = factorHash(k1, 'site-a', '12345678', '000001');
    expect(h.equals(factorHash(k1, 'site-a', '12345678', '000001'))).toBe(true);
    for (const other of [
      factorHash(k2, 'site-a', '12345678', '000001'),
      factorHash(k1, 'site-b', '12345678', '000001'),
      factorHash(k1, 'site-a', '12345679', '000001'),
      factorHash(k1, 'site-a', '12345678', '000002'),
      // the boundary between code and factor is part of what is hashed
      factorHash(k1, 'site-a', '1234567', '8000001'),
      hashCode(k1, 'site-a', '12345678'),
    ])
      expect(h.equals(other)).toBe(false);
    const o = offlineKeypadHash(k1, 'site-a', '12345678', '000001');
    expect(o.equals(offlineKeypadHash(k1, 'site-a', '12345678', '000002'))).toBe(false);
    expect(o.equals(offlineCodeHash(k1, 'site-a', '12345678'))).toBe(false);
  });
  it('makes 6-digit PINs, zero-padded', () => {
    expect(makeFactorPin(() => 42)).toBe('000042');
    expect(makeFactorPin(() => 999_999)).toBe('999999');
    expect(makeFactorPin((n) => n - 1)).toBe('999999');
  });
  it('judges used, revoked, expired and early codes', () => {
    const base = { purpose: 'deposit' as const, validFrom: new Date(1000), expiresAt: new Date(5000), usedAt: null, revokedAt: null };
    expect(judgeCode(base, new Date(2000))).toBe('usable');
    expect(judgeCode(base, new Date(5000))).toBe('expired');
    expect(judgeCode(base, new Date(500))).toBe('not_yet_valid');
    expect(judgeCode({ ...base, usedAt: new Date(1500) }, new Date(2000))).toBe('used');
    expect(judgeCode({ ...base, revokedAt: new Date(1500) }, new Date(2000))).toBe('revoked');
    // withdrawn by the expiry sweep once it ran out: the holder hears "expired", whenever they try
    expect(judgeCode({ ...base, revokedAt: new Date(5000) }, new Date(6000))).toBe('expired');
    expect(judgeCode({ ...base, revokedAt: new Date(1500) }, new Date(6000))).toBe('revoked');
  });
});

describe('custody chain', () => {
  const ev = (i: number): CustodyFields => ({
    id: `e${i}`,
    parcelId: 'p',
    kind: 'k',
    fromState: null,
    toState: 's',
    actorKind: 'system',
    actorId: null,
    siteId: null,
    compartment: i,
    at: new Date(1_700_000_000_000 + i),
    evidence: { b: 1, a: [i] },
  });
  const chain = () => {
    let prev: string | null = null;
    return [0, 1, 2].map((i) => {
      const e = ev(i);
      const hash = custodyHash(prev, e);
      const out = { ...e, prevHash: prev, hash };
      prev = hash;
      return out;
    });
  };
  it('verifies an intact chain', () => expect(firstBrokenLink(chain())).toBe(-1));
  it('finds an edited event', () => {
    const c = chain();
    c[1] = { ...c[1]!, actorId: 'someone else' };
    expect(firstBrokenLink(c)).toBe(1);
  });
  it('finds a deleted event', () => {
    const c = chain();
    c.splice(1, 1);
    expect(firstBrokenLink(c)).toBe(1);
  });
});

describe('compartment states', () => {
  it('every move leads somewhere it can only reach from its listed states', () => {
    for (const [move, rule] of Object.entries(COMPARTMENT_MOVES) as Array<[CompartmentMove, (typeof COMPARTMENT_MOVES)[CompartmentMove]]>) {
      for (const from of COMPARTMENT_STATES) {
        const listed = (rule.from as readonly string[]).includes(from);
        expect(applyCompartmentMove(from, move)).toEqual(
          listed ? { ok: true, to: rule.to } : { ok: false, reason: expect.stringContaining(from) },
        );
      }
    }
  });
  it('walks a compartment through a deposit and its pickup, and refuses steps out of order', () => {
    expect(applyCompartmentMove('free', 'reserve')).toEqual({ ok: true, to: 'reserved' });
    expect(applyCompartmentMove('reserved', 'fill')).toEqual({ ok: true, to: 'occupied' });
    expect(applyCompartmentMove('occupied', 'empty')).toEqual({ ok: true, to: 'free' });
    expect(applyCompartmentMove('occupied', 'reserve').ok).toBe(false);
    expect(applyCompartmentMove('free', 'fill').ok).toBe(false);
    expect(applyCompartmentMove('reserved', 'empty').ok).toBe(false);
  });
  it('takes a jam from any state, and a faulty door leaves faulty by no move', () => {
    for (const from of COMPARTMENT_STATES) expect(applyCompartmentMove(from, 'fault')).toEqual({ ok: true, to: 'faulty' });
    for (const move of Object.keys(COMPARTMENT_MOVES) as CompartmentMove[]) {
      const r = applyCompartmentMove('faulty', move);
      expect(r.ok ? r.to : 'refused').toBe(move === 'fault' ? 'faulty' : 'refused');
    }
  });
});

describe('compartment allocation', () => {
  it('takes the smallest fitting size, lowest number first', () => {
    const free = [
      { id: 'a', number: 5, size: 'L' as const },
      { id: 'b', number: 3, size: 'M' as const },
      { id: 'c', number: 2, size: 'M' as const },
      { id: 'd', number: 1, size: 'S' as const },
    ];
    expect(chooseCompartment(free, 'M')?.id).toBe('c');
    expect(chooseCompartment(free, 'S')?.id).toBe('d');
    expect(chooseCompartment(free, 'L')?.id).toBe('a');
    expect(chooseCompartment(free.slice(1), 'L')).toBeNull();
  });

  it('moves only a deposit still awaiting its documents, and only after a reported jam', () => {
    expect(judgeReassignment({ purpose: 'deposit', unlockOutcome: 'jammed', parcelState: 'awaiting_deposit' })).toBe('allowed');
    expect(judgeReassignment({ purpose: 'deposit', unlockOutcome: null, parcelState: 'awaiting_deposit' })).toBe('not_jammed');
    expect(judgeReassignment({ purpose: 'deposit', unlockOutcome: 'opened', parcelState: 'awaiting_deposit' })).toBe('not_jammed');
    expect(judgeReassignment({ purpose: 'deposit', unlockOutcome: 'failed', parcelState: 'awaiting_deposit' })).toBe('not_jammed');
    // Only a jam moves a deposit: not a door that may have opened, nor one never unlocked, whatever a person answered.
    for (const unlockOutcome of ['unconfirmed', 'not_sent', 'answered_opened', 'answered_not_opened'] as const) {
      expect(judgeReassignment({ purpose: 'deposit', unlockOutcome, parcelState: 'awaiting_deposit' })).toBe('not_jammed');
    }
    expect(judgeReassignment({ purpose: 'deposit', unlockOutcome: 'jammed', parcelState: 'deposited' })).toBe('not_reassignable');
    for (const purpose of ['collect', 'courier_pickup', 'courier_deliver'] as const) {
      expect(judgeReassignment({ purpose, unlockOutcome: 'jammed', parcelState: 'awaiting_deposit' })).toBe('not_reassignable');
    }
  });
});

describe('tracking numbers', () => {
  it('carry a check digit that catches a single mistyped digit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 11, maxLength: 11 }),
        fc.integer({ min: 2, max: 13 }),
        fc.integer({ min: 1, max: 9 }),
        (digits, pos, delta) => {
          const seq = [...digits];
          const tn = makeTrackingNumber(() => seq.shift()!);
          expect(isValidTrackingNumber(tn)).toBe(true);
          const d = Number(tn[pos]);
          const typo = tn.slice(0, pos) + String((d + delta) % 10) + tn.slice(pos + 1);
          expect(isValidTrackingNumber(typo)).toBe(false);
        },
      ),
    );
  });
});
