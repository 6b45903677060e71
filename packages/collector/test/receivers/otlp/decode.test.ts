import { readFileSync } from 'node:fs';
import t from 'tap';
import { toPlain } from '../../../src/model/attributes.js';
import { decodeTracesJson, decodeTracesProtobuf } from '../../../src/receivers/otlp/index.js';
import { encodeRequest } from '../../helpers/proto.js';

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/otlp/trace.json', import.meta.url), 'utf8'));

t.test('OTLP/JSON example of the protocol repo (upper-case hex ids)', async (t) => {
  const r = decodeTracesJson(fixture);
  if (!r.ok) throw new Error(r.reason);
  t.equal(r.spans.length, 1);
  const s = r.spans[0];
  t.equal(s.traceId, '5b8efff798038103d269b633813fc60c');
  t.equal(s.spanId, 'eee19b7ec3c1b174');
  t.equal(s.parentSpanId, 'eee19b7ec3c1b173');
  t.equal(s.startTimeUnixNano, 1544712660000000000n);
  t.equal(s.endTimeUnixNano, 1544712661000000000n);
  t.equal(s.kind, 2);
  t.equal(s.serviceName, 'my.service');
  t.equal(s.scope.name, 'my.library');
  t.same(s.attributes, [{ key: 'my.span.attr', value: { stringValue: 'some value' } }]);
});

function jsonSpan(extra: Record<string, unknown>): unknown {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'kube-apiserver' } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId: '0102030405060708090a0b0c0d0e0f10',
                spanId: '0102030405060708',
                name: 'x',
                startTimeUnixNano: 1,
                endTimeUnixNano: '2',
                ...extra,
              },
            ],
          },
        ],
      },
    ],
  };
}

t.test('OTLP/JSON: int64 as numbers or strings, enum names, snake_case, unknown fields', async (t) => {
  const r = decodeTracesJson(
    jsonSpan({
      kind: 'SPAN_KIND_CLIENT',
      status: { code: 'STATUS_CODE_ERROR', message: 'boom' },
      unknownField: { anything: [1, 2] },
      parent_span_id: '',
      attributes: [
        { key: 'i', value: { intValue: 42 } },
        { key: 's', value: { intValue: '-9223372036854775808' } },
        { key: 'd', value: { doubleValue: 'NaN' } },
        { key: 'b', value: { bytesValue: 'AQI=' } },
        { key: 'kv', value: { kvlistValue: { values: [{ key: 'a', value: { boolValue: false } }] } } },
        { key: 'empty', value: {} },
      ],
    }),
  );
  if (!r.ok) throw new Error(r.reason);
  const s = r.spans[0];
  t.equal(s.kind, 3);
  t.same(s.status, { code: 2, message: 'boom' });
  t.equal(s.startTimeUnixNano, 1n);
  t.equal(s.endTimeUnixNano, 2n);
  t.equal(s.parentSpanId, '');
  t.same(s.attributes[1].value, { intValue: '-9223372036854775808' }, 'int64 exact from a string');
  t.ok(Number.isNaN(s.attributes[2].value.doubleValue));
  t.same(s.attributes[3].value, { bytesValue: 'AQI=' });
  t.same(toPlain(s.attributes[4].value), { a: false });
  t.same(s.attributes[5].value, {});
});

t.test('OTLP/JSON: bad ids refuse the span, bad shapes refuse the request', async (t) => {
  const r = decodeTracesJson(jsonSpan({ traceId: 'abc' }));
  t.ok(r.ok);
  if (r.ok) {
    t.equal(r.spans.length, 0);
    t.equal(r.rejectedSpans, 1);
    t.equal(r.rejectedReason, 'invalid trace id');
  }
  const zero = decodeTracesJson(jsonSpan({ spanId: '0000000000000000' }));
  t.ok(zero.ok && zero.rejectedSpans === 1 && zero.rejectedReason === 'invalid span id');
  const nonHex = decodeTracesJson(jsonSpan({ traceId: 'zz02030405060708090a0b0c0d0e0f10' }));
  t.ok(nonHex.ok && nonHex.rejectedSpans === 1);
  for (const [bad, where] of [
    [jsonSpan({ startTimeUnixNano: 'soon' }), 'startTimeUnixNano'],
    [jsonSpan({ attributes: 'x' }), 'attributes'],
    [jsonSpan({ name: 5 }), 'name'],
    [{ resourceSpans: {} }, 'resourceSpans'],
    [[], 'request'],
    [null, 'request'],
  ] as const) {
    const res = decodeTracesJson(bad);
    t.notOk(res.ok, `refused: ${where}`);
    if (!res.ok) t.match(res.reason, where);
  }
  const deep: Record<string, unknown> = { stringValue: 'leaf' };
  let v: Record<string, unknown> = deep;
  for (let i = 0; i < 100; i++) v = { arrayValue: { values: [v] } };
  const r2 = decodeTracesJson(jsonSpan({ attributes: [{ key: 'deep', value: v }] }));
  t.notOk(r2.ok, 'too deep nesting refused without a stack overflow');
});

const id = (hex: string) => Buffer.from(hex, 'hex');

