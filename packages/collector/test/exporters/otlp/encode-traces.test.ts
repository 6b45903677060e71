// The exporter's encoding read back by our receiver's decoder and by protobufjs's generated decoder
// from opentelemetry-proto: every field kept, 64-bit values exact, the layer carried as an attribute.
import t from 'tap';
import { encodeTracesProtobuf } from '../../../src/exporters/index.js';
import type { Span } from '../../../src/model/span.js';
import { decodeTracesProtobuf } from '../../../src/receivers/otlp/index.js';
import { ExportTraceServiceRequest } from '../../helpers/proto.js';
import { makeSpan, newSpanId, newTraceId, resourceOf } from '../../helpers/store-spans.js';

function rich(): Span {
  return makeSpan({
    traceId: newTraceId(),
    spanId: newSpanId(),
    parentSpanId: newSpanId(),
    traceState: 'vendor=1',
    flags: 257,
    name: 'GET /dispatch',
    kind: 3,
    startTimeUnixNano: 1767225600123456789n,
    endTimeUnixNano: 18446744073709551615n,
    attributes: [
      { key: 'http.method', value: { stringValue: 'GET' } },
      { key: 'big', value: { intValue: '9007199254740993' } },
      { key: 'neg', value: { intValue: '-9223372036854775808' } },
      { key: 'ratio', value: { doubleValue: 0.25 } },
      { key: 'ok', value: { boolValue: false } },
      { key: 'raw', value: { bytesValue: 'AQID' } },
      { key: 'list', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '1' }] } } },
      { key: 'map', value: { kvlistValue: { values: [{ key: 'k', value: { boolValue: true } }] } } },
    ],
    droppedAttributesCount: 2,
    events: [
      {
        timeUnixNano: 1767225600150000001n,
        name: 'crosstrace.diagnosis',
        attributes: [
          { key: 'crosstrace.diagnosis.code', value: { stringValue: 'upstream-pod-terminating' } },
        ],
        droppedAttributesCount: 1,
      },
    ],
    droppedEventsCount: 3,
    links: [
      {
        traceId: newTraceId(),
        spanId: newSpanId(),
        traceState: 'x=y',
        attributes: [{ key: 'crosstrace.link.type', value: { stringValue: 'pod-lifecycle' } }],
        droppedAttributesCount: 0,
        flags: 1,
      },
    ],
    droppedLinksCount: 4,
    status: { code: 2, message: 'upstream failed' },
    resource: resourceOf('ingress-nginx', { 'k8s.pod.name': 'ingress-1' }),
    serviceName: 'ingress-nginx',
    layer: 'ingress',
  });
}

t.test('our decoder reads back every field; the layer becomes crosstrace.layer', async (t) => {
  const a = rich();
  const b = makeSpan({ resource: a.resource, scope: a.scope, layer: 'app' });
  const c = makeSpan({ service: 'other', layer: 'app' });
  const decoded = decodeTracesProtobuf(encodeTracesProtobuf([a, b, c]));
  if (!decoded.ok) throw new Error(decoded.reason);
  t.equal(decoded.spans.length, 3);
  const [x, y, z] = decoded.spans;
  const layerAttr = { key: 'crosstrace.layer', value: { stringValue: 'ingress' } };
  t.same(
    { ...x, resource: undefined, scope: undefined },
    {
      ...a,
      attributes: [...a.attributes, layerAttr],
      resource: undefined,
      scope: undefined,
    },
  );
  t.same(x.resource, a.resource);
  t.same(x.scope, a.scope);
  t.equal(x.layer, 'ingress');
  t.equal(y.resource, x.resource, 'spans of one resource stay under one ResourceSpans');
  t.equal(z.serviceName, 'other');
  t.equal(y.layer, 'app');
});

t.test('protobufjs from opentelemetry-proto decodes it too', async (t) => {
  const a = rich();
  const msg = ExportTraceServiceRequest.toObject(
    ExportTraceServiceRequest.decode(encodeTracesProtobuf([a])),
    {
      longs: String,
      bytes: String,
    },
  ) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<Record<string, unknown>> }> }> };
  const span = msg.resourceSpans[0].scopeSpans[0].spans[0];
  t.equal(span.startTimeUnixNano, '1767225600123456789');
  t.equal(span.endTimeUnixNano, '18446744073709551615');
  t.equal(span.name, 'GET /dispatch');
  t.equal(span.flags, 257);
  t.equal((span.events as unknown[]).length, 1);
});
