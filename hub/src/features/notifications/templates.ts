// What an applicant's SMS says, per notice kind, in zh-CN (the default) and English. Pure: the
// sender renders a notice when it sends it, from the notice's details. Personal data is masked (the
// name keeps its first character only); the one thing in clear is a result's collection code, and
// only in the message to its own holder.
import { maskName } from '../../domain/masking.js';

export const NOTICE_KINDS = [
  'deposit_code_issued',
  'deposit_received',
  'received_at_hall',
  'application_approved',
  'application_rejected',
  'deposit_code_expired',
  'result_at_counter',
  'result_mailed',
  'result_delivered',
  'result_in_locker',
  'result_reminder_collect',
  'result_reminder_return',
  'result_returning',
  'result_collected',
  'prereview_passed',
  'prereview_returned',
  'materials_due',
  'code_resent',
  'delegate_code',
  'hold_extended',
  'rating_replied',
  // an address pickup the courier could not make (ADR 0037)
  'pickup_failed',
] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

export const LANGUAGES = ['zh-CN', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

export interface NoticeToRender {
  kind: NoticeKind;
  details: Record<string, unknown>;
}

export interface Recipient {
  displayName: string;
  language: Language;
  /** the code, opened from its seal, for `result_in_locker`, `code_resent` and `delegate_code` only */
  code?: string | null;
}

const SIGNATURE: Record<Language, string> = { 'zh-CN': '【政务服务】', en: '[Gov Services] ' };

const str = (v: unknown, fallback = ''): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : fallback);

/** A time as people in Xi'an read it: 12月8日 14:00, or 8 Dec 14:00. */
export function localTime(iso: unknown, lang: Language): string {
  const d = iso instanceof Date ? iso : typeof iso === 'string' ? new Date(iso) : null;
  if (!d || Number.isNaN(d.getTime())) return '';
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Asia/Shanghai',
    month: lang === 'en' ? 'short' : 'numeric',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(d);
  const p = (t: string) => parts.find((x) => x.type === t)?.value ?? '';
  return lang === 'en'
    ? `${Number(p('day'))} ${p('month')} ${p('hour')}:${p('minute')}`
    : `${Number(p('month'))}月${Number(p('day'))}日 ${p('hour')}:${p('minute')}`;
}

const CHANNEL: Record<Language, Record<string, string>> = {
  'zh-CN': { counter: '请到大厅窗口领取', mail: '将免费邮寄给您', own_kiosk: '将送到您选择的柜机', partner_locker: '将送到您选择的柜机' },
  en: {
    counter: 'is ready to collect at the hall counter',
    mail: 'will be mailed to you free of charge',
    own_kiosk: 'will be delivered to the locker you chose',
    partner_locker: 'will be delivered to the locker you chose',
  },
};

/** Why a courier could not collect at the applicant's address, as the applicant reads it (ADR 0037). */
const PICKUP_FAILED: Record<Language, Record<string, string>> = {
  'zh-CN': { recipient_absent: '无人在家', address_wrong: '地址无法找到', other: '未能取件' },
  en: { recipient_absent: 'nobody was home', address_wrong: 'the address could not be found', other: 'the pickup did not happen' },
};

