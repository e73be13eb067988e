// The hall's intake desk: a scan field that keeps the focus (a keyboard-wedge scanner types the
// number and Enter), the condition and note for the next envelope, and the session's scans, newest
// on top, each in words, colour and sound.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, type EnvelopeCondition } from '../api.js';
import { useI18n } from '../i18n/index.js';
import {
  addScan,
  describeScan,
  emptySession,
  hallTime,
  normaliseTrackingNumber,
  toneOf,
  type Outcome,
  type Session,
} from '../intake-session.js';
import { beep } from '../sound.js';

const CONDITIONS: EnvelopeCondition[] = ['ok', 'damaged', 'wrong_envelope'];
const COUNTED: Outcome[] = ['received', 'already_received', 'unannounced', 'refused', 'error'];

export function Intake() {
  const { t } = useI18n();
  const [session, setSession] = useState<Session>(emptySession);
  const [value, setValue] = useState('');
  const [condition, setCondition] = useState<EnvelopeCondition>('ok');
  const [note, setNote] = useState('');
  const [sound, setSound] = useState(true);
  const [busy, setBusy] = useState(0);
  const field = useRef<HTMLInputElement>(null);

  // Back to the scan field whenever nothing else is being typed in: the scanner types into it.
  useEffect(() => {
    const refocus = () => {
      const active = document.activeElement;
      if (active === document.body || active === null) field.current?.focus();
    };
    field.current?.focus();
    const timer = window.setInterval(refocus, 500);
    return () => window.clearInterval(timer);
  }, []);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const trackingNumber = normaliseTrackingNumber(value);
    if (!trackingNumber) return;
    setValue('');
    // The condition and note were for this envelope; the next starts from "ok".
    const sent = { condition, note };
    setCondition('ok');
    setNote('');
    setBusy((n) => n + 1);
    api
      .scan(trackingNumber, sent.condition, sent.note)
      .then(
        (answer) => {
          setSession((s) => addScan(s, { trackingNumber, outcome: answer.result, answer, at: new Date() }));
          if (sound) beep(toneOf(answer.result));
        },
        (err: unknown) => {
          const errorCode = err instanceof ApiError ? err.code : 'network';
          const errorMessage = err instanceof ApiError && err.code !== 'network' ? err.message : t('networkError');
          setSession((s) => addScan(s, { trackingNumber, outcome: 'error', errorCode, errorMessage, at: new Date() }));
          if (sound) beep('refused');
        },
      )
      .finally(() => {
        setBusy((n) => n - 1);
        field.current?.focus();
      });
  };

  return (
    <section className="intake" id="intake" aria-busy={busy > 0}>
      <h1>{t('intakeTitle')}</h1>
      <form className="scan" onSubmit={submit}>
        <label htmlFor="scan">{t('scanLabel')}</label>
        <input
          id="scan"
          ref={field}
          value={value}
          onChange={(e) => setValue(e.target.value)}
          placeholder={t('scanPlaceholder')}
          autoComplete="off"
          autoCapitalize="characters"
          spellCheck={false}
          inputMode="text"
          enterKeyHint="send"
        />
      </form>
      <div className="next">
        <fieldset className="conditions">
          <legend>{t('condition')}</legend>
          {CONDITIONS.map((c) => (
            <label key={c} className={condition === c ? 'chosen' : undefined}>
              <input
                type="radio"
                name="condition"
                value={c}
                checked={condition === c}
                onChange={() => {
                  setCondition(c);
                  // The scanner types into whatever has the focus: hand it back to the scan field.
                  field.current?.focus();
                }}
              />
              {t(`condition.${c}`)}
            </label>
          ))}
        </fieldset>
        <label className="note">
          {t('note')}
          <input
            id="note"
            value={note}
            maxLength={500}
            onChange={(e) => setNote(e.target.value)}
            onKeyDown={(e) => {
              // Enter ends the note: back to the scan field for the envelope it belongs to.
              if (e.key === 'Enter') field.current?.focus();
            }}
          />
        </label>
        <label className="sound">
          <input id="sound" type="checkbox" checked={sound} onChange={(e) => setSound(e.target.checked)} />
          {t('sound')}
        </label>
      </div>
      <dl className="counters" aria-label={t('counters')}>
        {COUNTED.map((o) => (
          <div key={o} className={`count tone-${toneOf(o)}`} data-outcome={o}>
            <dt>{t(`count.${o}`)}</dt>
            <dd id={`count-${o}`}>{session.counts[o]}</dd>
          </div>
        ))}
      </dl>
      {session.scans.length === 0 ? (
        <p className="empty">{t('noScans')}</p>
      ) : (
        <ol className="scans" id="scans" aria-live="polite">
          {session.scans.map((s) => (
            <li key={s.seq} className={`scan-row tone-${toneOf(s.outcome)}`} data-outcome={s.outcome}>
              <span className="tn">{s.trackingNumber}</span>
              <strong className="what">{describeScan(s, t)}</strong>
              {s.answer?.parcel && (
                <span className="who">
                  {t('applicant')}: {s.answer.parcel.applicant} · {t('matter')}: {s.answer.parcel.matter.name}
                </span>
              )}
              <span className="when">{t('scannedAt', { time: hallTime(s.at) })}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
