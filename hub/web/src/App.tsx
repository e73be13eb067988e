// The frame of every page: the header (language, large type, sign-out), who is signed in, and which
// page shows. Each role lands on its own home after signing in; a 401 anywhere returns to sign-in.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, SIGNED_OUT_EVENT, token, type Role, type User } from './api.js';
import { I18n, rememberLanguage, storedLanguage, translator, type Language, type MessageKey } from './i18n/index.js';
import { go, useApplicationId, usePage, type PageName } from './router.js';
import { Application } from './pages/Application.js';
import { MyApplications } from './pages/MyApplications.js';
import { CourierTasks } from './pages/CourierTasks.js';
import { Exceptions } from './pages/Exceptions.js';
import { Home } from './pages/Home.js';
import { Intake } from './pages/Intake.js';
import { Queue } from './pages/Queue.js';
import { SignIn } from './pages/SignIn.js';
import { FollowUps } from './pages/FollowUps.js';
import { Prereview } from './pages/Prereview.js';
import { Search } from './pages/Search.js';
import { Apply } from './pages/Apply.js';

const HOME_OF: Record<Role, PageName> = { staff: 'intake', courier: 'courier', applicant: 'home', admin: 'home' };
/** The pages each role may open, its home first; the navigation shows them when there are several. */
const PAGES_OF: Record<Role, PageName[]> = {
  staff: ['intake', 'prereview', 'queue', 'search', 'follow-ups', 'exceptions'],
  courier: ['courier'],
  applicant: ['home', 'apply', 'application'],
  admin: ['home', 'search', 'exceptions'],
};
const LARGE = 'xinbao.largeType';

export function App() {
  const [lang, setLang] = useState<Language>(storedLanguage);
  const [large, setLarge] = useState(() => localStorage.getItem(LARGE) === 'true');
  const [user, setUser] = useState<User | null>(null);
  const [checking, setChecking] = useState(() => token.get() !== null);
  const [notice, setNotice] = useState<MessageKey | null>(null);
  const page = usePage();
  const applicationId = useApplicationId();
  const i18n = useMemo(() => ({ lang, t: translator(lang) }), [lang]);
  const { t } = i18n;

  useEffect(() => rememberLanguage(lang), [lang]);
  useEffect(() => {
    localStorage.setItem(LARGE, String(large));
    document.documentElement.classList.toggle('large', large);
  }, [large]);

  // A token from earlier in this tab: who is it?
  useEffect(() => {
    if (!token.get()) return;
    api.me().then(
      (u) => {
        setUser(u);
        setChecking(false);
      },
      () => setChecking(false),
    );
  }, []);

  useEffect(() => {
    const ended = () => {
      setUser(null);
      setNotice('sessionEnded');
      go('sign-in');
    };
    window.addEventListener(SIGNED_OUT_EVENT, ended);
    return () => window.removeEventListener(SIGNED_OUT_EVENT, ended);
  }, []);

  const signedIn = useCallback((u: User) => {
    setUser(u);
    setNotice(null);
    go(HOME_OF[u.role]);
  }, []);

  // Signed out once the hub has ended the session (or could not be reached): the token is gone by
  // then either way, so the sign-in page never shows over a session that still works.
  const signOut = useCallback(() => {
    const done = () => {
      setUser(null);
      setNotice('signedOut');
      go('sign-in');
    };
    api.signOut().then(done, done);
  }, []);

  let body: React.ReactNode;
  if (checking) body = null;
  else if (!user) body = <SignIn onSignedIn={signedIn} notice={notice} />;
  else {
    const shown = page === 'sign-in' ? HOME_OF[user.role] : page;
    // A page of another role shows this role's home instead.
    const pages = PAGES_OF[user.role];
    const target = pages.includes(shown) ? shown : HOME_OF[user.role];
    // Pages of one thing (an application) are reached from a list, not from the navigation.
    const navPages = pages.filter((p) => p !== 'application');
    const view =
      target === 'intake' ? (
        <Intake />
      ) : target === 'queue' ? (
        <Queue />
      ) : target === 'exceptions' ? (
        <Exceptions />
      ) : target === 'prereview' ? (
        <Prereview />
      ) : target === 'search' ? (
        <Search />
      ) : target === 'follow-ups' ? (
        <FollowUps />
      ) : target === 'courier' ? (
        <CourierTasks user={user} />
      ) : target === 'apply' ? (
        <Apply />
      ) : target === 'application' && applicationId ? (
        <Application key={applicationId} id={applicationId} user={user} />
      ) : user.role === 'applicant' ? (
        <MyApplications user={user} />
      ) : (
        <Home user={user} />
      );
    body = (
      <>
        {navPages.length > 1 && (
          <nav className="pages" aria-label={t('pagesLabel')}>
            {navPages.map((p) => (
              <a key={p} id={`nav-${p}`} href={`#/${p}`} aria-current={p === target ? 'page' : undefined}>
                {t(`page.${p}` as MessageKey)}
              </a>
            ))}
          </nav>
        )}
        {view}
      </>
    );
  }

  return (
    <I18n.Provider value={i18n}>
      <header className="bar">
        <span className="brand">{t('appName')}</span>
        <nav className="tools">
          <button
            id="lang"
            type="button"
            aria-label={t('languageLabel')}
            onClick={() => setLang(lang === 'zh-CN' ? 'en' : 'zh-CN')}
            lang={lang === 'zh-CN' ? 'en' : 'zh-CN'}
          >
            {t('language')}
          </button>
          <button id="large-type" type="button" aria-pressed={large} onClick={() => setLarge(!large)}>
            {t('largeType')}
          </button>
          {user && (
            <button id="sign-out" type="button" onClick={signOut}>
              {t('signOut')}
            </button>
          )}
        </nav>
      </header>
      <main>{body}</main>
    </I18n.Provider>
  );
}
