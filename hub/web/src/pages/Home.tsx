// The applicant's and the operator's home for now: who is signed in (name masked) and in which role.
import type { User } from '../api.js';
import { useI18n } from '../i18n/index.js';
import { maskName } from '../mask.js';

export function Home({ user }: { user: User }) {
  const { t } = useI18n();
  return (
    <section className="card" id="home">
      <h1 id="hello">{t('hello', { name: maskName(user.displayName) })}</h1>
      <p id="role">{t('signedInAs', { role: t(`role.${user.role}`) })}</p>
      <p>{t(user.role === 'admin' ? 'homeAdmin' : 'homeApplicant')}</p>
    </section>
  );
}
