// Property-based: both OTLP decoders over mutations of real SDK exports never throw, and every span
// they accept is one the store can hold (the SQLite encoder takes it); on well-formed messages the
// protobuf decoder agrees with protobufjs's generated decoder span by span.
import fc from 'fast-check';
import t from 'tap';
import { laterOf } from '../../src/controlplane/time.js';
import { MAX_TIME_NANOS, type Span } from '../../src/model/span.js';
import { decodeTracesJson, decodeTracesProtobuf } from '../../src/receivers/otlp/index.js';
import { encodeBatch } from '../../src/storage/sqlite/encode.js';
import { fuzzParams, mutatedBytes, mutatedJson, protoRequest, seeds } from '../helpers/fuzz.js';
import { ExportTraceServiceRequest } from '../helpers/proto.js';

const s = await seeds();
const encode = (o: unknown) =>
  Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(o)).finish());
const protoBodies = fc.oneof(fc.constantFrom(...s.protobuf), protoRequest(s.protobuf[0]).map(encode));

function storable(spans: Span[]): void {
  for (const sp of spans) {
    if (sp.startTimeUnixNano > MAX_TIME_NANOS || sp.endTimeUnixNano > MAX_TIME_NANOS)
      throw new Error(`accepted a span past int64: ${sp.startTimeUnixNano}`);
    if (sp.endTimeUnixNano < sp.startTimeUnixNano) throw new Error('accepted an end before the start');
  }
  encodeBatch(spans); // throws where the store could not hold a span
}

t.test(
  'protobuf: any mutation decodes or is refused, never throws; what is accepted is storable',
  async (t) => {
    fc.assert(
      fc.property(mutatedBytes(protoBodies), (body) => {
        const r = decodeTracesProtobuf(body);
        if (r.ok) {
          storable(r.spans);
          if (r.rejectedSpans > 0 && r.rejectedReason === '') throw new Error('rejected without a reason');
        } else if (r.reason === '') throw new Error('refused without a reason');
      }),
      fuzzParams(400),
    );
    t.pass();
  },
);

t.test('protobuf: on well-formed messages, ours agrees with protobufjs span by span', async (t) => {
  const hex = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('hex');
  const u64 = (v: unknown) => (v === undefined || v === null ? 0n : BigInt(String(v)));
  fc.assert(
    fc.property(protoRequest(s.protobuf[0]), (obj) => {
      const body = encode(obj);
      const ours = decodeTracesProtobuf(body);
      if (!ours.ok) throw new Error(`refused a well-formed message: ${ours.reason}`);
      const ref = ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(body), {
        longs: String,
        defaults: true,
      }) as {
        resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[];
      };
      const expected = ref.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((x) => x.spans));
      let valid = 0;
      for (const e of expected) {
        const trace = hex(e.traceId as Uint8Array);
        const span = hex(e.spanId as Uint8Array);
        const parent = hex(e.parentSpanId as Uint8Array);
        const start = u64(e.startTimeUnixNano);
        const end = u64(e.endTimeUnixNano);
        const events = (e.events as { timeUnixNano: string }[]) ?? [];
        const ok =
          trace.length === 32 &&
          !/^0+$/.test(trace) &&
          span.length === 16 &&
          !/^0+$/.test(span) &&
          (parent === '' || parent.length === 16) &&
          start <= MAX_TIME_NANOS &&
          end <= MAX_TIME_NANOS &&
          events.every((ev) => u64(ev.timeUnixNano) <= MAX_TIME_NANOS);
        if (!ok) continue;
        const got = ours.spans[valid++];
        if (got === undefined || got.traceId !== trace || got.spanId !== span)
          throw new Error(`span ${valid - 1} differs: ${got?.traceId}/${got?.spanId} vs ${trace}/${span}`);
        if (got.startTimeUnixNano !== start || got.endTimeUnixNano !== laterOf(start, end))
          throw new Error('times differ');
        if (got.name !== e.name) throw new Error('names differ');
        if (got.attributes.length !== (e.attributes as unknown[]).length)
          throw new Error('attribute counts differ');
      }
      if (valid !== ours.spans.length) throw new Error(`accepted ${ours.spans.length}, expected ${valid}`);
      if (ours.rejectedSpans !== expected.length - valid) throw new Error('rejected count differs');
      storable(ours.spans);
    }),
    fuzzParams(300),
  );
  t.pass();
});

t.test('JSON: any mutation decodes or is refused, never throws; what is accepted is storable', async (t) => {
  fc.assert(
    fc.property(mutatedJson(s.json[0]), (doc) => {
      const r = decodeTracesJson(doc);
      if (r.ok) storable(r.spans);
      else if (r.reason === '') throw new Error('refused without a reason');
    }),
    fuzzParams(400),
  );
  t.pass();
});
