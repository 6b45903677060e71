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
export { REF_TYPE_ATTRIBUTE, RefType, TRACER_NAME, TRACER_VERSION } from './api/constants.js';
export { NonRecordingSpan } from './api/non-recording-span.js';
export { NoopTracer } from './api/noop-tracer.js';
export { KNOWN_TRACE_FLAGS, TraceFlag } from './api/trace-flags.js';
export type { AttributeLimits, ResolvedSpanLimits, SpanLimits } from './config/span-limits.js';
export { DEFAULT_SPAN_LIMITS } from './config/span-limits.js';
export type { DiagnosticHandler } from './diagnostics.js';
export { resetDiagnostics, setDiagnosticHandler } from './diagnostics.js';
export { CrosstraceTracerError, ErrorCode } from './errors.js';
export type { BatchSpanProcessorOptions, BatchSpanProcessorStats } from './export/batch-span-processor.js';
export { BatchSpanProcessor } from './export/batch-span-processor.js';
export type { ConsoleSpanExporterOptions } from './export/console-exporter.js';
export { ConsoleSpanExporter } from './export/console-exporter.js';
export type { OtlpExporterOptions, OtlpProtocol } from './export/otlp-exporter.js';
export { createOtlpExporter } from './export/otlp-exporter.js';
export { SimpleSpanProcessor } from './export/simple-span-processor.js';
export { B3Propagator } from './propagation/b3.js';
export type { PropagatorName } from './propagation/create-propagator.js';
export { createPropagator, PROPAGATOR_NAMES } from './propagation/create-propagator.js';
export { JaegerPropagator } from './propagation/jaeger.js';
export {
  isTraceStateKey,
  isTraceStateValue,
  parseTraceState,
  TRACESTATE_MAX_KEY_LENGTH,
  TRACESTATE_MAX_MEMBERS,
  TRACESTATE_MAX_VALUE_LENGTH,
  TraceState,
} from './propagation/trace-state.js';
export type { Traceparent } from './propagation/w3c-trace-context.js';
export {
  formatTraceparent,
  parseTraceparent,
  W3CTraceContextPropagator,
} from './propagation/w3c-trace-context.js';
export type { CreateResourceOptions } from './resource/create-resource.js';
export { createResource, K8S_ENV_ATTRIBUTES, parseResourceAttributes } from './resource/create-resource.js';
export { alwaysOffSampler, alwaysOnSampler } from './sampling/always.js';
export { createSampler, SAMPLER_NAMES } from './sampling/create-sampler.js';
export { fromOtelSampler } from './sampling/otel-sampler.js';
export type { ParentBasedOptions } from './sampling/parent-based.js';
export { parentBasedSampler } from './sampling/parent-based.js';
export { rateLimitingSampler } from './sampling/rate-limiting.js';
export type { CrosstraceSampler } from './sampling/sampler.js';
export { traceIdRatioSampler } from './sampling/trace-id-ratio.js';
export type { CreateTracerOptions } from './sdk/create-tracer.js';
export { createTracer } from './sdk/create-tracer.js';
export { CrosstraceOtelTracer } from './sdk/otel-tracer.js';
export { CrosstraceTracerProvider } from './sdk/provider.js';
export type { SpanOwner, SpanReference } from './sdk/span.js';
export { CrosstraceSpan } from './sdk/span.js';
export type { BaggageItems } from './sdk/span-context.js';
export { CrosstraceSpanContext } from './sdk/span-context.js';
export { CrosstraceTracer } from './sdk/tracer.js';
