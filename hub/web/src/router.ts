// A tiny hash router: the page is the part after `#/`, so the hub serves one index.html for all.
import { useEffect, useState } from 'react';

export type PageName = 'sign-in' | 'home' | 'intake' | 'courier' | 'queue' | 'exceptions' | 'prereview' | 'search' | 'follow-ups';
const PAGES: readonly PageName[] = ['sign-in', 'home', 'intake', 'courier', 'queue', 'exceptions', 'prereview', 'search', 'follow-ups'];

export function currentPage(): PageName {
  const name = window.location.hash.replace(/^#\/?/, '');
  return (PAGES as readonly string[]).includes(name) ? (name as PageName) : 'home';
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
