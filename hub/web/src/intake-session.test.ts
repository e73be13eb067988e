// The intake page's logic without a browser: the session list and counters, the tone (colour and
// sound) of each answer, the words for each answer in both languages, and the two dictionaries.
import { describe, expect, it } from '@jest/globals';
import type { ScanAnswer } from './api.js';
import { en } from './i18n/en.js';
import { translator } from './i18n/index.js';
import { zhCN } from './i18n/zh-CN.js';
import {
  addScan,
  describeScan,
  emptySession,
  hallTime,
  normaliseTrackingNumber,
  toneOf,
  type Outcome,
  type Tone,
} from './intake-session.js';
import { maskName } from './mask.js';
import { BEEPS } from './sound.js';

const at = new Date('2026-12-01T02:42:00Z');
const answer = (a: Partial<ScanAnswer> & Pick<ScanAnswer, 'result'>): ScanAnswer => ({ message: '', recorded: true, ...a });

describe('the scan session', () => {
  it('lists the newest scan first and counts each outcome', () => {
    let s = emptySession();
    const outcomes: Outcome[] = ['received', 'already_received', 'received', 'error', 'unannounced'];
    outcomes.forEach((outcome, i) => (s = addScan(s, { trackingNumber: `XB${i}`, outcome, at })));
    expect(s.scans.map((x) => x.trackingNumber)).toEqual(['XB4', 'XB3', 'XB2', 'XB1', 'XB0']);
    expect(s.scans.map((x) => x.seq)).toEqual([5, 4, 3, 2, 1]);
    expect(s.counts).toEqual({ received: 2, already_received: 1, unannounced: 1, refused: 0, error: 1 });
  });

  it.each([
    ['received', 'accepted'],
    ['already_received', 'warning'],
    ['unannounced', 'refused'],
    ['refused', 'refused'],
    ['error', 'refused'],
  ] satisfies Array<[Outcome, Tone]>)('%s sounds and looks %s', (outcome, tone) => {
    expect(toneOf(outcome)).toBe(tone);
  });

  it('one high beep for received, two low for refused', () => {
    expect(BEEPS.accepted).toHaveLength(1);
    expect(BEEPS.refused).toHaveLength(2);
    expect(Math.min(...BEEPS.accepted.map(([hz]) => hz))).toBeGreaterThan(Math.max(...BEEPS.refused.map(([hz]) => hz)));
  });

  it('normalises what a scanner or a person typed', () => {
    expect(normaliseTrackingNumber(' xb 1234 5678 9012\n')).toBe('XB123456789012');
  });

  it('shows the hall’s time whatever the browser’s zone', () => {
    expect(hallTime(at)).toBe('10:42');
  });
});

describe('the words for each answer', () => {
  const zh = translator('zh-CN');
  const english = translator('en');
  const scan = (outcome: Outcome, a?: ScanAnswer, errorCode?: string) => ({
    seq: 1,
    trackingNumber: 'XB1',
    outcome,
    at,
    ...(a && { answer: a }),
    ...(errorCode && { errorCode, errorMessage: 'the hub said no' }),
  });

  it.each([
    [scan('received', answer({ result: 'received' })), '签收成功：已进入办理队列', 'Received: into the processing queue'],
    [
      scan('already_received', answer({ result: 'already_received', receivedAt: at.toISOString(), receivedBy: '王*' })),
      '已于 10:42 由 王* 签收',
      'Already received at 10:42 by 王*',
    ],
    [scan('already_received', answer({ result: 'already_received' })), '已签收过', 'Already received'],
    [
      scan('unannounced', answer({ result: 'unannounced', reason: 'unknown' })),
      '未知件：请放到一边（已记录并标记）',
      'Unknown parcel: set it aside (recorded and flagged)',
    ],
    [
      scan('unannounced', answer({ result: 'unannounced', reason: 'not_picked_up' })),
      '未预告件：请放到一边（已记录并标记）',
      'Unannounced: set it aside (recorded and flagged)',
    ],
    [
      scan('refused', answer({ result: 'refused', reason: 'outbound' })),
      '拒收：这是寄给申请人的证照',
      'Refused: this is a result on its way to the applicant',
    ],
    [
      scan('refused', answer({ result: 'refused', reason: 'never_handed_in' })),
      '拒收：该件从未交件',
      'Refused: its drop-off never happened',
    ],
    [scan('refused', answer({ result: 'refused', reason: 'something_new' })), '拒收', 'Refused'],
    [scan('error', undefined, 'bad_tracking_number'), '单号无效，请核对数字', 'Not a valid tracking number: check the digits'],
    [scan('error', undefined, 'internal'), '未识别：the hub said no', 'Not read: the hub said no'],
  ])('%#', (s, chinese, inEnglish) => {
    expect([describeScan(s, zh), describeScan(s, english)]).toEqual([chinese, inEnglish]);
  });
});

describe('the dictionaries', () => {
  const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

  it('have the same keys, each with the same placeholders, none empty', () => {
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
    for (const key of Object.keys(en) as Array<keyof typeof en>) {
      expect([key, placeholders(zhCN[key])]).toEqual([key, placeholders(en[key])]);
      expect(zhCN[key].trim()).not.toBe('');
    }
  });

  it('leaves an unknown placeholder as it is', () => {
    expect(translator('en')('hello', {})).toBe('Hello, {name}');
  });
});

describe('maskName', () => {
  it.each([
    ['张三', '张*'],
    ['王五 (受理窗口)', '王*'],
    ['', '*'],
  ])('%s → %s', (name, shown) => expect(maskName(name)).toBe(shown));
});
