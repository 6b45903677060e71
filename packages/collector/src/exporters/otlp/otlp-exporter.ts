import type { Span } from '../../model/span.js';
import type { SpanStore } from '../../storage/span-store.js';
import { Delivery, type DeliveryStats } from '../queue/delivery.js';
import type { PersistentQueue } from '../queue/persistent-queue.js';
import { encodeTracesProtobuf } from './encode-traces.js';
import { type ClientTls, createOtlpClient, type OtlpClient } from './otlp-client.js';

export interface OtlpExporterOptions {
  /** `grpc://tempo:4317`, `grpcs://…`, `http://jaeger-collector:4318`, `https://…` */
  endpoint: string;
  queue: PersistentQueue;
  tls?: ClientTls;
  /** e.g. `{ authorization: 'Bearer …', 'x-scope-orgid': 'team-a' }` */
  headers?: Record<string, string>;
  /** Sends in flight (default 4). */
  concurrency?: number;
  /** Spans per request (default 2 000). */
  maxBatchSpans?: number;
  onError?(err: unknown): void;
}

/**
 * Sends spans on to another OTLP backend (Jaeger, Tempo, an OpenTelemetry Collector) through a
 * persistent queue with retries: `export()` returns once the spans are on disk.
 *
 * @example
 * const exporter = new OtlpExporter({ endpoint: 'grpc://tempo:4317', queue });
 * exporter.start();
 * exporter.export(spans);
 */
export class OtlpExporter {
  readonly endpoint: string;
  readonly #queue: PersistentQueue;
  readonly #client: OtlpClient;
  readonly #delivery: Delivery;
  readonly #maxBatch: number;

  constructor(o: OtlpExporterOptions) {
    this.endpoint = o.endpoint;
    this.#queue = o.queue;
    this.#client = createOtlpClient({ endpoint: o.endpoint, tls: o.tls, headers: o.headers });
    this.#maxBatch = o.maxBatchSpans ?? 2000;
    this.#delivery = new Delivery({
      queue: o.queue,
      concurrency: o.concurrency,
      send: (item) => this.#client.exportTraces(item.payload),
      onResult: (item, r) => {
        if (r.kind === 'permanent')
          o.onError?.(new Error(`${o.endpoint} refused ${item.items} spans for good: ${r.message}`));
        else if (r.kind === 'ok' && r.rejected > 0)
          o.onError?.(new Error(`${o.endpoint} rejected ${r.rejected} spans: ${r.message}`));
      },
    });
  }

  start(): void {
    this.#delivery.add(this.endpoint);
  }

  get stats(): DeliveryStats {
    return this.#delivery.stats;
  }

  /** Queues the spans (committed to disk on return); throws 429 when the queue is full. */
  export(spans: readonly Span[]): void {
    if (spans.length === 0) return;
    const entries = [];
    for (let i = 0; i < spans.length; i += this.#maxBatch) {
      const part = spans.slice(i, i + this.#maxBatch);
      entries.push({
        dest: this.endpoint,
        kind: 'traces',
        payload: encodeTracesProtobuf(part),
        items: part.length,
      });
    }
    this.#queue.enqueue(entries);
    this.#delivery.wake(this.endpoint);
  }

  drain(): Promise<void> {
    return this.#delivery.drained();
  }

  /** Payloads and bytes waiting in the queue. */
  depth(): { spans: number; bytes: number } {
    const d = this.#queue.depth();
    return { spans: d.rows, bytes: d.bytes };
  }

  async close(): Promise<void> {
    await this.#delivery.stop();
    this.#client.close();
    this.#queue.close();
  }
}

/**
 * A SpanStore that also exports every span it stores (the stitching processor's rewrites
 * included), after the store committed them: stitched spans, with their layer and diagnoses, reach
 * the other backend as they are stored here. Deletions are not exported (OTLP has none).
 */
export function exportingStore(store: SpanStore, exporter: OtlpExporter): SpanStore {
  return {
    async writeSpans(spans) {
      await store.writeSpans(spans);
      exporter.export(spans);
    },
    getTrace: (id) => store.getTrace(id),
    findTraceIds: (q) => store.findTraceIds(q),
    findSpans: (q) => store.findSpans(q),
    getSpansByIds: (id, ids) => store.getSpansByIds(id, ids),
    deleteSpans: (id, ids) => store.deleteSpans(id, ids),
    getServices: () => store.getServices(),
    getOperations: (s, k) => store.getOperations(s, k),
    getDependencies: (e, l) => store.getDependencies(e, l),
    close: () => store.close(),
  };
}
