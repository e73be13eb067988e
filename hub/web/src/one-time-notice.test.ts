// The notice editor's logic without a browser: its first rows, what the rows leave out, the preview's
// layout, and a due day at the end of the hall's day.
import { describe, expect, it } from '@jest/globals';
import type { PrereviewMaterial } from './api.js';
import { endOfHallDay, firstRows, hallDayAfter, leftOut, noticePreview } from './one-time-notice.js';

const SPECS: PrereviewMaterial[] = [
  { code: 'application-form', name: '变更登记申请书', nameEn: 'Application for change registration', core: true },
  { code: 'shareholder-resolution', name: '股东会决议', nameEn: 'Shareholders’ resolution', core: true },
  { code: 'articles-amendment', name: '章程修正案', nameEn: 'Amendment to the articles of association', core: false },
];

describe('the one-time notice editor', () => {
  it('starts with one row per missing core material, each missing, with what to do', () => {
    expect(firstRows(SPECS, ['shareholder-resolution'])).toEqual([
      {
        material: 'shareholder-resolution',
        problem: 'missing',
        whatToDo: '请补交「股东会决议」。 Please add the Shareholders’ resolution.',
      },
    ]);
    expect(firstRows(SPECS, [])).toEqual([]);
  });

  it('names the missing core materials the rows leave out', () => {
    const rows = firstRows(SPECS, ['application-form', 'shareholder-resolution']);
    expect(leftOut(rows, ['application-form', 'shareholder-resolution'])).toEqual([]);
    expect(leftOut(rows.slice(1), ['application-form', 'shareholder-resolution'])).toEqual(['application-form']);
  });

  it('previews the notice in the hub’s printable layout, the note only when there is one', () => {
    const base = {
      number: 2,
      applicationId: '01930a4e-7b2c-7def-8a12-3456789abcde',
      matterName: '营业执照变更登记',
      issuedAt: new Date('2026-12-01T02:00:00Z'),
      rows: [{ material: 'articles-amendment', problem: 'unsigned' as const, whatToDo: ' 请盖章。 ' }],
      specs: SPECS,
    };
    const text = noticePreview({ ...base, note: '  ' });
    expect(text.split('\n')).toEqual([
      '一次性告知书 / One-time notice No. 2',
      '事项 / Matter: 营业执照变更登记',
      '申请编号 / Application: 01930a4e-7b2c-7def-8a12-3456789abcde',
      '日期 / Date: 2026-12-01T02:00:00.000Z',
      '',
      '您提交的材料需补正如下（本告知一次列明全部问题）：',
      'Please correct the following (this notice lists every problem at once):',
      '1. 章程修正案 (Amendment to the articles of association) — 未签字盖章 / not signed or sealed: 请盖章。',
      '',
      '补正后请在申请页面重新提交预审。 Correct and resubmit the application for pre-review.',
    ]);
    expect(noticePreview({ ...base, note: '周一前补齐' })).toContain('\n\n备注 / Note: 周一前补齐\n\n');
  });

  it('gives a due day as the end of that day in the hall’s time', () => {
    // 20:00 UTC on 1 December is already 2 December in Xi'an.
    expect(hallDayAfter(new Date('2026-12-01T20:00:00Z'), 7)).toBe('2026-12-09');
    expect(endOfHallDay('2026-12-09')).toBe('2026-12-09T23:59:59+08:00');
  });
});
