import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { FORMAT_HTTP_HEADERS, followsFrom, childOf as otChildOf } from 'opentracing';
import t from 'tap';
import {
  CrosstraceSpan,
  createPropagator,
  createTracer,
  LAYER_ATTRIBUTE,
  Layer,
  REF_TYPE_ATTRIBUTE,
} from '../src/index.js';
import { InMemorySpanExporter } from '../src/testing/index.js';
import { memoryTracer } from './helpers/tracer.js';

t.test('OpenTracing child span: same trace, parent, tags, layer, ref link', async (t) => {
  const { tracer, exporter } = memoryTracer();
  const root = tracer.startSpan('root', { tags: { 'http.method': 'GET' } });
  const child = tracer.startSpan('child', { childOf: root });
  child.setTag('a', 1).setTag('b', 'two').setTag('c', true);
  child.log({ event: 'cache-miss', key: 'k1' });
  child.finish();
  root.finish();
  await tracer.forceFlush();
  const spans = exporter.getFinishedSpans();
  t.equal(spans.length, 2);
  const [c, r] = spans;
  t.equal(c.name, 'child');
  t.equal(c.spanContext().traceId, r.spanContext().traceId);
  t.equal(c.parentSpanContext?.spanId, r.spanContext().spanId);
  t.same(c.attributes, { [LAYER_ATTRIBUTE]: Layer.App, a: 1, b: 'two', c: true });
  t.equal(r.attributes['http.method'], 'GET');
  t.equal(c.events[0].name, 'cache-miss');
  t.equal(c.events[0].attributes?.key, 'k1');
  t.equal(c.links.length, 1);
  t.equal(c.links[0].context.spanId, r.spanContext().spanId);
  t.equal(c.links[0].attributes?.[REF_TYPE_ATTRIBUTE], 'child_of');
  t.equal(r.links.length, 0);
  t.equal(r.resource.attributes['service.name'], 'test-svc');
  t.ok(c.endTime[0] > 1_600_000_000);
  t.equal(c.instrumentationScope.name, '@crosstrace/tracer');
  await tracer.shutdown();
});

t.test('references: parent is first child_of else first follows_from; all become links', async (t) => {
  const { tracer, exporter } = memoryTracer();
  const a = tracer.startSpan('a');
  const b = tracer.startSpan('b');
  const onlyFollows = tracer.startSpan('f', { references: [followsFrom(a.context())] });
  const mixed = tracer.startSpan('m', { references: [followsFrom(a.context()), otChildOf(b.context())] });
  onlyFollows.finish();
  mixed.finish();
  const [f, m] = exporter.getFinishedSpans();
  t.equal(f.parentSpanContext?.spanId, a.context().spanId);
  t.same(
    f.links.map((l) => l.attributes?.[REF_TYPE_ATTRIBUTE]),
    ['follows_from'],
  );
  t.equal(m.parentSpanContext?.spanId, b.context().spanId, 'child_of wins');
  t.equal(m.spanContext().traceId, b.context().traceId);
  t.same(
    m.links.map((l) => [l.context.spanId, l.attributes?.[REF_TYPE_ATTRIBUTE]]),
    [
      [a.context().spanId, 'follows_from'],
      [b.context().spanId, 'child_of'],
    ],
  );
  t.ok(m instanceof CrosstraceSpan);
  await tracer.shutdown();
});

t.test('inject/extract HTTP headers round-trip with baggage', async (t) => {
  const { tracer } = memoryTracer();
  const span = tracer.startSpan('out');
  span.setBaggageItem('tenant', 'acme');
  const headers: Record<string, string> = {};
  tracer.inject(span, FORMAT_HTTP_HEADERS, headers);
  t.match(headers.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-03$/, 'a root span: sampled + random');
  t.equal(headers.baggage, 'tenant=acme');
  const ctx = tracer.extract(FORMAT_HTTP_HEADERS, headers);
  t.equal(ctx?.toTraceId(), span.context().toTraceId());
  t.equal(ctx?.toSpanId(), span.context().toSpanId());
  t.equal(ctx?.isRemote, true);
  t.same(ctx?.baggage, { tenant: 'acme' });
  const server = tracer.startSpan('in', { childOf: ctx ?? undefined });
  t.equal(server.getBaggageItem('tenant'), 'acme');
  t.equal(tracer.extract(FORMAT_HTTP_HEADERS, { traceparent: 'garbage' }), null);
  await tracer.shutdown();
});

