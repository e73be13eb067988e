// Sign-in for every role: username and password, the hub's answer in words (wrong password, or a
// throttled address's "try again in N s").
import { useState, type FormEvent } from 'react';
import { api, ApiError, type User } from '../api.js';
import { useI18n, type MessageKey } from '../i18n/index.js';

export function SignIn({ onSignedIn, notice }: { onSignedIn: (u: User) => void; notice: MessageKey | null }) {
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
    <form className="card sign-in" onSubmit={submit}>
      <h1>{t('signInTitle')}</h1>
      {notice && !error && (
        <p className="notice" role="status">
          {t(notice)}
        </p>
      )}
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
