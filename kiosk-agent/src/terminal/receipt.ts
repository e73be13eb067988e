// The deposit receipt (投件凭条) as ESC/POS bytes: a pure function of what the kiosk knows when a
// deposit compartment opens. Chinese first, each line with an English sub-line; the time in
// China Standard Time whatever the kiosk's clock zone; the tracking number also as a QR code so
// the resident can scan it to follow the parcel.
import { EscPosEncoder } from '@xinbao/protocol';

export interface DepositReceipt {
  siteName: string;
  compartment: number;
  trackingNumber: string;
  /** when the compartment opened */
  at: Date;
}

/** Printed when the configuration names no site. */
export const DEFAULT_SITE_NAME = '24小时自助信包箱';

const SHANGHAI = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** `2025-03-05 07:30:00` in Asia/Shanghai. */
export function formatShanghaiTime(at: Date): string {
  const p = Object.fromEntries(SHANGHAI.formatToParts(at).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/** The receipt's bytes. Throws RangeError for text a printer would misread (control characters). */
export function buildDepositReceipt(r: DepositReceipt): Buffer {
  const field = (e: EscPosEncoder, zh: string, value: string, en: string): EscPosEncoder =>
    e.bold(true).line(`${zh}：${value}`).bold(false).line(`  ${en}`);
  const e = new EscPosEncoder()
    .init()
    .align('center')
    .bold(true)
    .size(2, 2)
    .line('投件凭条')
    .size(1, 1)
    .bold(false)
    .line('Deposit receipt')
    .line();
  e.align('left');
  field(e, '站点', r.siteName, 'Site');
  field(e, '格口', String(r.compartment), 'Compartment');
  field(e, '单号', r.trackingNumber, 'Tracking number');
  field(e, '时间', formatShanghaiTime(r.at), 'Time (Beijing)');
  return e
    .line()
    .align('center')
    .qr(r.trackingNumber, { moduleSize: 6, errorCorrection: 'M' })
    .line('扫码或凭单号查询进度')
    .line('Scan or use the tracking number to follow your parcel')
    .line('请妥善保管本凭条')
    .line('Please keep this receipt')
    .feed(3)
    .cut('partial')
    .bytes();
}
