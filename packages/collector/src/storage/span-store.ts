import type { Span } from '../model/span.js';

/** A trace search, in the units of Jaeger's API (microseconds since the epoch / µs durations). */
export interface TraceQuery {
  service?: string;
  operation?: string;
  /** span or resource attributes that must all match on one span (string comparison) */
  tags?: Record<string, string>;
  /** `crosstrace.layer` of a matching span */
  layer?: string;
  /** span kind name: server | client | producer | consumer | internal */
  spanKind?: string;
  startTimeMinMicros?: number;
  startTimeMaxMicros?: number;
  durationMinMicros?: number;
  durationMaxMicros?: number;
  /** maximum number of traces; newest first */
  limit: number;
}

/**
 * A span search for pipeline stages (the stitching processor): every given field must match.
 * Results are newest first (by start time), at most `limit` spans.
 */
export interface SpanQuery {
  traceId?: string;
  service?: string;
  /** `crosstrace.layer` */
  layer?: string;
  /** span kind name: server | client | producer | consumer | internal */
  spanKind?: string;
  /** span or resource attributes that must all match on one span (string comparison) */
  tags?: Record<string, string>;
  /** inclusive bounds on the span's start time */
  startTimeMinNanos?: bigint;
  startTimeMaxNanos?: bigint;
  limit: number;
}

export interface Operation {
  name: string;
  /** server | client | producer | consumer | internal | '' */
  spanKind: string;
}

export interface DependencyLink {
  parent: string;
  child: string;
  callCount: number;
}

/**
 * The storage interface: the pipeline's last stage writes through it and the query side reads
 * through it. Implementations (SQLite, PostgreSQL) know nothing of HTTP.
 */
export interface SpanStore {
  /**
   * Stores spans idempotently on (traceId, spanId): a re-sent span replaces, never duplicates.
   * Resolves only once the spans are durable (committed).
   */
  writeSpans(spans: readonly Span[]): Promise<void>;
  /** All spans of a trace (empty when unknown). */
  getTrace(traceId: string): Promise<Span[]>;
  /** Trace ids matching the query, newest first, at most `query.limit`. */
  findTraceIds(query: TraceQuery): Promise<string[]>;
  /** Spans matching the query, newest first, at most `query.limit`. */
  findSpans(query: SpanQuery): Promise<Span[]>;
  /** The stored spans of `traceId` among `spanIds` (unknown ids are skipped). */
  getSpansByIds(traceId: string, spanIds: readonly string[]): Promise<Span[]>;
  /**
   * Deletes the stored spans of `traceId` among `spanIds` (the whole trace when omitted; unknown
   * ids are skipped). Resolves once the deletion is durable; a deleted span is never returned by
   * a read or a search afterwards. For pipeline stages that move spans between traces (the
   * stitching processor's trace remaps): write the new copies first, then delete the old ones.
   */
  deleteSpans(traceId: string, spanIds?: readonly string[]): Promise<void>;
  getServices(): Promise<string[]>;
  getOperations(service: string, spanKind?: string): Promise<Operation[]>;
  /** Service call edges from parent/child spans whose start falls in [endMs - lookbackMs, endMs]. */
  getDependencies(endMs: number, lookbackMs: number): Promise<DependencyLink[]>;
  /** Flushes pending writes and releases the database. */
  close(): Promise<void>;
}
