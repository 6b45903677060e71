import t from 'tap';
import { ConsoleSpanExporter, createTracer, SimpleSpanProcessor } from '../src/index.js';

t.test('console exporter writes one JSON line per span', async (t) => {
  const lines: string[] = [];
  const tracer = createTracer({
    serviceName: 'console-svc',
    processor: new SimpleSpanProcessor(new ConsoleSpanExporter({ write: (s) => lines.push(s) })),
    env: {},
    registerGlobal: false,
  });
  const parent = tracer.startSpan('parent');
  tracer.startSpan('child', { childOf: parent, tags: { k: 'v' } }).finish();
  parent.finish();
  await tracer.shutdown();
  const spans = lines
    .join('')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.equal(spans.length, 2);
  t.equal(spans[0].name, 'child');
  t.equal(spans[0].parentSpanId, parent.context().spanId);
  t.equal(spans[0].attributes.k, 'v');
  t.equal(spans[0].links[0].attributes['opentracing.ref_type'], 'child_of');
  t.equal(spans[1].resource['service.name'], 'console-svc');
  t.equal(spans[1].parentSpanId, undefined);
});

t.test('OTEL_TRACES_EXPORTER=console and none', async (t) => {
  const none = createTracer({ env: { OTEL_TRACES_EXPORTER: 'none' }, registerGlobal: false });
  none.startSpan('x').finish();
  await none.shutdown();
  const c = createTracer({ env: { OTEL_TRACES_EXPORTER: 'console' }, registerGlobal: false });
  t.equal(c.processor.constructor.name, 'BatchSpanProcessor');
  await c.shutdown();
  t.throws(() => createTracer({ env: { OTEL_TRACES_EXPORTER: 'zipkin' }, registerGlobal: false }), {
    code: 'CT_TRACER_INVALID_CONFIG',
    message: /OTEL_TRACES_EXPORTER/,
  });
});

t.test('OTEL_SDK_DISABLED=true records nothing but still propagates', async (t) => {
  const tracer = createTracer({ env: { OTEL_SDK_DISABLED: 'true' }, registerGlobal: false });
  const span = tracer.startSpan('x');
  t.equal(span.isRecording(), false);
  const h: Record<string, string> = {};
  tracer.inject(span, 'http_headers', h);
  t.match(h.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-02$/, 'not sampled, random trace id');
  span.finish();
  await tracer.shutdown();
});
