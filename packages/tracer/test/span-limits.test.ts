import { context, type Link, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { followsFrom, childOf as otChildOf } from 'opentracing';
import t, { type Test } from 'tap';
import {
  createOtlpExporter,
  createTracer,
  DEFAULT_SPAN_LIMITS,
  ErrorCode,
  LAYER_ATTRIBUTE,
  resetDiagnostics,
  setDiagnosticHandler,
} from '../src/index.js';
import { attrs, decodeTraceRequest, hex, type KV } from './helpers/otlp-decode.js';
import { startOtlpServer } from './helpers/otlp-server.js';
import { memoryTracer } from './helpers/tracer.js';

// OpenTelemetry's SpanLimits (specification: trace/sdk.md "Span Limits", common "Attribute Limits",
// configuration "Span Limits" / "Attribute Limits" environment variables).

const limitsOf = (options: Parameters<typeof createTracer>[0]) =>
  createTracer({ registerGlobal: false, env: {}, exporter: undefined, ...options, processor: undefined })
    .limits;

function quietDiagnostics(t: Test): string[] {
  resetDiagnostics();
  const seen: string[] = [];
  const prev = setDiagnosticHandler((e) => seen.push(`${e.code}: ${e.message}`));
  t.teardown(() => {
    setDiagnosticHandler(prev);
    resetDiagnostics();
  });
  return seen;
}

t.test('defaults: 128 of everything, no value length limit', async (t) => {
  const { tracer } = memoryTracer();
  t.same(tracer.limits, {
    attributeCountLimit: 128,
    attributeValueLengthLimit: Number.POSITIVE_INFINITY,
    eventCountLimit: 128,
    linkCountLimit: 128,
    attributePerEventCountLimit: 128,
    attributePerLinkCountLimit: 128,
  });
  t.same(tracer.limits, DEFAULT_SPAN_LIMITS);
  t.ok(Object.isFrozen(tracer.limits));
});

t.test('environment: span-specific variables, then the general OTEL_ATTRIBUTE_* ones', async (t) => {
  const env = {
    OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '10',
    OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '20',
    OTEL_SPAN_EVENT_COUNT_LIMIT: '3',
    OTEL_SPAN_LINK_COUNT_LIMIT: '4',
    OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT: '5',
    OTEL_LINK_ATTRIBUTE_COUNT_LIMIT: '6',
    OTEL_ATTRIBUTE_COUNT_LIMIT: '99',
    OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '99',
  };
  t.same(memoryTracer({ env }).tracer.limits, {
    attributeCountLimit: 10,
    attributeValueLengthLimit: 20,
    eventCountLimit: 3,
    linkCountLimit: 4,
    attributePerEventCountLimit: 5,
    attributePerLinkCountLimit: 6,
  });
  const general = memoryTracer({
    env: { OTEL_ATTRIBUTE_COUNT_LIMIT: '7', OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '8' },
  });
  t.same(general.tracer.limits, {
    attributeCountLimit: 7,
    attributeValueLengthLimit: 8,
    eventCountLimit: 128,
    linkCountLimit: 128,
    attributePerEventCountLimit: 7,
    attributePerLinkCountLimit: 7,
  });
  t.equal(
    memoryTracer({ env: { OTEL_SPAN_EVENT_COUNT_LIMIT: '0' } }).tracer.limits.eventCountLimit,
    0,
    '0 is valid',
  );
  t.equal(
    memoryTracer({ env: { OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '' } }).tracer.limits.attributeCountLimit,
    128,
    'empty is unset',
  );
});

t.test('environment: a bad value is reported once and ignored, as the specification asks', async (t) => {
  const seen = quietDiagnostics(t);
  for (const bad of ['-1', '1.5', 'ten', '2147483648', '0x10']) {
    const { tracer } = memoryTracer({
      env: { OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: bad, OTEL_ATTRIBUTE_COUNT_LIMIT: '50' },
    });
    t.equal(tracer.limits.attributeCountLimit, 50, `${bad}: falls back to the general limit`);
  }
  t.equal(seen.length, 1, 'one diagnostic for the variable');
  t.match(seen[0], /^CT_TRACER_INVALID_CONFIG: OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: expected an integer/);
  t.equal(
    memoryTracer({ env: { OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '2147483647' } }).tracer.limits
      .attributeCountLimit,
    2147483647,
  );
});

t.test('options: spanLimits, then generalLimits, both over the environment', async (t) => {
  const env = { OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '10', OTEL_SPAN_EVENT_COUNT_LIMIT: '3' };
  const l = limitsOf({
    env,
    spanLimits: {
      attributeCountLimit: 2,
      linkCountLimit: 1,
      attributeValueLengthLimit: Number.POSITIVE_INFINITY,
    },
    generalLimits: { attributeCountLimit: 9, attributeValueLengthLimit: 4 },
  });
  t.equal(l.attributeCountLimit, 2);
  t.equal(l.attributeValueLengthLimit, Number.POSITIVE_INFINITY, 'the span-specific option wins');
  t.equal(l.eventCountLimit, 3, 'from the environment');
  t.equal(l.linkCountLimit, 1);
  t.equal(l.attributePerEventCountLimit, 9, 'the general option');
  t.equal(
    limitsOf({ env, generalLimits: { attributeCountLimit: 9 } }).attributeCountLimit,
    9,
    'code over env',
  );
});

t.test('options: a bad limit fails at start-up naming it', async (t) => {
  for (const [options, name] of [
    [{ spanLimits: { attributeCountLimit: -1 } }, 'spanLimits.attributeCountLimit'],
    [{ spanLimits: { eventCountLimit: 1.5 } }, 'spanLimits.eventCountLimit'],
    [{ spanLimits: { linkCountLimit: Number.POSITIVE_INFINITY } }, 'spanLimits.linkCountLimit'],
    [{ spanLimits: { attributeValueLengthLimit: '10' as never } }, 'spanLimits.attributeValueLengthLimit'],
    [{ generalLimits: { attributeCountLimit: Number.NaN } }, 'generalLimits.attributeCountLimit'],
    [{ spanLimits: 5 as never }, 'spanLimits'],
  ] as const) {
    t.throws(() => limitsOf(options), {
      code: ErrorCode.InvalidConfig,
      message: new RegExp(`^${name.replace('.', '\\.')}`),
    });
  }
});

t.test(
  'attribute count: new keys beyond the limit are dropped and counted, existing keys update',
  async (t) => {
    quietDiagnostics(t);
    const { tracer, exporter } = memoryTracer({ spanLimits: { attributeCountLimit: 3 } });
    const span = tracer.startSpan('s', { tags: { a: 1, b: 2 } }); // + crosstrace.layer = 3
    span.setTag('c', 3).setTag('d', 4);
    span.setTag('a', 'updated');
    span.setAttributes({ e: 5, b: 'also updated' });
    span.finish();
    const [s] = exporter.getFinishedSpans();
    t.same(s.attributes, { [LAYER_ATTRIBUTE]: 'app', a: 'updated', b: 'also updated' });
    t.equal(s.droppedAttributesCount, 3, 'c, d and e');
  },
);

t.test('attribute count: rewriting a key many times does not use up the limit', async (t) => {
  quietDiagnostics(t);
  const { tracer, exporter } = memoryTracer({ spanLimits: { attributeCountLimit: 3 } });
  const span = tracer.startSpan('s');
  for (let i = 0; i < 10; i++) span.setTag('a', i);
  span.setTag('b', 'kept: 3 keys with the layer');
  span.setTag('c', 'dropped');
  span.finish();
  const [s] = exporter.getFinishedSpans();
  t.same(s.attributes, { [LAYER_ATTRIBUTE]: 'app', a: 9, b: 'kept: 3 keys with the layer' });
  t.equal(s.droppedAttributesCount, 1);
});

t.test('attribute count 0: only the layer, every attribute of the user counted', async (t) => {
  quietDiagnostics(t);
  const { tracer, exporter } = memoryTracer({ spanLimits: { attributeCountLimit: 0 } });
  tracer.startSpan('s', { tags: { a: 1 } }).finish();
  const [s] = exporter.getFinishedSpans();
  t.same(s.attributes, { [LAYER_ATTRIBUTE]: 'app' }, 'crosstrace.layer is never dropped');
  t.equal(s.droppedAttributesCount, 1);
});

t.test('attribute value length: strings and strings in arrays are cut, nothing else', async (t) => {
  const { tracer, exporter } = memoryTracer({ spanLimits: { attributeValueLengthLimit: 4 } });
  const list = ['abcdefgh', 'ab', 'xyzxyz'];
  const span = tracer.startSpan('s');
  span.setTag('s', 'abcdefgh');
  span.setTag('short', 'abc');
  span.setTag('n', 123456789);
  span.setTag('b', true);
  span.setTag('list', list);
  span.setTag('obj', { a: 'long value' }); // becomes a JSON string, then is cut
  span.setTag('emoji', 'abc\u{1F600}'); // the pair would be split at 4: cut before it
  span.finish();
  const [s] = exporter.getFinishedSpans();
  t.same(s.attributes, {
    [LAYER_ATTRIBUTE]: 'app',
    s: 'abcd',
    short: 'abc',
    n: 123456789,
    b: true,
    list: ['abcd', 'ab', 'xyzx'],
    obj: '{"a"',
    emoji: 'abc',
  });
  t.same(list, ['abcdefgh', 'ab', 'xyzxyz'], "the caller's array is not changed");
  t.equal(s.droppedAttributesCount, 0, 'truncation drops nothing');
});

t.test('events: beyond the limit dropped and counted; attributes per event limited', async (t) => {
  quietDiagnostics(t);
  const { tracer, exporter } = memoryTracer({
    spanLimits: { eventCountLimit: 2, attributePerEventCountLimit: 2, attributeValueLengthLimit: 5 },
  });
  const span = tracer.startSpan('s');
  span.log({ event: 'first', a: 1, b: 2, c: 3 });
  span.addEvent('second', { x: 'abcdefgh' });
  span.addEvent('third');
  span.recordException(new Error('boom'));
  span.finish();
  const [s] = exporter.getFinishedSpans();
  t.same(
    s.events.map((e) => [e.name, e.attributes, e.droppedAttributesCount]),
    [
      ['first', { event: 'first', a: 1 }, 2],
      ['second', { x: 'abcde' }, 0],
    ],
  );
  t.equal(s.droppedEventsCount, 2, 'third and the exception');
});

t.test('event count 0 records no event', async (t) => {
  quietDiagnostics(t);
  const { tracer, exporter } = memoryTracer({ env: { OTEL_SPAN_EVENT_COUNT_LIMIT: '0' } });
  const span = tracer.startSpan('s');
  span.log({ event: 'e' });
  span.finish();
  const [s] = exporter.getFinishedSpans();
  t.same(s.events, []);
  t.equal(s.droppedEventsCount, 1);
});

t.test('links: OpenTracing references count first; attributes per link limited', async (t) => {
  quietDiagnostics(t);
  const { tracer, exporter } = memoryTracer({
    spanLimits: { linkCountLimit: 3, attributePerLinkCountLimit: 1 },
  });
  const a = tracer.startSpan('a');
  const b = tracer.startSpan('b');
  const span = tracer.startSpan('s', { references: [otChildOf(a.context()), followsFrom(b.context())] });
  const target = tracer.startSpan('t').context();
  span.addLink({ context: target, attributes: { k1: 'v1', k2: 'v2' } });
  span.addLinks([{ context: target }, { context: target, attributes: { k: 'v' } }]);
  span.finish();
  const s = exporter.getFinishedSpans().find((x) => x.name === 's')!;
  t.same(
    s.links.map((l: Link) => [l.context.spanId, l.attributes, l.droppedAttributesCount ?? 0]),
    [
      [a.context().spanId, { 'opentracing.ref_type': 'child_of' }, 0],
      [b.context().spanId, { 'opentracing.ref_type': 'follows_from' }, 0],
      [target.spanId, { k1: 'v1' }, 1],
    ],
  );
  t.equal(s.droppedLinksCount, 2);
});

t.test('links: more references than the limit are cut on read and counted', async (t) => {
  const { tracer, exporter } = memoryTracer({
    spanLimits: { linkCountLimit: 1, attributePerLinkCountLimit: 0 },
  });
  const refs = [tracer.startSpan('a'), tracer.startSpan('b'), tracer.startSpan('c')].map((x) =>
    otChildOf(x.context()),
  );
  tracer.startSpan('s', { references: refs }).finish();
  const s = exporter.getFinishedSpans().find((x) => x.name === 's')!;
  t.equal(s.links.length, 1);
  t.same(s.links[0].attributes, {}, 'no attribute room: the reference type is dropped');
  t.equal(s.links[0].droppedAttributesCount, 1);
  t.equal(s.droppedLinksCount, 2);
});

t.test('the OpenTelemetry API: start attributes and links go through the same limits', async (t) => {
  quietDiagnostics(t);
  const { tracer, exporter } = memoryTracer({ spanLimits: { attributeCountLimit: 2, linkCountLimit: 1 } });
  const otel = tracer.provider.getTracer('t');
  const link = { context: tracer.startSpan('x').context() };
  const span = otel.startSpan('o', { attributes: { a: 1, b: 2, c: 3 }, links: [link, link] }, ROOT_CONTEXT);
  span.setAttribute('d', 4);
  context.with(trace.setSpan(ROOT_CONTEXT, span), () => span.end());
  const s = exporter.getFinishedSpans().find((x) => x.name === 'o')!;
  t.same(s.attributes, { [LAYER_ATTRIBUTE]: 'app', a: 1 });
  t.equal(s.droppedAttributesCount, 3);
  t.equal(s.links.length, 1);
  t.equal(s.droppedLinksCount, 1);
});

t.test('one diagnostic per kind of limit, not per span or item', async (t) => {
  const seen = quietDiagnostics(t);
  const { tracer } = memoryTracer({ spanLimits: { attributeCountLimit: 1, eventCountLimit: 0 } });
  for (let i = 0; i < 50; i++) {
    const span = tracer.startSpan('s', { tags: { a: 1, b: 2 } });
    span.log({ event: 'e' });
    span.finish();
  }
  t.equal(seen.length, 2, 'attributes and events');
  t.ok(seen.every((m) => m.startsWith('CT_TRACER_SPAN_LIMIT_EXCEEDED: ')));
  t.match(seen.join('\n'), /droppedAttributesCount/);
  t.match(seen.join('\n'), /droppedEventsCount/);
});

t.test('the dropped counts reach a real OTLP/protobuf export', async (t) => {
  quietDiagnostics(t);
  const server = await startOtlpServer();
  t.teardown(server.close);
  const tracer = createTracer({
    serviceName: 'limits',
    exporter: createOtlpExporter({ endpoint: server.url, protocol: 'http/protobuf' }, {}),
    env: {
      OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '3',
      OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '6',
      OTEL_SPAN_EVENT_COUNT_LIMIT: '1',
      OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT: '1',
      OTEL_SPAN_LINK_COUNT_LIMIT: '2',
      OTEL_LINK_ATTRIBUTE_COUNT_LIMIT: '1',
    },
    registerGlobal: false,
  });
  const parent = tracer.startSpan('parent');
  const other = tracer.startSpan('other');
  const span = tracer.startSpan('limited', { childOf: parent });
  span.addTags({ kept: 'value longer than six', second: 2, third: 3, fourth: 4 });
  span.log({ event: 'one', x: 1, y: 2 });
  span.log({ event: 'two' });
  span.addLink({ context: other.context(), attributes: { p: 'q', r: 's' } });
  span.addLink({ context: other.context() });
  span.finish();
  other.finish();
  parent.finish();
  await tracer.shutdown();

  const spans = decodeTraceRequest(server.received[0].body).resourceSpans[0].scopeSpans[0].spans;
  const s = spans.find((x: { name: string }) => x.name === 'limited');
  t.same(attrs(s.attributes), { 'crosstrace.layer': 'app', kept: 'value ', second: 2 });
  t.equal(s.droppedAttributesCount, 2);
  t.same(
    s.events.map((e: { name: string; attributes: KV[]; droppedAttributesCount?: number }) => [
      e.name,
      attrs(e.attributes),
      e.droppedAttributesCount ?? 0,
    ]),
    [['one', { event: 'one' }, 2]],
  );
  t.equal(s.droppedEventsCount, 1);
  t.same(
    s.links.map((l: { spanId: Uint8Array; attributes: KV[]; droppedAttributesCount?: number }) => [
      hex(l.spanId),
      attrs(l.attributes),
      l.droppedAttributesCount ?? 0,
    ]),
    [
      [parent.context().spanId, { 'opentracing.ref_type': 'child_of' }, 0],
      [other.context().spanId, { p: 'q' }, 1],
    ],
  );
  t.equal(s.droppedLinksCount, 1);
  const p = spans.find((x: { name: string }) => x.name === 'parent');
  t.equal(p.droppedAttributesCount ?? 0, 0, 'a span within its limits drops nothing');
});
