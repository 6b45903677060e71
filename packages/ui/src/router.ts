// URL ↔ state: every page reads its state from the location and changes it by navigating, so
// every state has a URL and the back button walks through them.
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'search' }
  | { page: 'trace'; traceID: string }
  | { page: 'compare'; a: string; b: string }
  | { page: 'map' }
  | { page: 'diagnoses' }
  | { page: 'pods' }
  | { page: 'pod'; namespace: string; name: string }
  | { page: 'not-found'; path: string };

export function parseRoute(pathname: string): Route {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === 'search')) return { page: 'search' };
  if (parts[0] === 'trace' && parts.length === 2) {
    const m = /^([0-9a-fA-F]{1,32})\.\.\.([0-9a-fA-F]{1,32})$/.exec(parts[1]);
    if (m) return { page: 'compare', a: m[1].toLowerCase(), b: m[2].toLowerCase() };
    return { page: 'trace', traceID: parts[1].toLowerCase() };
  }
  // jaeger-ui's name for the service map
  if ((parts[0] === 'map' || parts[0] === 'dependencies') && parts.length === 1) return { page: 'map' };
  if (parts[0] === 'diagnoses' && parts.length === 1) return { page: 'diagnoses' };
  if (parts[0] === 'pods' && parts.length === 1) return { page: 'pods' };
  if (parts[0] === 'pods' && parts.length === 3) return { page: 'pod', namespace: parts[1], name: parts[2] };
  return { page: 'not-found', path: pathname };
}

export interface Location {
  pathname: string;
  search: URLSearchParams;
  route: Route;
}

type Listener = (loc: Location) => void;

/** The browser history as a store: one per app. */
export class Router {
  #listeners = new Set<Listener>();
  #location: Location;

  constructor() {
    this.#location = this.#read();
    window.addEventListener('popstate', () => this.#emit());
  }

  get location(): Location {
    return this.#location;
  }

  #read(): Location {
    const { pathname, search } = window.location;
    return { pathname, search: new URLSearchParams(search), route: parseRoute(pathname) };
  }

  #emit(): void {
    this.#location = this.#read();
    for (const l of this.#listeners) l(this.#location);
  }

  /** Goes to `url` (a path with an optional query); `replace` for state that should not add a back step. */
  navigate(url: string, opts: { replace?: boolean } = {}): void {
    const here = window.location.pathname + window.location.search;
    if (url === here) return;
    if (opts.replace) window.history.replaceState(null, '', url);
    else window.history.pushState(null, '', url);
    this.#emit();
  }

  /** Changes query parameters of the current path (undefined or '' removes one). */
  setParams(changes: Record<string, string | undefined>, opts: { replace?: boolean } = {}): void {
    const q = new URLSearchParams(window.location.search);
    for (const [k, v] of Object.entries(changes)) {
      if (v === undefined || v === '') q.delete(k);
      else q.set(k, v);
    }
    const qs = q.toString();
    this.navigate(window.location.pathname + (qs ? `?${qs}` : ''), opts);
  }

  subscribe(l: Listener): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }
}

export function useLocation(router: Router): Location {
  const [loc, setLoc] = useState(router.location);
  useEffect(() => router.subscribe(setLoc), [router]);
  return loc;
}

/** A link that navigates without reloading (ctrl/middle click still open a new tab). */
export function onLinkClick(router: Router, href: string) {
  return (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    router.navigate(href);
  };
}
