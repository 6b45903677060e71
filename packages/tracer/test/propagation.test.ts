import {
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator as OtelW3C } from '@opentelemetry/core';
import { B3InjectEncoding, B3Propagator as OtelB3 } from '@opentelemetry/propagator-b3';
import { JaegerPropagator as OtelJaeger } from '@opentelemetry/propagator-jaeger';
import t from 'tap';
import {
  B3Propagator,
  createPropagator,
  ErrorCode,
  JaegerPropagator,
  parseTraceparent,
  W3CTraceContextPropagator,
} from '../src/index.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

function extract(p: { extract: typeof OtelW3C.prototype.extract }, headers: Record<string, string>) {
  return trace.getSpanContext(p.extract(ROOT_CONTEXT, headers, defaultTextMapGetter));
}

t.test('W3C traceparent vectors (Trace Context spec)', async (t) => {
  const valid: [string, number][] = [
    [`00-${TRACE}-${SPAN}-01`, 1],
    [`00-${TRACE}-${SPAN}-00`, 0],
    [`00-${TRACE}-${SPAN}-02`, 2], // Level 2: random-trace-id kept
    [`00-${TRACE}-${SPAN}-03`, 3],
    [`00-${TRACE}-${SPAN}-09`, 1], // reserved flags cleared, sampled kept
    [`00-${TRACE}-${SPAN}-08`, 0],
    [`00-${TRACE}-${SPAN}-ff`, 3],
    [`01-${TRACE}-${SPAN}-01`, 1], // future version, exact length
    [`cc-${TRACE}-${SPAN}-01-what-the-future-will-be-like`, 1], // future version, extra fields
    [` 00-${TRACE}-${SPAN}-01 `, 1], // surrounding whitespace (OWS)
  ];
  for (const [header, flags] of valid) {
    const parsed = parseTraceparent(header);
    t.same(parsed, { traceId: TRACE, spanId: SPAN, traceFlags: flags }, `valid: ${header}`);
  }
  const invalid = [
    '',
    'garbage',
    `ff-${TRACE}-${SPAN}-01`, // version ff forbidden
    `00-${TRACE}-${SPAN}-01-extra`, // version 00 must be exactly 55 chars
    `00-${TRACE.toUpperCase()}-${SPAN}-01`, // uppercase hex
    `00-${'0'.repeat(32)}-${SPAN}-01`, // zero trace id
    `00-${TRACE}-${'0'.repeat(16)}-01`, // zero span id
    `00-${TRACE}-${SPAN}-0g`, // bad flags
    `0x-${TRACE}-${SPAN}-01`, // bad version
    `00_${TRACE}-${SPAN}-01`, // bad delimiter
    `00-${TRACE.slice(1)}-${SPAN}-01`, // short trace id
    `cc-${TRACE}-${SPAN}-01.what`, // future version: extra must start with '-'
  ];
  for (const header of invalid)
    t.equal(parseTraceparent(header), undefined, `invalid: ${JSON.stringify(header)}`);
  t.equal(parseTraceparent(undefined), undefined);
  t.equal(parseTraceparent(42), undefined);
});

t.test(
  'W3C propagator: matches OTel on valid input, invalid → context unchanged, tracestate kept',
  async (t) => {
    const ours = new W3CTraceContextPropagator();
    const theirs = new OtelW3C();
    const headers = {
      traceparent: `00-${TRACE}-${SPAN}-01`,
      tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
    };
    const a = extract(ours, headers);
    const b = extract(theirs, headers);
    t.equal(a?.traceId, b?.traceId);
    t.equal(a?.spanId, b?.spanId);
    t.equal(a?.traceFlags, b?.traceFlags);
    t.equal(a?.isRemote, true);
    t.equal(a?.traceState?.get('congo'), 't61rcWkgMzE');
    const out: Record<string, string> = {};
    ours.inject(trace.setSpanContext(ROOT_CONTEXT, a!), out, defaultTextMapSetter);
    t.same(out, headers, 'round trip is byte-identical');
    t.equal(extract(ours, { traceparent: 'nonsense' }), undefined, 'fresh trace');
    const badState = extract(ours, { traceparent: headers.traceparent, tracestate: 'not a=valid,,==' });
    t.equal(badState?.traceId, TRACE, 'traceparent survives a bad tracestate');
    t.same(ours.fields(), ['traceparent', 'tracestate']);
    const twice = ours.extract(
      ROOT_CONTEXT,
      { traceparent: [headers.traceparent, `00-${TRACE}-${'1'.repeat(16)}-01`] },
      defaultTextMapGetter,
    );
    t.equal(trace.getSpanContext(twice), undefined, 'duplicated traceparent → fresh trace');
    const many = Array.from({ length: 40 }, (_, i) => `k${i}=v${i}`).join(',');
    const capped = extract(ours, { traceparent: headers.traceparent, tracestate: many });
    t.equal(capped?.traceId, TRACE);
    t.equal(capped?.traceState, undefined, 'over 32 tracestate members: the header is discarded');
    const split = ours.extract(
      ROOT_CONTEXT,
      { traceparent: headers.traceparent, tracestate: ['a=1', 'b=2'] },
      defaultTextMapGetter,
    );
    t.equal(
      trace.getSpanContext(split)?.traceState?.serialize(),
      'a=1,b=2',
      'repeated tracestate headers are joined',
    );
    const noInject: Record<string, string> = {};
    ours.inject(ROOT_CONTEXT, noInject, defaultTextMapSetter);
    t.same(noInject, {});
  },
);