t.test('X-Request-ID alone joins the ingress trace', async (t) => {
  const { tracer } = memoryTracer();
  const ctx = tracer.extract(FORMAT_HTTP_HEADERS, { 'x-request-id': '0b8bc3a2e0a4f1a6a2e9d4c51f7b3e21' });
  t.equal(ctx?.traceId, '0b8bc3a2e0a4f1a6a2e9d4c51f7b3e21');
  t.match(ctx?.spanId, /^[0-9a-f]{16}$/);
  await tracer.shutdown();
});

t.test('OTel api spans and OpenTracing spans share one trace via the global provider', async (t) => {
  const { tracer, exporter } = memoryTracer();
  t.equal(propagation.fields().includes('traceparent'), true, 'global propagator set');
  const otTracer = trace.getTracer('lib', '1.2.3');
  const root = tracer.startSpan('ot-root');
  await tracer.withSpan(root, async () => {
    await otTracer.startActiveSpan(
      'otel-child',
      { kind: SpanKind.CLIENT, attributes: { x: 1 } },
      async (s) => {
        await new Promise((r) => setImmediate(r));
        const inner = tracer.startSpan('ot-grandchild');
        inner.finish();
        s.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
        s.end();
      },
    );
  });
  root.finish();
  const spans = exporter.getFinishedSpans();
  const by = Object.fromEntries(spans.map((s) => [s.name, s]));
  t.equal(spans.length, 3);
  t.equal(by['otel-child'].parentSpanContext?.spanId, root.context().spanId);
  t.equal(by['ot-grandchild'].parentSpanContext?.spanId, by['otel-child'].spanContext().spanId);
  t.equal(by['otel-child'].kind, SpanKind.CLIENT);
  t.equal(by['otel-child'].instrumentationScope.name, 'lib');
  t.same(by['otel-child'].status, { code: SpanStatusCode.ERROR, message: 'boom' });
  t.equal(by['ot-grandchild'].links.length, 0, 'implicit parent is not an OpenTracing reference');
  t.equal(trace.getSpan(context.active()), undefined);
  await tracer.shutdown();
});

t.test('createPropagator and tracer.propagator are OTel TextMapPropagators', async (t) => {
  const p = createPropagator(['tracecontext', 'baggage', 'b3', 'jaeger']);
  t.same(p.fields().slice(0, 3), ['traceparent', 'tracestate', 'baggage']);
  const { tracer } = memoryTracer({ propagators: ['b3multi'] });
  const headers: Record<string, string> = {};
  tracer.inject(tracer.startSpan('x'), FORMAT_HTTP_HEADERS, headers);
  t.same(Object.keys(headers).sort(), ['x-b3-sampled', 'x-b3-spanid', 'x-b3-traceid']);
  await tracer.shutdown();
});

t.test('registerGlobal:false leaves the global provider alone; exporter option batches', async (t) => {
  const first = memoryTracer();
  const exporter = new InMemorySpanExporter();
  const tracer = createTracer({ exporter, env: {}, registerGlobal: false });
  t.equal(typeof tracer.provider.getTracer, 'function');
  tracer.startSpan('batched').finish();
  t.equal(exporter.getFinishedSpans().length, 0, 'queued, not yet exported');
  await tracer.forceFlush();
  t.equal(exporter.getFinishedSpans().length, 1);
  trace.getTracer('g').startSpan('global').end();
  t.equal(first.exporter.getFinishedSpans().length, 1, 'global provider is still the first tracer');
  await tracer.shutdown();
  await first.tracer.shutdown();
});
