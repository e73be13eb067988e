import { describe, expect, it } from '@jest/globals';
import { PassThrough } from 'node:stream';
import { ScanRefused, ScannerModel } from './scanner-model.js';

const typed = (line: PassThrough): string => (line.read() as Buffer | null)?.toString('latin1') ?? '';

describe('ScannerModel (simulated serial scanner)', () => {
  it('types the code and CR LF, or the suffix it is set to', async () => {
    const line = new PassThrough();
    await new ScannerModel(line).scan('48213097');
    expect(typed(line)).toBe('48213097\r\n');
    await new ScannerModel(line, 'cr').scan('XB1.a.b');
    expect(typed(line)).toBe('XB1.a.b\r');
    await new ScannerModel(line, 'lf').scan('x');
    expect(typed(line)).toBe('x\n');
  });

  it('counts scans and refuses what no scanner can type as one code', async () => {
    const line = new PassThrough();
    const s = new ScannerModel(line);
    await s.scan('1');
    expect(() => s.scan('')).toThrow(ScanRefused);
    expect(() => s.scan('12\r\n34')).toThrow(/line break/);
    expect(() => s.scan('9'.repeat(4097))).toThrow(ScanRefused);
    expect(s.scans).toBe(1);
    expect(typed(line)).toBe('1\r\n');
  });
});
