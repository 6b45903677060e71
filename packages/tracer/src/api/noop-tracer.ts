import type { Context, Span, SpanOptions, Tracer } from '@opentelemetry/api';
import { NonRecordingSpan } from './non-recording-span.js';

const INVALID = Object.freeze({
  traceId: '00000000000000000000000000000000',
  spanId: '0000000000000000',
  traceFlags: 0,
});

/**
 * An `@opentelemetry/api` `Tracer` that records nothing: what libraries built on crosstrace can fall
 * back to when no tracer was created. Spans carry an invalid context, so nothing is propagated.
 */
export class NoopTracer implements Tracer {
  startSpan(_name: string, _options?: SpanOptions, _context?: Context): Span {
    return new NonRecordingSpan(INVALID);
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    context: Context,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    ...args: [F] | [SpanOptions, F] | [SpanOptions, Context, F]
  ): ReturnType<F> {
    const fn = args[args.length - 1] as F;
    return fn(this.startSpan(name)) as ReturnType<F>;
  }
}
