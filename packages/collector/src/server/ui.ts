// The web UI on the query port: the built assets of @crosstrace/ui at `/`, index.html for the
// UI's own routes (/trace/<id>, /search, …), a Content-Security-Policy that allows nothing but
// this origin (no inline script, nothing from the network), and caching that lets hashed assets
// live forever while index.html is revalidated on every load.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface UiOptions {
  /** Folder of the built UI (its index.html and assets/); undefined = the @crosstrace/ui package's dist. */
  dir?: string;
}

/** Paths the query API owns; everything else on the query port belongs to the UI. */
export function isApiPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/');
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

/** The built UI of the installed @crosstrace/ui package, when there is one. */
export function defaultUiDir(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('@crosstrace/ui/package.json');
    return join(dirname(pkg), 'dist');
  } catch {
    return undefined;
  }
}

function securityHeaders(reply: FastifyReply): void {
  reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('x-frame-options', 'DENY');
}

/** Fastify's own 404 body, as the API answered before the UI was there. */
function notFound(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply
    .code(404)
    .send({ message: `Route ${req.method}:${req.url} not found`, error: 'Not Found', statusCode: 404 });
}

/** A file-like last segment (`app.js`, `favicon.svg`) is never a UI route. */
function looksLikeFile(path: string): boolean {
  const last = path.slice(path.lastIndexOf('/') + 1);
  return /\.[A-Za-z0-9]{1,8}$/.test(last);
}

/**
 * Serves the UI on `app` (the query app). Unknown paths outside `/api/` that accept HTML answer
 * index.html, so a reload or a shared link of `/trace/<id>` opens the UI there.
 *
 * @example
 * await registerUi(queryApp, { dir: '/opt/crosstrace/ui' });
 */
export async function registerUi(app: FastifyInstance, opts: UiOptions = {}): Promise<void> {
  const dir = opts.dir ?? defaultUiDir();
  const built = dir !== undefined && existsSync(join(dir, 'index.html'));
  app.addHook('onSend', async (req, reply, payload) => {
    if (!isApiPath(req.url.split('?', 1)[0])) securityHeaders(reply);
    return payload;
  });
  if (!built) {
    const missing = async (_req: FastifyRequest, reply: FastifyReply) =>
      reply
        .code(503)
        .type('text/html; charset=utf-8')
        .header('cache-control', REVALIDATE)
        .send(
          `<!doctype html><title>crosstrace</title><h1>The web UI is not built</h1><p>Run <code>pnpm build</code> at the repository root (it builds packages/ui), or start the collector with <code>--ui-dir</code> pointing at a built UI. The query API answers under <code>/api/</code>.</p>`,
        );
    app.get('/', missing);
    app.setNotFoundHandler((req, reply) => {
      const path = req.url.split('?', 1)[0];
      if (req.method === 'GET' && !isApiPath(path) && !looksLikeFile(path)) return missing(req, reply);
      return notFound(req, reply);
    });
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    index: false,
    wildcard: false,
    cacheControl: false,
    etag: true,
    lastModified: true,
    setHeaders: (res, path) => {
      res.setHeader('cache-control', path.includes(`${join(dir, 'assets')}`) ? IMMUTABLE : REVALIDATE);
    },
  });
  const index = (_req: FastifyRequest, reply: FastifyReply) =>
    reply.header('cache-control', REVALIDATE).type('text/html; charset=utf-8').sendFile('index.html');
  app.get('/', index);
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?', 1)[0];
    const wantsHtml = String(req.headers.accept ?? '*/*').match(/text\/html|\*\/\*/) !== null;
    if (
      (req.method === 'GET' || req.method === 'HEAD') &&
      !isApiPath(path) &&
      !looksLikeFile(path) &&
      wantsHtml
    )
      return index(req, reply);
    return notFound(req, reply);
  });
}
