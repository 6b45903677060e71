// Search semantics shared by every backend, so that the memory and SQLite stores answer the same
// query the same way: a backend narrows candidates with its indexes, then `matchesFilter` decides.
import { toPlain } from '../model/attributes.js';
import type { AnyValue, KeyValue, Span } from '../model/span.js';
import { SpanKind, StatusCode } from '../model/span.js';
import type { SpanQuery, TraceQuery } from './span-store.js';

const KIND_NAMES = ['', 'internal', 'server', 'client', 'producer', 'consumer'] as const;

/** `server`, `client`, … for an OTLP kind ('' for unspecified or unknown values). */
export function spanKindName(kind: number): string {
  return KIND_NAMES[kind] ?? '';
}

/** The OTLP kind for a name (case-insensitive; `unspecified` → 0); undefined when unknown. */
export function spanKindFromName(name: string): number | undefined {
  const n = name.toLowerCase();
  if (n === 'unspecified') return SpanKind.Unspecified;
  const i = KIND_NAMES.indexOf(n as (typeof KIND_NAMES)[number]);
  return i > 0 ? i : undefined;
}

/** The string a tag search compares with: strings as is, numbers and booleans stringified. */
export function tagString(v: AnyValue): string {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue ? 'true' : 'false';
  if (v.intValue !== undefined) return v.intValue;
  if (v.doubleValue !== undefined) return String(v.doubleValue);
  if (v.bytesValue !== undefined) return v.bytesValue;
  return JSON.stringify(toPlain(v)) ?? '';
}

/**
 * Tags a span exposes beyond its attributes, as Jaeger derives them from OTLP: `span.kind`,
 * `otel.status_code`, `otel.status_description`, `error=true`, and `crosstrace.layer`.
 */
export function syntheticTags(span: Span): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const kind = spanKindName(span.kind);
  if (kind !== '' && kind !== 'internal') out.push(['span.kind', kind]);
  if (span.status.code === StatusCode.Error) {
    out.push(['otel.status_code', 'ERROR'], ['error', 'true']);
    if (span.status.message !== '') out.push(['otel.status_description', span.status.message]);
  } else if (span.status.code === StatusCode.Ok) {
    out.push(['otel.status_code', 'OK']);
  }
  if (span.layer !== '') out.push(['crosstrace.layer', span.layer]);
  return out;
}

function hasKeyValue(attrs: readonly KeyValue[], key: string, value: string): boolean {
  for (const kv of attrs) if (kv.key === key && tagString(kv.value) === value) return true;
  return false;
}

/**
 * The key under which an event's name is searchable, as Jaeger exposes an OTLP event: a log whose
 * `event` field is the name.
 */
export const EVENT_NAME_TAG = 'event';

/**
 * True when the span, its derived tags, its resource or one of its events (an attribute, or the
 * event's name as `event`) carry `key` with value `value`. Events count as Jaeger's log fields do:
 * HotROD's "find trace" searches `driver=…`, which only its "Dispatch successful" event carries.
 */
export function spanHasTag(span: Span, key: string, value: string): boolean {
  if (hasKeyValue(span.attributes, key, value)) return true;
  if (hasKeyValue(span.resource.attributes, key, value)) return true;
  for (const [k, v] of syntheticTags(span)) if (k === key && v === value) return true;
  for (const e of span.events) {
    if (key === EVENT_NAME_TAG && e.name === value) return true;
    if (hasKeyValue(e.attributes, key, value)) return true;
  }
  return false;
}

/** A backend-neutral span filter in nanoseconds, built from a TraceQuery or a SpanQuery. */
export interface SpanFilter {
  traceId?: string;
  service?: string;
  operation?: string;
  layer?: string;
  /** OTLP kind; -1 matches nothing (an unknown kind name) */
  kind?: number;
  tags: Array<[string, string]>;
  startMinNs?: bigint;
  startMaxNs?: bigint;
  durationMinNs?: bigint;
  durationMaxNs?: bigint;
}