function protoRequest(): Buffer {
  return encodeRequest({
    resourceSpans: [
      {
        resource: {
          attributes: [{ key: 'service.name', value: { stringValue: 'ingress-nginx' } }],
          droppedAttributesCount: 1,
        },
        scopeSpans: [
          {
            scope: { name: 'nginx', version: '1' },
            spans: [
              {
                traceId: id('0102030405060708090a0b0c0d0e0f10'),
                spanId: id('1112131415161718'),
                parentSpanId: id('2122232425262728'),
                traceState: 'a=b',
                flags: 0x101,
                name: 'GET /',
                kind: 2,
                startTimeUnixNano: '1700000000123456789',
                endTimeUnixNano: '1700000000987654321',
                attributes: [
                  { key: 'n', value: { intValue: '-5' } },
                  { key: 'big', value: { intValue: '9223372036854775807' } },
                  { key: 'd', value: { doubleValue: 1.25 } },
                  { key: 'bytes', value: { bytesValue: Buffer.from([1, 2, 3]) } },
                  {
                    key: 'arr',
                    value: { arrayValue: { values: [{ stringValue: 'x' }, { boolValue: true }] } },
                  },
                ],
                events: [{ timeUnixNano: '1700000000500000000', name: 'ev', attributes: [] }],
                links: [
                  {
                    traceId: id('0102030405060708090a0b0c0d0e0f11'),
                    spanId: id('3132333435363738'),
                    attributes: [{ key: 'opentracing.ref_type', value: { stringValue: 'child_of' } }],
                    flags: 1,
                  },
                ],
                status: { code: 2, message: 'bad' },
                droppedEventsCount: 3,
              },
              { traceId: id('01'), spanId: id('1112131415161718'), name: 'short trace id' },
            ],
          },
        ],
      },
    ],
  });
}

t.test('protobuf: every field, exact int64 and nanoseconds', async (t) => {
  const r = decodeTracesProtobuf(protoRequest());
  if (!r.ok) throw new Error(r.reason);
  t.equal(r.spans.length, 1);
  t.equal(r.rejectedSpans, 1, 'the span with a 1-byte trace id is refused alone');
  const s = r.spans[0];
  t.equal(s.traceId, '0102030405060708090a0b0c0d0e0f10');
  t.equal(s.spanId, '1112131415161718');
  t.equal(s.parentSpanId, '2122232425262728');
  t.equal(s.traceState, 'a=b');
  t.equal(s.flags, 0x101);
  t.equal(s.kind, 2);
  t.equal(s.startTimeUnixNano, 1700000000123456789n);
  t.equal(s.endTimeUnixNano, 1700000000987654321n);
  t.same(s.attributes[0].value, { intValue: '-5' });
  t.same(s.attributes[1].value, { intValue: '9223372036854775807' });
  t.same(s.attributes[2].value, { doubleValue: 1.25 });
  t.same(s.attributes[3].value, { bytesValue: 'AQID' });
  t.same(toPlain(s.attributes[4].value), ['x', true]);
  t.equal(s.events[0].timeUnixNano, 1700000000500000000n);
  t.equal(s.links[0].spanId, '3132333435363738');
  t.equal(s.links[0].flags, 1);
  t.same(s.status, { code: 2, message: 'bad' });
  t.equal(s.droppedEventsCount, 3);
  t.equal(s.resource.droppedAttributesCount, 1);
  t.equal(s.serviceName, 'ingress-nginx');
  t.equal(s.scope.version, '1');
});

t.test('protobuf: unknown fields skipped', async (t) => {
  // field 99 (varint) and field 98 (bytes) appended at the top level and inside nothing else
  const extra = Buffer.from([
    ((99 << 3) & 0x7f) | 0x80,
    99 >> 4,
    0x05,
    ((98 << 3) & 0x7f) | 0x80 | 2,
    98 >> 4,
    2,
    0xaa,
    0xbb,
  ]);
  const r = decodeTracesProtobuf(Buffer.concat([protoRequest(), extra]));
  t.ok(r.ok);
  if (r.ok) t.equal(r.spans.length, 1);
});

t.test('protobuf: malformed input never throws', async (t) => {
  const good = protoRequest();
  const cases: [string, Buffer][] = [
    ['truncated', good.subarray(0, good.length - 7)],
    ['garbage', Buffer.from('this is not protobuf at all, clearly')],
    ['length overrun', Buffer.from([0x0a, 0xff, 0xff, 0x03, 0x01])],
    ['group wire type', Buffer.from([0x0b, 0x0c])],
  ];
  for (const [name, buf] of cases) {
    const r = decodeTracesProtobuf(buf);
    t.notOk(r.ok, name);
  }
  // Fuzz: random single-byte corruptions decode or fail cleanly.
  let refused = 0;
  for (let i = 0; i < 500; i++) {
    const b = Buffer.from(good);
    b[(i * 7919) % b.length] ^= 1 << (i % 8);
    const r = decodeTracesProtobuf(b);
    if (!r.ok && typeof r.reason === 'string') refused++;
  }
  t.ok(refused > 0, `${refused} of 500 corrupted messages refused cleanly, none threw`);
  t.same(decodeTracesProtobuf(Buffer.alloc(0)), {
    ok: true,
    spans: [],
    rejectedSpans: 0,
    rejectedReason: '',
  });
});
