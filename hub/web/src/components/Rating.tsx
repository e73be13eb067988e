// 好差评 after completion: five grades and a comment, once; then the rating as given and, for a bad
// one, its follow-up — due by when, and staff's written reply once they have replied (ADR 0032).
import { useEffect, useState } from 'react';
import { followApi, type RatingInfo } from '../api.js';
import { useI18n, type MessageKey } from '../i18n/index.js';
import { hallDateTime } from '../follow-words.js';
import { refusal } from './ResultActions.js';

const GRADES = [5, 4, 3, 2, 1] as const;

export function Rating({ applicationId, version }: { applicationId: string; version: number }) {
  const { t } = useI18n();
  const [rating, setRating] = useState<RatingInfo | null | undefined>(undefined);
  const [grade, setGrade] = useState<number | null>(null);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    followApi.rating(applicationId).then(setRating, (e: unknown) => setError(refusal(t, e)));
  }, [applicationId, version, t]);

  if (rating === undefined) return null;
  return (
    <section className="card follow-section" id="rating" aria-labelledby="rating-title">
      <h2 id="rating-title">{t('f.rating')}</h2>
      {error && <p className="error">{error}</p>}
      {rating ? (
        <div id="rating-given">
          <p id="rating-grade">
            {t('f.yourRating', { grade: t(`f.grade.${rating.grade}` as MessageKey) })} · {hallDateTime(rating.ratedAt)}
          </p>
          {rating.comment && <p id="rating-comment">“{rating.comment}”</p>}
          {rating.followUp &&
            (rating.followUp.reply ? (
              <div className="reply" id="rating-reply">
                <p>{t('f.followUpReplied', { date: hallDateTime(rating.followUp.repliedAt ?? rating.followUp.dueAt) })}</p>
                <p className="reply-text">{rating.followUp.reply}</p>
              </div>
            ) : (
              <p className="notice" id="rating-follow-up">
                {t('f.followUpDue', { date: hallDateTime(rating.followUp.dueAt) })}
              </p>
            ))}
        </div>
      ) : (
        <form
          id="rating-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (grade === null) return;
            followApi.rate(applicationId, grade, comment).then(setRating, (err: unknown) => setError(refusal(t, err)));
          }}
        >
          <fieldset className="conditions grades">
            <legend>{t('f.rateHow')}</legend>
            {GRADES.map((g) => (
              <label key={g} className={grade === g ? 'chosen' : undefined}>
                <input type="radio" name="grade" id={`grade-${g}`} value={g} checked={grade === g} onChange={() => setGrade(g)} />
                {t(`f.grade.${g}` as MessageKey)}
              </label>
            ))}
          </fieldset>
          <label className="note">
            {t('f.comment')}
            <textarea id="rating-comment-input" maxLength={500} value={comment} onChange={(e) => setComment(e.target.value)} />
          </label>
          <button type="submit" className="primary" id="rate" disabled={grade === null}>
            {t('f.rate')}
          </button>
        </form>
      )}
    </section>
  );
}
