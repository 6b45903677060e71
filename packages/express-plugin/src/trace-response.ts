import type { ServerResponse } from 'node:http';
import { formatTraceparent } from '@crosstrace/tracer';
import { isSpanContextValid, type Span } from '@opentelemetry/api';

/** The Trace Context Level 2 response header. */
export const TRACERESPONSE = 'traceresponse';

/**
 * Sets `traceresponse: 00-{trace-id}-{child-id}-{flags}` (W3C Trace Context Level 2) on `res`: the
 * server span's trace id and span id, its `sampled` flag and its `random-trace-id` flag (set when
 * the trace id was generated here, as received when the trace was continued). Nothing is set for a
 * span without a context of its own (an invalid one, or the caller's context handed back by a
 * no-op tracer), or once the headers are sent. Never throws.
 */
export function setTraceResponse(res: ServerResponse, span: Span): void {
  try {
    const sc = span.spanContext();
    if (sc.isRemote === true || !isSpanContextValid(sc) || res.headersSent) return;
    res.setHeader(TRACERESPONSE, formatTraceparent(sc.traceId, sc.spanId, sc.traceFlags));
  } catch {
    // a span or response that throws must not reach the app
  }
}
