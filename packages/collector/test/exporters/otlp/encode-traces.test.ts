// The exporter's encoding read back by our receiver's decoder and by protobufjs's generated decoder
// from opentelemetry-proto: every field kept, 64-bit values exact, the layer carried as an attribute.
import t from 'tap';
import { encodeTracesProtobuf } from '../../../src/exporters/index.js';
import type { Span } from '../../../src/model/span.js';
import { decodeTracesProtobuf } from '../../../src/receivers/otlp/index.js';
import { ExportTraceServiceRequest } from '../../helpers/proto.js';
import { makeSpan, richSpan } from '../../helpers/store-spans.js';

function rich(): Span {
  const s = richSpan();
  return {
    ...s,
    // the latest time a receiver keeps (the signed 64-bit maximum), a negative int64, no NaN
    // (NaN !== NaN in t.same)
    endTimeUnixNano: 9223372036854775807n,
    attributes: [
      ...s.attributes.filter((kv) => kv.key !== 'nan' && kv.key !== 'empty'),
      { key: 'neg', value: { intValue: '-9223372036854775808' } },
    ],
  };
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
  t.equal(span.endTimeUnixNano, '9223372036854775807');
  t.equal(span.name, 'GET /dispatch');
  t.equal(span.flags, 257);
  t.equal((span.events as unknown[]).length, 1);
  t.equal((span.links as unknown[]).length, 1);
});
