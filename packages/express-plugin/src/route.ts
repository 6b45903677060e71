/** The request fields Express 4 and 5 (and Connect) add, read without depending on their types. */
interface RoutedRequest {
  route?: { path?: unknown };
  baseUrl?: unknown;
  app?: { router?: unknown; _router?: unknown };
}

/** What both Express 4's and Express 5's internal router layers offer. */
interface LayerLike {
  route?: unknown;
  handle?: { stack?: unknown };
  match?: (path: string) => unknown;
  /** Express 4: the literal matched path and params, set by match(). */
  path?: unknown;
  keys?: { name?: unknown }[];
  params?: Record<string, unknown>;
}

function routePath(path: unknown): string | undefined {
  if (typeof path === 'string') return path;
  if (path instanceof RegExp) return path.toString();
  if (Array.isArray(path)) {
    const parts = path.map(routePath).filter((p) => p !== undefined);
    return parts.length > 0 ? parts.join(',') : undefined;
  }
  return undefined;
}

const MAX_DEPTH = 8;

/** Express 4 keeps no mount template: rebuild it by putting `:name` back for each param value. */
function express4Pattern(layer: LayerLike, literal: string): string {
  const params = layer.params ?? {};
  const keys = layer.keys ?? [];
  const segments = literal.split('/');
  let k = 0;
  for (let i = 0; i < segments.length && k < keys.length; i++) {
    const name = keys[k]?.name;
    const value = typeof name === 'string' || typeof name === 'number' ? params[name] : undefined;
    if (value === undefined) break;
    let decoded = segments[i];
    try {
      decoded = decodeURIComponent(decoded);
    } catch {
      // compare raw
    }
    if (decoded === value) {
      segments[i] = `:${name as string}`;
      k++;
    }
  }
  return segments.join('/');
}

/**
 * The template of the routers a request went through, found by matching `baseUrl` against the
 * app's router stack again (Express 5 layers return their pattern; Express 4 ones are rebuilt).
 * Undefined when it cannot be found (sub-apps, unknown router shapes).
 */
function mountTemplate(stack: unknown, rest: string, depth: number): string | undefined {
  if (!Array.isArray(stack) || depth > MAX_DEPTH) return undefined;
  for (const layer of stack as LayerLike[]) {
    if (layer.route !== undefined || typeof layer.match !== 'function') continue;
    const inner = layer.handle?.stack;
    if (!Array.isArray(inner)) continue; // not a mounted router
    const m = layer.match(rest);
    if (!m) continue;
    let literal: string;
    let pattern: string | undefined;
    if (typeof m === 'object') {
      const r = m as { path?: unknown; pattern?: unknown };
      literal = typeof r.path === 'string' ? r.path : '';
      pattern = literal === '' ? '' : routePath(r.pattern);
    } else {
      literal = typeof layer.path === 'string' ? layer.path : '';
      pattern = literal === '' ? '' : express4Pattern(layer, literal);
    }
    if (pattern === undefined || !rest.startsWith(literal)) continue;
    const remaining = rest.slice(literal.length);
    if (remaining === '' || remaining === '/') return pattern;
    const below = mountTemplate(inner, remaining, depth + 1);
    if (below !== undefined) return `${pattern}${below}`;
  }
  return undefined;
}

/**
 * The matched route template (`/api` + `/customer/:id`) from `req.baseUrl` and `req.route.path`,
 * read when the response finishes (both Express 4 and 5 leave them set for the handler that
 * answered). A router mounted on a path with parameters (`app.use('/u/:id', r)`) contributes its
 * template, not the literal `baseUrl`. Undefined when no route matched (404s, plain middleware,
 * Connect). Never throws.
 */
export function routeTemplate(req: unknown): string | undefined {
  const r = req as RoutedRequest;
  const route = r.route;
  if (route === undefined || route === null || typeof route !== 'object') return undefined;
  const path = routePath(route.path);
  if (path === undefined) return undefined;
  let base = typeof r.baseUrl === 'string' ? r.baseUrl : '';
  if (base === '' || base === '/') return path;
  try {
    const app = r.app;
    // Express 4 first: its `app.router` getter throws
    const router = app?._router ?? app?.router;
    const found = mountTemplate((router as { stack?: unknown } | undefined)?.stack, base, 0);
    if (found !== undefined && found !== '') base = found;
  } catch {
    // keep the literal baseUrl
  }
  return path === '/' ? base : `${base}${path}`;
}
