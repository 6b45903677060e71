import t from 'tap';
import type { AnyValue, Span, SpanLink } from '../../../src/model/span.js';
import { decodeSpan, encodeSpanBody } from '../../../src/storage/sqlite/codec.js';
import { makeSpan } from '../../helpers/store-spans.js';

const values: AnyValue[] = [
  { stringValue: 'plain' },
  { stringValue: 'quote " backslash \\ newline \n tab \t nul \u0000 emoji 🚀 lone \ud800' },
  { stringValue: '' },
  { boolValue: true },
  { boolValue: false },
  { intValue: '-9223372036854775808' },
  { intValue: '42' },
  { doubleValue: 1.5 },
  { doubleValue: -0 },
  { doubleValue: 1e21 },
  { doubleValue: Number.NaN },
  { doubleValue: Number.POSITIVE_INFINITY },
  { bytesValue: 'AAEC' },
  { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '1' }, { arrayValue: { values: [] } }] } },
  { kvlistValue: { values: [{ key: 'k', value: { doubleValue: 2 } }] } },
  {},
];

function variants(): Span[] {
  const out: Span[] = [makeSpan()];
  out.push(
    makeSpan({
      parentSpanId: '0102030405060708',
      traceState: 'k=v,"x"',
      flags: 257,
      name: 'op "quoted" \u2028',
      attributes: values.map((value, i) => ({ key: `k${i} "\\`, value })),
      droppedAttributesCount: 3,
      events: [
        {
          timeUnixNano: 1_700_000_000_000_000_123n,
          name: 'ev',
          attributes: values.slice(0, 4).map((value) => ({ key: 'e', value })),
          droppedAttributesCount: 1,
        },
        { timeUnixNano: 0n, name: '', attributes: [], droppedAttributesCount: 0 },
      ],
      droppedEventsCount: 2,
      links: [
        {
          traceId: '0af7651916cd43dd8448eb211c80319c',
          spanId: 'b7ad6b7169203331',
          traceState: '',
          attributes: [{ key: 'opentracing.ref_type', value: { stringValue: 'follows_from' } }],
          droppedAttributesCount: 0,
          flags: 1,
        },
      ],
      droppedLinksCount: 4,
      status: { code: 2, message: 'boom "x"' },
    }),
  );
  return out;
}

t.test('a body is valid JSON', async (t) => {
  for (const s of variants()) t.doesNotThrow(() => JSON.parse(encodeSpanBody(s)));
});

t.test('a body decodes back to the span', async (t) => {
  for (const s of variants()) {
    const back = decodeSpan(encodeSpanBody(s), {
      traceId: s.traceId,
      spanId: s.spanId,
      kind: s.kind,
      startTimeUnixNano: s.startTimeUnixNano,
      durationNanos: s.endTimeUnixNano - s.startTimeUnixNano,
      layer: s.layer,
      serviceName: s.serviceName,
      resource: s.resource,
      scope: s.scope,
    });
    // NaN and ±Infinity doubles survive as such; everything else compares as is.
    t.same(back, s);
  }
});

t.test('a shared (deeply frozen) link list gives the same body as an unfrozen copy, each time', async (t) => {
  const s = variants()[1];
  const link = s.links[0];
  for (const kv of link.attributes) Object.freeze(Object.freeze(kv).value);
  Object.freeze(link.attributes);
  const shared = Object.freeze([Object.freeze(link)]) as SpanLink[];
  const copy = structuredClone(s.links);
  const expected = encodeSpanBody({ ...s, links: copy });
  t.equal(encodeSpanBody({ ...s, links: shared }), expected);
  t.equal(encodeSpanBody({ ...s, links: shared }), expected, 'from the cache');
  t.equal(
    encodeSpanBody({ ...s, attributes: [], links: shared }),
    encodeSpanBody({ ...s, attributes: [], links: copy }),
    'the rest of the span still counts',
  );
  // a frozen list of links that are not frozen is encoded each time: a change shows
  const loose = structuredClone(s.links);
  const frozenList = Object.freeze([loose[0]]) as SpanLink[];
  encodeSpanBody({ ...s, links: frozenList });
  loose[0].spanId = '1111111111111111';
  t.match(encodeSpanBody({ ...s, links: frozenList }), /1111111111111111/);
});
