import type { Context } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import { reportOnce } from '../diagnostics.js';
import { ErrorCode } from '../errors.js';

/** Options of the {@link BatchSpanProcessor} (OTel `OTEL_BSP_*` names in brackets). */
export interface BatchSpanProcessorOptions {
  /** Spans held at most; beyond it new spans are dropped and counted [`OTEL_BSP_MAX_QUEUE_SIZE`, 2048]. */
  maxQueueSize?: number;
  /** Spans per export call [`OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, 512]. */
  maxExportBatchSize?: number;
  /** Delay between two scheduled exports [`OTEL_BSP_SCHEDULE_DELAY`, 5000 ms]. */
  scheduledDelayMillis?: number;
  /** An export call not finished in this time counts as failed [`OTEL_BSP_EXPORT_TIMEOUT`, 30000 ms]. */
  exportTimeoutMillis?: number;
}

/** Counters of a {@link BatchSpanProcessor}. */
export interface BatchSpanProcessorStats {
  queued: number;
  exported: number;
  dropped: number;
  failed: number;
}

function positive(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : fallback;
}

/**
 * Collects sampled finished spans in a bounded queue and exports them in batches, off the request
 * path: when a batch is full, every `scheduledDelayMillis`, on `forceFlush()` and on `shutdown()`.
 * A full queue drops new spans and counts them (`stats().dropped`, one `CT_TRACER_QUEUE_FULL`
 * diagnostic) so memory stays bounded. One export runs at a time. Retries with back-off on
 * 429/502/503/504 honouring `Retry-After` are done by the OTLP exporters themselves (within the
 * export timeout), so they are not repeated here.
 *
 * @example
 * const processor = new BatchSpanProcessor(createOtlpExporter(), { maxQueueSize: 4096 });
 * const tracer = createTracer({ processor });
 */
export class BatchSpanProcessor implements SpanProcessor {
  private readonly exporter: SpanExporter;
  private readonly maxQueueSize: number;
  private readonly maxBatch: number;
  private readonly delay: number;
  private readonly timeout: number;
  private queue: ReadableSpan[] = [];
  private timer: NodeJS.Timeout | undefined = undefined;
  private chain: Promise<void> = Promise.resolve();
  private exporting = false;
  private isShutdown = false;
  private counters = { exported: 0, dropped: 0, failed: 0 };

  constructor(exporter: SpanExporter, options: BatchSpanProcessorOptions = {}) {
    this.exporter = exporter;
    this.maxQueueSize = positive(options.maxQueueSize, 2048);
    this.maxBatch = Math.min(positive(options.maxExportBatchSize, 512), this.maxQueueSize);
    this.delay = positive(options.scheduledDelayMillis, 5000);
    this.timeout = positive(options.exportTimeoutMillis, 30000);
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.isShutdown || (span.spanContext().traceFlags & 1) === 0) return;
    const queue = this.queue;
    if (queue.length >= this.maxQueueSize) {
      this.counters.dropped++;
      reportOnce(
        ErrorCode.QueueFull,
        `batch span processor queue is full (${this.maxQueueSize}); spans are being dropped`,
        'queue',
      );
      return;
    }
    queue.push(span);
    if (queue.length >= this.maxBatch) {
      if (!this.exporting) this.exportSoon();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.exportSoon();
      }, this.delay);
      this.timer.unref();
    }
  }

  /** Exported, dropped and failed span counts, and the current queue length. */
  stats(): BatchSpanProcessorStats {
    return { queued: this.queue.length, ...this.counters };
  }

  /** Exports everything queued now; resolves when done (never rejects). */
  forceFlush(): Promise<void> {
    return this.enqueue(true);
  }

  /** Flushes, then shuts the exporter down; later spans are ignored. */
  async shutdown(): Promise<void> {
    if (this.isShutdown) return this.chain;
    await this.forceFlush();
    this.isShutdown = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    try {
      await this.exporter.shutdown();
    } catch (err) {
      reportOnce(ErrorCode.ExportFailed, 'exporter shutdown failed', 'shutdown', err);
    }
  }

  private exportSoon(): void {
    void this.enqueue(false);
  }

  private enqueue(all: boolean): Promise<void> {
    this.chain = this.chain.then(() => this.drain(all));
    return this.chain;
  }

  private async drain(all: boolean): Promise<void> {
    if (this.timer !== undefined && all) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.exporting = true;
    try {
      do {
        if (this.queue.length === 0) break;
        const batch = this.queue.length <= this.maxBatch ? this.queue : this.queue.slice(0, this.maxBatch);
        this.queue = batch === this.queue ? [] : this.queue.slice(this.maxBatch);
        await this.exportBatch(batch);
      } while (all || this.queue.length >= this.maxBatch);
    } finally {
      this.exporting = false;
    }
    if (this.queue.length > 0 && this.timer === undefined && !this.isShutdown) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.exportSoon();
      }, this.delay);
      this.timer.unref();
    }
  }

  private exportBatch(batch: ReadableSpan[]): Promise<void> {
    return new Promise<void>((resolve) => {
      let done = false;
      const finish = (result: ExportResult) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (result.code === ExportResultCode.SUCCESS) {
          this.counters.exported += batch.length;
        } else {
          this.counters.failed += batch.length;
          reportOnce(
            result.error?.message === 'timeout' ? ErrorCode.ExportTimeout : ErrorCode.ExportFailed,
            `span export failed: ${result.error?.message ?? 'unknown error'}`,
            'export',
            result.error,
          );
        }
        resolve();
      };
      // kept referenced: an export in flight may hold the process, for at most the export timeout
      const timer = setTimeout(
        () => finish({ code: ExportResultCode.FAILED, error: new Error('timeout') }),
        this.timeout,
      );
      try {
        this.exporter.export(batch, finish);
      } catch (err) {
        finish({ code: ExportResultCode.FAILED, error: err instanceof Error ? err : new Error(String(err)) });
      }
    });
  }
}
