// OTLP protobuf ExportTraceServiceRequest from span objects, written by hand: one pass over the
// spans into one growable buffer. Output decodes to the same message as
// @opentelemetry/otlp-transformer's ProtobufTraceSerializer (tested against it).
import type { Attributes, Link } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import { type AttributeList, kAttributeList } from '../spans/attribute-list.js';
import { KeyEntries } from './key-entry.js';
import { writeKeyValue } from './key-value.js';
import { MIN_REQUEST_BYTES, REQUEST_BYTES_PER_SPAN, WIRE_VARINT, Writer } from './protobuf-writer.js';
import { writeResource, writeScope } from './resource-scope.js';
import { SpanNameField, spanFlags, writeStatus } from './span-fields.js';

const TRACE_ID_HEX = 32;
const SPAN_ID_HEX = 16;

/** Writes span objects into one request; its caches live as long as the request. */
class SpanObjectWriter {
  readonly w: Writer;
  readonly entries = new KeyEntries();
  private readonly names = new SpanNameField();
  // The spans of one line share their trace id, and a CLIENT span's parent is the SERVER span just
  // written: their bytes are copied instead of the digits decoded again.
  private lastTraceHex: string | undefined;
  private readonly lastTraceBytes = Buffer.alloc(TRACE_ID_HEX / 2);
  private lastSpanHex: string | undefined;
  private readonly lastSpanBytes = Buffer.alloc(SPAN_ID_HEX / 2);

  constructor(size: number) {
    this.w = new Writer(size);
  }

  /** An id field from its hex digits. */
  private id(field: number, hex: string): void {
    const w = this.w;
    if (hex === this.lastTraceHex) {
      w.bytes(field, this.lastTraceBytes);
      return;
    }
    if (hex === this.lastSpanHex) {
      w.bytes(field, this.lastSpanBytes);
      return;
    }
    w.hexBytes(field, hex);
    const n = hex.length;
    if (n !== TRACE_ID_HEX && n !== SPAN_ID_HEX) return;
    const target = n === TRACE_ID_HEX ? this.lastTraceBytes : this.lastSpanBytes;
    if (n === TRACE_ID_HEX) this.lastTraceHex = hex;
    else this.lastSpanHex = hex;
    const from = w.pos - (n >> 1);
    for (let i = 0; i < n >> 1; i++) target[i] = w.buf[from + i];
  }

  private attributes(field: number, attrs: Attributes | undefined): void {
    if (!attrs) return;
    for (const key in attrs) writeKeyValue(this.w, field, this.entries.of(key), attrs[key]);
  }

  private event(e: TimedEvent): void {
    const w = this.w;
    const mark = w.begin(11);
    w.fixed64Time(1, e.time);
    w.string(2, e.name);
    this.attributes(3, e.attributes);
    if (e.droppedAttributesCount) {
      w.tag(4, WIRE_VARINT);
      w.varint(e.droppedAttributesCount);
    }
    w.end(mark);
  }

  private link(l: Link): void {
    const w = this.w;
    const mark = w.begin(13);
    this.id(1, l.context.traceId);
    this.id(2, l.context.spanId);
    const ts = l.context.traceState?.serialize();
    if (ts) w.string(3, ts);
    this.attributes(4, l.attributes);
    if (l.droppedAttributesCount) {
      w.tag(5, WIRE_VARINT);
      w.varint(l.droppedAttributesCount);
    }
    w.fixed32(6, spanFlags(l.context.traceFlags, l.context.isRemote));
    w.end(mark);
  }

  span(s: ReadableSpan): void {
    const w = this.w;
    const mark = w.begin2(2);
    const ctx = s.spanContext();
    this.id(1, ctx.traceId);
    this.id(2, ctx.spanId);
    const ts = ctx.traceState?.serialize();
    if (ts) w.string(3, ts);
    const parent = s.parentSpanContext;
    if (parent?.spanId) this.id(4, parent.spanId);
    this.names.write(w, s.name);
    const kind = s.kind == null ? 0 : s.kind + 1;
    if (kind !== 0) {
      w.tag(6, WIRE_VARINT);
      w.varint(kind);
    }
    w.fixed64Time(7, s.startTime);
    w.fixed64Time(8, s.endTime);
    const list = (s as { [kAttributeList]?: AttributeList })[kAttributeList];
    if (list !== undefined) {
      // A span the bridge made: its attributes as a list, no object built.
      const e = list.entries;
      for (let i = 0; i < e.length; i += 2) writeKeyValue(w, 9, this.entries.of(e[i] as string), e[i + 1]);
    } else this.attributes(9, s.attributes);
    if (s.droppedAttributesCount) {
      w.tag(10, WIRE_VARINT);
      w.varint(s.droppedAttributesCount);
    }
    for (const e of s.events) this.event(e);
    if (s.droppedEventsCount) {
      w.tag(12, WIRE_VARINT);
      w.varint(s.droppedEventsCount);
    }
    for (const l of s.links) this.link(l);
    if (s.droppedLinksCount) {
      w.tag(14, WIRE_VARINT);
      w.varint(s.droppedLinksCount);
    }
    writeStatus(w, s.status);
    w.fixed32(16, spanFlags(ctx.traceFlags, parent?.isRemote));
    w.end2(mark);
  }
}

/** Spans grouped by resource and by instrumentation scope (name, version, schema URL), in order of appearance. */
function groupByResourceAndScope(spans: readonly ReadableSpan[]): Map<Resource, Map<string, ReadableSpan[]>> {
  // Spans of one source share their resource and scope objects: consecutive ones skip the lookups.
  const byResource = new Map<Resource, Map<string, ReadableSpan[]>>();
  let lastResource: Resource | undefined;
  let lastScope: ReadableSpan['instrumentationScope'] | undefined;
  let lastList: ReadableSpan[] | undefined;
  for (const s of spans) {
    const scope = s.instrumentationScope;
    if (s.resource === lastResource && scope === lastScope && lastList !== undefined) {
      lastList.push(s);
      continue;
    }
    let scopes = byResource.get(s.resource);
    if (!scopes) {
      scopes = new Map();
      byResource.set(s.resource, scopes);
    }
    const key = `${scope.name}@${scope.version ?? ''}:${scope.schemaUrl ?? ''}`;
    let list = scopes.get(key);
    if (!list) {
      list = [];
      scopes.set(key, list);
    }
    list.push(s);
    lastResource = s.resource;
    lastScope = scope;
    lastList = list;
  }
  return byResource;
}

/**
 * Encodes spans as an OTLP `ExportTraceServiceRequest` (protobuf), grouped by resource and
 * instrumentation scope like the OpenTelemetry serializer.
 *
 * @param spans - finished spans (any `ReadableSpan`)
 * @example
 * const body = encodeTraceRequest(toSpans(record));
 */
export function encodeTraceRequest(spans: readonly ReadableSpan[]): Uint8Array {
  const out = new SpanObjectWriter(Math.max(MIN_REQUEST_BYTES, spans.length * REQUEST_BYTES_PER_SPAN));
  const w = out.w;
  for (const [resource, scopes] of groupByResourceAndScope(spans)) {
    const rs = w.begin(1);
    writeResource(w, 1, resource, out.entries);
    for (const list of scopes.values()) {
      const ss = w.begin(2);
      const scope = list[0].instrumentationScope;
      writeScope(w, 1, scope);
      for (const s of list) out.span(s);
      if (scope.schemaUrl) w.string(3, scope.schemaUrl);
      w.end(ss);
    }
    if (resource.schemaUrl) w.string(3, resource.schemaUrl);
    w.end(rs);
  }
  return w.buf.subarray(0, w.pos);
}
