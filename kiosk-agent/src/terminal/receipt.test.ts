import { describe, expect, it } from '@jest/globals';
import { decodeEscPos, receiptLines, receiptQrCodes } from '@xinbao/protocol';
import { buildDepositReceipt, formatShanghaiTime } from './receipt.js';

const receipt = { siteName: '港务区政务服务中心', compartment: 12, trackingNumber: 'XB104829375161', at: new Date('2025-03-04T23:30:05Z') };

describe('deposit receipt', () => {
  it('reads back, line by line, as what the resident gets', () => {
    const { receipts, stats } = decodeEscPos(buildDepositReceipt(receipt));
    expect(stats.unknown).toBe(0);
    expect(receipts).toHaveLength(1);
    const [r] = receipts;
    expect(r?.cut).toBe('partial');
    expect(receiptLines(r!)).toEqual([
      '投件凭条',
      'Deposit receipt',
      '',
      '站点：港务区政务服务中心',
      '  Site',
      '格口：12',
      '  Compartment',
      '单号：XB104829375161',
      '  Tracking number',
      '时间：2025-03-05 07:30:05',
      '  Time (Beijing)',
      '',
      '扫码或凭单号查询进度',
      'Scan or use the tracking number to follow your parcel',
      '请妥善保管本凭条',
      'Please keep this receipt',
    ]);
    expect(receiptQrCodes(r!)).toEqual(['XB104829375161']);
  });

  it('puts the heading big and bold in the middle, the fields on the left, the QR code centred', () => {
    const [r] = decodeEscPos(buildDepositReceipt(receipt)).receipts;
    const items = r!.items;
    expect(items[0]).toEqual({ kind: 'text', text: '投件凭条', align: 'center', bold: true, width: 2, height: 2 });
    expect(items.find((i) => i.kind === 'text' && i.text.startsWith('单号'))).toMatchObject({
      align: 'left',
      bold: true,
      width: 1,
      height: 1,
    });
    expect(items.find((i) => i.kind === 'qr')).toEqual({
      kind: 'qr',
      data: 'XB104829375161',
      align: 'center',
      moduleSize: 6,
      errorCorrection: 'M',
    });
  });

  it('gives the time in China Standard Time whatever the instant', () => {
    expect(formatShanghaiTime(new Date('2025-12-31T16:00:00Z'))).toBe('2026-01-01 00:00:00');
    expect(formatShanghaiTime(new Date('2025-07-01T03:04:05.999Z'))).toBe('2025-07-01 11:04:05');
  });

  it('refuses a site name a printer would misread', () => {
    expect(() => buildDepositReceipt({ ...receipt, siteName: 'hall\u001b@' })).toThrow(RangeError);
  });
});
