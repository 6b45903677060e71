import { SpanStatusCode } from '@opentelemetry/api';
import express from 'express';
import t from 'tap';
import { createTracedFetch, crosstrace, tracedFetch } from '../src/index.js';
import { close, createTestTracer, waitForSpans } from './helpers/tracing.js';

process.env.NODE_ENV = 'test';
const tt = createTestTracer();
const { exporter } = tt;
t.teardown(() => tt.shutdown());
t.beforeEach(() => exporter.reset());

// B: the downstream service
const b = express();
b.use(crosstrace({ tracer: tt.tracer }));
b.get('/inventory/:sku', (req, res) => {
  res.json({
    sku: req.params.sku,
    requestId: req.get('x-request-id') ?? null,
    traceparent: req.get('traceparent'),
  });
});
b.post('/broken', (_req, res) => {
  res.status(502).end();
});
const bServer = b.listen(0, '127.0.0.1');
await new Promise((r) => bServer.once('listening', r));
const bBase = `http://127.0.0.1:${(bServer.address() as { port: number }).port}`;

// A: the service under test, calling B
const a = express();
a.use(crosstrace({ tracer: tt.tracer }));
a.get('/checkout', async (_req, res) => {
  const r = await tracedFetch(`${bBase}/inventory/x1?api_key=k`, { headers: { accept: 'application/json' } });
  res.json(await r.json());
});
a.get('/broken', async (_req, res) => {
  const r = await tracedFetch(new Request(`${bBase}/broken`, { method: 'POST', body: 'x' }));
  res.status(r.status === 502 ? 500 : 200).end();
});
const aServer = a.listen(0, '127.0.0.1');
await new Promise((r) => aServer.once('listening', r));
const aBase = `http://127.0.0.1:${(aServer.address() as { port: number }).port}`;
t.teardown(async () => {
  await close(aServer);
  await close(bServer);
});

t.test('tracedFetch carries the context to a second real server', async (t) => {
  const res = await fetch(`${aBase}/checkout`, { headers: { 'x-request-id': 'req-123' } });
  const body = (await res.json()) as { sku: string; requestId: string; traceparent: string };
  t.equal(body.sku, 'x1');
  t.equal(body.requestId, 'req-123', 'X-Request-ID forwarded');
  const spans = await waitForSpans(exporter, (s) => s.length === 3);
  const aSpan = spans.find((s) => s.name === 'GET /checkout')!;
  const client = spans.find((s) => s.kind === 2)!;
  const bSpan = spans.find((s) => s.name === 'GET /inventory/:sku')!;
  t.ok(aSpan && client && bSpan, 'three spans');
  t.equal(client.name, 'GET');
  t.equal(client.parentSpanContext?.spanId, aSpan.spanContext().spanId, 'client span under the server span');
  t.equal(
    bSpan.parentSpanContext?.spanId,
    client.spanContext().spanId,
    "B's span is the client span's child",
  );
  t.equal(bSpan.spanContext().traceId, aSpan.spanContext().traceId);
  t.equal(body.traceparent.split('-')[2], client.spanContext().spanId);
  t.equal(client.attributes['url.full'], `${bBase}/inventory/x1?api_key=REDACTED`);
  t.equal(client.attributes['server.address'], '127.0.0.1');
  t.equal(client.attributes['http.response.status_code'], 200);
  t.equal(client.attributes['crosstrace.layer'], 'app');
  t.equal(client.status.code, SpanStatusCode.UNSET);
});

t.test('a Request input and an error status', async (t) => {
  const res = await fetch(`${aBase}/broken`);
  t.equal(res.status, 500);
  const spans = await waitForSpans(exporter, (s) => s.length === 3);
  const client = spans.find((s) => s.kind === 2)!;
  t.equal(client.name, 'POST');
  t.equal(client.attributes['http.response.status_code'], 502);
  t.equal(client.status.code, SpanStatusCode.ERROR);
  const bSpan = spans.find((s) => s.name === 'POST /broken')!;
  t.equal(bSpan.parentSpanContext?.spanId, client.spanContext().spanId);
});

t.test('a network failure ends the client span with the error and rethrows it', async (t) => {
  const closed = express().listen(0, '127.0.0.1');
  const url = await new Promise<string>((r) =>
    closed.once('listening', () => r(`http://127.0.0.1:${(closed.address() as { port: number }).port}/`)),
  );
  await close(closed);
  const f = createTracedFetch({ tracer: tt.tracer });
  await t.rejects(f(url));
  const [s] = await waitForSpans(exporter, (x) => x.length === 1);
  t.equal(s.kind, 2);
  t.notOk(s.parentSpanContext, 'outside a request: a root client span');
  t.equal(s.status.code, SpanStatusCode.ERROR);
  t.equal(s.events.filter((e) => e.name === 'exception').length, 1);
});