function microsToNanos(us: number | undefined): bigint | undefined {
  if (us === undefined || !Number.isFinite(us)) return undefined;
  return BigInt(Math.trunc(us)) * 1000n;
}

function kindFilter(name: string | undefined): number | undefined {
  if (name === undefined || name === '') return undefined;
  return spanKindFromName(name) ?? -1;
}

export function filterFromTraceQuery(q: TraceQuery): SpanFilter {
  return {
    service: q.service || undefined,
    operation: q.operation || undefined,
    layer: q.layer || undefined,
    kind: kindFilter(q.spanKind),
    tags: Object.entries(q.tags ?? {}),
    startMinNs: microsToNanos(q.startTimeMinMicros),
    startMaxNs: microsToNanos(q.startTimeMaxMicros),
    durationMinNs: microsToNanos(q.durationMinMicros),
    durationMaxNs: microsToNanos(q.durationMaxMicros),
  };
}

export function filterFromSpanQuery(q: SpanQuery): SpanFilter {
  return {
    traceId: q.traceId?.toLowerCase() || undefined,
    service: q.service || undefined,
    layer: q.layer || undefined,
    kind: kindFilter(q.spanKind),
    tags: Object.entries(q.tags ?? {}),
    startMinNs: q.startTimeMinNanos,
    startMaxNs: q.startTimeMaxNanos,
  };
}

/** The full decision; backends may pre-filter with indexes but must agree with this. */
export function matchesFilter(span: Span, f: SpanFilter): boolean {
  if (f.traceId !== undefined && span.traceId !== f.traceId) return false;
  if (f.service !== undefined && span.serviceName !== f.service) return false;
  if (f.operation !== undefined && span.name !== f.operation) return false;
  if (f.layer !== undefined && span.layer !== f.layer) return false;
  if (f.kind !== undefined && span.kind !== f.kind) return false;
  const start = span.startTimeUnixNano;
  if (f.startMinNs !== undefined && start < f.startMinNs) return false;
  if (f.startMaxNs !== undefined && start > f.startMaxNs) return false;
  if (f.durationMinNs !== undefined || f.durationMaxNs !== undefined) {
    const d = span.endTimeUnixNano - start;
    if (f.durationMinNs !== undefined && d < f.durationMinNs) return false;
    if (f.durationMaxNs !== undefined && d > f.durationMaxNs) return false;
  }
  for (const [k, v] of f.tags) if (!spanHasTag(span, k, v)) return false;
  return true;
}

/** Distinct trace ids of spans already sorted newest first, at most `limit`. */
export function distinctTraceIds(spans: Iterable<Span>, limit: number): string[] {
  const seen = new Set<string>();
  for (const s of spans) {
    if (seen.size >= limit) break;
    seen.add(s.traceId);
  }
  return [...seen];
}

/** Newest first; ties broken by span id for a stable order. */
export function compareNewestFirst(a: Span, b: Span): number {
  if (a.startTimeUnixNano !== b.startTimeUnixNano) return a.startTimeUnixNano > b.startTimeUnixNano ? -1 : 1;
  return a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
}

/** The OpenTracing reference type of a link (`opentracing.ref_type`), lower-case, '' when absent. */
export function linkRefType(link: Span['links'][number]): string {
  for (const kv of link.attributes) {
    if (kv.key === 'opentracing.ref_type') return tagString(kv.value).toLowerCase();
  }
  return '';
}

/**
 * The span id of a span's parent in its own trace: `parentSpanId`, else the first link of type
 * `child_of` into the same trace ('' for a root).
 */
export function parentSpanIdOf(span: Span): string {
  if (span.parentSpanId !== '') return span.parentSpanId;
  for (const l of span.links) {
    if (l.traceId === span.traceId && linkRefType(l) === 'child_of') return l.spanId;
  }
  return '';
}
