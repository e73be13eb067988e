// One application as its applicant follows it (`#/application/<id>`, ADR 0036): the header (matter,
// status in words, application no.); the pre-review with every one-time notice in full, printable,
// and the form to resubmit corrected materials, or a 容缺 commitment with its due date; the deposit
// code with its QR, the keypad's next question, expiry and site, a resend and the envelope's cover
// sheet; the live tracking; the result with its collection code and actions; the rating.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { followApi, type ApplicantNotice, type ApplicationDetail, type MatterInfo, type SiteInfo, type User } from '../api.js';
import { useI18n, type MessageKey } from '../i18n/index.js';
import { maskName } from '../mask.js';
import { hallDateTime, statusLine } from '../follow-words.js';
import { CoverSheet, type CoverSheetFacts } from '../components/CoverSheet.js';
import { OneTimeNotice, PrintSheet, type IssuedNotice } from '../components/NoticePrint.js';
import { Rating } from '../components/Rating.js';
import { refusal, ResultActions } from '../components/ResultActions.js';
import { Tracking, useLiveTracking } from '../components/Tracking.js';

/** The inbound parcel's states before anything is handed in: the cover sheet is still of use. */
const BEFORE_HAND_IN = ['reserving', 'awaiting_deposit', 'pickup_ordered'];
const FINISHED = ['collected', 'delivered'];
/** The hall's own site, whose address the cover sheet names. */
const HALL_SITE = 'own-hall';

type Printing = { kind: 'notice'; number: number } | { kind: 'cover' } | null;

