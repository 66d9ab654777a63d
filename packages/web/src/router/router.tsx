import { useEffect, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from 'react';

/**
 * A tiny History API router: the dashboard has a handful of flat routes, so
 * a library would cost more bytes than it saves lines.
 */

const listeners = new Set<() => void>();
let focusPending = false;
const notify = () => {
  focusPending = true;
  for (const l of listeners) l();
};
if (typeof window !== 'undefined') window.addEventListener('popstate', notify);

/**
 * True once after each in-app navigation: the page title then takes focus so
 * screen reader and keyboard users start at the new page, not the old link.
 */
export function takeNavigationFocus(): boolean {
  const pending = focusPending;
  focusPending = false;
  return pending;
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const snapshot = () => window.location.pathname + window.location.search;

/** Goes to `to` (a same-origin path) and re-renders every route user. */
export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === snapshot()) return;
  if (opts.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.scrollTo(0, 0);
  notify();
}

export interface Location {
  pathname: string;
  search: URLSearchParams;
  /** Path and query, as given to `navigate`. */
  href: string;
}

/** The current location; components re-render when it changes. */
export function useLocation(): Location {
  const href = useSyncExternalStore(subscribe, snapshot, () => '/');
  const q = href.indexOf('?');
  return {
    pathname: q === -1 ? href : href.slice(0, q),
    search: new URLSearchParams(q === -1 ? '' : href.slice(q)),
    href,
  };
}

/** Whether `pathname` is `base` or below it (`/settings` is active on `/settings/audit`). */
export function isActive(pathname: string, base: string): boolean {
  if (base === '/') return pathname === '/';
  return pathname === base || pathname.startsWith(`${base}/`);
}

/** Only same-origin paths, so a `?next=` parameter cannot send the user elsewhere. */
export function safeNext(next: string | null, fallback = '/'): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : fallback;
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { to: string; children: ReactNode };

/** An anchor that navigates in place; modified clicks (new tab, download) keep browser behaviour. */
export function Link({ to, onClick, children, ...rest }: LinkProps) {
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    if (rest.target && rest.target !== '_self') return;
    e.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={handle} {...rest}>
      {children}
    </a>
  );
}

/** A Link that marks itself `aria-current="page"` when its section is shown. */
export function NavLink({ to, exact, ...rest }: LinkProps & { exact?: boolean }) {
  const { pathname } = useLocation();
  const active = exact ? pathname === to : isActive(pathname, to);
  return <Link to={to} aria-current={active ? 'page' : undefined} {...rest} />;
}

/** Replaces the location on render (for guards and old paths). */
export function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}
