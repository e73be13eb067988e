import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { OpenCodeCipher } from './open-code.js';

describe('the partner open-code at rest', () => {
  const cipher = new OpenCodeCipher(randomBytes(32));
  const parcel = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';

  it('opens what it sealed, and the sealed bytes do not contain the code', () => {
    const sealed = cipher.seal(parcel, '01234567');
    expect(cipher.open(parcel, sealed)).toBe('01234567');
    expect(sealed.toString('latin1')).not.toContain('01234567');
    expect(sealed.toString('hex')).not.toContain(Buffer.from('01234567').toString('hex'));
  });

  it('seals the same code differently each time', () => {
    expect(cipher.seal(parcel, '01234567').equals(cipher.seal(parcel, '01234567'))).toBe(false);
  });

  it('refuses a box moved to another parcel, sealed under another key, or tampered with', () => {
    const sealed = cipher.seal(parcel, '01234567');
    expect(cipher.open('0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c', sealed)).toBeNull();
    expect(new OpenCodeCipher(randomBytes(32)).open(parcel, sealed)).toBeNull();
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 1]! ^= 1;
    expect(cipher.open(parcel, flipped)).toBeNull();
    expect(cipher.open(parcel, sealed.subarray(0, 20))).toBeNull();
  });
});