export function Application({ id, user }: { id: string; user: User }) {
  const { t, lang } = useI18n();
  const [app, setApp] = useState<ApplicationDetail | null>(null);
  const [notices, setNotices] = useState<ApplicantNotice[]>([]);
  const [matters, setMatters] = useState<MatterInfo[]>([]);
  const [sites, setSites] = useState<SiteInfo[]>([]);
  const [version, setVersion] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [said, setSaid] = useState<{ text: string; ok: boolean } | null>(null);
  const [printing, setPrinting] = useState<Printing>(null);
  const [chosen, setChosen] = useState<Set<string> | null>(null);

  // Steps arrive in bursts and each starts a load: only the latest load's answer is shown, so an
  // older one finishing last never puts a stale state back on the page.
  const latestLoad = useRef(0);
  const load = useCallback(() => {
    const mine = ++latestLoad.current;
    followApi.application(id).then(
      async (a) => {
        const outbound = a.parcels.some((p) => p.direction === 'outbound');
        const notices = outbound ? (await followApi.notices()).filter((n) => n.applicationId === a.id) : [];
        if (mine !== latestLoad.current) return;
        setNotices(notices);
        setApp(a);
        setVersion((v) => v + 1);
        setError(null);
      },
      (e: unknown) => {
        if (mine === latestLoad.current) setError(refusal(t, e));
      },
    );
  }, [id, t]);
  const live = useLiveTracking(id, load);

  useEffect(() => {
    followApi.matters().then(setMatters, () => undefined);
    followApi.sites().then(setSites, () => undefined);
  }, []);
  useEffect(() => load(), [load]);

  const siteMap = useMemo(() => new Map(sites.map((s) => [s.id, s])), [sites]);
  const matter = matters.find((m) => m.code === app?.matterCode);
  const matterName = matter ? (lang === 'en' && matter.nameEn ? matter.nameEn : matter.name) : (app?.matterCode ?? '');
  const materialName = (code: string) => {
    const m = matter?.materials.find((x) => x.code === code);
    return m ? (lang === 'en' && m.nameEn ? m.nameEn : m.name) : code;
  };

  if (error && !app) return <p className="error">{error}</p>;
  if (!app) return null;

  const issued: IssuedNotice[] = app.prereviewSteps.flatMap((s) => (s.notice ? [{ ...s.notice, at: s.at }] : []));
  const inbound = app.parcels.find((p) => p.direction === 'inbound');
  const outbound = app.parcels.filter((p) => p.direction === 'outbound').at(-1);
  const hall = sites.find((s) => s.code === HALL_SITE);
  const cover: CoverSheetFacts | null =
    inbound && BEFORE_HAND_IN.includes(inbound.state)
      ? {
          applicationId: app.id,
          matter: matterName,
          applicant: maskName(user.displayName),
          trackingNumber: inbound.trackingNumber,
          hall: hall ? { name: hall.name, address: hall.address } : null,
        }
      : null;

  if (printing) {
    const notice = printing.kind === 'notice' ? issued.find((n) => n.number === printing.number) : undefined;
    return (
      <PrintSheet title={printing.kind === 'cover' ? t('f.coverTitle') : t('f.noticeSheet')} onBack={() => setPrinting(null)}>
        <p>
          {t('f.appNo')}: {app.id} · {matterName}
        </p>
        {notice && <OneTimeNotice notice={notice} materialName={materialName} />}
        {printing.kind === 'cover' && cover && <CoverSheet facts={cover} />}
      </PrintSheet>
    );
  }

  const declared = chosen ?? new Set(app.materials.map((m) => m.code));
  const deposit = app.deposit;
  // Rated once finished (ADR 0032): rejected, or the result collected or delivered.
  const finished = app.status === 'rejected' || (outbound !== undefined && FINISHED.includes(outbound.state));
  // The notices stay with the application; once it has passed they fold away (still there, still printable).
  const settled = app.prereview === 'passed' || app.prereview === 'accepted_pending';
  const noticeBlocks = issued
    .slice()
    .reverse()
    .map((n) => (
      <div key={n.number} className="notice-block">
        <OneTimeNotice notice={n} materialName={materialName} />
        <button type="button" id={`print-notice-${n.number}`} onClick={() => setPrinting({ kind: 'notice', number: n.number })}>
          {t('f.printView')}
        </button>
      </div>
    ));
  const resultNotice = outbound && notices.find((n) => n.parcelId === outbound.id && n.kind.startsWith('result_in'));

  return (
    <div className="follow" id="application">
      <section className="card follow-section" aria-labelledby="app-title">
        <p>
          <a href="#/home" id="back-home">
            ← {t('f.myApplications')}
          </a>
        </p>
        <h1 id="app-title">{matterName}</h1>
        <p className="status-line" id="app-status">
          {t(statusLine(app))}
        </p>
        <p className="when">
          {t('f.appNo')}: <span id="app-no">{app.id}</span> · {t('f.applied', { date: hallDateTime(app.createdAt) })}
        </p>
        <button type="button" id="refresh" onClick={load}>
          {t('f.refresh')}
        </button>
        {error && <p className="error">{error}</p>}
      </section>

      <section className="card follow-section" id="prereview" aria-labelledby="prereview-title">
        <h2 id="prereview-title">{t('f.prereview')}</h2>
        <p id="prereview-result">{t(`f.prereview.${app.prereview}` as MessageKey)}</p>
        {settled && issued.length > 0 ? (
          <details className="notices" id="notices">
            <summary>{t('f.noticesKept', { n: issued.length })}</summary>
            {noticeBlocks}
          </details>
        ) : (
          noticeBlocks
        )}
        {app.prereview === 'returned' && matter && (
          <form
            id="resubmit-form"
            className="resubmit"
            onSubmit={(e) => {
              e.preventDefault();
              followApi
                .resubmit(
                  app.id,
                  [...declared].map((code) => ({ code })),
                )
                .then(
                  () => {
                    setSaid({ text: t('f.resubmitted'), ok: true });
                    setChosen(null);
                    load();
                  },
                  (err: unknown) => setSaid({ text: refusal(t, err), ok: false }),
                );
            }}
          >
            <fieldset className="conditions materials">
              <legend>{t('f.resubmitTitle')}</legend>
              {matter.materials.map((m) => (
                <label key={m.code} className={declared.has(m.code) ? 'chosen' : undefined}>
                  <input
                    type="checkbox"
                    id={`material-${m.code}`}
                    checked={declared.has(m.code)}
                    onChange={() => {
                      const next = new Set(declared);
                      if (next.has(m.code)) next.delete(m.code);
                      else next.add(m.code);
                      setChosen(next);
                    }}
                  />
                  {materialName(m.code)}
                  {m.core ? ` (${t('f.core')})` : ''}
                </label>
              ))}
            </fieldset>
            <button type="submit" className="primary" id="resubmit">
              {t('f.resubmit')}
            </button>
          </form>
        )}
        {said && (!said.ok || app.prereview === 'pending') && (
          <p className={said.ok ? 'said tone-accepted' : 'said tone-refused'} id="prereview-said" role="status">
            {said.text}
          </p>
        )}
        {app.commitment && (
          <div className="commitment" id="commitment">
            <h3>{t('f.commitmentTitle')}</h3>
            <p>{app.commitment.materials.map(materialName).join('、')}</p>
            <p>“{app.commitment.commitment}”</p>
            <p id="commitment-due">
              {app.commitment.receivedAt
                ? t('f.commitmentReceived', { date: hallDateTime(app.commitment.receivedAt) })
                : t('f.commitmentDue', { date: hallDateTime(app.commitment.dueAt) })}
            </p>
          </div>
        )}
      </section>

      {app.dropOff && <PartnerDropOff dropOff={app.dropOff} />}

      {(deposit || cover) && (
        <Deposit applicationId={app.id} deposit={deposit ?? null} onCover={cover ? () => setPrinting({ kind: 'cover' }) : null} />
      )}

      {outbound && (
        <ResultActions parcel={outbound} result={app.result ?? null} notice={resultNotice} channel={app.channelOut} onChanged={load} />
      )}

      {finished && <Rating applicationId={app.id} version={version} />}

      <Tracking app={app} sites={siteMap} live={live} />
    </div>
  );
}

