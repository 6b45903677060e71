import type { Span } from '../../src/model/span.js';
import { createMemoryStore, type SpanStore } from '../../src/storage/index.js';

/** A memory store whose writes wait until `open()`, or fail while `failing` is set. */
export interface GatedStore extends SpanStore {
  open(): void;
  failing: boolean;
  writes: number;
  committed: Span[];
}

export function createGatedStore(): GatedStore {
  const inner = createMemoryStore();
  let release: () => void = () => {};
  let gate = new Promise<void>((r) => {
    release = r;
  });
  const store: GatedStore = {
    failing: false,
    writes: 0,
    committed: [],
    open() {
      release();
      gate = Promise.resolve();
    },
    async writeSpans(spans) {
      store.writes++;
      await gate;
      if (store.failing) throw new Error('disk on fire');
      await inner.writeSpans(spans);
      store.committed.push(...spans);
    },
    // every other method reads or deletes through the inner store unchanged
    getTrace: (traceId) => inner.getTrace(traceId),
    findTraceIds: (query) => inner.findTraceIds(query),
    findSpans: (query) => inner.findSpans(query),
    getSpansByIds: (traceId, spanIds) => inner.getSpansByIds(traceId, spanIds),
    deleteSpans: (traceId, spanIds) => inner.deleteSpans(traceId, spanIds),
    getServices: () => inner.getServices(),
    getOperations: (service, spanKind) => inner.getOperations(service, spanKind),
    getDependencies: (endMs, lookbackMs) => inner.getDependencies(endMs, lookbackMs),
    close: () => inner.close(),
  };
  return store;
}
