// Staff search (ADR 0034): one box takes a tracking number (scanned or typed), an application
// number, a phone number or its last four digits; the list shows each application found, the
// applicant and phone masked. Opening one shows it read-only: its pre-review steps with each
// one-time notice as issued, what the applicant was told, a 容缺 commitment (whose materials can be
// marked received here) and each parcel's custody trail.
import { useState, type FormEvent } from 'react';
import { ApiError, staffApi, type SearchResult, type StaffApplicationView } from '../api.js';
import { useI18n, type Translate } from '../i18n/index.js';
import { maskedPhoneText, wordsFor } from '../staff-words.js';
import { hallDateTime } from '../work-lists.js';

function refusalText(err: unknown, t: Translate): string {
  if (!(err instanceof ApiError) || err.code === 'network') return t('networkError');
  if (err.code === 'bad_query') return t('search.badQuery');
  if (err.code === 'bad_check_digit') return t('search.badCheckDigit', { message: err.message });
  if (err.code === 'not_found') return t('search.notFound');
  return t('step.refused', { message: err.message });
}

function ApplicationDetail({ app, received }: { app: StaffApplicationView; received: () => void }) {
  const { t } = useI18n();
  return (
    <section className="application-detail card" id="application-detail" data-application={app.id}>
      <h2>{t('search.applicationTitle', { id: app.id })}</h2>
      <dl className="facts">
        <div>
          <dt>{t('matter')}</dt>
          <dd>{app.matterCode}</dd>
        </div>
        <div>
          <dt>{t('search.status')}</dt>
          <dd className="status">{wordsFor(t, 'search.statusName', app.status)}</dd>
        </div>
        <div>
          <dt>{t('search.prereview')}</dt>
          <dd className="prereview-state">{wordsFor(t, 'search.prereviewName', app.prereview)}</dd>
        </div>
        <div>
          <dt>{t('search.createdAt')}</dt>
          <dd>{hallDateTime(app.createdAt)}</dd>
        </div>
      </dl>
      <h3>{t('search.steps')}</h3>
      <ol className="prereview-steps">
        {app.prereviewSteps.map((s, i) => (
          <li key={i} data-step={s.step}>
            <span className="when">{hallDateTime(s.at)}</span> <strong>{wordsFor(t, 'search.stepName', s.step)}</strong>
            {s.byRules && ` (${t('search.byRules')})`}
            {s.note && ` — ${s.note}`}
            {s.notice && <pre className="issued-notice-text">{s.notice.text}</pre>}
          </li>
        ))}
      </ol>
      {app.commitment && (
        <div className="commitment" data-received={app.commitment.receivedAt ? 'yes' : 'no'}>
          <h3>{t('search.commitment')}</h3>
          <p>
            {t('search.commitmentText', { due: hallDateTime(app.commitment.dueAt), materials: app.commitment.materials.join('、') })}
            {app.commitment.receivedAt && ` · ${t('search.receivedAt', { time: hallDateTime(app.commitment.receivedAt) })}`}
          </p>
          {!app.commitment.receivedAt && (
            <button type="button" className="materials-received" onClick={received}>
              {t('search.materialsReceived')}
            </button>
          )}
        </div>
      )}
      <h3>{t('search.notices')}</h3>
      <ol className="notices">
        {[...app.prereviewNotices, ...app.notices].map((n) => (
          <li key={n.id} data-kind={n.kind}>
            <span className="when">{hallDateTime(n.createdAt)}</span> {n.message.split('\n')[0]}
          </li>
        ))}
      </ol>
      {app.parcels.map((p) => (
        <div key={p.trackingNumber} className="parcel-trail" data-tn={p.trackingNumber}>
          <h3>
            {t('parcel')} {p.trackingNumber} · {wordsFor(t, 'search.direction', p.direction)} · {wordsFor(t, 'search.parcelState', p.state)}
          </h3>
          <ol className="trail">
            {p.events.map((e, i) => (
              <li key={i} data-kind={e.kind}>
                <span className="when">{hallDateTime(e.at)}</span> <strong>{e.kind}</strong> → {e.toState} ·{' '}
                {wordsFor(t, 'actor', e.actorKind)}
                {e.compartment !== null ? ` · ${t('compartmentNo', { n: e.compartment })}` : ''}
              </li>
            ))}
          </ol>
        </div>
      ))}
    </section>
  );
}

export function Search() {
  const { t, lang } = useI18n();
  const [q, setQ] = useState('');
  const [results, setResults] = useState<SearchResult[] | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [shown, setShown] = useState<StaffApplicationView | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!q.trim()) return;
    setBusy(true);
    setShown(null);
    void staffApi
      .search(q)
      .then(
        (list) => {
          setResults(list);
          setRefusal(null);
        },
        (err: unknown) => {
          setResults(null);
          setRefusal(refusalText(err, t));
        },
      )
      .finally(() => setBusy(false));
  };

  const open = (id: string) =>
    staffApi.application(id).then(
      (app) => {
        setShown(app);
        setRefusal(null);
      },
      (err: unknown) => setRefusal(refusalText(err, t)),
    );

  const received = (id: string) =>
    void staffApi.materialsReceived(id).then(
      () => open(id),
      (err: unknown) => setRefusal(refusalText(err, t)),
    );

  return (
    <section className="search" id="search" aria-busy={busy}>
      <h1>{t('search.title')}</h1>
      <form className="search-form filters" id="search-form" onSubmit={submit}>
        <label>
          {t('search.label')}
          <input
            id="search-q"
            value={q}
            maxLength={64}
            autoFocus
            placeholder={t('search.placeholder')}
            onChange={(e) => setQ(e.target.value)}
          />
        </label>
        <button type="submit" className="primary" id="search-go" disabled={busy}>
          {t('search.go')}
        </button>
      </form>
      {refusal && (
        <p id="search-message" role="status" className="said tone-refused">
          {refusal}
        </p>
      )}
      {results !== null && results.length === 0 && (
        <p className="empty" id="search-empty">
          {t('search.none')}
        </p>
      )}
      {results !== null && results.length > 0 && (
        <ol className="search-results" id="search-results">
          {results.map((r) => (
            <li key={r.applicationId} className="search-result card" data-application={r.applicationId}>
              <button type="button" className="open-result" onClick={() => void open(r.applicationId)}>
                <strong className="matter">{r.matter.name}</strong> · <span className="applicant">{r.applicant}</span> ·{' '}
                <span className="phone">{maskedPhoneText(r.phone, lang)}</span>
              </button>
              <p className="states">
                {wordsFor(t, 'search.statusName', r.status)} · {wordsFor(t, 'search.prereviewName', r.prereview)} ·{' '}
                {hallDateTime(r.createdAt)}
              </p>
              {r.parcels.length > 0 && (
                <p className="tns">
                  {r.parcels.map((p) => (
                    <span key={p.trackingNumber} className="tn" data-tn={p.trackingNumber}>
                      {p.trackingNumber} ({wordsFor(t, 'search.direction', p.direction)}, {wordsFor(t, 'search.parcelState', p.state)}){' '}
                    </span>
                  ))}
                </p>
              )}
            </li>
          ))}
        </ol>
      )}
      {shown && <ApplicationDetail app={shown} received={() => received(shown.id)} />}
    </section>
  );
}
