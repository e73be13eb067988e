// Sign-in for every role. Applicants: a phone number and a one-time SMS code, with their consent to the
// terms and to locker delivery (ADR 0026); the cool-down before another code, and every refusal (a
// wrong, used, expired or spent code, too many tries) in words. Staff, couriers and operators:
// username and password, the hub's answer in words (wrong password, or a throttled address's "try
// again in N s").
import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, portalApi, type User } from '../api.js';
import { useI18n, type MessageKey, type Translate } from '../i18n/index.js';
import { maskPhone } from '../mask.js';

export function SignIn({ onSignedIn, notice }: { onSignedIn: (u: User) => void; notice: MessageKey | null }) {
  const { t } = useI18n();
  return (
    <div className="sign-in-page">
      <h1>{t('signInTitle')}</h1>
      {notice && (
        <p className="notice" role="status">
          {t(notice)}
        </p>
      )}
      <SmsSignIn onSignedIn={onSignedIn} />
      <PasswordSignIn onSignedIn={onSignedIn} />
    </div>
  );
}

function PasswordSignIn({ onSignedIn }: { onSignedIn: (u: User) => void }) {
  const { t } = useI18n();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    api.signIn(username.trim(), password).then(onSignedIn, (err: unknown) => {
      setBusy(false);
      setPassword('');
      if (err instanceof ApiError && err.status === 429) setError(t('throttled', { seconds: err.retryAfter ?? 60 }));
      else if (err instanceof ApiError && err.status === 401) setError(t('wrongPassword'));
      else setError(t('networkError'));
    });
  };

  return (
    <form className="card sign-in" onSubmit={submit} aria-labelledby="password-title">
      <h2 id="password-title">{t('passwordSignInTitle')}</h2>
      <label>
        {t('username')}
        <input
          id="username"
          autoComplete="username"
          autoCapitalize="none"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          required
        />
      </label>
      <label>
        {t('password')}
        <input
          id="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
        />
      </label>
      {error && (
        <p id="sign-in-error" className="error" role="alert">
          {error}
        </p>
      )}
      <button id="sign-in" type="submit" className="primary" disabled={busy}>
        {busy ? t('signingIn') : t('signIn')}
      </button>
    </form>
  );
}

/** The words for a refused code request or sign-in. */
export function smsRefusal(t: Translate, err: unknown): string {
  if (!(err instanceof ApiError)) return t('networkError');
  const seconds = err.retryAfter ?? 60;
  switch (err.code) {
    case 'too_many_codes':
      return t('sms.tooManyCodes', { seconds });
    case 'too_many_attempts':
      return t('sms.tooManyAttempts', { seconds });
    case 'invalid_phone':
      return t('sms.invalidPhone');
    case 'sms_unavailable':
      return t(err.status === 409 ? 'sms.unavailable' : 'sms.notSent');
    case 'wrong_code': {
      const left = (err.details as { attemptsLeft?: number } | undefined)?.attemptsLeft ?? 0;
      return left > 0 ? t('sms.wrongCode', { left }) : t('sms.wrongCodeSpent');
    }
    case 'invalid_code':
    case 'code_used':
    case 'code_expired':
    case 'code_spent':
      return t(`sms.${err.code}`);
    case 'bad_request':
      return t('sms.badCode');
    default:
      return err.status === 0 ? t('networkError') : err.message;
  }
}

/** Seconds left until `until` (ms), counting down once a second; 0 when past. */
function useCountdown(until: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (until <= Date.now()) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [until]);
  return Math.max(0, Math.ceil((until - now) / 1000));
}

function SmsSignIn({ onSignedIn }: { onSignedIn: (u: User) => void }) {
  const { t, lang } = useI18n();
  const [phone, setPhone] = useState('');
  const [code, setCode] = useState('');
  const [terms, setTerms] = useState(false);
  // Consent is given by ticking, never pre-ticked.
  const [lockerDelivery, setLockerDelivery] = useState(false);
  const [sentTo, setSentTo] = useState<{ phone: string; minutes: number } | null>(null);
  const [waitUntil, setWaitUntil] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const wait = useCountdown(waitUntil);

  const send = () => {
    setError(null);
    setBusy(true);
    portalApi.smsCode(phone.trim()).then(
      (r) => {
        setBusy(false);
        setSentTo({ phone: phone.trim(), minutes: Math.round(r.expiresInSeconds / 60) });
        setWaitUntil(Date.now() + r.resendAfterSeconds * 1000);
      },
      (err: unknown) => {
        setBusy(false);
        if (err instanceof ApiError && err.retryAfter) setWaitUntil(Date.now() + err.retryAfter * 1000);
        setError(smsRefusal(t, err));
      },
    );
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (!terms) {
      setError(t('sms.termsNeeded'));
      return;
    }
    setBusy(true);
    portalApi
      .smsLogin(sentTo?.phone ?? phone.trim(), code.trim(), { terms: true, lockerDelivery }, lang)
      .then(onSignedIn, (err: unknown) => {
        setBusy(false);
        setCode('');
        setError(smsRefusal(t, err));
      });
  };

  return (
    <form className="card sign-in" id="sms-form" onSubmit={submit} aria-labelledby="sms-title">
      <h2 id="sms-title">{t('sms.title')}</h2>
      <label>
        {t('sms.phone')}
        <input
          id="sms-phone"
          type="tel"
          inputMode="numeric"
          autoComplete="tel-national"
          maxLength={16}
          value={phone}
          onChange={(e) => setPhone(e.target.value)}
          required
        />
      </label>
      <button id="sms-send" type="button" onClick={send} disabled={busy || wait > 0 || phone.trim() === ''}>
        {wait > 0 ? t('sms.sendAgainIn', { seconds: wait }) : sentTo ? t('sms.sendAgain') : t('sms.send')}
      </button>
      {sentTo && (
        <p id="sms-sent" className="ok" role="status">
          {t('sms.sent', { phone: maskPhone(sentTo.phone), minutes: sentTo.minutes })}
        </p>
      )}
      <label>
        {t('sms.code')}
        <input
          id="sms-code"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="\d{6}"
          maxLength={6}
          value={code}
          onChange={(e) => setCode(e.target.value.replace(/\D/g, ''))}
          required
        />
      </label>
      <label className="check">
        <input id="consent-terms" type="checkbox" checked={terms} onChange={(e) => setTerms(e.target.checked)} />
        <span>{t('sms.consentTerms')}</span>
      </label>
      <label className="check">
        <input id="consent-locker" type="checkbox" checked={lockerDelivery} onChange={(e) => setLockerDelivery(e.target.checked)} />
        <span>{t('sms.consentLocker')}</span>
      </label>
      {error && (
        <p id="sms-error" className="error" role="alert">
          {error}
        </p>
      )}
      <button id="sms-sign-in" type="submit" className="primary" disabled={busy || code.length !== 6}>
        {busy ? t('signingIn') : t('signIn')}
      </button>
    </form>
  );
}
