import { SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import t from 'tap';
import { encodeTraceRequest } from '../../src/export/encode-trace-request.js';
import { parseLine } from '../../src/parse/parse-line.js';
import { SpanBuilder } from '../../src/spans/span-builder.js';
import { toSpans } from '../../src/spans/to-spans.js';
import { Request } from '../helpers/collector-stub.js';
import { fixtureLines } from '../helpers/fixtures.js';

// Zero values are optional on the wire (proto3): compare messages without them.
function normalize(v: unknown): unknown {
  if (Array.isArray(v)) {
    const a = v.map(normalize);
    return a.length === 0 ? undefined : a;
  }
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const n = normalize(x);
      if (n !== undefined) out[k] = n;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  if (v === 0 || v === '' || v === '0' || v === undefined || v === null) return undefined;
  return v;
}

/** The span counts and start times of an encoded request, decoded by protobufjs. */
interface DecodedStarts {
  resourceSpans: { scopeSpans: { spans: { startTimeUnixNano: string }[] }[] }[];
}
const decodeStarts = (b: Uint8Array) =>
  Request.toObject(Request.decode(b), { longs: String }) as DecodedStarts;

const decode = (b: Uint8Array) =>
  normalize(
    Request.toObject(Request.decode(b), { longs: String, bytes: String, enums: Number, defaults: false }),
  );

t.test("decodes to the same message as OpenTelemetry's serializer, for every fixture", async (t) => {
  const builder = new SpanBuilder();
  const spans = [
    ...fixtureLines('ingress-nginx-upstreaminfo.log').map((l) => parseLine(l, { format: 'ingress-nginx' })),
    ...fixtureLines('combined.log').map((l) => parseLine(l)),
    ...fixtureLines('ingress-json-traceparent.log').map((l) => parseLine(l, { format: 'json' })),
  ].flatMap((r) => (r.ok ? builder.spans(r.record, {}) : []));
  t.ok(spans.length > 20);
  const ours = encodeTraceRequest(spans);
  const theirs = ProtobufTraceSerializer.serializeRequest(spans)!;
  t.same(decode(ours), decode(theirs));
});

t.test(
  'SDK spans: events, links, trace state, arrays, doubles, negative ints, unicode, two resources',
  async (t) => {
    const exporter = new InMemorySpanExporter();
    const make = (name: string) =>
      new TracerProvider({
        resource: resourceFromAttributes({ 'service.name': name, 'k.num': 3 }),
        spanProcessors: [new SimpleSpanProcessor({ exporter })],
      });
    const providers = [make('a'), make('b')];
    const a = providers[0].getTracer('scope-a', '1.2.3');
    const b = providers[1].getTracer('scope-b');
    const span = a.startSpan('ünïcödé ✓', {
      kind: SpanKind.PRODUCER,
      attributes: { s: 'x', n: -5, big: 2 ** 40, d: 1.5, bool: false, arr: ['a', 'b'], nums: [1, 2.5] },
      links: [
        {
          context: {
            traceId: '0af7651916cd43dd8448eb211c80319c',
            spanId: 'b7ad6b7169203331',
            traceFlags: TraceFlags.SAMPLED,
            isRemote: true,
            traceState: new TraceState('k=v'),
          },
          attributes: { l: 1 },
        },
      ],
    });
    span.addEvent('ev', { e: 'x' });
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    span.end();
    b.startSpan('other').end();
    // SimpleSpanProcessor hands spans to the exporter once the export settles: flush first.
    await Promise.all(providers.map((p) => p.forceFlush()));
    const spans = exporter.getFinishedSpans();
    t.equal(spans.length, 2);
    t.same(decode(encodeTraceRequest(spans)), decode(ProtobufTraceSerializer.serializeRequest(spans)!));
  },
);

t.test('large batches grow the buffer', async (t) => {
  const r = parseLine(fixtureLines('ingress-nginx-upstreaminfo.log')[5], { format: 'ingress-nginx' });
  if (!r.ok) throw new Error('fixture');
  const builder = new SpanBuilder();
  const spans = Array.from({ length: 3000 }, () => builder.spans(r.record, {})).flat();
  const bytes = encodeTraceRequest(spans);
  const decoded = decodeStarts(bytes);
  t.equal(decoded.resourceSpans[0].scopeSpans[0].spans.length, 9000);
  t.same(decode(bytes), decode(ProtobufTraceSerializer.serializeRequest(spans)!));
});

t.test('timestamps are exact to the nanosecond far from the epoch', async (t) => {
  const r = parseLine(fixtureLines('ingress-nginx-upstreaminfo.log')[0], { format: 'ingress-nginx' });
  if (!r.ok) throw new Error('fixture');
  const [span] = toSpans(r.record);
  for (const time of [
    [0, 0],
    [1, 999_999_999],
    [1_714_557_600, 123_456_789],
    [4_102_444_800, 999_999_999],
  ] as [number, number][]) {
    const s = Object.assign(Object.create(Object.getPrototypeOf(span)), span, { startTime: time });
    const decoded = decodeStarts(encodeTraceRequest([s]));
    const start = decoded.resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano;
    t.equal(BigInt(start), BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]));
  }
});

t.test('cached attribute encodings follow changing values, long and non-ASCII strings', async (t) => {
  // Values repeat (cache hits), change (misses), change on every span (the cache gives up and
  // retries), and are long enough that a span needs a 1-, 2- or 3-byte length.
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'cache' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('cache-test');
  for (let i = 0; i < 1500; i++) {
    const attributes: Record<string, string | number | boolean | string[]> = {
      same: 'constant',
      flips: i % 3 === 0 ? 'a' : 'b',
      unique: `value-${i}`,
      num: i % 5 === 0 ? 200 : 502,
      mixed: i % 2 === 0 ? '200' : 200,
      uni: i % 4 === 0 ? 'ünïcödé ✓' : 'plain',
      bool: i % 2 === 0,
      header: [i % 4 === 0 ? 'ünïcödé ✓' : 'h'.repeat(i % 300)],
    };
    if (i % 500 === 7) attributes.long = 'x'.repeat(20_000);
    if (i % 500 === 8) attributes.mid = 'é'.repeat(100);
    tracer.startSpan(i % 250 === 0 ? '' : `op ${i % 3}`, { attributes }).end();
  }
  tracer.startSpan('tiny').end();
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans();
  t.equal(spans.length, 1501);
  for (let round = 0; round < 2; round++) {
    t.same(
      decode(encodeTraceRequest(spans)),
      decode(ProtobufTraceSerializer.serializeRequest(spans)!),
      `round ${round}`,
    );
  }
  t.same(
    decode(encodeTraceRequest(spans.slice(1495))),
    decode(ProtobufTraceSerializer.serializeRequest(spans.slice(1495))!),
    'a small batch after a large one',
  );
});
