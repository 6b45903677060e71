// The collector's one span model: OTLP's data model, flattened (each span points at its resource
// and scope), with the fields every stage needs denormalised (service name, layer).

/** An OTLP AnyValue, in the shape of OTLP/JSON (int64 kept exact as a decimal string). */
export interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  /** int64 as a decimal string (exact) */
  intValue?: string;
  doubleValue?: number;
  /** base64 */
  bytesValue?: string;
  arrayValue?: { values: AnyValue[] };
  kvlistValue?: { values: KeyValue[] };
}

export interface KeyValue {
  key: string;
  value: AnyValue;
}

export interface Resource {
  attributes: KeyValue[];
  droppedAttributesCount: number;
}

export interface InstrumentationScope {
  name: string;
  version: string;
  attributes: KeyValue[];
}

/**
 * The latest time a span may carry, in ns since the epoch: 2^63 − 1 (2262-04-11T23:47:16.854775807Z),
 * the signed 64-bit range every store keeps times in. OTLP's fixed64 goes to 2^64 − 1; a span with
 * a time past this bound is refused at decode (see receivers/otlp/span-builder.ts).
 */
export const MAX_TIME_NANOS = 2n ** 63n - 1n;

/** OTLP SpanKind enum values. */
export const SpanKind = {
  Unspecified: 0,
  Internal: 1,
  Server: 2,
  Client: 3,
  Producer: 4,
  Consumer: 5,
} as const;
export type SpanKind = (typeof SpanKind)[keyof typeof SpanKind];

/** OTLP Status.code enum values. */
export const StatusCode = { Unset: 0, Ok: 1, Error: 2 } as const;
export type StatusCode = (typeof StatusCode)[keyof typeof StatusCode];

export interface SpanEvent {
  timeUnixNano: bigint;
  name: string;
  attributes: KeyValue[];
  droppedAttributesCount: number;
}

export interface SpanLink {
  /** 32 lowercase hex digits */
  traceId: string;
  /** 16 lowercase hex digits */
  spanId: string;
  traceState: string;
  /** Carries `opentracing.ref_type` = `child_of` | `follows_from` for OpenTracing references. */
  attributes: KeyValue[];
  droppedAttributesCount: number;
  flags: number;
}

export interface Span {
  /** 32 lowercase hex digits */
  traceId: string;
  /** 16 lowercase hex digits */
  spanId: string;
  /** 16 lowercase hex digits, '' for a root span */
  parentSpanId: string;
  traceState: string;
  flags: number;
  name: string;
  kind: SpanKind;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: KeyValue[];
  droppedAttributesCount: number;
  events: SpanEvent[];
  droppedEventsCount: number;
  links: SpanLink[];
  droppedLinksCount: number;
  status: { code: StatusCode; message: string };
  /** Shared between the spans of one ResourceSpans; never mutate in place. */
  resource: Resource;
  /** Shared between the spans of one ScopeSpans; never mutate in place. */
  scope: InstrumentationScope;
  /** `service.name` of the resource ('unknown_service' when absent). */
  serviceName: string;
  /** `crosstrace.layer` of the span or its resource (see Layer), set by the layer processor. */
  layer: string;
}

/** What flows between pipeline stages. */
export interface SpanBatch {
  spans: Span[];
  /** Which receiver produced the batch (metrics, logs). */
  receiver: string;
  /** Encoded size of the request the spans came from, for the queue's byte bound (estimated when absent). */
  sizeBytes?: number;
  /**
   * Stored spans these spans replace under other ids (a pipeline stage moving a trace: the
   * stitching processor's trace remaps), deleted once the batch's spans are durable. Write first,
   * delete second: a crash in between leaves a duplicate, never a loss.
   */
  supersedes?: readonly { traceId: string; spanIds: readonly string[] }[];
  /**
   * Spans of earlier batches a stage rewrites along with this one (the stitching processor's new
   * links), stored in the same transaction and counted apart (receiver `rewrite`). A stage that
   * passes batches on forwards `rewrites` and `supersedes`.
   */
  rewrites?: readonly Span[];
}
