// The staff search box's forms (ADR 0034): each recognised as typed or scanned, and refused otherwise.
import { describe, expect, it } from '@jest/globals';
import { classifySearch } from './search.js';
import { checkDigit } from './tracking-number.js';

const BODY = '26120100001';
const TN = `XB${BODY}${checkDigit(BODY)}`;
const WRONG_TN = `XB${BODY}${(checkDigit(BODY) + 1) % 10}`;
const ID = '01930a4e-7b2c-7def-8a12-3456789abcde';

describe('classifySearch', () => {
  it('recognises a tracking number, scanned or typed in lower case with spaces', () => {
    expect(classifySearch(TN)).toEqual({ kind: 'tracking_number', value: TN });
    expect(classifySearch(` ${TN.toLowerCase().slice(0, 6)} ${TN.slice(6)} `)).toEqual({ kind: 'tracking_number', value: TN });
  });

  it('refuses a tracking number whose check digit is wrong, saying so', () => {
    expect(classifySearch(WRONG_TN)).toMatchObject({ code: 'bad_check_digit' });
  });

  it('recognises an application number in either case', () => {
    expect(classifySearch(ID)).toEqual({ kind: 'application', value: ID });
    expect(classifySearch(ID.toUpperCase())).toEqual({ kind: 'application', value: ID });
  });

  it('recognises a full mobile number (with +86, spaces or dashes) and the last four digits', () => {
    for (const q of ['13800000001', '138 0000 0001', '138-0000-0001', '+8613800000001'])
      expect(classifySearch(q)).toEqual({ kind: 'phone', value: '13800000001' });
    expect(classifySearch('0001')).toEqual({ kind: 'phone_last4', value: '0001' });
    expect(classifySearch(' 56 78 ')).toEqual({ kind: 'phone_last4', value: '5678' });
  });

  it('refuses anything else', () => {
    for (const q of [
      '',
      '   ',
      '123',
      '12345',
      '23800000001',
      '1380000000',
      'XB123',
      '张三',
      "' OR 1=1 --",
      `${ID}0`,
      'XB' + '1'.repeat(13),
    ])
      expect(classifySearch(q)).toMatchObject({ code: 'bad_query' });
  });
});
