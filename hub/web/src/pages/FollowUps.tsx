// The follow-ups of bad ratings (好差评, ADR 0032/0034): those awaiting a reply first, the soonest due
// first with the overdue ones flagged, each with its grade, comment, matter and the applicant masked;
// a written reply closes one (the applicant reads it in the app and is told by SMS), and it then shows
// among the closed ones with its reply.
import { useState } from 'react';
import { ApiError, staffApi, type FollowUp } from '../api.js';
import { useWorkList } from '../use-work-list.js';
import { LiveBadge } from '../components/LiveBadge.js';
import { useI18n, type Translate } from '../i18n/index.js';
import { hallDateTime } from '../work-lists.js';

function refusalText(err: unknown, t: Translate): string {
  if (!(err instanceof ApiError) || err.code === 'network') return t('networkError');
  if (err.code === 'already_replied') return t('followUps.alreadyReplied');
  return t('step.refused', { message: err.message });
}

function FollowUpCard({ f, busy, reply }: { f: FollowUp; busy: boolean; reply: (text: string) => void }) {
  const { t, lang } = useI18n();
  const [text, setText] = useState('');
  const closed = f.repliedAt !== null;
  return (
    <li
      className={`follow-up card${f.overdue ? ' is-overdue' : ''}`}
      data-follow-up={f.id}
      data-application={f.applicationId}
      data-closed={closed ? 'yes' : 'no'}
    >
      <div className="row-head">
        <strong className="grade">{t('followUps.grade', { grade: f.grade, name: lang === 'en' ? f.gradeName.en : f.gradeName.zh })}</strong>
        {closed ? (
          <span className="closed-mark">{t('followUps.closed')}</span>
        ) : f.overdue ? (
          <strong className="overdue tone-refused">{t('followUps.overdue')}</strong>
        ) : null}
      </div>
      <p className="what">
        {t('matter')}: {f.matterName} · {t('applicant')}: <span className="applicant">{f.applicantName}</span>
      </p>
      <p className="comment">{f.comment ? `“${f.comment}”` : t('followUps.noComment')}</p>
      <p className="when">
        {t('followUps.ratedAt', { time: hallDateTime(f.ratedAt) })} ·{' '}
        <span className="due">{t('followUps.dueAt', { time: hallDateTime(f.dueAt) })}</span>
      </p>
      {closed ? (
        <blockquote className="reply">
          <p className="reply-text">{f.reply}</p>
          <footer>{t('followUps.repliedBy', { who: f.repliedBy ?? '—', time: hallDateTime(f.repliedAt!) })}</footer>
        </blockquote>
      ) : (
        <form
          className="reply-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (text.trim()) reply(text.trim());
          }}
        >
          <label>
            {t('followUps.replyLabel')}
            <textarea className="reply-input" value={text} maxLength={1000} rows={3} required onChange={(e) => setText(e.target.value)} />
          </label>
          <button type="submit" className="primary send-reply" disabled={busy || !text.trim()}>
            {t('followUps.send')}
          </button>
        </form>
      )}
    </li>
  );
}

export function FollowUps() {
  const { t } = useI18n();
  const { items, said, setSaid, busy, setBusy, load, live } = useWorkList(staffApi.followUps, refusalText, 60_000);

  const reply = (f: FollowUp, text: string) => {
    setBusy(true);
    void staffApi
      .reply(f.id, text)
      .then(
        () => setSaid({ tone: 'accepted', text: t('followUps.said', { matter: f.matterName, applicant: f.applicantName }) }),
        (err: unknown) => setSaid({ tone: 'refused', text: refusalText(err, t) }),
      )
      .then(load)
      .finally(() => setBusy(false));
  };

  const open = (items ?? []).filter((f) => f.repliedAt === null);
  const closed = (items ?? []).filter((f) => f.repliedAt !== null).sort((a, b) => b.repliedAt!.localeCompare(a.repliedAt!));
  return (
    <section className="follow-ups" id="follow-ups" aria-busy={busy}>
      <div className="row-head">
        <h1>{t('followUps.title')}</h1>
        <LiveBadge live={live} />
      </div>
      <div className="filters">
        <button id="refresh" type="button" onClick={() => void load()}>
          {t('refresh')}
        </button>
      </div>
      {said && (
        <p id="follow-ups-message" role="status" className={`said tone-${said.tone}`}>
          {said.text}
        </p>
      )}
      <h2>{t('followUps.openTitle', { n: open.length })}</h2>
      {items !== null && open.length === 0 && (
        <p className="empty" id="follow-ups-empty">
          {t('followUps.empty')}
        </p>
      )}
      <ol className="follow-up-list" id="follow-ups-open">
        {open.map((f) => (
          <FollowUpCard key={f.id} f={f} busy={busy} reply={(text) => reply(f, text)} />
        ))}
      </ol>
      {closed.length > 0 && (
        <>
          <h2>{t('followUps.closedTitle', { n: closed.length })}</h2>
          <ol className="follow-up-list" id="follow-ups-closed">
            {closed.map((f) => (
              <FollowUpCard key={f.id} f={f} busy={busy} reply={() => undefined} />
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
