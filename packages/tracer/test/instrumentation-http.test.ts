import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { SpanKind } from '@opentelemetry/api';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import t from 'tap';
import { memoryTracer } from './helpers/tracer.js';
import { waitFor } from './helpers/wait-for.js';

// The tracer must be the global provider before the instrumentation patches `http`, and `http`
// must be loaded through require so require-in-the-middle can patch it.
const { tracer, exporter } = memoryTracer({ serviceName: 'http-app' });
const instrumentation = new HttpInstrumentation();
instrumentation.enable();
const require = createRequire(import.meta.url);
const http: typeof import('node:http') = require('node:http');

t.teardown(async () => {
  instrumentation.disable();
  await tracer.shutdown();
});

t.test('@opentelemetry/instrumentation-http spans join the OpenTracing span around them', async (t) => {
  let seenTraceparent: string | undefined;
  const server = http.createServer((req, res) => {
    seenTraceparent = req.headers.traceparent as string | undefined;
    const inner = tracer.startSpan('db.query'); // OpenTracing code inside the instrumented handler
    inner.finish();
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const { port } = server.address() as AddressInfo;

  const op = tracer.startSpan('checkout');
  await tracer.withSpan(
    op,
    () =>
      new Promise<void>((resolve, reject) => {
        http
          .get(`http://127.0.0.1:${port}/pay`, (res) => {
            res.resume();
            res.on('end', resolve);
          })
          .on('error', reject);
      }),
  );
  op.finish();
  // the server span ends when the response is flushed, which may be just after the client saw 'end'
  await waitFor(() => exporter.getFinishedSpans().length >= 4);
  await tracer.forceFlush();

  const spans = exporter.getFinishedSpans();
  const client = spans.find((s) => s.kind === SpanKind.CLIENT);
  const serverSpan = spans.find((s) => s.kind === SpanKind.SERVER);
  const db = spans.find((s) => s.name === 'db.query');
  const traceId = op.context().traceId;
  t.ok(client && serverSpan && db, 'client, server and inner spans exported');
  t.equal(client?.spanContext().traceId, traceId);
  t.equal(
    client?.parentSpanContext?.spanId,
    op.context().spanId,
    'HTTP client span is a child of the OpenTracing span',
  );
  t.equal(serverSpan?.spanContext().traceId, traceId);
  t.equal(
    serverSpan?.parentSpanContext?.spanId,
    client?.spanContext().spanId,
    'server continues via traceparent',
  );
  t.equal(seenTraceparent?.split('-')[2], client?.spanContext().spanId);
  t.equal(
    db?.parentSpanContext?.spanId,
    serverSpan?.spanContext().spanId,
    'OpenTracing span nests under the server span',
  );
  t.equal(client?.attributes['crosstrace.layer'], 'app');
  t.equal(client?.instrumentationScope.name, '@opentelemetry/instrumentation-http');
  t.equal(serverSpan?.resource.attributes['service.name'], 'http-app');
});
