// The applicant's home: their applications, newest first, each with where it stands in words and a
// link to its page; a link to apply for another (ADR 0036).
import { useCallback, useEffect, useState } from 'react';
import { ApiError, followApi, type MyApplication, type User } from '../api.js';
import { useI18n } from '../i18n/index.js';
import { maskName } from '../mask.js';
import { hallDateTime, statusLine } from '../follow-words.js';

export function MyApplications({ user }: { user: User }) {
  const { t, lang } = useI18n();
  const [apps, setApps] = useState<MyApplication[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback((before?: string) => {
    followApi.myApplications(before).then(
      (r) => {
        setApps((old) => (before ? [...(old ?? []), ...r.applications] : r.applications));
        setNext(r.nextBefore);
        setError(null);
      },
      (e: unknown) => setError(e instanceof ApiError ? e.code : 'error'),
    );
  }, []);
  useEffect(() => load(), [load]);

  // `#home`: the applicant's home, as every role's landing page is found.
  return (
    <div id="home">
      <section className="card follow" id="my-applications">
        <h1 id="hello">{t('hello', { name: maskName(user.displayName) })}</h1>
        <p id="role">{t('signedInAs', { role: t(`role.${user.role}`) })}</p>
        <div className="actions">
          <a className="button primary" id="new-application" href="#/apply">
            {t('f.newApplication')}
          </a>
        </div>
        <h2>{t('f.myApplications')}</h2>
        {error && <p className="error">{t('f.error', { code: error })}</p>}
        {apps && apps.length === 0 && <p className="empty">{t('f.none')}</p>}
        {apps && apps.length > 0 && (
          <ul className="app-list">
            {apps.map((a) => (
              <li key={a.id}>
                <a className="app-row" id={`app-${a.id}`} href={`#/application/${a.id}`}>
                  <span className="matter">{lang === 'en' && a.matter.nameEn ? a.matter.nameEn : a.matter.name}</span>
                  <span className="status-line">{t(statusLine(a))}</span>
                  <span className="when">{t('f.applied', { date: hallDateTime(a.createdAt) })}</span>
                  {a.parcels.map((p) => (
                    <span key={p.trackingNumber} className="tn">
                      {t(p.direction === 'inbound' ? 'f.inbound' : 'f.outbound')} {p.trackingNumber}
                    </span>
                  ))}
                </a>
              </li>
            ))}
          </ul>
        )}
        {next && (
          <button type="button" id="more-applications" onClick={() => load(next)}>
            {t('f.loadMore')}
          </button>
        )}
      </section>
    </div>
  );
}