function Deposit({
  applicationId,
  deposit,
  onCover,
}: {
  applicationId: string;
  deposit: ApplicationDetail['deposit'] | null;
  onCover: (() => void) | null;
}) {
  const { t } = useI18n();
  const [said, setSaid] = useState<{ text: string; ok: boolean } | null>(null);
  // The hub's SVG shown as an image (a data: URL): drawn, never run.
  const qr = deposit?.qrSvg ? `data:image/svg+xml;charset=utf-8,${encodeURIComponent(deposit.qrSvg)}` : null;
  return (
    <section className="card follow-section" id="deposit" aria-labelledby="deposit-title">
      <h2 id="deposit-title">{t('f.deposit')}</h2>
      {deposit ? (
        <div className="code-block">
          <div>
            <p className="code-label">{t('f.depositCode')}</p>
            <p className="code" id="deposit-code">
              {deposit.code}
            </p>
            <p className="hint" id="deposit-factor">
              {deposit.factor.kind === 'pin' ? t('f.depositFactorPin', { pin: deposit.factor.pin }) : t('f.depositFactorPhone')}
            </p>
            {deposit.site?.name && (
              <p id="deposit-where">
                {t('f.where', { site: deposit.site.name, address: deposit.site.address ?? '', n: String(deposit.compartment ?? '') })}
              </p>
            )}
            <p id="deposit-until">{t('f.depositUntil', { date: hallDateTime(deposit.expiresAt) })}</p>
          </div>
          {qr && <img className="qr" id="deposit-qr" src={qr} alt={t('f.depositQr')} />}
        </div>
      ) : (
        <p className="empty">{t('f.noDepositCode')}</p>
      )}
      {said && (
        <p className={said.ok ? 'said tone-accepted' : 'said tone-refused'} id="deposit-said" role="status">
          {said.text}
        </p>
      )}
      <div className="actions">
        {deposit && deposit.resendsLeft !== undefined && (
          <button
            type="button"
            id="resend-deposit"
            disabled={deposit.resendsLeft === 0}
            onClick={() => {
              followApi.resendDepositCode(applicationId).then(
                (r) => setSaid({ text: t('f.resent', { remaining: r.remaining }), ok: true }),
                (e: unknown) => setSaid({ text: refusal(t, e), ok: false }),
              );
            }}
          >
            {t('f.resend')}
          </button>
        )}
        {onCover && (
          <button type="button" id="cover-sheet-button" onClick={onCover}>
            {t('f.coverSheet')}
          </button>
        )}
      </div>
    </section>
  );
}

/** A partner locker's drop-off (ADR 0025): reserving, then the partner's open-code while it works, or why not and what next. */
function PartnerDropOff({ dropOff }: { dropOff: NonNullable<ApplicationDetail['dropOff']> }) {
  const { t } = useI18n();
  return (
    <section className="card follow-section" id="partner-drop-off" aria-labelledby="partner-title">
      <h2 id="partner-title">{t('f.deposit')}</h2>
      <p className="status-line" id="partner-state">
        {t(`f.partner.${dropOff.state}` as MessageKey)}
      </p>
      {dropOff.state === 'ready' && dropOff.code && (
        <div className="code-block">
          <p className="code-label">{t('f.partnerCode')}</p>
          <p className="code" id="partner-code">
            {dropOff.code}
          </p>
        </div>
      )}
      {dropOff.site?.name && (
        <p id="partner-where">
          {t('f.where', { site: dropOff.site.name, address: dropOff.site.address ?? '', n: dropOff.compartment ?? '' })}
        </p>
      )}
      {dropOff.state === 'ready' && dropOff.expiresAt && <p>{t('f.depositUntil', { date: hallDateTime(dropOff.expiresAt) })}</p>}
      {(dropOff.state === 'failed' || dropOff.state === 'expired') && (
        <p className="notice" lang="en">
          {dropOff.message} {dropOff.whatNext?.join(' ')}
        </p>
      )}
    </section>
  );
}