t.test('B3 single and multi round-trip and interoperate with OTel propagator-b3', async (t) => {
  const sc = { traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED };
  const ctx = trace.setSpanContext(ROOT_CONTEXT, sc);
  for (const [enc, otelEnc] of [
    ['single', B3InjectEncoding.SINGLE_HEADER],
    ['multi', B3InjectEncoding.MULTI_HEADER],
  ] as const) {
    const ours = new B3Propagator(enc);
    const headers: Record<string, string> = {};
    ours.inject(ctx, headers, defaultTextMapSetter);
    const back = extract(new OtelB3({ injectEncoding: otelEnc }), headers);
    t.equal(back?.traceId, TRACE, `${enc}: OTel reads ours`);
    t.equal(back?.spanId, SPAN);
    t.equal(back?.traceFlags, 1);
    const theirs: Record<string, string> = {};
    new OtelB3({ injectEncoding: otelEnc }).inject(ctx, theirs, defaultTextMapSetter);
    t.same(headers, theirs, `${enc}: same headers as OTel`);
    t.equal(extract(ours, theirs)?.spanId, SPAN);
  }
  const b3 = new B3Propagator('single');
  t.equal(
    extract(b3, { b3: `a3ce929d0e0e4736-${SPAN}-1` })?.traceId,
    `0000000000000000a3ce929d0e0e4736`,
    '64-bit id padded',
  );
  t.equal(extract(b3, { b3: `${TRACE}-${SPAN}-d` })?.traceFlags, 1, 'debug samples');
  t.equal(extract(b3, { b3: `${TRACE}-${SPAN}-0-${SPAN}` })?.traceFlags, 0);
  t.equal(extract(b3, { b3: '0' }), undefined, 'deny-only header gives no context');
  t.equal(extract(b3, { b3: `${TRACE}-${SPAN}-x` }), undefined);
  t.equal(extract(b3, { 'x-b3-traceid': TRACE, 'x-b3-spanid': SPAN, 'x-b3-flags': '1' })?.traceFlags, 1);
});

t.test(
  'Jaeger uber-trace-id and uberctx-* round-trip and interoperate with OTel propagator-jaeger',
  async (t) => {
    const sc = { traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED };
    const baggage = propagation.createBaggage({ user: { value: 'ana maria' } });
    const ctx = propagation.setBaggage(trace.setSpanContext(ROOT_CONTEXT, sc), baggage);
    const ours = new JaegerPropagator();
    const headers: Record<string, string> = {};
    ours.inject(ctx, headers, defaultTextMapSetter);
    t.equal(headers['uber-trace-id'], `${TRACE}:${SPAN}:0:1`);
    t.equal(headers['uberctx-user'], 'ana%20maria');
    const theirCtx = new OtelJaeger().extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
    t.equal(trace.getSpanContext(theirCtx)?.spanId, SPAN);
    t.equal(propagation.getBaggage(theirCtx)?.getEntry('user')?.value, 'ana maria');
    const theirs: Record<string, string> = {};
    new OtelJaeger().inject(ctx, theirs, defaultTextMapSetter);
    const back = ours.extract(ROOT_CONTEXT, theirs, defaultTextMapGetter);
    t.equal(trace.getSpanContext(back)?.traceId, TRACE);
    t.equal(propagation.getBaggage(back)?.getEntry('user')?.value, 'ana maria');
    t.equal(extract(ours, { 'uber-trace-id': 'a3ce929d0e0e4736%3A1%3A0%3A1' })?.spanId, '0000000000000001');
    t.equal(extract(ours, { 'uber-trace-id': 'bad' }), undefined);
    t.equal(extract(ours, { 'uber-trace-id': '0:0:0:1' }), undefined);
  },
);

t.test('createPropagator: composite, none, unknown names fail fast', async (t) => {
  const p = createPropagator(['tracecontext', 'baggage']);
  const ctx = propagation.setBaggage(
    trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: SPAN, traceFlags: 1 }),
    propagation.createBaggage({ k: { value: 'v' } }),
  );
  const headers: Record<string, string> = {};
  p.inject(ctx, headers, defaultTextMapSetter);
  t.same(headers, { traceparent: `00-${TRACE}-${SPAN}-01`, baggage: 'k=v' });
  const none = createPropagator(['none']);
  const h2: Record<string, string> = {};
  none.inject(ctx, h2, defaultTextMapSetter);
  t.same(h2, {});
  t.same(none.fields(), []);
  t.throws(() => createPropagator(['xray']), { code: ErrorCode.InvalidConfig, message: /OTEL_PROPAGATORS/ });
  const all = createPropagator(['tracecontext', 'b3multi', 'jaeger']);
  const h3: Record<string, string> = {};
  all.inject(ctx, h3, defaultTextMapSetter);
  t.ok(h3.traceparent && h3['x-b3-traceid'] && h3['uber-trace-id']);
});
