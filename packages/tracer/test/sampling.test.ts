import { ROOT_CONTEXT, SamplingDecision, SpanKind } from '@opentelemetry/api';
import { AlwaysOffSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace';
import { FORMAT_HTTP_HEADERS } from 'opentracing';
import t from 'tap';
import {
  alwaysOffSampler,
  alwaysOnSampler,
  createSampler,
  ErrorCode,
  parentBasedSampler,
  rateLimitingSampler,
  traceIdRatioSampler,
} from '../src/index.js';
import { randomTraceId } from '../src/sdk/ids.js';
import { memoryTracer } from './helpers/tracer.js';

const K = SpanKind.INTERNAL;

t.test('traceidratio decides exactly as OTel TraceIdRatioBasedSampler', async (t) => {
  for (const ratio of [0, 0.001, 0.1, 0.5, 0.9, 1]) {
    const ours = traceIdRatioSampler(ratio);
    const theirs = new TraceIdRatioBasedSampler(ratio);
    let same = 0;
    let kept = 0;
    for (let i = 0; i < 5000; i++) {
      const id = randomTraceId();
      const a = ours.sample(id, undefined, 'x', K);
      const b = theirs.shouldSample(ROOT_CONTEXT, id).decision === SamplingDecision.RECORD_AND_SAMPLED;
      if (a === b) same++;
      if (a) kept++;
    }
    t.equal(same, 5000, `ratio ${ratio}: identical decisions`);
    if (ratio === 0.5) t.ok(kept > 2200 && kept < 2800, 'about half kept');
  }
  t.equal(
    traceIdRatioSampler(1).sample('0'.repeat(32), undefined, 'x', K),
    false,
    'invalid id never sampled',
  );
});

t.test('parent-based follows the parent flag, roots use the root sampler', async (t) => {
  const s = parentBasedSampler({ root: alwaysOffSampler });
  const id = randomTraceId();
  const p = (flags: number, isRemote: boolean) => ({
    traceId: id,
    spanId: '00f067aa0ba902b7',
    traceFlags: flags,
    isRemote,
  });
  t.equal(s.sample(id, undefined, 'x', K), false);
  t.equal(s.sample(id, p(1, true), 'x', K), true);
  t.equal(s.sample(id, p(0, true), 'x', K), false);
  t.equal(s.sample(id, p(1, false), 'x', K), true);
  t.equal(s.sample(id, p(0, false), 'x', K), false);
  const custom = parentBasedSampler({ root: alwaysOnSampler, remoteParentNotSampled: alwaysOnSampler });
  t.equal(custom.sample(id, p(0, true), 'x', K), true);
});

t.test('rate limiting: at most N per second, refills over time', async (t) => {
  let now = 0;
  const s = rateLimitingSampler(10, () => now);
  let kept = 0;
  for (let i = 0; i < 100; i++) if (s.sample('', undefined, 'x', K)) kept++;
  t.equal(kept, 10, 'burst of one second');
  now += 500;
  kept = 0;
  for (let i = 0; i < 100; i++) if (s.sample('', undefined, 'x', K)) kept++;
  t.equal(kept, 5, 'half a second refills half');
  const slow = rateLimitingSampler(0.5, () => now);
  t.equal(slow.sample('', undefined, 'x', K), true);
  t.equal(slow.sample('', undefined, 'x', K), false);
  now += 2000;
  t.equal(slow.sample('', undefined, 'x', K), true);
});

t.test('createSampler: OTEL_TRACES_SAMPLER names and argument errors', async (t) => {
  t.equal(createSampler('always_on'), alwaysOnSampler);
  t.equal(createSampler('ALWAYS_OFF'), alwaysOffSampler);
  t.match(createSampler('traceidratio', '0.25').toString(), 'TraceIdRatioBased{0.25}');
  t.match(
    createSampler('parentbased_traceidratio', '0.5').toString(),
    'ParentBased{root=TraceIdRatioBased{0.5}}',
  );
  t.match(createSampler('parentbased_ratelimiting', '5').toString(), 'RateLimiting{5}');
  t.throws(() => createSampler('sometimes'), {
    code: ErrorCode.InvalidConfig,
    message: /OTEL_TRACES_SAMPLER/,
  });
  t.throws(() => createSampler('traceidratio', '2'), { code: ErrorCode.InvalidConfig, message: /_ARG/ });
});

t.test(
  'tracer sampling from env and from code; unsampled spans propagate but are not exported',
  async (t) => {
    const off = memoryTracer({ env: { OTEL_TRACES_SAMPLER: 'always_off' } });
    const span = off.tracer.startSpan('dropped');
    t.equal(span.isRecording(), false);
    span.setTag('x', 1).finish();
    t.equal(off.exporter.getFinishedSpans().length, 0);
    const h: Record<string, string> = {};
    off.tracer.inject(span, FORMAT_HTTP_HEADERS, h);
    t.match(h.traceparent, /-02$/, 'not-sampled flag propagated (random kept: the trace id is ours)');
    await off.tracer.shutdown();

    const otel = memoryTracer({ sampler: new AlwaysOffSampler() });
    otel.tracer.startSpan('x').finish();
    t.equal(otel.exporter.getFinishedSpans().length, 0, 'OTel Sampler adapted');
    await otel.tracer.shutdown();

    const parentBased = memoryTracer({ sampler: 'parentbased_always_off' });
    const remote = parentBased.tracer.extract(FORMAT_HTTP_HEADERS, {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    parentBased.tracer.startSpan('kept', { childOf: remote! }).finish();
    t.equal(parentBased.exporter.getFinishedSpans().length, 1, 'sampled remote parent wins');
    await parentBased.tracer.shutdown();
  },
);
