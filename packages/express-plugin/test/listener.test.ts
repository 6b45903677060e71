import { createServer } from 'node:http';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import connect from 'connect';
import t from 'tap';
import { crosstrace, crosstraceErrors, traceListener } from '../src/index.js';
import { close, createTestTracer, listen, serverSpans, waitForSpans } from './helpers/tracing.js';

// finalhandler prints errors to stderr outside the test env
process.env.NODE_ENV = 'test';
const tt = createTestTracer();
const { exporter } = tt;
t.teardown(() => tt.shutdown());
t.beforeEach(() => exporter.reset());

t.test('a bare node:http listener', async (t) => {
  const server = createServer(
    traceListener(
      async (req, res) => {
        await new Promise((r) => setImmediate(r));
        trace.getTracer('t').startSpan('inner').end();
        if (req.url === '/fail') throw new Error('listener failed');
        res.end('hello');
      },
      { tracer: tt.tracer },
    ),
  );
  const base = await listen(server);
  t.teardown(() => close(server));
  const res = await fetch(`${base}/hello?q=1`, {
    headers: { traceparent: '00-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbb-01' },
  });
  t.equal(await res.text(), 'hello');
  const spans = await waitForSpans(exporter, (s) => serverSpans(s).length === 1);
  const [s] = serverSpans(spans);
  t.equal(s.name, 'GET', 'no router: the method alone');
  t.equal(s.spanContext().traceId, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
  t.equal(s.attributes['url.query'], 'q=1');
  const inner = spans.find((x) => x.name === 'inner');
  t.equal(inner?.parentSpanContext?.spanId, s.spanContext().spanId);

  // a rejected listener: recorded; the app answers nothing, so the client's close ends the span
  exporter.reset();
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  t.teardown(() => {
    process.off('unhandledRejection', onUnhandled);
  });
  const ac = new AbortController();
  const pending = fetch(`${base}/fail`, { signal: ac.signal }).catch(() => undefined);
  const ours = () => unhandled.find((e) => e instanceof Error && e.message === 'listener failed');
  await waitForSpans(exporter, () => ours() !== undefined);
  ac.abort();
  await pending;
  const after = await waitForSpans(exporter, (x) => serverSpans(x).length === 1);
  const [f] = serverSpans(after);
  t.equal(f.status.code, SpanStatusCode.ERROR);
  t.equal(f.attributes['crosstrace.http.aborted'], true);
  t.equal(f.events.filter((e) => e.name === 'exception').length, 1);
  t.ok(ours(), 'the rejection is passed on unchanged');
});

t.test('Connect', async (t) => {
  const app = connect();
  app.use(
    crosstrace({
      tracer: tt.tracer,
      captureRequestHeaders: ['X-Tenant'],
      captureResponseHeaders: ['content-type'],
    }),
  );
  app.use('/ok', (_req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end('ok');
  });
  app.use('/err', (_req, _res, next) => next(new Error('connect error')));
  app.use(crosstraceErrors());
  app.use((err: Error, _req: unknown, res: { statusCode: number; end(s: string): void }, _next: unknown) => {
    res.statusCode = 500;
    res.end(err.message);
  });
  const server = createServer(app);
  const base = await listen(server);
  t.teardown(() => close(server));

  const ok = await fetch(`${base}/ok`, { headers: { 'x-tenant': 'acme' } });
  t.equal(await ok.text(), 'ok');
  const err = await fetch(`${base}/err`);
  t.equal(err.status, 500);
  await err.arrayBuffer();
  const spans = serverSpans(await waitForSpans(exporter, (s) => serverSpans(s).length === 2));
  const okSpan = spans.find((s) => s.attributes['url.path'] === '/ok')!;
  const errSpan = spans.find((s) => s.attributes['url.path'] === '/err')!;
  t.equal(okSpan.name, 'GET');
  t.same(okSpan.attributes['http.request.header.x-tenant'], ['acme']);
  t.same(okSpan.attributes['http.response.header.content-type'], ['text/plain']);
  t.equal(errSpan.status.code, SpanStatusCode.ERROR);
  t.equal(errSpan.status.message, 'connect error');
});
