import { SpanStatusCode } from '@opentelemetry/api';
import express from 'express';
import t from 'tap';
import { crosstrace } from '../src/index.js';
import { close, createTestTracer, serverSpans, waitForSpans } from './helpers/tracing.js';

process.env.NODE_ENV = 'test';
const tt = createTestTracer();
const { exporter } = tt;
t.teardown(() => tt.shutdown());
t.beforeEach(() => exporter.reset());

async function serve(app: express.Express): Promise<{ base: string; stop: () => Promise<void> }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    base: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    stop: () => close(server),
  };
}

t.test('custom span name, attribute hooks, URL redaction, ignore rules', async (t) => {
  const app = express();
  app.use(
    crosstrace({
      tracer: tt.tracer,
      ignorePaths: [/^\/internal\//, '/ping'],
      ignore: (req) => req.headers['x-synthetic'] === '1',
      spanName: ({ method, route }) => `${method.toLowerCase()}:${route ?? 'none'}`,
      requestAttributes: (req) => ({ 'app.tenant': String(req.headers['x-tenant'] ?? 'none') }),
      responseAttributes: (_req, res) => ({ 'app.cache': String(res.getHeader('x-cache') ?? 'miss') }),
      redactUrl: ({ path, query }) => ({ path: path.replace(/\/\d+/g, '/{n}'), query }),
      redactQueryParams: ['pin'],
      joinRequestId: false,
    }),
  );
  app.get('/account/:id', (_req, res) => {
    res.setHeader('x-cache', 'hit');
    res.send('ok');
  });
  app.get('/internal/stats', (_req, res) => {
    res.send('stats');
  });
  app.get('/ping', (_req, res) => {
    res.send('pong');
  });
  const { base, stop } = await serve(app);
  t.teardown(stop);

  for (const [path, headers] of [
    ['/internal/stats', {}],
    ['/ping', {}],
    ['/account/1', { 'x-synthetic': '1' }],
  ] as const) {
    const r = await fetch(`${base}${path}`, { headers });
    t.equal(r.status, 200, `${path} still served`);
    await r.arrayBuffer();
  }
  const res = await fetch(`${base}/account/12345?pin=0000&token=abc`, {
    headers: { 'x-tenant': 'acme', 'x-request-id': 'r-1' },
  });
  t.equal(await res.text(), 'ok');
  const spans = serverSpans(await waitForSpans(exporter, (s) => serverSpans(s).length >= 1));
  t.equal(spans.length, 1, 'ignored requests made no span');
  const [s] = spans;
  t.equal(s.name, 'get:/account/:id');
  t.equal(s.attributes['app.tenant'], 'acme');
  t.equal(s.attributes['app.cache'], 'hit');
  t.equal(s.attributes['url.path'], '/account/{n}');
  t.equal(s.attributes['url.query'], 'pin=REDACTED&token=abc', 'the configured list replaces the default');
  t.notOk(s.parentSpanContext, 'joinRequestId: false keeps a request-id-only request a new root');
  t.same(s.attributes['http.request.header.x-request-id'], ['r-1']);
});

t.test('hooks that throw change nothing for the app', async (t) => {
  const boom = () => {
    throw new Error('hook bug');
  };
  const app = express();
  app.use(
    crosstrace({
      tracer: tt.tracer,
      ignore: boom,
      spanName: boom,
      requestAttributes: boom,
      responseAttributes: boom,
      redactUrl: boom,
      trustedProxies: boom,
    }),
  );
  app.get('/x/:id', (_req, res) => {
    res.send('fine');
  });
  const { base, stop } = await serve(app);
  t.teardown(stop);
  const res = await fetch(`${base}/x/1?a=b`, { headers: { 'x-forwarded-for': '198.51.100.4' } });
  t.equal(await res.text(), 'fine');
  const [s] = serverSpans(await waitForSpans(exporter, (x) => serverSpans(x).length === 1));
  t.equal(s.name, 'GET /x/:id', 'default name');
  t.equal(s.attributes['url.query'], 'a=b');
  t.equal(s.attributes['client.address'], '127.0.0.1', 'a throwing trust predicate trusts nobody');
  t.equal(s.status.code, SpanStatusCode.UNSET);
});