/** The text of one notice's SMS, for its applicant. */
export function renderNotice(n: NoticeToRender, r: Recipient): string {
  const lang = r.language;
  const zh = lang === 'zh-CN';
  const name = maskName(r.displayName);
  const d = n.details;
  const no = str(d.trackingNumber);
  const site = d.site && typeof d.site === 'object' ? (d.site as Record<string, unknown>) : {};
  const siteName = str(site.name, str(d.siteName));
  // The delegate's SMS goes to the delegate: addressed to them (masked), naming the applicant (masked).
  const delegate =
    n.kind === 'delegate_code' && d.delegate && typeof d.delegate === 'object' ? (d.delegate as Record<string, unknown>) : null;
  const to = delegate ? str(delegate.name) : name;
  const hello = zh ? `${to}您好，` : to ? `Dear ${to}, ` : 'Hello, ';
  const body = (): string => {
    switch (n.kind) {
      case 'deposit_code_issued':
        return zh
          ? `您的材料件 ${no} 的投递码已生成（在 App 中查看），请于 ${localTime(d.expiresAt, lang)} 前到 ${siteName} 投递。`
          : `the drop-off code for your documents ${no} is ready (see the app). Please drop them off at ${siteName} by ${localTime(d.expiresAt, lang)}.`;
      case 'deposit_received':
        return zh
          ? `您的材料件 ${no} 已投入 ${siteName}，我们将安排送往政务服务大厅。`
          : `your documents ${no} were dropped off at ${siteName}; we will take them to the service hall.`;
      case 'received_at_hall':
        return zh
          ? `您的材料件 ${no} 已送达政务服务大厅，等待受理。`
          : `your documents ${no} have arrived at the service hall and wait to be processed.`;
      case 'application_approved': {
        const how = CHANNEL[lang][str(d.channel)] ?? CHANNEL[lang].counter!;
        return zh
          ? `您的申请「${str(d.matterName)}」已审批通过，结果件 ${no} ${how}。`
          : `your application "${str(d.matterName)}" was approved; the result ${no} ${how}.`;
      }
      case 'application_rejected':
        return zh ? `您的申请未通过审批，原因：${str(d.reason)}。` : `your application was not approved: ${str(d.reason)}.`;
      case 'deposit_code_expired':
        return zh
          ? `您的材料件 ${no} 的投递码已过期，格口已释放。如仍需办理，请重新申请。`
          : `the drop-off code for ${no} expired unused and its compartment was released. Apply again if you still need it.`;
      case 'result_at_counter':
        return zh
          ? `您的结果件 ${no} 已在大厅窗口，请携带身份证领取。`
          : `your result ${no} is at the service hall counter. Bring your ID card.`;
      case 'result_mailed':
        return zh ? `您的结果件 ${no} 已交 EMS 免费寄出。` : `your result ${no} was handed to EMS for free delivery.`;
      case 'result_delivered':
        return zh ? `您的结果件 ${no} 已投递。` : `your result ${no} was delivered by mail.`;
      case 'result_in_locker':
        return zh
          ? `您的结果件 ${no} 已存入 ${siteName}${str(site.address) && `（${str(site.address)}）`} ${str(d.compartment)} 号格口，取件码 ${r.code ?? '见 App'}，输入后再输入手机号后 6 位。请于 ${localTime(d.holdUntil, lang)} 前取件。`
          : `your result ${no} is in compartment ${str(d.compartment)} at ${siteName}${str(site.address) && ` (${str(site.address)})`}. Collection code ${r.code ?? 'in the app'}, then the last 6 digits of your phone. Collect it by ${localTime(d.holdUntil, lang)}.`;
      case 'result_reminder_collect':
        return zh
          ? `提醒：您的结果件 ${no} 仍在柜机中，请于 ${localTime(d.holdUntil, lang)} 前凭取件码领取。`
          : `reminder: your result ${no} is waiting in the locker. Collect it with your code by ${localTime(d.holdUntil, lang)}.`;
      case 'result_reminder_return':
        return zh
          ? `最后提醒：您的结果件 ${no} 若在 ${localTime(d.holdUntil, lang)} 前未领取，将退回政务服务大厅；您也可在 App 中改为窗口领取或邮寄。`
          : `last reminder: your result ${no} goes back to the service hall at ${localTime(d.holdUntil, lang)} if not collected. You may switch to the counter or mail in the app.`;
      case 'result_returning':
        return d.reason === 'switched'
          ? zh
            ? `您的结果件 ${no} 正按您的选择退回大厅，原取件码已失效。`
            : `your result ${no} is going back to the service hall as you asked; its collection code no longer works.`
          : zh
            ? `您的结果件 ${no} 超期未取，正退回政务服务大厅，原取件码已失效。请在 App 中选择窗口领取或邮寄。`
            : `your result ${no} was not collected in time and is going back to the service hall; its code no longer works. Choose the counter or mail in the app.`;
      case 'result_collected':
        return zh ? `您的结果件 ${no} 已领取，感谢使用。` : `your result ${no} was collected. Thank you.`;
      // Pre-review (ADR 0027): the deposit code itself is shown in the app, never sent by SMS.
      case 'prereview_passed':
        // An address pickup (ADR 0037): nothing to drop off; the courier comes for the envelope.
        if (d.channel === 'courier_pickup')
          return zh
            ? `您的申请已通过资料预审，快递员将免费上门取件，请将封面（运单号 ${no}）贴在材料信封上。`
            : `your application passed pre-review. A courier will come to your address to collect your documents free of charge; put the cover sheet (tracking number ${no}) on the envelope.`;
        return zh
          ? `您的申请已通过资料预审，投递方式请在 App 中查看。`
          : `your application passed pre-review; see the app for how to hand in your documents.`;
      case 'prereview_returned':
        return zh
          ? `您的申请需补正材料，一次性告知书已发至 App，请按告知补正后重新提交。`
          : `your application needs corrections: the one-time notice listing them is in the app; please correct and resubmit.`;
      case 'pickup_failed': {
        const why = PICKUP_FAILED[lang][str(d.reason)] ?? PICKUP_FAILED[lang].other!;
        return zh
          ? `快递员未能上门取到您的材料件 ${no}（${why}），大厅工作人员将与您联系重新安排。`
          : `the courier could not collect your documents ${no} (${why}); the hall's staff will contact you to arrange another pickup.`;
      }
      case 'materials_due':
        return zh
          ? `您承诺补交的材料请于 ${localTime(d.dueAt, lang)} 前提交。`
          : `please send the materials you promised by ${localTime(d.dueAt, lang)}.`;
      // ADR 0033: the same code again (never a new one), a delegate's own code, more time to collect.
      case 'code_resent': {
        const deposit = d.purpose === 'deposit';
        // A partner locker's code has no second factor (factor 'none').
        const then =
          d.factor === 'none'
            ? zh
              ? '直接输入'
              : 'nothing else to type'
            : d.factor === 'pin'
              ? zh
                ? '再输入 App 中的 6 位密码'
                : 'then the 6-digit PIN shown in the app'
              : zh
                ? '再输入手机号后 6 位'
                : 'then the last 6 digits of your phone';
        return deposit
          ? zh
            ? `您的材料件 ${no} 的投递码 ${r.code ?? '见 App'}，${then}，请于 ${localTime(d.codeExpiresAt, lang)} 前到 ${siteName} ${str(d.compartment)} 号格口投递。`
            : `the drop-off code for your documents ${no} is ${r.code ?? 'in the app'}, ${then}. Drop them off at ${siteName}, compartment ${str(d.compartment)}, by ${localTime(d.codeExpiresAt, lang)}.`
          : zh
            ? `您的结果件 ${no} 的取件码 ${r.code ?? '见 App'}，${then}，在 ${siteName} ${str(d.compartment)} 号格口取件，请于 ${localTime(d.holdUntil, lang)} 前领取。`
            : `the collection code for your result ${no} is ${r.code ?? 'in the app'}, ${then}. It is in compartment ${str(d.compartment)} at ${siteName}; collect it by ${localTime(d.holdUntil, lang)}.`;
      }
      case 'delegate_code':
        return zh
          ? `${name}委托您代领结果件 ${no}，存于 ${siteName}${str(site.address) && `（${str(site.address)}）`} ${str(d.compartment)} 号格口，取件码 ${r.code ?? '（请联系委托人）'}，输入后再输入您手机号后 6 位。请于 ${localTime(d.expiresAt, lang)} 前取件。`
          : `${name || 'an applicant'} asked you to collect their result ${no} from compartment ${str(d.compartment)} at ${siteName}${str(site.address) && ` (${str(site.address)})`}. Collection code ${r.code ?? '(ask the applicant)'}, then the last 6 digits of your phone. Collect it by ${localTime(d.expiresAt, lang)}.`;
      case 'hold_extended':
        return zh
          ? `您的结果件 ${no} 的领取期限已延长至 ${localTime(d.holdUntil, lang)}，取件码不变。`
          : `your result ${no} will wait for you until ${localTime(d.holdUntil, lang)}; your collection code stays the same.`;
      // The reply itself stays in the app (ADR 0034): it may run to 1,000 characters and speak of
      // the applicant's own case, so the SMS only says that there is one and for which matter.
      case 'rating_replied':
        return zh
          ? `大厅已回复您对「${str(d.matterName)}」的评价，请在 App 中查看。`
          : `the service hall replied to your rating of "${str(d.matterName)}"; read it in the app.`;
    }
  };
  return `${SIGNATURE[lang]}${hello}${body()}`;
}
