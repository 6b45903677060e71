import { getStringAttribute } from '../../model/attributes.js';
import {
  type InstrumentationScope,
  type KeyValue,
  MAX_TIME_NANOS,
  type Resource,
  type Span,
} from '../../model/span.js';

export const ZERO_TRACE_ID = '00000000000000000000000000000000';
export const ZERO_SPAN_ID = '0000000000000000';

/** The `service.name` of a resource ('unknown_service' when absent, as the OTel SDKs do). */
export function serviceNameOf(resource: Resource): string {
  return getStringAttribute(resource.attributes, 'service.name') || 'unknown_service';
}

/** `crosstrace.layer` of the span, else of its resource, else '' (the layer processor decides). */
export function layerOf(spanAttrs: readonly KeyValue[], resource: Resource): string {
  for (const kv of spanAttrs) if (kv.key === 'crosstrace.layer') return kv.value.stringValue ?? '';
  for (const kv of resource.attributes) if (kv.key === 'crosstrace.layer') return kv.value.stringValue ?? '';
  return '';
}

export const EMPTY_RESOURCE: Resource = Object.freeze({
  attributes: [],
  droppedAttributesCount: 0,
}) as Resource;
export const EMPTY_SCOPE: InstrumentationScope = Object.freeze({
  name: '',
  version: '',
  attributes: [],
}) as InstrumentationScope;

const PAST_INT64 = 'past the signed 64-bit nanosecond range (2262-04-11T23:47:16.854775807Z)';

/**
 * Why a decoded span is refused, or undefined when the store can hold it: ids of the wrong length
 * or all zero, a time (start, end, an event's) past {@link MAX_TIME_NANOS}. Every per-span check
 * lives here, so that a span that passes decode is never refused further down the pipeline.
 */
export function spanProblem(
  span: Pick<
    Span,
    'traceId' | 'spanId' | 'parentSpanId' | 'startTimeUnixNano' | 'endTimeUnixNano' | 'events'
  >,
): string | undefined {
  if (span.traceId.length !== 32 || span.traceId === ZERO_TRACE_ID) return 'invalid trace id';
  if (span.spanId.length !== 16 || span.spanId === ZERO_SPAN_ID) return 'invalid span id';
  if (span.parentSpanId !== '' && span.parentSpanId.length !== 16) return 'invalid parent span id';
  // OTLP times cannot be negative (fixed64); spans built from Kubernetes objects can, by arithmetic
  if (span.startTimeUnixNano < 0n) return 'startTimeUnixNano before the epoch';
  if (span.startTimeUnixNano > MAX_TIME_NANOS) return `startTimeUnixNano ${PAST_INT64}`;
  if (span.endTimeUnixNano > MAX_TIME_NANOS) return `endTimeUnixNano ${PAST_INT64}`;
  for (let i = 0; i < span.events.length; i++) {
    const t = span.events[i].timeUnixNano;
    if (t < 0n || t > MAX_TIME_NANOS) return `events[${i}].timeUnixNano ${PAST_INT64}`;
  }
  return undefined;
}

/** Reasons are listed up to this many kinds (the rest are counted). */
const MAX_REASONS = 8;

/**
 * The spans of one request that decode kept, and the ones it refused with their reasons (the
 * `partial_success` of the answer).
 */
export class SpanAdmission {
  readonly spans: Span[] = [];
  rejected = 0;
  readonly #reasons = new Map<string, number>();

  /**
   * Keeps the span, or counts it refused with its reason. An end before the start is clamped to
   * the start (duration 0), as every store keeps it.
   */
  admit(span: Span): void {
    const problem = spanProblem(span);
    if (problem !== undefined) {
      this.rejected++;
      if (this.#reasons.has(problem) || this.#reasons.size < MAX_REASONS)
        this.#reasons.set(problem, (this.#reasons.get(problem) ?? 0) + 1);
      return;
    }
    if (span.endTimeUnixNano < span.startTimeUnixNano) span.endTimeUnixNano = span.startTimeUnixNano;
    this.spans.push(span);
  }

  /** Why spans were refused: each reason with its count ('' when none were). */
  reason(): string {
    const parts: string[] = [];
    let listed = 0;
    for (const [reason, n] of this.#reasons) {
      parts.push(this.#reasons.size === 1 && n === this.rejected ? reason : `${reason} (${n})`);
      listed += n;
    }
    if (listed < this.rejected) parts.push(`other reasons (${this.rejected - listed})`);
    return parts.join('; ');
  }
}
