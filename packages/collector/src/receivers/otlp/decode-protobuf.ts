// OTLP protobuf (opentelemetry-proto `ExportTraceServiceRequest`) straight into the collector's span
// model, with protobufjs's wire Reader. Field numbers follow opentelemetry/proto/trace/v1/trace.proto,
// common/v1/common.proto and resource/v1/resource.proto; unknown fields are skipped, as protobuf
// requires. A hand-walked decode avoids building the generated message objects first (one
// allocation per span instead of three) and keeps fixed64 nanoseconds exact as bigint.
import protobuf from 'protobufjs/minimal.js';
import type {
  AnyValue,
  InstrumentationScope,
  KeyValue,
  Resource,
  Span,
  SpanEvent,
  SpanKind,
  SpanLink,
  StatusCode,
} from '../../model/span.js';
import type { DecodeResult } from './decode-result.js';
import { EMPTY_RESOURCE, EMPTY_SCOPE, layerOf, SpanAdmission, serviceNameOf } from './span-builder.js';

type Reader = protobuf.Reader;
const { Reader } = protobuf;

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

/** Nesting bound for AnyValue arrays/kvlists (protobuf's own default recursion limit is 100). */
const MAX_DEPTH = 32;

class DecodeError extends Error {}

// The reader is always created over a Buffer (see decodeTracesProtobuf), so ids are hex-printed
// and fixed64 read in place, without a view object or a Long per field.
function hex(r: Reader): string {
  const len = r.uint32();
  const start = r.pos;
  const end = start + len;
  if (end > r.len) throw new DecodeError('truncated bytes field');
  r.pos = end;
  return (r.buf as Buffer).toString('hex', start, end);
}

function fixed64(r: Reader): bigint {
  if (r.pos + 8 > r.len) throw new DecodeError('truncated fixed64 field');
  const v = (r.buf as Buffer).readBigUInt64LE(r.pos);
  r.pos += 8;
  return v;
}

function skip(r: Reader, wire: number): void {
  if (wire === 4 || wire === 3 || wire > 5) throw new DecodeError(`unsupported wire type ${wire}`);
  r.skipType(wire);
}

function end(r: Reader): number {
  const len = r.uint32();
  const e = r.pos + len;
  if (e > r.len) throw new DecodeError('truncated message');
  return e;
}

/** A nested message must end exactly where its length said. */
function over(r: Reader, e: number): void {
  if (r.pos !== e) throw new DecodeError('nested message overruns its length');
}

function anyValue(r: Reader, depth: number): AnyValue {
  if (depth > MAX_DEPTH) throw new DecodeError('attribute values nested too deeply');
  const e = end(r);
  let v: AnyValue = {};
  while (r.pos < e) {
    const tag = r.uint32();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1:
        if (wire !== WIRE_LEN) break;
        v = { stringValue: r.string() };
        continue;
      case 2:
        if (wire !== WIRE_VARINT) break;
        v = { boolValue: r.bool() };
        continue;
      case 3:
        if (wire !== WIRE_VARINT) break;
        v = { intValue: r.int64().toString() };
        continue;
      case 4:
        if (wire !== WIRE_I64) break;
        v = { doubleValue: r.double() };
        continue;
      case 5: {
        if (wire !== WIRE_LEN) break;
        const ae = end(r);
        const values: AnyValue[] = [];
        while (r.pos < ae) {
          const t = r.uint32();
          if (t === ((1 << 3) | WIRE_LEN)) values.push(anyValue(r, depth + 1));
          else skip(r, t & 7);
        }
        over(r, ae);
        v = { arrayValue: { values } };
        continue;
      }
      case 6: {
        if (wire !== WIRE_LEN) break;
        const ke = end(r);
        const values: KeyValue[] = [];
        while (r.pos < ke) {
          const t = r.uint32();
          if (t === ((1 << 3) | WIRE_LEN)) values.push(keyValue(r, depth + 1));
          else skip(r, t & 7);
        }
        over(r, ke);
        v = { kvlistValue: { values } };
        continue;
      }
      case 7: {
        if (wire !== WIRE_LEN) break;
        const b = r.bytes();
        v = { bytesValue: Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64') };
        continue;
      }
    }
    skip(r, wire);
  }
  over(r, e);
  return v;
}

