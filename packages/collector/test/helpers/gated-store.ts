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
  const store: GatedStore = Object.assign(Object.create(null) as GatedStore, {
    failing: false,
    writes: 0,
    committed: [] as Span[],
    open() {
      release();
      gate = Promise.resolve();
    },
    async writeSpans(spans: readonly Span[]) {
      store.writes++;
      await gate;
      if (store.failing) throw new Error('disk on fire');
      await inner.writeSpans(spans);
      store.committed.push(...spans);
    },
  });
  for (const k of [
    'getTrace',
    'findTraceIds',
    'findSpans',
    'getServices',
    'getOperations',
    'getDependencies',
    'close',
  ] as const) {
    // biome-ignore lint/suspicious/noExplicitAny: forwarding every read method unchanged
    (store as any)[k] = (...args: unknown[]) => (inner as any)[k](...args);
  }
  return store;
}
