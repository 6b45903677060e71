import { createServer, type IncomingMessage } from 'node:http';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import t from 'tap';
import { createTracedRequest, tracedRequest, traceListener } from '../src/index.js';
import { close, createOtelTestTracer, listen, waitForSpans } from './helpers/tracing.js';

// A plain OpenTelemetry SDK TracerProvider works as the tracer too.
const tt = createOtelTestTracer();
const { exporter } = tt;
t.teardown(() => tt.provider.shutdown());

const downstream = createServer(
  traceListener(
    (req, res) => {
      res.end(
        JSON.stringify({ traceparent: req.headers.traceparent, requestId: req.headers['x-request-id'] }),
      );
    },
    { tracer: tt },
  ),
);
const downBase = await listen(downstream);
t.teardown(() => close(downstream));

function body(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    res.setEncoding('utf8');
    res.on('data', (c) => {
      s += c;
    });
    res.on('end', () => resolve(s));
    res.on('error', reject);
  });
}

t.test('tracedRequest inside a traced request injects context and the request id', async (t) => {
  exporter.reset();
  const front = createServer(
    traceListener(
      (_req, res) => {
        const out = tracedRequest(`${downBase}/x`, { method: 'GET' }, async (r) => {
          res.end(await body(r));
        });
        out.end();
      },
      { tracer: tt },
    ),
  );
  const base = await listen(front);
  t.teardown(() => close(front));
  const res = await fetch(`${base}/front`, { headers: { 'x-request-id': 'abc-1' } });
  const got = (await res.json()) as { traceparent: string; requestId: string };
  t.equal(got.requestId, 'abc-1');
  const spans = await waitForSpans(exporter, (s) => s.length === 3);
  const client = spans.find((s) => s.kind === 2)!;
  const servers = spans.filter((s) => s.kind === 1);
  const frontSpan = servers.find((s) => s.attributes['url.path'] === '/front')!;
  const downSpan = servers.find((s) => s.attributes['url.path'] === '/x')!;
  t.equal(client.parentSpanContext?.spanId, frontSpan.spanContext().spanId);
  t.equal(downSpan.parentSpanContext?.spanId, client.spanContext().spanId);
  t.equal(got.traceparent.split('-')[2], client.spanContext().spanId);
  t.equal(client.attributes['http.response.status_code'], 200);
});

t.test('options-object form, explicit tracer, connection error', async (t) => {
  exporter.reset();
  const request = createTracedRequest({ tracer: tt });
  const parent = tt.provider.getTracer('t').startSpan('parent');
  const { port } = new URL(downBase);
  const text = await context.with(trace.setSpan(context.active(), parent), async () => {
    const r = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/opts', method: 'POST' }, resolve);
      req.on('error', reject);
      req.end('payload');
    });
    return body(r);
  });
  parent.end();
  t.match(text, /traceparent/);
  const spans = await waitForSpans(exporter, (s) => s.length === 3);
  const client = spans.find((s) => s.kind === 2)!;
  t.equal(client.name, 'POST');
  t.equal(client.parentSpanContext?.spanId, parent.spanContext().spanId);
  t.equal(client.attributes['url.full'], `${downBase}/opts`);

  exporter.reset();
  const dead = createServer();
  const deadBase = await listen(dead);
  await close(dead);
  const err = await new Promise<Error>((resolve) => {
    const req = request(`${deadBase}/`);
    req.on('error', resolve);
    req.end();
  });
  t.ok(err instanceof Error);
  const [s] = await waitForSpans(exporter, (x) => x.length === 1);
  t.equal(s.status.code, SpanStatusCode.ERROR);
});

t.test('a response nobody listens for is drained and ends the span', async (t) => {
  exporter.reset();
  const req = tracedRequest(`${downBase}/fire-and-forget`);
  req.end();
  const spans = await waitForSpans(exporter, (s) => s.some((x) => x.kind === 2));
  const client = spans.find((s) => s.kind === 2)!;
  t.equal(client.attributes['http.response.status_code'], 200);
});
