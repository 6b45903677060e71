import type { Context } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import { reportOnce } from '../diagnostics.js';
import { ErrorCode } from '../errors.js';

/**
 * Exports each sampled span as soon as it ends (tests, debugging). `forceFlush()` waits for the
 * exports in flight.
 *
 * @example
 * const exporter = new InMemorySpanExporter();
 * const tracer = createTracer({ processor: new SimpleSpanProcessor(exporter) });
 */
export class SimpleSpanProcessor implements SpanProcessor {
  private readonly exporter: SpanExporter;
  private readonly pending = new Set<Promise<void>>();
  private isShutdown = false;

  constructor(exporter: SpanExporter) {
    this.exporter = exporter;
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.isShutdown || (span.spanContext().traceFlags & 1) === 0) return;
    const p = new Promise<void>((resolve) => {
      try {
        this.exporter.export([span], (result) => {
          if (result.code !== ExportResultCode.SUCCESS) {
            reportOnce(
              ErrorCode.ExportFailed,
              `span export failed: ${result.error?.message}`,
              'simple',
              result.error,
            );
          }
          resolve();
        });
      } catch (err) {
        reportOnce(ErrorCode.ExportFailed, 'span exporter threw', 'simple', err);
        resolve();
      }
    });
    this.pending.add(p);
    void p.then(() => this.pending.delete(p));
  }

  async forceFlush(): Promise<void> {
    await Promise.all([...this.pending]);
    await this.exporter.forceFlush?.();
  }

  async shutdown(): Promise<void> {
    if (this.isShutdown) return;
    await this.forceFlush();
    this.isShutdown = true;
    await this.exporter.shutdown();
  }
}
