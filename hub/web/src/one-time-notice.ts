// The one-time notice (一次性告知) as the staff member writes it: the editor's first rows (every core
// material not declared, each to be sent), the rows' check before sending (every missing core
// material listed, each material once), and the preview in the very layout of the hub's printable
// text (hub/src/domain/prereview.ts#noticeText), so what staff read is what the applicant prints.
import type { MaterialProblem, NoticeRow, PrereviewMaterial } from './api.js';

const PROBLEM_TEXT: Record<MaterialProblem, { zh: string; en: string }> = {
  missing: { zh: '缺少', en: 'missing' },
  wrong: { zh: '有误', en: 'wrong' },
  incomplete: { zh: '不完整', en: 'incomplete' },
  expired: { zh: '已过期', en: 'expired' },
  unsigned: { zh: '未签字盖章', en: 'not signed or sealed' },
};

export const materialName = (specs: readonly PrereviewMaterial[], code: string): string => {
  const s = specs.find((m) => m.code === code);
  return s ? `${s.name} (${s.nameEn})` : code;
};

/** The editor's first rows: every core material not declared, missing, with what to do in both languages. */
export function firstRows(specs: readonly PrereviewMaterial[], missingCore: readonly string[]): NoticeRow[] {
  return missingCore.map((code) => {
    const s = specs.find((m) => m.code === code);
    return {
      material: code,
      problem: 'missing',
      whatToDo: s ? `请补交「${s.name}」。 Please add the ${s.nameEn}.` : `请补交该材料。 Please add it.`,
    };
  });
}

/** The missing core materials that the rows leave out (the hub refuses such a notice: notice_incomplete). */
export function leftOut(rows: readonly NoticeRow[], missingCore: readonly string[]): string[] {
  return missingCore.filter((code) => !rows.some((r) => r.material === code));
}

/** The notice as the applicant will read and print it. */
export function noticePreview(n: {
  number: number;
  applicationId: string;
  matterName: string;
  issuedAt: Date;
  rows: readonly NoticeRow[];
  specs: readonly PrereviewMaterial[];
  note: string;
}): string {
  const note = n.note.trim();
  return [
    `一次性告知书 / One-time notice No. ${n.number}`,
    `事项 / Matter: ${n.matterName}`,
    `申请编号 / Application: ${n.applicationId}`,
    `日期 / Date: ${n.issuedAt.toISOString()}`,
    '',
    '您提交的材料需补正如下（本告知一次列明全部问题）：',
    'Please correct the following (this notice lists every problem at once):',
    ...n.rows.map(
      (row, i) =>
        `${i + 1}. ${materialName(n.specs, row.material)} — ${PROBLEM_TEXT[row.problem].zh} / ${PROBLEM_TEXT[row.problem].en}: ${row.whatToDo.trim()}`,
    ),
    ...(note ? ['', `备注 / Note: ${note}`] : []),
    '',
    '补正后请在申请页面重新提交预审。 Correct and resubmit the application for pre-review.',
  ].join('\n');
}

/** A due date picked as a calendar day (YYYY-MM-DD) is due at the end of that day in the hall's time (UTC+8). */
export const endOfHallDay = (day: string): string => `${day}T23:59:59+08:00`;

/** The hall's calendar day `days` after `now` (YYYY-MM-DD). */
export function hallDayAfter(now: Date, days: number): string {
  return new Date(now.getTime() + 8 * 3_600_000 + days * 86_400_000).toISOString().slice(0, 10);
}
