import type { SpanContext, SpanKind } from '@opentelemetry/api';

/**
 * Decides at span start whether a new span is recorded and exported. `parent` is the parent's
 * context (local or remote) or `undefined` for a root span. Must be fast and must not throw.
 * (OpenTelemetry `Sampler`s are accepted by `createTracer` too and adapted.)
 */
export interface CrosstraceSampler {
  sample(traceId: string, parent: SpanContext | undefined, name: string, kind: SpanKind): boolean;
  toString(): string;
}
