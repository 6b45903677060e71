import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import t from 'tap';
import { BatchSpanProcessor, createTracer, ErrorCode, setDiagnosticHandler } from '../src/index.js';
import { InMemorySpanExporter } from '../src/testing/index.js';
import { waitFor } from './helpers/wait-for.js';

/** An exporter whose exports finish only when released. */
class GatedExporter implements SpanExporter {
  batches: number[] = [];
  private waiting: (() => void)[] = [];
  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void {
    this.batches.push(spans.length);
    this.waiting.push(() => done({ code: ExportResultCode.SUCCESS }));
  }
  release(): void {
    for (const w of this.waiting.splice(0)) w();
  }
  async shutdown(): Promise<void> {}
}

t.test('bounded queue: overflow is dropped and counted, one diagnostic', async (t) => {
  const codes: string[] = [];
  const prev = setDiagnosticHandler((e) => codes.push(e.code));
  t.teardown(() => setDiagnosticHandler(prev));
  const exporter = new GatedExporter();
  const processor = new BatchSpanProcessor(exporter, {
    maxQueueSize: 10,
    maxExportBatchSize: 10,
    scheduledDelayMillis: 60_000,
  });
  const tracer = createTracer({ processor, env: {}, registerGlobal: false });
  for (let i = 0; i < 10; i++) tracer.startSpan(`s${i}`).finish();
  await new Promise((r) => setImmediate(r));
  t.same(exporter.batches, [10], 'a full batch is exported at once');
  for (let i = 0; i < 25; i++) tracer.startSpan(`t${i}`).finish();
  t.same(processor.stats(), { queued: 10, exported: 0, dropped: 15, failed: 0 });
  t.equal(codes.filter((c) => c === ErrorCode.QueueFull).length, 1, 'one diagnostic, not one per span');
  exporter.release();
  const flushed = tracer.forceFlush();
  await new Promise((r) => setImmediate(r));
  exporter.release();
  await flushed;
  t.same(processor.stats(), { queued: 0, exported: 20, dropped: 15, failed: 0 });
  await tracer.shutdown();
});

t.test('scheduled export after the delay; batches split at maxExportBatchSize', async (t) => {
  const exporter = new InMemorySpanExporter();
  const processor = new BatchSpanProcessor(exporter, { scheduledDelayMillis: 20, maxExportBatchSize: 4 });
  const tracer = createTracer({ processor, env: {}, registerGlobal: false });
  for (let i = 0; i < 3; i++) tracer.startSpan('x').finish();
  t.equal(exporter.getFinishedSpans().length, 0);
  t.ok(await waitFor(() => exporter.getFinishedSpans().length === 3), 'exported by the timer');
  for (let i = 0; i < 9; i++) tracer.startSpan('y').finish();
  await tracer.forceFlush();
  t.equal(exporter.getFinishedSpans().length, 12);
  await tracer.shutdown();
  tracer.startSpan('after-shutdown').finish();
  await tracer.forceFlush();
  t.same(processor.stats(), { queued: 0, exported: 12, dropped: 0, failed: 0 }, 'ignored after shutdown');
});

t.test('export timeout counts the batch as failed and the processor carries on', async (t) => {
  const codes: string[] = [];
  const prev = setDiagnosticHandler((e) => codes.push(e.code));
  t.teardown(() => setDiagnosticHandler(prev));
  const hung: SpanExporter = { export: () => {}, shutdown: async () => {} };
  const processor = new BatchSpanProcessor(hung, { exportTimeoutMillis: 30 });
  const tracer = createTracer({ processor, env: {}, registerGlobal: false });
  tracer.startSpan('x').finish();
  await tracer.forceFlush();
  t.equal(processor.stats().failed, 1);
  t.ok(codes.includes(ErrorCode.ExportTimeout));
  const throwing: SpanExporter = {
    export: () => {
      throw new Error('boom');
    },
    shutdown: async () => {},
  };
  const p2 = new BatchSpanProcessor(throwing);
  const t2 = createTracer({ processor: p2, env: {}, registerGlobal: false });
  t2.startSpan('x').finish();
  await t2.shutdown();
  t.equal(p2.stats().failed, 1);
  await tracer.shutdown();
});

t.test('OTEL_BSP_* env configures the default batch processor; bad values fail fast', async (t) => {
  t.throws(
    () =>
      createTracer({
        exporter: new InMemorySpanExporter(),
        env: { OTEL_BSP_MAX_QUEUE_SIZE: 'lots' },
        registerGlobal: false,
      }),
    {
      code: ErrorCode.InvalidConfig,
      message: /OTEL_BSP_MAX_QUEUE_SIZE/,
    },
  );
  const tracer = createTracer({
    exporter: new InMemorySpanExporter(),
    env: { OTEL_BSP_MAX_QUEUE_SIZE: '3' },
    registerGlobal: false,
  });
  for (let i = 0; i < 3; i++) tracer.startSpan('x').finish();
  // InMemorySpanExporter reports on a timer
  await waitFor(() => (tracer.processor as BatchSpanProcessor).stats().exported === 3);
  for (let i = 0; i < 5; i++) tracer.startSpan('x').finish();
  const stats = (tracer.processor as BatchSpanProcessor).stats();
  t.equal(stats.exported, 3, 'a full queue of 3 was exported');
  t.equal(stats.dropped, 2, 'a burst beyond the queue size is dropped');
  await tracer.shutdown();
});
