// Every notice kind renders in both languages, masked (a name keeps only its first character; no
// phone number), and only a result in the locker carries a code, and only the one given to it.
import { describe, expect, it } from '@jest/globals';
import { NOTICE_KINDS, localTime, renderNotice, type Language } from './templates.js';

const DETAILS = {
  trackingNumber: 'XB2612010000017',
  site: { name: '港务区政务服务中心', address: '港务大道1号' },
  compartment: 7,
  holdUntil: '2026-12-08T06:00:00.000Z',
  expiresAt: '2026-12-04T06:00:00.000Z',
  reason: '材料不全',
  matterName: '营业执照变更',
  channel: 'own_kiosk',
  sealedCode: 'c2VhbGVk',
};

/** Notices about the application, not one of its parcels: no tracking number to show. */
const APPLICATION_LEVEL: string[] = [
  'application_rejected',
  'application_approved',
  'prereview_passed',
  'prereview_returned',
  'materials_due',
  'rating_replied',
];

/** The kinds whose SMS carries a code in clear, to its own holder (ADR 0024, ADR 0033). */
const CODE_KINDS: string[] = ['result_in_locker', 'code_resent', 'delegate_code'];

describe('notice templates', () => {
  for (const language of ['zh-CN', 'en'] as Language[]) {
    it(`renders every kind in ${language}, signed, masked, with no code but the collection code`, () => {
      for (const kind of NOTICE_KINDS) {
        const text = renderNotice({ kind, details: DETAILS }, { displayName: '张三丰', language, code: '48213377' });
        expect(text.startsWith(language === 'en' ? '[Gov Services] ' : '【政务服务】')).toBe(true);
        expect(text).toContain('张*');
        expect(text).not.toContain('三丰');
        expect(text).not.toMatch(/1[3-9]\d{9}/);
        expect(text).not.toContain('c2VhbGVk');
        if (CODE_KINDS.includes(kind)) expect(text).toContain('48213377');
        else expect(text).not.toContain('48213377');
        if (!APPLICATION_LEVEL.includes(kind)) expect(text).toContain(DETAILS.trackingNumber);
        expect(text.length).toBeLessThanOrEqual(500);
      }
    });
  }

  it('says where and until when a result waits, in Xi’an time', () => {
    const zh = renderNotice({ kind: 'result_in_locker', details: DETAILS }, { displayName: '李四', language: 'zh-CN', code: '12345678' });
    expect(zh).toContain('港务区政务服务中心（港务大道1号） 7 号格口');
    expect(zh).toContain('取件码 12345678');
    expect(zh).toContain('12月8日 14:00');
    const en = renderNotice({ kind: 'result_in_locker', details: DETAILS }, { displayName: '李四', language: 'en', code: null });
    expect(en).toContain('compartment 7 at 港务区政务服务中心');
    expect(en).toContain('Collection code in the app');
    expect(en).toContain('8 Dec 14:00');
  });

  it('tells a switch from an overdue return, and greets an account with no name yet', () => {
    const switched = renderNotice(
      { kind: 'result_returning', details: { ...DETAILS, reason: 'switched' } },
      { displayName: '', language: 'en' },
    );
    const overdue = renderNotice(
      { kind: 'result_returning', details: { ...DETAILS, reason: 'holding_period_over' } },
      { displayName: '', language: 'en' },
    );
    expect(switched).toContain('as you asked');
    expect(overdue).toContain('not collected in time');
    expect(switched).toContain('Hello, ');
    expect(renderNotice({ kind: 'received_at_hall', details: DETAILS }, { displayName: '', language: 'zh-CN' })).toContain('】您好，');
  });

  it('addresses a delegate’s code to the delegate, naming the applicant masked (委托代领, ADR 0033)', () => {
    const details = { ...DETAILS, delegate: { name: '王*', phone: '尾号5678' }, expiresAt: '2026-12-08T06:00:00.000Z' };
    const zh = renderNotice({ kind: 'delegate_code', details }, { displayName: '张三丰', language: 'zh-CN', code: '12345678' });
    expect(zh).toBe(
      '【政务服务】王*您好，张*委托您代领结果件 XB2612010000017，存于 港务区政务服务中心（港务大道1号） 7 号格口，取件码 12345678，输入后再输入您手机号后 6 位。请于 12月8日 14:00 前取件。',
    );
    const en = renderNotice({ kind: 'delegate_code', details }, { displayName: '张三丰', language: 'en', code: '12345678' });
    expect(en).toContain('Dear 王*, 张* asked you to collect');
    // The same code again, for a deposit: where to drop it off and by when; a PIN factor is not sent.
    const again = renderNotice(
      { kind: 'code_resent', details: { ...DETAILS, purpose: 'deposit', factor: 'pin', codeExpiresAt: DETAILS.expiresAt } },
      { displayName: '李四', language: 'zh-CN', code: '87654321' },
    );
    expect(again).toContain('投递码 87654321，再输入 App 中的 6 位密码');
    expect(again).toContain('12月4日 14:00');
  });

  it('tells of a reply to a rating by its matter, never with the reply itself (ADR 0034)', () => {
    const details = { matterName: '营业执照变更', reply: '已检修该柜门并向您致歉' };
    const zh = renderNotice({ kind: 'rating_replied', details }, { displayName: '李四', language: 'zh-CN' });
    const en = renderNotice({ kind: 'rating_replied', details }, { displayName: '李四', language: 'en' });
    expect(zh).toBe('【政务服务】李*您好，大厅已回复您对「营业执照变更」的评价，请在 App 中查看。');
    expect(en).toBe('[Gov Services] Dear 李*, the service hall replied to your rating of "营业执照变更"; read it in the app.');
    for (const text of [zh, en]) expect(text).not.toContain('柜门');
  });

  it('tells an address pickup what comes next, and why the courier could not collect (ADR 0037)', () => {
    const passed = { ...DETAILS, channel: 'courier_pickup' };
    const zh = renderNotice({ kind: 'prereview_passed', details: passed }, { displayName: '李四', language: 'zh-CN' });
    expect(zh).toContain('快递员将免费上门取件');
    expect(zh).toContain(DETAILS.trackingNumber);
    const en = renderNotice({ kind: 'prereview_passed', details: passed }, { displayName: '李四', language: 'en' });
    expect(en).toContain('A courier will come to your address');
    expect(en).toContain(`cover sheet (tracking number ${DETAILS.trackingNumber})`);
    const absent = { ...DETAILS, reason: 'recipient_absent' };
    expect(renderNotice({ kind: 'pickup_failed', details: absent }, { displayName: '李四', language: 'zh-CN' })).toContain('无人在家');
    expect(renderNotice({ kind: 'pickup_failed', details: absent }, { displayName: '李四', language: 'en' })).toContain('nobody was home');
    expect(renderNotice({ kind: 'pickup_failed', details: { reason: 'x' } }, { displayName: '李四', language: 'en' })).toContain(
      'the pickup did not happen',
    );
  });

  it('formats a time, and nothing for a missing one', () => {
    expect(localTime('2026-01-31T17:05:00Z', 'zh-CN')).toBe('2月1日 01:05');
    expect(localTime('2026-01-31T17:05:00Z', 'en')).toBe('1 Feb 01:05');
    expect(localTime(new Date('2026-01-31T17:05:00Z'), 'en')).toBe('1 Feb 01:05');
    expect(localTime(undefined, 'en')).toBe('');
    expect(localTime('not a time', 'zh-CN')).toBe('');
  });
});
