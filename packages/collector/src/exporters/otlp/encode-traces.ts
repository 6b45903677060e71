// The collector's spans → opentelemetry-proto ExportTraceServiceRequest, written with protobufjs's
// Writer (the mirror of receivers/otlp/decode-protobuf.ts): spans grouped under their resource and
// scope, 64-bit times and integers exact, `crosstrace.layer` added where the span does not carry it.
import protobuf from 'protobufjs/minimal.js';
import type { AnyValue, InstrumentationScope, KeyValue, Resource, Span } from '../../model/span.js';

type Writer = protobuf.Writer;
const LEN = 2;
const I64 = 1;
const I32 = 5;

function tag(w: Writer, field: number, wire: number): Writer {
  return w.uint32((field << 3) | wire);
}

/** A 64-bit value as protobufjs's {low, high} (two's complement for negatives). */
function bits(v: bigint): { low: number; high: number; unsigned: boolean } {
  const u = BigInt.asUintN(64, v);
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0, unsigned: true };
}

function fixed64(w: Writer, field: number, v: bigint): void {
  if (v === 0n) return;
  const u = BigInt.asUintN(64, v);
  tag(w, field, I64)
    .fixed32(Number(u & 0xffffffffn))
    .fixed32(Number(u >> 32n));
}

function str(w: Writer, field: number, v: string): void {
  if (v !== '') tag(w, field, LEN).string(v);
}

function bytesHex(w: Writer, field: number, hex: string): void {
  if (hex !== '') tag(w, field, LEN).bytes(Buffer.from(hex, 'hex'));
}

function uint(w: Writer, field: number, v: number): void {
  if (v !== 0) tag(w, field, 0).uint32(v);
}

function anyValue(w: Writer, v: AnyValue): void {
  if (v.stringValue !== undefined) tag(w, 1, LEN).string(v.stringValue);
  else if (v.boolValue !== undefined) tag(w, 2, 0).bool(v.boolValue);
  else if (v.intValue !== undefined) tag(w, 3, 0).int64(bits(BigInt(v.intValue)) as unknown as number);
  else if (v.doubleValue !== undefined) tag(w, 4, I64).double(v.doubleValue);
  else if (v.arrayValue !== undefined) {
    tag(w, 5, LEN).fork();
    for (const x of v.arrayValue.values) {
      tag(w, 1, LEN).fork();
      anyValue(w, x);
      w.ldelim();
    }
    w.ldelim();
  } else if (v.kvlistValue !== undefined) {
    tag(w, 6, LEN).fork();
    attributes(w, 1, v.kvlistValue.values);
    w.ldelim();
  } else if (v.bytesValue !== undefined) tag(w, 7, LEN).bytes(Buffer.from(v.bytesValue, 'base64'));
}

function attributes(w: Writer, field: number, attrs: readonly KeyValue[]): void {
  for (const kv of attrs) {
    tag(w, field, LEN).fork();
    str(w, 1, kv.key);
    tag(w, 2, LEN).fork();
    anyValue(w, kv.value);
    w.ldelim();
    w.ldelim();
  }
}

function resource(w: Writer, r: Resource): void {
  tag(w, 1, LEN).fork();
  attributes(w, 1, r.attributes);
  uint(w, 2, r.droppedAttributesCount);
  w.ldelim();
}

function scope(w: Writer, s: InstrumentationScope): void {
  tag(w, 1, LEN).fork();
  str(w, 1, s.name);
  str(w, 2, s.version);
  attributes(w, 3, s.attributes);
  w.ldelim();
}

function span(w: Writer, s: Span): void {
  tag(w, 2, LEN).fork();
  bytesHex(w, 1, s.traceId);
  bytesHex(w, 2, s.spanId);
  str(w, 3, s.traceState);
  bytesHex(w, 4, s.parentSpanId);
  str(w, 5, s.name);
  uint(w, 6, s.kind);
  fixed64(w, 7, s.startTimeUnixNano);
  fixed64(w, 8, s.endTimeUnixNano);
  attributes(w, 9, s.attributes);
  if (s.layer !== '' && !s.attributes.some((kv) => kv.key === 'crosstrace.layer'))
    attributes(w, 9, [{ key: 'crosstrace.layer', value: { stringValue: s.layer } }]);
  uint(w, 10, s.droppedAttributesCount);
  for (const e of s.events) {
    tag(w, 11, LEN).fork();
    fixed64(w, 1, e.timeUnixNano);
    str(w, 2, e.name);
    attributes(w, 3, e.attributes);
    uint(w, 4, e.droppedAttributesCount);
    w.ldelim();
  }
  uint(w, 12, s.droppedEventsCount);
  for (const l of s.links) {
    tag(w, 13, LEN).fork();
    bytesHex(w, 1, l.traceId);
    bytesHex(w, 2, l.spanId);
    str(w, 3, l.traceState);
    attributes(w, 4, l.attributes);
    uint(w, 5, l.droppedAttributesCount);
    if (l.flags !== 0) tag(w, 6, I32).fixed32(l.flags);
    w.ldelim();
  }
  uint(w, 14, s.droppedLinksCount);
  if (s.status.code !== 0 || s.status.message !== '') {
    tag(w, 15, LEN).fork();
    str(w, 2, s.status.message);
    uint(w, 3, s.status.code);
    w.ldelim();
  }
  if (s.flags !== 0) tag(w, 16, I32).fixed32(s.flags);
  w.ldelim();
}

/**
 * Encodes spans as an OTLP ExportTraceServiceRequest (spans of one resource and scope together,
 * in first-seen order).
 *
 * @example
 * const body = encodeTracesProtobuf(spans); // POST /v1/traces, application/x-protobuf
 */
export function encodeTracesProtobuf(spans: readonly Span[]): Uint8Array {
  const groups = new Map<Resource, Map<InstrumentationScope, Span[]>>();
  for (const s of spans) {
    let scopes = groups.get(s.resource);
    if (scopes === undefined) {
      scopes = new Map();
      groups.set(s.resource, scopes);
    }
    const list = scopes.get(s.scope);
    if (list === undefined) scopes.set(s.scope, [s]);
    else list.push(s);
  }
  const w = protobuf.Writer.create();
  for (const [r, scopes] of groups) {
    tag(w, 1, LEN).fork();
    resource(w, r);
    for (const [sc, list] of scopes) {
      tag(w, 2, LEN).fork();
      scope(w, sc);
      for (const s of list) span(w, s);
      w.ldelim();
    }
    w.ldelim();
  }
  return w.finish();
}
