import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { LogRecord } from '../parse/types.js';
import type { ToSpansOptions } from './options.js';
import { SpanBuilder } from './span-builder.js';

/**
 * Turns one parsed access-log line into ingress spans: one SERVER span for the request and one
 * CLIENT child per upstream attempt (`$upstream_addr`, aligned with `$upstream_status` and the
 * `$upstream_*_time` lists). Ids come from a logged `traceparent` / OTel ids, else from the request
 * id through the X-Request-ID derivation `ingressSpanIds` (the last attempt's id is the app's
 * parent), else from the line's file identity and offset, so re-reading a line gives the same spans.
 *
 * Returns `[]` when the line has no usable time (`$msec`, `$time_iso8601`, `$time_local`); never
 * throws. Each call starts with empty caches: to turn many lines into spans, keep one
 * {@link SpanBuilder} and call its `spans`.
 *
 * @param record - a parsed line ({@link parseLine})
 * @param options - resource and id options
 * @example
 * const r = parseLine(line, { format: 'ingress-nginx' });
 * const spans = r.ok ? toSpans(r.record) : [];
 */
export function toSpans(record: LogRecord, options: ToSpansOptions = {}): ReadableSpan[] {
  return new SpanBuilder().spans(record, options, options.source);
}
