// The web UI on the query port: assets, the SPA fallback, security headers and caching, the
// token rule (assets open, API guarded), and what a user sees when the UI is not built.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { build } from '../../src/index.js';
import { CONTENT_SECURITY_POLICY } from '../../src/server/index.js';

function builtUi(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ct-ui-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><title>crosstrace</title><script type="module" src="/assets/index-abc123.js"></script>',
  );
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  return dir;
}

const base = {
  storage: 'memory' as const,
  otlpHttpPort: 0,
  otlpGrpcPort: -1,
  queryPort: 0,
  logLevel: 'silent' as const,
};

t.test('serves the UI at / and for its routes, with CSP and caching', async (t) => {
  const dir = builtUi();
  const c = await build({ ...base, uiDir: dir });
  t.teardown(async () => {
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const html = { accept: 'text/html,application/xhtml+xml' };
  for (const url of [
    '/',
    '/search?service=x',
    '/trace/0af7651916cd43dd8448eb211c80319c',
    '/map',
    '/pods/shop/web-1',
  ]) {
    const r = await c.query.inject({ url, headers: html });
    t.equal(r.statusCode, 200, url);
    t.match(r.headers['content-type'], /text\/html/, `${url} is the UI`);
    t.match(r.body, /<title>crosstrace<\/title>/);
    t.equal(r.headers['cache-control'], 'no-cache', 'index.html is revalidated');
    t.equal(r.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
    t.notMatch(String(r.headers['content-security-policy']), /unsafe-inline|unsafe-eval/, 'no inline script');
    t.equal(r.headers['x-content-type-options'], 'nosniff');
  }
  const asset = await c.query.inject('/assets/index-abc123.js');
  t.equal(asset.statusCode, 200);
  t.equal(
    asset.headers['cache-control'],
    'public, max-age=31536000, immutable',
    'hashed assets are immutable',
  );
  t.match(asset.headers['content-type'], /javascript/);
  t.ok(asset.headers.etag, 'with an etag');
  const icon = await c.query.inject('/favicon.svg');
  t.equal(icon.headers['cache-control'], 'no-cache', 'unhashed files are revalidated');
  const api404 = await c.query.inject({ url: '/api/nope', headers: html });
  t.equal(api404.statusCode, 404, 'an unknown API path stays a 404');
  t.same(api404.json(), { message: 'Route GET:/api/nope not found', error: 'Not Found', statusCode: 404 });
  t.equal(api404.headers['content-security-policy'], undefined, 'API answers carry no UI headers');
  t.equal((await c.query.inject('/assets/missing-123.js')).statusCode, 404, 'a missing file is no UI route');
  t.equal((await c.query.inject({ method: 'POST', url: '/trace/abc', headers: html })).statusCode, 404);
  t.equal(
    (await c.query.inject({ url: '/trace/abc', headers: { accept: 'application/json' } })).statusCode,
    404,
    'only HTML requests get the UI',
  );
  const api = await c.query.inject('/api/services');
  t.equal(api.statusCode, 200, 'the API still answers');
});

t.test('with --query-token the UI loads without it and the API refuses without it', async (t) => {
  const dir = builtUi();
  const c = await build({ ...base, uiDir: dir, queryToken: 's3cret' });
  t.teardown(async () => {
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  });
  t.equal((await c.query.inject('/')).statusCode, 200, 'the UI shell holds no data');
  t.equal((await c.query.inject('/assets/index-abc123.js')).statusCode, 200);
  t.equal((await c.query.inject('/trace/abc')).statusCode, 200);
  const refused = await c.query.inject('/api/services');
  t.equal(refused.statusCode, 401);
  t.equal(refused.headers['www-authenticate'], 'Bearer');
  t.equal((await c.query.inject('/api/v3/trace-summaries')).statusCode, 401);
  const ok = await c.query.inject({ url: '/api/services', headers: { authorization: 'Bearer s3cret' } });
  t.equal(ok.statusCode, 200);
});

t.test('a UI that is not built answers what to do; --no-ui serves none', async (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'ct-ui-empty-'));
  const c = await build({ ...base, uiDir: empty });
  t.teardown(async () => {
    await c.close();
    rmSync(empty, { recursive: true, force: true });
  });
  const r = await c.query.inject('/');
  t.equal(r.statusCode, 503);
  t.match(r.body, /pnpm build/);
  t.equal((await c.query.inject('/trace/abc')).statusCode, 503);
  t.equal((await c.query.inject('/api/nope')).statusCode, 404);
  const off = await build({ ...base, ui: false });
  t.teardown(() => off.close());
  t.equal((await off.query.inject('/')).statusCode, 404);
  t.equal((await off.query.inject('/api/services')).statusCode, 200);
});
