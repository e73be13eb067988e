// The hall's exceptions list (staff and operators): every open exception with its kind, parcel, site
// and when, what the cause said, the parcel's custody trail (people masked by the hub) and what was
// done so far; the actions retry, reassign, contact and close (with a note), each answered in words.
import { useState } from 'react';
import { api, ApiError, type ExceptionAction, type ExceptionItem } from '../api.js';
import { useWorkList } from '../use-work-list.js';
import { LiveBadge } from '../components/LiveBadge.js';
import { useI18n, type MessageKey, type Translate } from '../i18n/index.js';
import { detailText, hallDateTime } from '../work-lists.js';

const ACTIONS: ExceptionAction[] = ['retry', 'reassign', 'contact', 'close'];
/** The kinds with words of their own; any other shows its code. */
const KINDS = new Set([
  'unannounced_parcel',
  'never_received',
  'damaged',
  'wrong_envelope',
  'courier_failed',
  'missing_at_pickup',
  'unlock_jammed',
  'unlock_unconfirmed',
  'code_expired',
  'partner_failed',
]);

const kindText = (kind: string, t: Translate) => (KINDS.has(kind) ? t(`exceptionKind.${kind}` as MessageKey) : kind);

function refusalText(err: unknown, t: Translate): string {
  if (!(err instanceof ApiError) || err.code === 'network') return t('networkError');
  if (err.code === 'note_required') return t('refusal.note_required');
  if (err.code === 'exception_closed') return t('refusal.exception_closed');
  if (err.code === 'not_applicable') return t('refusal.not_applicable', { message: err.message });
  return t('step.refused', { message: err.message });
}

function ExceptionCard({ item, busy, act }: { item: ExceptionItem; busy: boolean; act: (action: ExceptionAction, note: string) => void }) {
  const { t } = useI18n();
  const [note, setNote] = useState('');
  const detail = detailText(item.detail);
  return (
    <li className="exception card" data-exception={item.id} data-kind={item.kind} data-tn={item.parcel?.trackingNumber ?? ''}>
      <h2>{kindText(item.kind, t)}</h2>
      <dl className="facts">
        <div>
          <dt>{t('parcel')}</dt>
          <dd className="tn">{item.parcel?.trackingNumber ?? '—'}</dd>
        </div>
        <div>
          <dt>{t('site')}</dt>
          <dd className="site">{item.site?.name ?? '—'}</dd>
        </div>
        <div>
          <dt>{t('openedAt')}</dt>
          <dd className="when">{hallDateTime(item.openedAt)}</dd>
        </div>
        {item.occurrences > 1 && (
          <div>
            <dt>{t('occurrences')}</dt>
            <dd>{item.occurrences}</dd>
          </div>
        )}
      </dl>
      {detail && <p className="detail">{detail}</p>}
      {item.custody.length > 0 && (
        <details className="trail">
          <summary>{t('custodyTrail', { n: item.custody.length })}</summary>
          <ol>
            {item.custody.map((c, i) => (
              <li key={i} data-kind={c.kind}>
                <span className="when">{hallDateTime(c.at)}</span> <strong>{c.kind}</strong> → {c.toState} ·{' '}
                {t(`actor.${c.actor.kind}` as MessageKey)}
                {c.actor.name ? ` ${c.actor.name}` : ''}
                {c.site ? ` · ${c.site}` : ''}
                {c.compartment !== null ? ` · ${t('compartmentNo', { n: c.compartment })}` : ''}
              </li>
            ))}
          </ol>
        </details>
      )}
      {item.actions.length > 0 && (
        <ol className="done-actions">
          {item.actions.map((a, i) => (
            <li key={i}>
              {hallDateTime(a.at)} {t(`action.${a.action}` as MessageKey)} {a.by.name ?? ''} {a.note ? `“${a.note}”` : ''}
            </li>
          ))}
        </ol>
      )}
      <label className="note">
        {t('actionNote')}
        <input className="action-note" value={note} maxLength={500} onChange={(e) => setNote(e.target.value)} />
      </label>
      <div className="actions">
        {ACTIONS.map((a) => (
          <button
            key={a}
            type="button"
            className={`act-${a}${a === 'close' ? ' primary' : ''}`}
            disabled={busy}
            onClick={() => act(a, note)}
          >
            {t(`action.${a}`)}
          </button>
        ))}
      </div>
    </li>
  );
}

export function Exceptions() {
  const { t } = useI18n();
  const { items, said, setSaid, busy, setBusy, load, live } = useWorkList(api.exceptions, refusalText);

  const act = (item: ExceptionItem, action: ExceptionAction, note: string) => {
    setBusy(true);
    void api
      .act(item.id, action, note)
      .then(
        (answer) =>
          setSaid({
            tone: 'accepted',
            text: t(answer.open ? 'said.actionDone' : 'said.closed', {
              action: t(`action.${action}`),
              kind: kindText(item.kind, t),
              tn: item.parcel?.trackingNumber ?? '—',
            }),
          }),
        (err: unknown) => setSaid({ tone: 'refused', text: refusalText(err, t) }),
      )
      .then(load)
      .finally(() => setBusy(false));
  };

  return (
    <section className="exceptions" id="exceptions" aria-busy={busy}>
      <div className="row-head">
        <h1>{t('exceptionsTitle')}</h1>
        <LiveBadge live={live} />
      </div>
      <div className="filters">
        <button id="refresh" type="button" onClick={() => void load()}>
          {t('refresh')}
        </button>
      </div>
      {said && (
        <p id="exceptions-message" role="status" className={`said tone-${said.tone}`}>
          {said.text}
        </p>
      )}
      {items !== null && items.length === 0 && (
        <p className="empty" id="exceptions-empty">
          {t('exceptionsEmpty')}
        </p>
      )}
      {items !== null && items.length > 0 && (
        <ol className="exception-list" id="exception-list">
          {items.map((item) => (
            <ExceptionCard key={item.id} item={item} busy={busy} act={(a, note) => act(item, a, note)} />
          ))}
        </ol>
      )}
    </section>
  );
}
