// @crosstrace/tracer/api: constants, types and no-op implementations; no run-time dependency but
// @crosstrace/contract (which has none).
export type { IngressSpanIds, RequestIdContext } from '@crosstrace/contract';
export {
  contextFromRequestId,
  ingressSpanIdBytes,
  ingressSpanIds,
  isLayer,
  LAYER_ATTRIBUTE,
  Layer,
  REQUEST_ID_ATTRIBUTE,
} from '@crosstrace/contract';

export { ADOPT_ATTRIBUTES } from './adopt-attributes.js';
export { REF_TYPE_ATTRIBUTE, RefType, TRACER_NAME, TRACER_VERSION } from './constants.js';
export { contextWithSpan, contextWithValue, SPAN_KEY } from './context.js';
export { NonRecordingSpan } from './non-recording-span.js';
export { NoopTracer } from './noop-tracer.js';
export { KNOWN_TRACE_FLAGS, TraceFlag } from './trace-flags.js';
