// A tiny hash router: the page is the part after `#/`, so the hub serves one index.html for all.
// A page may carry one id after its name (`#/application/<id>`).
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

/** The hash's path parts: `#/application/0190…` → ['application', '0190…']. */
const hashParts = (): string[] => window.location.hash.replace(/^#\/?/, '').split('/');

/** The page's name: the hash's first part (`#/application/<id>` is the page `application`). */
export function currentPage(): PageName {
  const name = hashParts()[0] ?? '';
  return (PAGES as readonly string[]).includes(name) ? (name as PageName) : 'home';
}

export function go(page: PageName): void {
  window.location.hash = `#/${page}`;
}

/** The application page of one application (`#/application/<id>`). */
export function goApplication(id: string): void {
  window.location.hash = `#/application/${encodeURIComponent(id)}`;
}

/** The id in `#/application/<id>`, or null on any other page. */
export function currentApplicationId(): string | null {
  const [name, id] = hashParts();
  return name === 'application' && id ? decodeURIComponent(id) : null;
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

/** The application id in the hash, kept current as the hash changes. */
export function useApplicationId(): string | null {
  const [id, setId] = useState(currentApplicationId);
  useEffect(() => {
    const onChange = () => setId(currentApplicationId());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return id;
}
