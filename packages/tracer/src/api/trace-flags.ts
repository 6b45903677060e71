/**
 * The W3C Trace Context `trace-flags` bits this tracer knows (Level 2). Other bits are reserved:
 * they are cleared on extraction and never sent.
 *
 * @example
 * const random = (spanContext.traceFlags & TraceFlag.Random) !== 0;
 */
export const TraceFlag = {
  /** No flag set. */
  None: 0x00,
  /** The caller may have recorded trace data (`sampled`, Level 1). */
  Sampled: 0x01,
  /** At least the right-most 7 bytes of the trace id are random (`random-trace-id`, Level 2). */
  Random: 0x02,
} as const;

/** One of the {@link TraceFlag} values. */
export type TraceFlag = (typeof TraceFlag)[keyof typeof TraceFlag];

/** The bits of `trace-flags` kept from a received `traceparent` and written to a sent one. */
export const KNOWN_TRACE_FLAGS = TraceFlag.Sampled | TraceFlag.Random;
