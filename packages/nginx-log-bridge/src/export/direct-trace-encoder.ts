// The bridge's spans written straight into an OTLP protobuf ExportTraceServiceRequest, without span
// objects: span building calls begin/attributes/end and each becomes bytes as it comes.
import type { SpanKind, SpanStatus } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { LogRecord } from '../parse/types.js';
import { IDS_TRACE, SPAN_ID_BYTES, TRACE_ID_BYTES } from '../spans/line-ids.js';
import type { LineText } from '../spans/line-text.js';
import type { LineSource, ToSpansOptions } from '../spans/options.js';
import { SCOPE } from '../spans/scope.js';
import { SpanBuilder } from '../spans/span-builder.js';
import type { AttributeSink, SpanOut } from '../spans/span-out.js';
import { AttributeWriter } from './attribute-writer.js';
import { viewOf } from './bytes.js';
import { KeyEntries } from './key-entry.js';
import {
  FIXED64_FIELD_SIZE,
  LENGTH_ROOM,
  MIN_REQUEST_BYTES,
  REQUEST_BYTES_PER_SPAN,
  tagByte,
  WIRE_LENGTH,
  WIRE_VARINT,
  Writer,
} from './protobuf-writer.js';
import { writeResource, writeScope } from './resource-scope.js';
import { SpanNameField, spanFlags, writeStatus } from './span-fields.js';
import { fieldSize, putVarint, varintSize } from './varint.js';

/** ExportTraceServiceRequest.resource_spans, ResourceSpans.scope_spans, ScopeSpans.spans. */
const TAG_RESOURCE_SPANS = tagByte(1, WIRE_LENGTH);
const TAG_SCOPE_SPANS = tagByte(2, WIRE_LENGTH);
const SPANS_FIELD = 2;
/** Span.kind: its tag and one byte. */
const TAG_KIND = tagByte(6, WIRE_VARINT);
const KIND_FIELD_SIZE = 2;
/** The first bytes the resource and scope of a batch are encoded into. */
const HEADER_BYTES = 256;

/** Options of a {@link DirectTraceEncoder}. */
export interface DirectTraceEncoderOptions {
  /** The span builder lines are built with (a bridge passes its own); default: a new one. */
  builder?: SpanBuilder;
  /** Spans the request's memory is first sized for. */
  expectedSpans?: number;
}

/**
 * Writes the bridge's spans straight into one `ExportTraceServiceRequest` (protobuf), without span
 * objects: the same bytes as `encodeTraceRequest` over the builder's span objects of the same lines
 * (tested), for batches whose lines share one set of options (one resource), as the bridge's.
 */
export class DirectTraceEncoder implements SpanOut {
  private readonly builder: SpanBuilder;
  private readonly w: Writer;
  /** Attribute names given as text (resource attributes, attribute groups). */
  private readonly entries = new KeyEntries();
  private readonly names = new SpanNameField();
  private resource: Resource | undefined;
  /** The encoded Resource and InstrumentationScope fields, written in front of the spans at the end. */
  private header: Uint8Array | undefined;
  /** Where the first span starts (room for the header is left before it). */
  private spansStart = 0;
  private lineStart = 0;
  private lineCount = 0;
  /** Spans written so far. */
  count = 0;
  /** The open span's length mark, and its flags field. */
  private mark = 0;
  private flags = 0;
  private readonly sink: AttributeWriter;
  /** A view of the ids array seen last (the builder reuses one array line after line). */
  private idsView: DataView | undefined = undefined;
  private idsOf: Uint8Array | undefined = undefined;

  constructor(options: DirectTraceEncoderOptions = {}) {
    this.builder = options.builder ?? new SpanBuilder();
    this.w = new Writer(Math.max(MIN_REQUEST_BYTES, (options.expectedSpans ?? 0) * REQUEST_BYTES_PER_SPAN));
    this.sink = new AttributeWriter(this.w, this.entries);
  }

  /**
   * Writes the spans of one parsed line (those the builder's `spans(record, options, source)`
   * returns); returns how many (0: no usable time, or the line could not be turned into spans).
   * Never throws. With `text` (the line's ASCII bytes and where its values are), values are copied
   * from the bytes.
   */
  line(record: LogRecord, options: ToSpansOptions, source: LineSource | undefined, text?: LineText): number {
    this.lineStart = this.w.pos;
    this.lineCount = this.count;
    this.sink.lineBytes = text?.bytes;
    this.sink.lineView = text?.view;
    try {
      return this.builder.build(record, options, source, this, text);
    } catch {
      // as the object path: a line that fails gives no spans at all
      this.w.pos = this.lineStart;
      this.w.generation++;
      this.count = this.lineCount;
      return 0;
    }
  }

