// A one-time notice (一次性告知) in full: every material the pre-review found missing or wrong, what is
// wrong and what to do, and staff's note; shown on the application page and alone on a printable sheet.
import type { NoticeItem } from '../api.js';
import { useI18n, type MessageKey } from '../i18n/index.js';
import { hallDateTime } from '../follow-words.js';

export interface IssuedNotice {
  number: number;
  items: NoticeItem[];
  note: string | null;
  at: string;
}

export function OneTimeNotice({ notice, materialName }: { notice: IssuedNotice; materialName: (code: string) => string }) {
  const { t } = useI18n();
  return (
    <article className="one-time-notice" id={`notice-${notice.number}`}>
      <h3>{t('f.noticeTitle', { n: notice.number })}</h3>
      <p className="when">{t('f.noticeIssued', { date: hallDateTime(notice.at) })}</p>
      <table className="notice-items">
        <thead>
          <tr>
            <th scope="col">{t('f.noticeMaterial')}</th>
            <th scope="col">{t('f.noticeProblem')}</th>
            <th scope="col">{t('f.noticeWhatToDo')}</th>
          </tr>
        </thead>
        <tbody>
          {notice.items.map((item) => (
            <tr key={`${item.material}-${item.problem}`}>
              <td>{materialName(item.material)}</td>
              <td>{t(`f.problem.${item.problem}` as MessageKey)}</td>
              <td className="what-to-do">{item.whatToDo}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {notice.note && <p className="notice-note">{notice.note}</p>}
    </article>
  );
}

/** A sheet printed on its own: the page's header and buttons are not printed (`@media print`). */
export function PrintSheet({ title, onBack, children }: { title: string; onBack: () => void; children: React.ReactNode }) {
  const { t } = useI18n();
  return (
    <div className="print-view" id="print-view">
      <div className="no-print actions">
        <button type="button" className="primary" id="print-now" onClick={() => window.print()}>
          {t('f.print')}
        </button>
        <button type="button" id="print-back" onClick={onBack}>
          {t('f.back')}
        </button>
      </div>
      <div className="sheet">
        <h1>{title}</h1>
        {children}
      </div>
    </div>
  );
}
