// The courier's "my tasks": the PDA page comes with the courier work; until then it says so and
// lists nothing.
import type { User } from '../api.js';
import { useI18n } from '../i18n/index.js';
import { maskName } from '../mask.js';

export function CourierTasks({ user }: { user: User }) {
  const { t } = useI18n();
  return (
    <section className="card" id="courier-tasks">
      <h1>{t('myTasks')}</h1>
      <p id="hello">{t('hello', { name: maskName(user.displayName) })}</p>
      <p id="pda-coming">{t('pdaComing')}</p>
      <p className="empty">{t('noTasks')}</p>
    </section>
  );
}
