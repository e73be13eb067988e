// Pre-review (资料预审) as pure decisions (ADR 0027): what the materials an applicant declares lack
// against the matter's list, whether the hall's rules may pass them without staff, whether a
// one-time notice (一次性告知) is complete and what it says as plain text, and when a 容缺
// commitment is owed its reminder. The clock comes in; the prereview slice carries the decisions out.

export const CHANNELS_IN = ['own_kiosk', 'partner_locker', 'courier_pickup', 'counter'] as const;
export type ChannelIn = (typeof CHANNELS_IN)[number];
export const CHANNELS_OUT = ['own_kiosk', 'partner_locker', 'mail', 'counter'] as const;
export type ChannelOut = (typeof CHANNELS_OUT)[number];

export const PREREVIEW_STATES = ['pending', 'returned', 'passed', 'accepted_pending'] as const;
export type PrereviewState = (typeof PREREVIEW_STATES)[number];
/** `staff`: every application is looked at; `rules`: one declaring every core material passes at once. */
export type PrereviewMode = 'staff' | 'rules';

export interface MaterialSpec {
  code: string;
  name: string;
  nameEn: string;
  core: boolean;
}

export interface DeclaredMaterial {
  code: string;
  /** how many copies go in (1 when not said) */
  copies?: number | undefined;
}

export type MaterialProblem = 'missing' | 'wrong' | 'incomplete' | 'expired' | 'unsigned';

export interface NoticeItem {
  /** a material code of the matter */
  material: string;
  problem: MaterialProblem;
  /** what to do about it, in words the applicant can act on */
  whatToDo: string;
}

/** Whether an application may be deposited: only a passed or 容缺-accepted one has a code. */
export function mayDropOff(state: PrereviewState): boolean {
  return state === 'passed' || state === 'accepted_pending';
}

/** The declared materials that the matter does not know, and the core materials not declared. */
export function judgeMaterials(
  specs: readonly MaterialSpec[],
  declared: readonly DeclaredMaterial[],
): { unknown: string[]; duplicates: string[]; missingCore: string[]; missingOther: string[] } {
  const known = new Set(specs.map((s) => s.code));
  const seen = new Set<string>();
  const duplicates: string[] = [];
  for (const d of declared) {
    if (seen.has(d.code)) duplicates.push(d.code);
    seen.add(d.code);
  }
  return {
    unknown: [...seen].filter((c) => !known.has(c)),
    duplicates,
    missingCore: specs.filter((s) => s.core && !seen.has(s.code)).map((s) => s.code),
    missingOther: specs.filter((s) => !s.core && !seen.has(s.code)).map((s) => s.code),
  };
}

/** Passed by the rules: a `rules` matter with every core material declared; anything else waits for staff. */
export function passesByRules(mode: PrereviewMode, specs: readonly MaterialSpec[], declared: readonly DeclaredMaterial[]): boolean {
  return mode === 'rules' && judgeMaterials(specs, declared).missingCore.length === 0;
}

/**
 * A one-time notice must list every problem at once (that is its point): every core material not
 * declared must be in it, each material at most once, each a material of the matter. What is wrong
 * with it, or null.
 */
export function noticeRefusal(
  specs: readonly MaterialSpec[],
  declared: readonly DeclaredMaterial[],
  items: readonly NoticeItem[],
): { code: string; message: string; details?: object } | null {
  if (items.length === 0) return { code: 'notice_empty', message: 'a one-time notice lists at least one material and what to do' };
  const known = new Set(specs.map((s) => s.code));
  const unknown = items.filter((i) => !known.has(i.material)).map((i) => i.material);
  if (unknown.length > 0)
    return { code: 'unknown_material', message: `not a material of this matter: ${unknown.join(', ')}`, details: { unknown } };
  const listed = items.map((i) => i.material);
  const twice = listed.filter((m, i) => listed.indexOf(m) !== i);
  if (twice.length > 0)
    return {
      code: 'notice_repeats',
      message: `each material once, with everything about it: ${[...new Set(twice)].join(', ')}`,
      details: { twice: [...new Set(twice)] },
    };
  const left = judgeMaterials(specs, declared).missingCore.filter((m) => !listed.includes(m));
  if (left.length > 0)
    return {
      code: 'notice_incomplete',
      message: `a one-time notice tells everything at once: the core materials ${left.join(', ')} are missing and not in it`,
      details: { missing: left },
    };
  return null;
}

const PROBLEM_TEXT: Record<MaterialProblem, { zh: string; en: string }> = {
  missing: { zh: '缺少', en: 'missing' },
  wrong: { zh: '有误', en: 'wrong' },
  incomplete: { zh: '不完整', en: 'incomplete' },
  expired: { zh: '已过期', en: 'expired' },
  unsigned: { zh: '未签字盖章', en: 'not signed or sealed' },
};

/** The one-time notice as a plain page: printable, the same text the applicant is sent. */
export function noticeText(n: {
  number: number;
  applicationId: string;
  matterName: string;
  issuedAt: Date;
  items: readonly NoticeItem[];
  specs: readonly MaterialSpec[];
  note: string | null;
}): string {
  const nameOf = (code: string) => {
    const s = n.specs.find((m) => m.code === code);
    return s ? `${s.name} (${s.nameEn})` : code;
  };
  return [
    `一次性告知书 / One-time notice No. ${n.number}`,
    `事项 / Matter: ${n.matterName}`,
    `申请编号 / Application: ${n.applicationId}`,
    `日期 / Date: ${n.issuedAt.toISOString()}`,
    '',
    '您提交的材料需补正如下（本告知一次列明全部问题）：',
    'Please correct the following (this notice lists every problem at once):',
    ...n.items.map(
      (item, i) =>
        `${i + 1}. ${nameOf(item.material)} — ${PROBLEM_TEXT[item.problem].zh} / ${PROBLEM_TEXT[item.problem].en}: ${item.whatToDo}`,
    ),
    ...(n.note ? ['', `备注 / Note: ${n.note}`] : []),
    '',
    '补正后请在申请页面重新提交预审。 Correct and resubmit the application for pre-review.',
  ].join('\n');
}

/** A 容缺 commitment is reminded once, when its due date has come and the materials have not. */
export function commitmentDue(c: { dueAt: Date; remindedAt: Date | null; receivedAt: Date | null }, now: Date): boolean {
  return c.remindedAt === null && c.receivedAt === null && c.dueAt.getTime() <= now.getTime();
}
