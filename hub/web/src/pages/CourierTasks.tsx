// The courier's PDA page (phone first): today's own tasks grouped by site, each with its address, a
// map link, a masked contact, the compartments and the one code as digits and as the QR the kiosk's
// scanner reads; the courier confirms each step or reports a failure with its reason. The list is
// read again after every step, on the refresh button and every 30 seconds.
import { useCallback, useEffect, useState } from 'react';
import QRCode from 'qrcode';
import { api, ApiError, FAILURE_REASONS, type CourierStep, type CourierTask, type FailureReason, type User } from '../api.js';
import { useI18n, type MessageKey, type Translate } from '../i18n/index.js';
import { maskName } from '../mask.js';
import { hallTime } from '../intake-session.js';
import { bySite } from '../work-lists.js';

const REFRESH_MS = 30_000;

interface Said {
  tone: 'accepted' | 'refused';
  text: string;
}

/** A hub refusal in the courier's words. */
function refusalText(err: unknown, t: Translate): string {
  if (!(err instanceof ApiError) || err.code === 'network') return t('networkError');
  if (err.code === 'forbidden') return t('step.notYours');
  if (err.code === 'not_found') return t('step.notFound');
  return t('step.refused', { message: err.message });
}

function Qr({ token, label }: { token: string; label: string }) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    QRCode.toDataURL(token, { errorCorrectionLevel: 'M', margin: 4, scale: 4 }).then(
      (url) => live && setSrc(url),
      () => live && setSrc(null),
    );
    return () => {
      live = false;
    };
  }, [token]);
  return src ? <img className="qr" src={src} alt={label} data-token-length={token.length} /> : null;
}

function ParcelRow({
  task,
  parcel,
  busy,
  onStep,
}: {
  task: CourierTask;
  parcel: CourierTask['parcels'][number];
  busy: boolean;
  onStep: (step: CourierStep, reason?: FailureReason) => void;
}) {
  const { t } = useI18n();
  const [reason, setReason] = useState<FailureReason>('cannot_open');
  const done: CourierStep = task.kind === 'delivery' ? 'delivered' : 'picked_up';
  const confirmed = parcel.confirmed;
  return (
    <li className="parcel" data-tn={parcel.trackingNumber} data-state={parcel.state}>
      <div className="parcel-head">
        {parcel.compartment !== null && <span className="compartment">{t('compartmentNo', { n: parcel.compartment })}</span>}
        <span className="tn">{parcel.trackingNumber}</span>
        <span className="state">{t(`parcelState.${parcel.state}` as MessageKey)}</span>
      </div>
      {confirmed && (
        <p className={`confirmed tone-${confirmed.step === 'failed' ? 'refused' : 'accepted'}`}>
          {confirmed.step === 'failed'
            ? t('reported', { reason: t(`reason.${confirmed.reason ?? 'other'}` as MessageKey) })
            : t(`confirmed.${confirmed.step}` as MessageKey)}
        </p>
      )}
      <div className="actions">
        <button type="button" className="primary confirm" disabled={busy} onClick={() => onStep(done)}>
          {t(`confirm.${done}`)}
        </button>
        <label className="reason">
          <span>{t('failureReason')}</span>
          <select value={reason} onChange={(e) => setReason(e.target.value as FailureReason)}>
            {FAILURE_REASONS.map((r) => (
              <option key={r} value={r}>
                {t(`reason.${r}`)}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="fail" disabled={busy} onClick={() => onStep('failed', reason)}>
          {t('reportFailure')}
        </button>
      </div>
    </li>
  );
}

function TaskCard({
  task,
  busy,
  onStep,
}: {
  task: CourierTask;
  busy: boolean;
  onStep: (tn: string, step: CourierStep, reason?: FailureReason) => void;
}) {
  const { t } = useI18n();
  return (
    <article className="task" data-visit={task.visitId} data-kind={task.kind}>
      <h3>
        {t(`task.${task.kind}`)} · {t('parcelCount', { n: task.parcels.length })}
      </h3>
      {task.contact && (
        <p className="contact">
          {t('contact')}: {task.contact}
        </p>
      )}
      {task.code !== null && task.qr !== null ? (
        <div className="code-block">
          <Qr token={task.qr} label={t('qrLabel', { code: task.code })} />
          <div>
            <p className="code-label">{t('codeLabel')}</p>
            <p className="code">{task.code}</p>
            {task.pin && (
              <p className="pin">
                {t('pinLabel')}: <span>{task.pin}</span>
              </p>
            )}
            <p className="hint">{t('codeHint')}</p>
          </div>
        </div>
      ) : (
        <p className="hint address-hint">{t('addressHint')}</p>
      )}
      <ol className="parcels">
        {task.parcels.map((p) => (
          <ParcelRow
            key={p.trackingNumber}
            task={task}
            parcel={p}
            busy={busy}
            onStep={(step, reason) => onStep(p.trackingNumber, step, reason)}
          />
        ))}
      </ol>
    </article>
  );
}

export function CourierTasks({ user }: { user: User }) {
  const { t } = useI18n();
  const [tasks, setTasks] = useState<CourierTask[] | null>(null);
  const [loadedAt, setLoadedAt] = useState<Date | null>(null);
  const [said, setSaid] = useState<Said | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(
    () =>
      api.tasks().then(
        (list) => {
          setTasks(list);
          setLoadedAt(new Date());
        },
        (err: unknown) => setSaid({ tone: 'refused', text: refusalText(err, t) }),
      ),
    [t],
  );

  useEffect(() => {
    void load();
    const timer = window.setInterval(() => void load(), REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [load]);

  const step = (task: CourierTask, trackingNumber: string, s: CourierStep, reason?: FailureReason) => {
    setBusy(true);
    void api
      .step(task.visitId, trackingNumber, s, reason)
      .then(
        (answer) =>
          setSaid({
            tone: s === 'failed' ? 'refused' : 'accepted',
            text:
              s === 'failed'
                ? t('said.failed', { tn: trackingNumber, reason: t(`reason.${reason ?? 'other'}`) })
                : t(answer.recorded ? `said.${s}` : 'said.again', { tn: trackingNumber }),
          }),
        (err: unknown) => setSaid({ tone: 'refused', text: refusalText(err, t) }),
      )
      .then(load)
      .finally(() => setBusy(false));
  };

  return (
    <section className="pda" id="courier-tasks" aria-busy={busy}>
      <h1>{t('myTasks')}</h1>
      <p id="hello">{t('hello', { name: maskName(user.displayName) })}</p>
      <div className="refresh">
        <button id="refresh" type="button" onClick={() => void load()}>
          {t('refresh')}
        </button>
        {loadedAt && <span id="loaded-at">{t('updatedAt', { time: hallTime(loadedAt) })}</span>}
      </div>
      {said && (
        <p id="pda-message" role="status" className={`said tone-${said.tone}`}>
          {said.text}
        </p>
      )}
      {tasks !== null && tasks.length === 0 && (
        <p className="empty" id="no-tasks">
          {t('noTasks')}
        </p>
      )}
      {tasks !== null &&
        bySite(tasks).map(({ site, tasks: here }) => (
          <section key={site.code} className="site card" data-site={site.code}>
            <h2>{site.name}</h2>
            <p className="address">{site.address}</p>
            <a className="map" href={site.mapUrl} target="_blank" rel="noreferrer">
              {t('openMap')}
            </a>
            {here.map((task) => (
              <TaskCard key={task.visitId} task={task} busy={busy} onStep={(tn, s, reason) => step(task, tn, s, reason)} />
            ))}
          </section>
        ))}
    </section>
  );
}
