import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { formatQrToken, KeypadFactor, parseQrToken, phoneFactor, type QrPayload } from './codes.js';

const payload: QrPayload = {
  cid: '01890a5d-ac96-774b-bcce-b302099a8057',
  sid: '01890a5d-ac96-774b-bcce-b302099a8058',
  p: 'deposit',
  exp: 1_900_000_000,
};

describe('QR token format', () => {
  it('round-trips a payload and its signature', () => {
    const sig = Buffer.from('0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'hex');
    const parsed = parseQrToken(formatQrToken(payload, sig));
    expect(parsed?.payload).toEqual(payload);
    expect(parsed?.signature.equals(sig)).toBe(true);
  });
  it('rejects tokens of another shape', () => {
    for (const t of ['', 'XB1', 'XB1.a', 'XB2.e30.AA', 'XB1.e30.AA', 'XB1.!!.AA', '12345678']) expect(parseQrToken(t)).toBeNull();
  });
  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        parseQrToken(s);
        parseQrToken(`XB1.${s}.${s}`);
      }),
    );
  });
});

describe('the keypad second factor (ADR 0018)', () => {
  it.each([
    ['13800000001', '000001'],
    ['+86 138-0013-8000', '138000'],
    ['(029) 8888 1234', '881234'],
    ['123456', '123456'],
    ['12345', null],
    ['', null],
    [null, null],
    [undefined, null],
  ])('takes the last 6 digits of %p: %p', (phone, factor) => {
    expect(phoneFactor(phone)).toBe(factor);
  });
  it('is exactly 6 digits', () => {
    for (const ok of ['000000', '123456']) expect(KeypadFactor.safeParse(ok).success).toBe(true);
    for (const bad of ['12345', '1234567', '12345a', ' 123456', '', undefined]) expect(KeypadFactor.safeParse(bad).success).toBe(false);
  });
});
