import { createRequire } from 'node:module';
import { FORMAT_BINARY, FORMAT_TEXT_MAP, type Tracer } from 'opentracing';
import t from 'tap';
import { CrosstraceSpan, CrosstraceTracer } from '../src/index.js';
import { runMochaStyle } from './helpers/mocha-shim.js';
import { memoryTracer } from './helpers/tracer.js';

const require = createRequire(import.meta.url);
const apiCompatibilityChecks: (create: () => Tracer, options?: object) => void =
  require('opentracing/lib/test/api_compatibility.js').default;

t.test("opentracing's apiCompatibilityChecks pass (baggage and inject/extract included)", async (t) => {
  let count = 0;
  const log = console.log;
  console.log = () => {}; // the checks print a trace id
  t.teardown(() => {
    console.log = log;
  });
  await runMochaStyle(t, () =>
    apiCompatibilityChecks(
      () => {
        count++;
        return memoryTracer().tracer;
      },
      { skipBaggageChecks: false, skipInjectExtractChecks: false },
    ),
  );
  t.ok(count > 5, 'the checks created tracers');
});

t.test('FORMAT_BINARY round-trips trace context and baggage', async (t) => {
  const { tracer } = memoryTracer();
  const span = tracer.startSpan('bin');
  span.setBaggageItem('k', 'v');
  const carrier: { buffer?: ArrayLike<number> } = {};
  tracer.inject(span.context(), FORMAT_BINARY, carrier);
  t.ok(carrier.buffer instanceof Uint8Array);
  const ctx = tracer.extract(FORMAT_BINARY, carrier);
  t.equal(ctx?.toTraceId(), span.context().toTraceId());
  t.equal(ctx?.toSpanId(), span.context().toSpanId());
  t.same(ctx?.baggage, { k: 'v' });
  t.equal(tracer.extract(FORMAT_BINARY, { buffer: [0xff, 0xfe] }), null);
  t.equal(tracer.extract(FORMAT_BINARY, { buffer: null }), null);
});

t.test('TEXT_MAP and OpenTracing surface', async (t) => {
  const { tracer, exporter } = memoryTracer();
  t.ok(tracer instanceof CrosstraceTracer);
  const span = tracer.startSpan('op', { startTime: Date.now() - 5 });
  t.ok(span instanceof CrosstraceSpan);
  t.equal(span.tracer(), tracer);
  span.setOperationName('renamed').addTags({ a: 1 }).logEvent('ev', { p: 1 });
  span.setTag('error', true).setTag('span.kind', 'server');
  const map: Record<string, string> = {};
  tracer.inject(span, FORMAT_TEXT_MAP, map);
  t.equal(tracer.extract(FORMAT_TEXT_MAP, map)?.spanId, span.context().spanId);
  span.finish(Date.now());
  const [r] = exporter.getFinishedSpans();
  t.equal(r.name, 'renamed');
  t.equal(r.kind, 1, 'SERVER');
  t.equal(r.status.code, 2, 'ERROR');
  t.ok(r.duration[1] >= 4_000_000 || r.duration[0] > 0, 'startTime honoured');
  t.equal(r.events[0].name, 'ev');
});
