import { type SpanContext, SpanKind, type SpanStatus } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { AttributeList } from './attribute-list.js';
import { IngressSpan } from './ingress-span.js';
import { hexOf, IDS_SERVER, IDS_TRACE, SPAN_ID_BYTES, TRACE_ID_BYTES } from './line-ids.js';
import type { AttributeSink, SpanOut } from './span-out.js';

/** Makes `ReadableSpan` objects ({@link IngressSpan}) of the spans of a line. */
export class SpanCollector implements SpanOut {
  readonly spans: ReadableSpan[] = [];
  private server: SpanContext | undefined;
  private traceId = '';
  private name = '';
  private kind = SpanKind.INTERNAL;
  private context: SpanContext | undefined;
  private parent: SpanContext | undefined;
  private startMs = 0;
  private endMs = 0;
  private list = new AttributeList();
  private resource: Resource | undefined;

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
    if (kind === SpanKind.SERVER || this.traceId === '') this.traceId = hexOf(ids, IDS_TRACE, TRACE_ID_BYTES);
    const traceId = this.traceId;
    const context: SpanContext = { traceId, spanId: hexOf(ids, spanAt, SPAN_ID_BYTES), traceFlags };
    let parent: SpanContext | undefined;
    if (parentAt < 0) parent = undefined;
    else if (parentRemote)
      parent = { traceId, spanId: hexOf(ids, parentAt, SPAN_ID_BYTES), traceFlags, isRemote: true };
    else if (this.server !== undefined && parentAt === IDS_SERVER) parent = this.server;
    else parent = { traceId, spanId: hexOf(ids, parentAt, SPAN_ID_BYTES), traceFlags };
    if (kind === SpanKind.SERVER) this.server = context;
    this.name = name;
    this.kind = kind;
    this.context = context;
    this.parent = parent;
    this.startMs = startMs;
    this.endMs = endMs;
    this.resource = resource;
    this.list = new AttributeList();
    return this.list;
  }

  end(status: SpanStatus): void {
    this.spans.push(
      new IngressSpan(
        this.name,
        this.kind,
        this.context!,
        this.parent,
        this.startMs,
        this.endMs,
        status,
        this.list,
        this.resource!,
      ),
    );
  }
}
