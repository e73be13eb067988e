// A tiny hash router: the page is the part after `#/`, so the hub serves one index.html for all.
import { useEffect, useState } from 'react';

export type PageName =
  'sign-in' | 'home' | 'intake' | 'courier' | 'queue' | 'exceptions' | 'prereview' | 'search' | 'follow-ups' | 'apply' | 'application';
const PAGES: readonly PageName[] = [
  'sign-in',
  'home',
  'intake',
  'courier',
  'queue',
  'exceptions',
  'prereview',
  'search',
  'follow-ups',
  'apply',
  'application',
];

/** The page's name: the hash's first part (`#/application/<id>` is the page `application`). */
export function currentPage(): PageName {
  const name = window.location.hash.replace(/^#\/?/, '').split('/')[0] ?? '';
  return (PAGES as readonly string[]).includes(name) ? (name as PageName) : 'home';
}

/** The id after the page's name (`#/application/<id>` gives <id>); null when there is none. */
export function currentId(): string | null {
  const id = window.location.hash.replace(/^#\/?/, '').split('/')[1];
  return id ? decodeURIComponent(id) : null;
}

/** To one application's page. */
export function goApplication(id: string): void {
  window.location.hash = `#/application/${encodeURIComponent(id)}`;
}

export function go(page: PageName): void {
  window.location.hash = `#/${page}`;
}

export function usePage(): PageName {
  const [page, setPage] = useState(currentPage);
  useEffect(() => {
    const onChange = () => setPage(currentPage());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return page;
}
