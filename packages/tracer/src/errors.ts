/**
 * Stable error codes of `@crosstrace/tracer`. Errors are reported, never thrown into user code,
 * except for bad configuration at start-up (`createTracer`, `createOtlpExporter`, …).
 */
export const ErrorCode = {
  /** An argument given to a span or tracer method was invalid; a no-op was done instead. */
  InvalidArgument: 'CT_TRACER_INVALID_ARGUMENT',
  /** A configuration option (code or `OTEL_*` env) was invalid. */
  InvalidConfig: 'CT_TRACER_INVALID_CONFIG',
  /** A span reached one of its span limits; attributes, events or links were dropped and counted. */
  SpanLimitExceeded: 'CT_TRACER_SPAN_LIMIT_EXCEEDED',
  /** The batch queue was full and spans were dropped. */
  QueueFull: 'CT_TRACER_QUEUE_FULL',
  /** An export failed (after the exporter's own retries). */
  ExportFailed: 'CT_TRACER_EXPORT_FAILED',
  /** An export did not finish within the export timeout. */
  ExportTimeout: 'CT_TRACER_EXPORT_TIMEOUT',
  /** inject/extract was asked for a format this tracer does not know. */
  UnsupportedFormat: 'CT_TRACER_UNSUPPORTED_FORMAT',
  /** A user callback (processor, sampler, exporter) threw; the tracer carried on. */
  InternalError: 'CT_TRACER_INTERNAL_ERROR',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An error carrying one of the stable {@link ErrorCode}s; `cause` wraps the underlying error. */
export class CrosstraceTracerError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CrosstraceTracerError';
    this.code = code;
  }
}
