// The result's section: how it comes back and where it is; in the locker, the collection code (from
// the applicant's notices), where and until when; and what the applicant may do about it — more time,
// another code sent, someone else authorised to collect (委托代领, revocable), or mail / the counter
// instead. Each action shows only when the hub's view of the result offers it (ADR 0033).
import { useState } from 'react';
import { ApiError, followApi, type ApplicantNotice, type FollowedParcel, type ResultView } from '../api.js';
import { useI18n, type MessageKey, type Translate } from '../i18n/index.js';
import { en } from '../i18n/en.js';
import { hallDateTime } from '../follow-words.js';

const SWITCHABLE = ['in_locker', 'returning', 'returned_to_hall'];

/** A refusal in words: its own when the app has some, else its code. */
export function refusal(t: Translate, e: unknown): string {
  const code = e instanceof ApiError ? e.code : 'error';
  return `f.err.${code}` in en ? t(`f.err.${code}` as MessageKey) : t('f.error', { code });
}

export function ResultActions({
  parcel,
  result,
  notice,
  channel,
  onChanged,
}: {
  parcel: FollowedParcel;
  /** the hub's view of what may be done about it */
  result: ResultView | null;
  notice: ApplicantNotice | undefined;
  channel: string;
  onChanged: () => void;
}) {
  const { t } = useI18n();
  const [said, setSaid] = useState<{ text: string; ok: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const [address, setAddress] = useState('');
  const [name, setName] = useState('');
  const [phone, setPhone] = useState('');
  const details = notice?.details ?? {};
  const holdUntil = result?.holdUntil ?? (typeof details.holdUntil === 'string' ? details.holdUntil : null);
  // The delegate who may still collect; a revoked or used one leaves the form to authorise another.
  const delegate = result?.delegate && !result.delegate.revokedAt && !result.delegate.usedAt ? result.delegate : null;
  const inLocker = parcel.state === 'in_locker';
  const code = inLocker && typeof details.code === 'string' ? details.code : null;
  const site = details.site as { name?: string; address?: string } | undefined;

  const act = (run: () => Promise<string>) => {
    setBusy(true);
    run().then(
      (text) => {
        setSaid({ text, ok: true });
        setBusy(false);
        onChanged();
      },
      (e: unknown) => {
        setSaid({ text: refusal(t, e), ok: false });
        setBusy(false);
      },
    );
  };

  return (
    <section className="card follow-section" id="result" aria-labelledby="result-title">
      <h2 id="result-title">{t('f.result')}</h2>
      <p id="result-state">
        {t(`f.channel.${channel}` as MessageKey)} · {t(`f.state.${parcel.state}` as MessageKey)} ·{' '}
        <span className="tn">{parcel.trackingNumber}</span>
      </p>
      {code && (
        <div className="code-block" id="collect">
          <p className="code-label">{t('f.collectCode')}</p>
          <p className="code" id="collect-code">
            {code}
          </p>
          <p className="hint">
            {details.factor === 'pin' && typeof details.pin === 'string'
              ? t('f.depositFactorPin', { pin: details.pin })
              : t('f.depositFactorPhone')}
          </p>
          {site?.name && (
            <p id="collect-where">
              {t('f.where', {
                site: site.name,
                address: site.address ?? '',
                n: typeof details.compartment === 'number' ? details.compartment : '',
              })}
            </p>
          )}
          {holdUntil && <p id="collect-until">{t('f.collectUntil', { date: hallDateTime(holdUntil) })}</p>}
        </div>
      )}
      {said && (
        <p className={said.ok ? 'said tone-accepted' : 'said tone-refused'} id="result-said" role="status">
          {said.text}
        </p>
      )}
      <div className="actions">
        {inLocker && result !== null && result.extensionsLeft > 0 && (
          <button
            type="button"
            id="extend"
            disabled={busy}
            onClick={() => act(async () => t('f.extended', { date: hallDateTime((await followApi.extend(parcel.id)).holdUntil) }))}
          >
            {t('f.extend')}
          </button>
        )}
        {inLocker && result !== null && (
          <button
            type="button"
            id="resend-collect"
            disabled={busy || result.resendsLeft === 0}
            onClick={() => act(async () => t('f.resent', { remaining: (await followApi.resendResultCode(parcel.id)).remaining }))}
          >
            {t('f.resend')}
          </button>
        )}
        {SWITCHABLE.includes(parcel.state) && (
          <button
            type="button"
            id="switch-counter"
            disabled={busy}
            onClick={() => act(async () => (await followApi.switchResult(parcel.id, 'counter'), t('f.switched')))}
          >
            {t('f.switchCounter')}
          </button>
        )}
      </div>
      {SWITCHABLE.includes(parcel.state) && (
        <form
          className="inline-form"
          id="switch-mail-form"
          onSubmit={(e) => {
            e.preventDefault();
            act(async () => (await followApi.switchResult(parcel.id, 'mail', address.trim() || undefined), t('f.switched')));
          }}
        >
          <label>
            {t('f.mailAddress')}
            <input id="mail-address" value={address} onChange={(e) => setAddress(e.target.value)} />
          </label>
          <button type="submit" id="switch-mail" disabled={busy}>
            {t('f.switchMail')}
          </button>
        </form>
      )}
      {inLocker && result?.delegateSupported && (
        <div className="delegate" id="delegate">
          <h3>{t('f.authorise')}</h3>
          {delegate ? (
            <p>
              <span id="delegate-shown">{t('f.delegateShown', { name: delegate.name, phone: delegate.phone })}</span>{' '}
              <button
                type="button"
                id="revoke-delegate"
                disabled={busy}
                onClick={() => act(async () => (await followApi.revoke(parcel.id, delegate.id), t('f.revoked')))}
              >
                {t('f.revoke')}
              </button>
            </p>
          ) : (
            <form
              className="inline-form"
              onSubmit={(e) => {
                e.preventDefault();
                act(async () => (await followApi.authorise(parcel.id, name.trim(), phone.trim()), t('f.authorised')));
              }}
            >
              <label>
                {t('f.delegateName')}
                <input id="delegate-name" value={name} onChange={(e) => setName(e.target.value)} required />
              </label>
              <label>
                {t('f.delegatePhone')}
                <input id="delegate-phone" inputMode="tel" value={phone} onChange={(e) => setPhone(e.target.value)} required />
              </label>
              <button type="submit" id="authorise" disabled={busy}>
                {t('f.authorise')}
              </button>
            </form>
          )}
        </div>
      )}
    </section>
  );
}
