import type { SpanBatch } from './model/span.js';

/**
 * The one interface every pipeline stage implements (the OpenTelemetry Collector's
 * `consumer.Traces`). The returned promise settles when the batch is durably stored, or rejects
 * with a `CollectorError` (permanent → 400, retryable → 429/503 with Retry-After).
 */
export interface TracesConsumer {
  consume(batch: SpanBatch): Promise<void>;
}
