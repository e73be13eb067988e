// The hall's processing queue: received applications in arrival order with the time each has waited,
// filtered by service matter; staff accept the documents, then approve, or reject with a reason.
// Every answer is said in words, a refusal (not accepted yet, already decided …) too.
import { useCallback, useState } from 'react';
import { api, ApiError, type QueueItem } from '../api.js';
import { useI18n, type MessageKey, type Translate } from '../i18n/index.js';
import { hallTime } from '../intake-session.js';
import { waited } from '../work-lists.js';
import { useWorkList } from '../use-work-list.js';
import { LiveBadge } from '../components/LiveBadge.js';

/** The refusals the queue's actions can meet, each in words of its own. */
const REFUSALS = new Set([
  'not_accepted',
  'already_decided',
  'already_accepted',
  'not_received',
  'no_inbound_parcel',
  'no_free_compartment',
  'no_return_site',
  'no_return_address',
  'not_found',
]);

function refusalText(err: unknown, t: Translate): string {
  if (!(err instanceof ApiError) || err.code === 'network') return t('networkError');
  if (REFUSALS.has(err.code)) return `${t(`refusal.${err.code}` as MessageKey)} (${err.message})`;
  return t('step.refused', { message: err.message });
}

function QueueRow({
  item,
  busy,
  act,
}: {
  item: QueueItem;
  busy: boolean;
  act: (what: 'accept' | 'approve' | 'reject', reason?: string) => void;
}) {
  const { t } = useI18n();
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');
  return (
    <li className="queue-row card" data-application={item.applicationId} data-tn={item.trackingNumber} data-state={item.state}>
      <div className="row-head">
        <span className="tn">{item.trackingNumber}</span>
        <span className="state">{t(`parcelState.${item.state}` as MessageKey)}</span>
      </div>
      <p className="what">
        {t('matter')}: {item.matter.name} · {t('applicant')}: {item.applicant}
      </p>
      <p className="when">
        {t('receivedAt', { time: hallTime(new Date(item.receivedAt)) })} ·{' '}
        <strong className="waited">{waited(item.waitedMinutes, t)}</strong>
      </p>
      <div className="actions">
        <button type="button" className="accept" disabled={busy} onClick={() => act('accept')}>
          {t('accept')}
        </button>
        <button type="button" className="primary approve" disabled={busy} onClick={() => act('approve')}>
          {t('approve')}
        </button>
        <button type="button" className="reject" disabled={busy} onClick={() => setRejecting(!rejecting)} aria-expanded={rejecting}>
          {t('reject')}
        </button>
      </div>
      {rejecting && (
        <form
          className="reject-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (reason.trim()) act('reject', reason.trim());
          }}
        >
          <label>
            {t('rejectReason')}
            <input className="reject-reason" value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} required />
          </label>
          <button type="submit" className="confirm-reject" disabled={busy || !reason.trim()}>
            {t('confirmReject')}
          </button>
        </form>
      )}
    </li>
  );
}

export function Queue() {
  const { t } = useI18n();
  const [matter, setMatter] = useState('');
  /** the matters seen in the unfiltered queue, for the filter */
  const [matters, setMatters] = useState<Array<{ code: string; name: string }>>([]);
  const fetchQueue = useCallback(
    () =>
      api.queue(matter).then((list) => {
        if (!matter)
          setMatters([...new Map(list.map((i) => [i.matter.code, i.matter])).values()].sort((a, b) => a.name.localeCompare(b.name)));
        return list;
      }),
    [matter],
  );
  const { items, said, setSaid, busy, setBusy, load, live } = useWorkList(fetchQueue, refusalText);

  const act = (item: QueueItem, what: 'accept' | 'approve' | 'reject', reason?: string) => {
    setBusy(true);
    const call =
      what === 'accept'
        ? api.accept(item.applicationId)
        : what === 'approve'
          ? api.approve(item.applicationId)
          : api.reject(item.applicationId, reason!);
    void call
      .then(
        () => setSaid({ tone: 'accepted', text: t(`said.${what}`, { tn: item.trackingNumber }) }),
        (err: unknown) => setSaid({ tone: 'refused', text: refusalText(err, t) }),
      )
      .then(load)
      .finally(() => setBusy(false));
  };

  return (
    <section className="queue" id="queue" aria-busy={busy}>
      <div className="row-head">
        <h1>{t('queueTitle')}</h1>
        <LiveBadge live={live} />
      </div>
      <div className="filters">
        <label>
          {t('filterMatter')}
          <select id="matter-filter" value={matter} onChange={(e) => setMatter(e.target.value)}>
            <option value="">{t('allMatters')}</option>
            {matters.map((m) => (
              <option key={m.code} value={m.code}>
                {m.name}
              </option>
            ))}
          </select>
        </label>
        <button id="refresh" type="button" onClick={() => void load()}>
          {t('refresh')}
        </button>
      </div>
      {said && (
        <p id="queue-message" role="status" className={`said tone-${said.tone}`}>
          {said.text}
        </p>
      )}
      {items !== null && items.length === 0 && (
        <p className="empty" id="queue-empty">
          {t('queueEmpty')}
        </p>
      )}
      {items !== null && items.length > 0 && (
        <ol className="queue-list" id="queue-list">
          {items.map((item) => (
            <QueueRow key={item.applicationId} item={item} busy={busy} act={(what, reason) => act(item, what, reason)} />
          ))}
        </ol>
      )}
    </section>
  );
}
