import type { TracesConsumer } from '../consumer.js';
import type { CollectorMetrics } from '../metrics/index.js';
import { createLayerProcessor } from '../processors/layer/index.js';
import type { SpanStore } from '../storage/span-store.js';
import { createStorageWriter, type StorageWriter } from './storage-writer.js';

export interface PipelineOptions {
  store: SpanStore;
  maxQueueSpans: number;
  maxQueueBytes: number;
  maxBatchSpans: number;
  retryAfterSeconds: number;
  metrics?: CollectorMetrics;
  /** Inserted between the layer processor and the storage writer (the stitching processor). */
  processors?: ((next: TracesConsumer) => TracesConsumer)[];
}

export interface Pipeline {
  /** The head of the pipeline: what receivers call. */
  consumer: TracesConsumer;
  /** The last stage (queue depth, drain). */
  writer: StorageWriter;
}

/**
 * receivers → layer processor → [processors…] → storage writer.
 *
 * @example
 * const { consumer } = createPipeline({ store, maxQueueSpans: 200_000, maxQueueBytes: 256 << 20,
 *   maxBatchSpans: 20_000, retryAfterSeconds: 1 });
 */
export function createPipeline(options: PipelineOptions): Pipeline {
  const writer = createStorageWriter(options);
  let next: TracesConsumer = writer;
  const processors = options.processors ?? [];
  for (let i = processors.length - 1; i >= 0; i--) next = processors[i](next);
  const consumer = createLayerProcessor({ next });
  return { consumer, writer };
}
