import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The collector's Prometheus metrics, on a registry of its own (one per `build()`). */
export interface CollectorMetrics {
  registry: Registry;
  spansReceived: Counter<'receiver'>;
  spansRefused: Counter<'receiver' | 'reason'>;
  spansStored: Counter<'receiver'>;
  /** Export requests answered, by receiver and status (HTTP code, or gRPC code name). */
  requests: Counter<'receiver' | 'code'>;
  queueSpans: Gauge;
  queueBytes: Gauge;
  batchLatency: Histogram;
  dbSize: Gauge;
}

export interface CollectorMetricsOptions {
  /** Returns the database size in bytes (read at scrape time); omitted → the gauge stays 0. */
  dbSizeBytes?: () => number | undefined;
}

/**
 * Creates the metrics: spans received/refused/stored by receiver, queue depth (spans, bytes),
 * storage batch latency, database size.
 */
export function createCollectorMetrics(options: CollectorMetricsOptions = {}): CollectorMetrics {
  const registry = new Registry();
  const { dbSizeBytes } = options;
  return {
    registry,
    spansReceived: new Counter({
      name: 'crosstrace_spans_received_total',
      help: 'Spans received, by receiver.',
      labelNames: ['receiver'],
      registers: [registry],
    }),
    spansRefused: new Counter({
      name: 'crosstrace_spans_refused_total',
      help: 'Spans refused, by receiver and reason (invalid, queue_full, unavailable, ...).',
      labelNames: ['receiver', 'reason'],
      registers: [registry],
    }),
    spansStored: new Counter({
      name: 'crosstrace_spans_stored_total',
      help: 'Spans committed to storage, by receiver.',
      labelNames: ['receiver'],
      registers: [registry],
    }),
    requests: new Counter({
      name: 'crosstrace_export_requests_total',
      help: 'Export requests answered, by receiver and status code.',
      labelNames: ['receiver', 'code'],
      registers: [registry],
    }),
    queueSpans: new Gauge({
      name: 'crosstrace_queue_spans',
      help: 'Spans waiting for (or in) a storage transaction.',
      registers: [registry],
    }),
    queueBytes: new Gauge({
      name: 'crosstrace_queue_bytes',
      help: 'Estimated bytes of the spans waiting for storage.',
      registers: [registry],
    }),
    batchLatency: new Histogram({
      name: 'crosstrace_storage_batch_seconds',
      help: 'Duration of one storage write transaction.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    dbSize: new Gauge({
      name: 'crosstrace_db_size_bytes',
      help: 'Size of the span database in bytes.',
      registers: [registry],
      collect() {
        const size = dbSizeBytes?.();
        if (size !== undefined) this.set(size);
      },
    }),
  };
}