  /**
   * At the first span: encodes the resource and scope fields aside and leaves room for them and for
   * the two enclosing lengths before the spans, so {@link finish} writes the header in front of the
   * spans instead of moving the whole batch to fit its lengths.
   */
  private startBatch(resource: Resource): void {
    const h = new Writer(HEADER_BYTES);
    writeResource(h, 1, resource, this.entries);
    writeScope(h, 1, SCOPE);
    this.header = Buffer.from(h.buf.subarray(0, h.pos));
    this.resource = resource;
    const w = this.w;
    // ResourceSpans tag + length, the resource, ScopeSpans tag + length, the scope.
    const room = 2 * (1 + LENGTH_ROOM) + this.header.length;
    const at = w.pos;
    w.ensure(room);
    w.pos += room;
    this.spansStart = w.pos;
    if (this.lineStart === at) this.lineStart = w.pos;
  }

  begin(
    name: string,
    kind: SpanKind,
    ids: Uint8Array,
    spanAt: number,
    traceFlags: number,
    parentAt: number,
    parentRemote: boolean,
    startMs: number,
    endMs: number,
    resource: Resource,
  ): AttributeSink {
    // The header is made at the first span (an empty batch encodes to no bytes, as encodeTraceRequest).
    if (this.resource === undefined) this.startBatch(resource);
    else if (resource !== this.resource) throw new Error('one resource per direct-encoded batch');
    const w = this.w;
    this.mark = w.begin2(SPANS_FIELD);
    if (ids !== this.idsOf) {
      this.idsView = viewOf(ids);
      this.idsOf = ids;
    }
    const idsView = this.idsView!;
    w.idBytes(1, ids, idsView, IDS_TRACE, TRACE_ID_BYTES);
    w.idBytes(2, ids, idsView, spanAt, SPAN_ID_BYTES);
    if (parentAt >= 0) w.idBytes(4, ids, idsView, parentAt, SPAN_ID_BYTES);
    this.names.write(w, name);
    // kind (one varint byte), start and end times: room for all three at once.
    w.ensure(KIND_FIELD_SIZE + 2 * FIXED64_FIELD_SIZE);
    w.buf[w.pos] = TAG_KIND;
    w.buf[w.pos + 1] = kind + 1;
    w.pos += KIND_FIELD_SIZE;
    w.fixed64MsInRoom(7, startMs);
    w.fixed64MsInRoom(8, endMs);
    this.flags = spanFlags(traceFlags, parentAt >= 0 && parentRemote);
    // The attributes are written as the builder sets them (after the times).
    return this.sink;
  }

  end(status: SpanStatus): void {
    const w = this.w;
    writeStatus(w, status);
    w.fixed32(16, this.flags);
    w.end2(this.mark);
    this.count++;
  }

  /**
   * Starts a new request in the same memory, so a batch costs no allocation: the bytes
   * {@link finish} returned before are overwritten from here on.
   */
  reset(): void {
    const w = this.w;
    w.pos = 0;
    w.generation++; // positions remembered in the old request are gone
    this.resource = undefined;
    this.header = undefined;
    this.spansStart = 0;
    this.lineStart = 0;
    this.lineCount = 0;
    this.count = 0;
  }

  /** The encoded request (empty when no span was written), valid until {@link reset}. */
  finish(): Uint8Array {
    const w = this.w;
    const header = this.header;
    if (this.resource === undefined || header === undefined || this.count === 0) return w.buf.subarray(0, 0);
    const schemaUrl = this.resource.schemaUrl;
    // ScopeSpans = the scope (last part of the header) + the spans; ResourceSpans = the resource +
    // ScopeSpans + the resource's schema URL, written after the spans.
    const spans = w.pos - this.spansStart;
    if (schemaUrl) w.string(3, schemaUrl);
    const tail = w.pos - this.spansStart - spans;
    const resourceLength = header[0] === tagByte(1, WIRE_LENGTH) ? fieldSize(header, 0) : 0;
    const scopeLength = header.length - resourceLength;
    const ssLength = scopeLength + spans;
    const rsLength = resourceLength + 1 + varintSize(ssLength) + ssLength + tail;
    const start =
      this.spansStart - (1 + varintSize(rsLength) + resourceLength + 1 + varintSize(ssLength) + scopeLength);
    let p = start;
    const buf = w.buf;
    buf[p++] = TAG_RESOURCE_SPANS;
    p = putVarint(buf, p, rsLength);
    buf.set(header.subarray(0, resourceLength), p);
    p += resourceLength;
    buf[p++] = TAG_SCOPE_SPANS;
    p = putVarint(buf, p, ssLength);
    buf.set(header.subarray(resourceLength), p);
    return buf.subarray(start, w.pos);
  }
}
