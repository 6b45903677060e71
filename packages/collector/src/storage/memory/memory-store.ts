import type { Span } from '../../model/span.js';
import {
  compareNewestFirst,
  distinctTraceIds,
  filterFromSpanQuery,
  filterFromTraceQuery,
  matchesFilter,
  parentSpanIdOf,
  type SpanFilter,
  spanKindName,
} from '../matching.js';
import type { DependencyLink, Operation, SpanQuery, SpanStore, TraceQuery } from '../span-store.js';

/**
 * A SpanStore in process memory: for tests and short-lived runs. Same semantics as the SQLite
 * store (idempotent on trace id + span id, same search rules), no durability.
 */
export class MemorySpanStore implements SpanStore {
  readonly #traces = new Map<string, Map<string, Span>>();
  #closed = false;

  async writeSpans(spans: readonly Span[]): Promise<void> {
    for (const s of spans) {
      let t = this.#traces.get(s.traceId);
      if (t === undefined) {
        t = new Map();
        this.#traces.set(s.traceId, t);
      }
      t.set(s.spanId, s);
    }
  }

  async getTrace(traceId: string): Promise<Span[]> {
    const t = this.#traces.get(traceId.toLowerCase());
    return t === undefined ? [] : [...t.values()].sort((a, b) => -compareNewestFirst(a, b));
  }

  async getSpansByIds(traceId: string, spanIds: readonly string[]): Promise<Span[]> {
    const t = this.#traces.get(traceId.toLowerCase());
    if (t === undefined) return [];
    const out: Span[] = [];
    for (const id of spanIds) {
      const s = t.get(id.toLowerCase());
      if (s !== undefined) out.push(s);
    }
    return out;
  }

  async deleteSpans(traceId: string, spanIds?: readonly string[]): Promise<void> {
    const id = traceId.toLowerCase();
    const t = this.#traces.get(id);
    if (t === undefined) return;
    if (spanIds === undefined) {
      this.#traces.delete(id);
      return;
    }
    for (const s of spanIds) t.delete(s.toLowerCase());
    if (t.size === 0) this.#traces.delete(id);
  }

  #search(f: SpanFilter): Span[] {
    const out: Span[] = [];
    const traces =
      f.traceId !== undefined
        ? [this.#traces.get(f.traceId)].filter((t) => t !== undefined)
        : this.#traces.values();
    for (const t of traces) for (const s of t.values()) if (matchesFilter(s, f)) out.push(s);
    return out.sort(compareNewestFirst);
  }

  async findTraceIds(query: TraceQuery): Promise<string[]> {
    return distinctTraceIds(this.#search(filterFromTraceQuery(query)), query.limit);
  }

  async findSpans(query: SpanQuery): Promise<Span[]> {
    return this.#search(filterFromSpanQuery(query)).slice(0, Math.max(0, query.limit));
  }

  async getServices(): Promise<string[]> {
    const names = new Set<string>();
    for (const t of this.#traces.values()) for (const s of t.values()) names.add(s.serviceName);
    return [...names].sort();
  }

  async getOperations(service: string, spanKind?: string): Promise<Operation[]> {
    const ops = new Map<string, Operation>();
    for (const t of this.#traces.values()) {
      for (const s of t.values()) {
        if (s.serviceName !== service) continue;
        const kind = spanKindName(s.kind);
        if (spanKind !== undefined && spanKind !== '' && kind !== spanKind) continue;
        ops.set(`${s.name}\u0000${kind}`, { name: s.name, spanKind: kind });
      }
    }
    return [...ops.values()].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : a.spanKind < b.spanKind ? -1 : 1,
    );
  }

  async getDependencies(endMs: number, lookbackMs: number): Promise<DependencyLink[]> {
    const end = BigInt(Math.trunc(endMs)) * 1_000_000n;
    const start = end - BigInt(Math.trunc(lookbackMs)) * 1_000_000n;
    const counts = new Map<string, DependencyLink>();
    for (const t of this.#traces.values()) {
      for (const s of t.values()) {
        if (s.startTimeUnixNano < start || s.startTimeUnixNano > end) continue;
        const parentId = parentSpanIdOf(s);
        const parent = parentId === '' ? undefined : t.get(parentId);
        if (parent === undefined || parent.serviceName === s.serviceName) continue;
        const key = `${parent.serviceName}\u0000${s.serviceName}`;
        const link = counts.get(key);
        if (link === undefined)
          counts.set(key, { parent: parent.serviceName, child: s.serviceName, callCount: 1 });
        else link.callCount++;
      }
    }
    return [...counts.values()];
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#traces.clear();
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }
}

/** A new, empty in-memory SpanStore. */
export function createMemoryStore(): MemorySpanStore {
  return new MemorySpanStore();
}
