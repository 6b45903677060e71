import type { UrlParts } from './options.js';

/** Splits a request target into path and query (without `?`); never throws. */
export function splitTarget(target: string | undefined): UrlParts {
  if (target === undefined || target.length === 0) return { path: '/', query: undefined };
  const q = target.indexOf('?');
  if (q === -1) return { path: target, query: undefined };
  return { path: target.slice(0, q), query: target.slice(q + 1) };
}

/** Replaces the values of the named query parameters by `REDACTED`, keeping everything else as sent. */
export function redactQuery(query: string, names: ReadonlySet<string>): string {
  if (names.size === 0) return query;
  let changed = false;
  const parts = query.split('&');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    let key = part.slice(0, eq);
    if (key.includes('%') || key.includes('+')) {
      try {
        key = decodeURIComponent(key.replaceAll('+', ' '));
      } catch {
        // keep the raw key
      }
    }
    if (names.has(key)) {
      parts[i] = `${part.slice(0, eq)}=REDACTED`;
      changed = true;
    }
  }
  return changed ? parts.join('&') : query;
}

/** Redacts credentials (`user:password@`) and the named query parameters of an absolute URL. */
export function redactFullUrl(url: URL, names: ReadonlySet<string>): string {
  if (url.username === '' && url.password === '' && url.search === '') return url.href;
  const copy = new URL(url.href);
  if (copy.username !== '' || copy.password !== '') {
    copy.username = 'REDACTED';
    copy.password = 'REDACTED';
  }
  if (copy.search.length > 1) copy.search = `?${redactQuery(copy.search.slice(1), names)}`;
  return copy.href;
}
