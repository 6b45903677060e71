import type { Context, TraceState } from '@opentelemetry/api';
import { contextWithSpan } from '../api/context.js';
import { NonRecordingSpan } from '../api/non-recording-span.js';
import { CrosstraceSpanContext } from '../sdk/span-context.js';

/** `context` with a remote parent span context, as every extractor returns it. */
export function withRemoteParent(
  context: Context,
  traceId: string,
  spanId: string,
  traceFlags: number,
  traceState?: TraceState,
): Context {
  return contextWithSpan(
    context,
    new NonRecordingSpan(new CrosstraceSpanContext(traceId, spanId, traceFlags, traceState, true)),
  );
}
