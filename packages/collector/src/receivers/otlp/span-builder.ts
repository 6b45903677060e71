import { getStringAttribute } from '../../model/attributes.js';
import type { InstrumentationScope, KeyValue, Resource, Span } from '../../model/span.js';

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

/** Why a decoded span is refused, or undefined when it is acceptable. */
export function spanProblem(span: Pick<Span, 'traceId' | 'spanId' | 'parentSpanId'>): string | undefined {
  if (span.traceId.length !== 32 || span.traceId === ZERO_TRACE_ID) return 'invalid trace id';
  if (span.spanId.length !== 16 || span.spanId === ZERO_SPAN_ID) return 'invalid span id';
  if (span.parentSpanId !== '' && span.parentSpanId.length !== 16) return 'invalid parent span id';
  return undefined;
}
