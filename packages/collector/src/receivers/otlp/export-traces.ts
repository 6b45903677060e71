import type { TracesConsumer } from '../../consumer.js';
import { type CollectorError, CollectorErrorCode, createError, isCollectorError } from '../../errors.js';
import type { CollectorMetrics } from '../../metrics/index.js';
import type { DecodeResult } from './decode-result.js';
import type { PartialSuccess } from './encode-response.js';

export type ExportOutcome = { ok: true; partial?: PartialSuccess } | { ok: false; error: CollectorError };

/**
 * Hands a decoded OTLP request to the pipeline and settles when its spans are durable: the one
 * path shared by the OTLP/HTTP and OTLP/gRPC receivers. Never throws.
 */
export async function exportTraces(
  decoded: DecodeResult,
  pipeline: TracesConsumer,
  receiver: string,
  metrics?: CollectorMetrics,
): Promise<ExportOutcome> {
  if (!decoded.ok) {
    return {
      ok: false,
      error: createError(CollectorErrorCode.BadRequest, decoded.reason, { statusCode: 400 }),
    };
  }
  const { spans, rejectedSpans, rejectedReason } = decoded;
  metrics?.spansReceived.inc({ receiver }, spans.length + rejectedSpans);
  if (rejectedSpans > 0) metrics?.spansRefused.inc({ receiver, reason: 'invalid' }, rejectedSpans);
  try {
    await pipeline.consume({ spans, receiver });
  } catch (err) {
    const error = isCollectorError(err)
      ? err
      : createError(CollectorErrorCode.Unavailable, 'pipeline failed; retry later', {
          statusCode: 503,
          retryAfterSeconds: 1,
          cause: err,
        });
    const reason =
      error.code === CollectorErrorCode.QueueFull
        ? 'queue_full'
        : error.retryable
          ? 'unavailable'
          : 'invalid';
    if (error.code !== CollectorErrorCode.StorageUnavailable)
      metrics?.spansRefused.inc({ receiver, reason }, spans.length);
    return { ok: false, error };
  }
  if (rejectedSpans === 0) return { ok: true };
  return {
    ok: true,
    partial: { rejectedSpans, errorMessage: `${rejectedSpans} span(s) rejected: ${rejectedReason}` },
  };
}