function keyValue(r: Reader, depth: number): KeyValue {
  const e = end(r);
  let key = '';
  let value: AnyValue = {};
  while (r.pos < e) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | WIRE_LEN)) key = r.string();
    else if (tag === ((2 << 3) | WIRE_LEN)) value = anyValue(r, depth);
    else skip(r, tag & 7);
  }
  over(r, e);
  return { key, value };
}

function resource(r: Reader): Resource {
  const e = end(r);
  const attributes: KeyValue[] = [];
  let droppedAttributesCount = 0;
  while (r.pos < e) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | WIRE_LEN)) attributes.push(keyValue(r, 0));
    else if (tag === ((2 << 3) | WIRE_VARINT)) droppedAttributesCount = r.uint32();
    else skip(r, tag & 7);
  }
  over(r, e);
  return { attributes, droppedAttributesCount };
}

function scope(r: Reader): InstrumentationScope {
  const e = end(r);
  const s: InstrumentationScope = { name: '', version: '', attributes: [] };
  while (r.pos < e) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | WIRE_LEN)) s.name = r.string();
    else if (tag === ((2 << 3) | WIRE_LEN)) s.version = r.string();
    else if (tag === ((3 << 3) | WIRE_LEN)) s.attributes.push(keyValue(r, 0));
    else skip(r, tag & 7);
  }
  over(r, e);
  return s;
}

function event(r: Reader): SpanEvent {
  const e = end(r);
  const ev: SpanEvent = { timeUnixNano: 0n, name: '', attributes: [], droppedAttributesCount: 0 };
  while (r.pos < e) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | WIRE_I64)) ev.timeUnixNano = fixed64(r);
    else if (tag === ((2 << 3) | WIRE_LEN)) ev.name = r.string();
    else if (tag === ((3 << 3) | WIRE_LEN)) ev.attributes.push(keyValue(r, 0));
    else if (tag === ((4 << 3) | WIRE_VARINT)) ev.droppedAttributesCount = r.uint32();
    else skip(r, tag & 7);
  }
  over(r, e);
  return ev;
}

function link(r: Reader): SpanLink {
  const e = end(r);
  const l: SpanLink = {
    traceId: '',
    spanId: '',
    traceState: '',
    attributes: [],
    droppedAttributesCount: 0,
    flags: 0,
  };
  while (r.pos < e) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | WIRE_LEN)) l.traceId = hex(r);
    else if (tag === ((2 << 3) | WIRE_LEN)) l.spanId = hex(r);
    else if (tag === ((3 << 3) | WIRE_LEN)) l.traceState = r.string();
    else if (tag === ((4 << 3) | WIRE_LEN)) l.attributes.push(keyValue(r, 0));
    else if (tag === ((5 << 3) | WIRE_VARINT)) l.droppedAttributesCount = r.uint32();
    else if (tag === ((6 << 3) | WIRE_I32)) l.flags = r.fixed32();
    else skip(r, tag & 7);
  }
  over(r, e);
  return l;
}

function status(r: Reader): { code: StatusCode; message: string } {
  const e = end(r);
  let code = 0;
  let message = '';
  while (r.pos < e) {
    const tag = r.uint32();
    if (tag === ((2 << 3) | WIRE_LEN)) message = r.string();
    else if (tag === ((3 << 3) | WIRE_VARINT)) code = r.int32();
    else skip(r, tag & 7);
  }
  over(r, e);
  return { code: (code >= 0 && code <= 2 ? code : 0) as StatusCode, message };
}

