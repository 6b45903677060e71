import type { TracesConsumer } from '../consumer.js';
import { CollectorErrorCode, createError, isCollectorError } from '../errors.js';
import type { CollectorMetrics } from '../metrics/index.js';
import type { Span, SpanBatch } from '../model/span.js';
import type { SpanStore } from '../storage/span-store.js';
import { estimateSpansSize } from './estimate-size.js';

export interface StorageWriterOptions {
  store: SpanStore;
  /** Queue bound in spans (waiting + being written); beyond it `consume` rejects with 429. */
  maxQueueSpans: number;
  /** Queue bound in estimated bytes; beyond it `consume` rejects with 429. */
  maxQueueBytes: number;
  /** Most spans written in one transaction. */
  maxBatchSpans: number;
  /** Retry-After for refused batches. */
  retryAfterSeconds: number;
  /**
   * Transactions handed to the store at once (default 2: the next batch is encoded while the store
   * commits the previous one; the store applies them in order).
   */
  maxInFlight?: number;
  metrics?: CollectorMetrics;
}

export interface StorageWriter extends TracesConsumer {
  /** Spans and estimated bytes queued (waiting or being written). */
  depth(): { spans: number; bytes: number };
  /** True when the queue is at its bound (receivers refuse before reading the body). */
  isFull(): boolean;
  /** Resolves once every batch accepted so far is committed (or has failed). */
  drain(): Promise<void>;
  /** Refuses new batches (503) and drains. */
  close(): Promise<void>;
}

interface Pending {
  /** the batch's spans, then its rewrites */
  spans: readonly Span[];
  /** how many of `spans` are the batch's own (the rest are rewrites) */
  own: number;
  supersedes: SpanBatch['supersedes'];
  bytes: number;
  receiver: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * The pipeline's last stage: a bounded queue in front of the store. Batches that arrive while a
 * transaction runs are grouped into the next one (group commit); each `consume` resolves only
 * after the transaction holding its spans committed, so an acknowledged span is durable.
 *
 * @example
 * const writer = createStorageWriter({ store, maxQueueSpans: 200_000, maxQueueBytes: 256 << 20,
 *   maxBatchSpans: 20_000, retryAfterSeconds: 1 });
 * await writer.consume({ spans, receiver: 'otlp-http' }); // committed
 */
export function createStorageWriter(options: StorageWriterOptions): StorageWriter {
  const { store, maxQueueSpans, maxQueueBytes, maxBatchSpans, retryAfterSeconds, metrics } = options;
  const maxInFlight = Math.max(1, options.maxInFlight ?? 2);
  const queue: Pending[] = [];
  let queuedSpans = 0;
  let queuedBytes = 0;
  let scheduled = false;
  let inFlight = 0;
  let closed = false;
  let idleWaiters: (() => void)[] = [];

  function updateGauges(): void {
    metrics?.queueSpans.set(queuedSpans);
    metrics?.queueBytes.set(queuedBytes);
  }

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    // setImmediate lets the requests decoded in this turn of the event loop join one transaction.
    setImmediate(pump);
  }

  function settleIdle(): void {
    if (scheduled || inFlight > 0 || queue.length > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Starts transactions while fewer than `maxInFlight` run (the store keeps their order). */
  function pump(): void {
    scheduled = false;
    while (queue.length > 0 && inFlight < maxInFlight) {
      const taken: Pending[] = [];
      let count = 0;
      while (queue.length > 0 && (taken.length === 0 || count + queue[0].spans.length <= maxBatchSpans)) {
        const p = queue.shift()!;
        taken.push(p);
        count += p.spans.length;
      }
      inFlight++;
      void write(taken);
    }
  }

  async function write(taken: Pending[]): Promise<void> {
    const spans: Span[] = taken.length === 1 ? (taken[0].spans as Span[]) : [];
    if (taken.length > 1) for (const p of taken) for (const s of p.spans) spans.push(s);
    const end = metrics?.batchLatency.startTimer();
    let failure: unknown;
    try {
      await store.writeSpans(spans);
      // deletions follow the write they belong to (the store applies them after it)
      for (const p of taken)
        for (const d of p.supersedes ?? []) await store.deleteSpans(d.traceId, d.spanIds);
    } catch (err) {
      failure = err;
    }
    end?.();
    inFlight--;
    for (const p of taken) {
      queuedSpans -= p.spans.length;
      queuedBytes -= p.bytes;
      if (failure === undefined) {
        metrics?.spansStored.inc({ receiver: p.receiver }, p.own);
        if (p.spans.length > p.own) metrics?.spansStored.inc({ receiver: 'rewrite' }, p.spans.length - p.own);
        p.resolve();
      } else {
        metrics?.spansRefused.inc({ receiver: p.receiver, reason: 'storage' }, p.own);
        p.reject(
          isCollectorError(failure)
            ? failure
            : createError(CollectorErrorCode.StorageUnavailable, 'storage write failed; retry later', {
                statusCode: 503,
                retryAfterSeconds,
                cause: failure,
              }),
        );
      }
    }
    updateGauges();
    if (queue.length > 0) pump();
    else settleIdle();
  }

  function isFull(): boolean {
    return queuedSpans >= maxQueueSpans || queuedBytes >= maxQueueBytes;
  }

  return {
    consume(batch: SpanBatch): Promise<void> {
      const rewrites = batch.rewrites ?? [];
      const all = rewrites.length === 0 ? batch.spans : [...batch.spans, ...rewrites];
      const n = all.length;
      if (closed) {
        return Promise.reject(
          createError(CollectorErrorCode.ShuttingDown, 'collector is shutting down', {
            statusCode: 503,
            retryAfterSeconds,
          }),
        );
      }
      if (n === 0 && (batch.supersedes === undefined || batch.supersedes.length === 0))
        return Promise.resolve();
      const bytes =
        (batch.sizeBytes ?? estimateSpansSize(batch.spans)) +
        (rewrites.length === 0 ? 0 : estimateSpansSize(rewrites));
      // A batch larger than the whole bound is still taken when the queue is empty, else it could
      // never be stored; memory then peaks at one request body, which the body limit bounds.
      if (queue.length > 0 || inFlight > 0) {
        if (queuedSpans + n > maxQueueSpans || queuedBytes + bytes > maxQueueBytes) {
          return Promise.reject(
            createError(CollectorErrorCode.QueueFull, 'ingest queue is full; retry later', {
              statusCode: 429,
              retryAfterSeconds,
            }),
          );
        }
      }
      return new Promise<void>((resolve, reject) => {
        queue.push({
          spans: all,
          own: batch.spans.length,
          supersedes: batch.supersedes,
          bytes,
          receiver: batch.receiver,
          resolve,
          reject,
        });
        queuedSpans += n;
        queuedBytes += bytes;
        updateGauges();
        schedule();
      });
    },
    depth: () => ({ spans: queuedSpans, bytes: queuedBytes }),
    isFull,
    drain(): Promise<void> {
      if (!scheduled && inFlight === 0 && queue.length === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async close(): Promise<void> {
      closed = true;
      if (!scheduled && inFlight === 0 && queue.length === 0) return;
      await new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
  };
}
