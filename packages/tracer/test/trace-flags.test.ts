import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { FORMAT_HTTP_HEADERS } from 'opentracing';
import t from 'tap';
import { formatTraceparent, TraceFlag } from '../src/index.js';
import { memoryTracer } from './helpers/tracer.js';

// Trace Context Level 2, "Random Trace ID Flag": set when we generate the trace id; when a trace
// is continued, the flag of the incoming traceparent is kept as it was (set or unset).

const TRACE = '12345678901234567890123456789012';
const SPAN = '1234567890123456';

function outgoing(tracer: ReturnType<typeof memoryTracer>['tracer'], incoming: Record<string, string>) {
  const parent = tracer.extract(FORMAT_HTTP_HEADERS, incoming);
  const span = tracer.startSpan('server', parent === null ? undefined : { childOf: parent });
  const headers: Record<string, string> = {};
  tracer.inject(span, FORMAT_HTTP_HEADERS, headers);
  span.finish();
  return headers.traceparent;
}

t.test('ids we generate carry the random flag, sampled or not', async (t) => {
  const on = memoryTracer();
  t.match(outgoing(on.tracer, {}), /^00-[0-9a-f]{32}-[0-9a-f]{16}-03$/);
  const off = memoryTracer({ sampler: 'always_off' });
  t.match(outgoing(off.tracer, {}), /^00-[0-9a-f]{32}-[0-9a-f]{16}-02$/);
  const otel = on.tracer.provider.getTracer('t').startSpan('root', { root: true });
  t.equal(otel.spanContext().traceFlags, TraceFlag.Sampled | TraceFlag.Random, 'the OTel API too');
  otel.end();
});

t.test('a continued trace keeps the incoming random flag exactly', async (t) => {
  const { tracer } = memoryTracer();
  for (const [inFlags, outFlags] of [
    ['00', '00'], // parent-based: not sampled, not random
    ['01', '01'], // sampled, random unset stays unset
    ['02', '02'], // random propagated
    ['03', '03'],
    ['0b', '03'], // reserved bits are never sent
    ['fe', '02'],
  ]) {
    const out = outgoing(tracer, { traceparent: `00-${TRACE}-${SPAN}-${inFlags}` });
    t.match(out, new RegExp(`^00-${TRACE}-(?!${SPAN})[0-9a-f]{16}-${outFlags}$`), `in ${inFlags}`);
  }
  const future = outgoing(tracer, { traceparent: `cc-${TRACE}-${SPAN}-03-future-field` });
  t.equal(future.slice(0, 3), '00-', 'a higher version is answered with version 00');
  t.equal(future.slice(-2), '03');
});

t.test('a child of a child keeps the flag through the OTel context too', async (t) => {
  const { tracer } = memoryTracer();
  const parent = tracer.extract(FORMAT_HTTP_HEADERS, { traceparent: `00-${TRACE}-${SPAN}-02` });
  const server = tracer.startSpan('server', { childOf: parent ?? undefined });
  const otel = tracer.provider.getTracer('t');
  const inner = context.with(trace.setSpan(ROOT_CONTEXT, server), () => otel.startSpan('inner'));
  t.equal(inner.spanContext().traceFlags, TraceFlag.Random);
  inner.end();
  server.finish();
});

t.test('contexts from X-Request-ID do not claim a random trace id', async (t) => {
  const { tracer } = memoryTracer();
  const out = outgoing(tracer, { 'x-request-id': 'req-42' });
  t.match(out, /-01$/, 'sampled (the ingress logs every request), random unset: the id is derived');
});

t.test('formatTraceparent writes both known flags and clears the rest', async (t) => {
  t.equal(formatTraceparent(TRACE, SPAN, 0), `00-${TRACE}-${SPAN}-00`);
  t.equal(formatTraceparent(TRACE, SPAN, 2), `00-${TRACE}-${SPAN}-02`);
  t.equal(formatTraceparent(TRACE, SPAN, 0xff), `00-${TRACE}-${SPAN}-03`);
  t.equal(formatTraceparent(TRACE, SPAN, 0x84), `00-${TRACE}-${SPAN}-00`);
});