function span(r: Reader, res: Resource, sc: InstrumentationScope, serviceName: string): Span {
  const e = end(r);
  const s: Span = {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    traceState: '',
    flags: 0,
    name: '',
    kind: 0,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
    resource: res,
    scope: sc,
    serviceName,
    layer: '',
  };
  while (r.pos < e) {
    const tag = r.uint32();
    switch (tag) {
      case (1 << 3) | WIRE_LEN:
        s.traceId = hex(r);
        break;
      case (2 << 3) | WIRE_LEN:
        s.spanId = hex(r);
        break;
      case (3 << 3) | WIRE_LEN:
        s.traceState = r.string();
        break;
      case (4 << 3) | WIRE_LEN:
        s.parentSpanId = hex(r);
        if (s.parentSpanId === '0000000000000000') s.parentSpanId = '';
        break;
      case (5 << 3) | WIRE_LEN:
        s.name = r.string();
        break;
      case (6 << 3) | WIRE_VARINT: {
        const k = r.int32();
        s.kind = (k >= 0 && k <= 5 ? k : 0) as SpanKind;
        break;
      }
      case (7 << 3) | WIRE_I64:
        s.startTimeUnixNano = fixed64(r);
        break;
      case (8 << 3) | WIRE_I64:
        s.endTimeUnixNano = fixed64(r);
        break;
      case (9 << 3) | WIRE_LEN:
        s.attributes.push(keyValue(r, 0));
        break;
      case (10 << 3) | WIRE_VARINT:
        s.droppedAttributesCount = r.uint32();
        break;
      case (11 << 3) | WIRE_LEN:
        s.events.push(event(r));
        break;
      case (12 << 3) | WIRE_VARINT:
        s.droppedEventsCount = r.uint32();
        break;
      case (13 << 3) | WIRE_LEN:
        s.links.push(link(r));
        break;
      case (14 << 3) | WIRE_VARINT:
        s.droppedLinksCount = r.uint32();
        break;
      case (15 << 3) | WIRE_LEN:
        s.status = status(r);
        break;
      case (16 << 3) | WIRE_I32:
        s.flags = r.fixed32();
        break;
      default:
        skip(r, tag & 7);
    }
  }
  s.layer = layerOf(s.attributes, res);
  over(r, e);
  return s;
}

function scopeSpans(r: Reader, res: Resource, serviceName: string, acc: SpanAdmission): void {
  const e = end(r);
  // The scope may follow the spans on the wire: find it first, then decode the spans.
  const start = r.pos;
  let sc: InstrumentationScope = EMPTY_SCOPE;
  while (r.pos < e) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | WIRE_LEN)) sc = scope(r);
    else skip(r, tag & 7);
  }
  over(r, e);
  r.pos = start;
  while (r.pos < e) {
    const tag = r.uint32();
    if (tag === ((2 << 3) | WIRE_LEN)) {
      acc.admit(span(r, res, sc, serviceName));
    } else skip(r, tag & 7);
  }
  over(r, e);
}

function resourceSpans(r: Reader, acc: SpanAdmission): void {
  const e = end(r);
  const start = r.pos;
  // Resource first (fields may come in any order on the wire).
  let res: Resource = EMPTY_RESOURCE;
  while (r.pos < e) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | WIRE_LEN)) res = resource(r);
    else skip(r, tag & 7);
  }
  over(r, e);
  const serviceName = serviceNameOf(res);
  r.pos = start;
  while (r.pos < e) {
    const tag = r.uint32();
    if (tag === ((2 << 3) | WIRE_LEN)) scopeSpans(r, res, serviceName, acc);
    else skip(r, tag & 7);
  }
  over(r, e);
}

/**
 * Decodes an OTLP `ExportTraceServiceRequest` (protobuf). Never throws.
 *
 * @example
 * const result = decodeTracesProtobuf(body);
 * if (!result.ok) reply.code(400).send(result.reason);
 */
export function decodeTracesProtobuf(buf: Uint8Array): DecodeResult {
  const acc = new SpanAdmission();
  try {
    const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    const r = Reader.create(b);
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag === ((1 << 3) | WIRE_LEN)) resourceSpans(r, acc);
      else skip(r, tag & 7);
    }
    if (r.pos !== r.len) return { ok: false, reason: 'truncated protobuf message' };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return { ok: false, reason: `malformed protobuf: ${msg}` };
  }
  return { ok: true, spans: acc.spans, rejectedSpans: acc.rejected, rejectedReason: acc.reason() };
}
