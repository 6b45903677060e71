// Traces the UI has loaded, by id: fetched from the collector (normalised once), or opened from a
// file. A few are kept so that back and forth between pages does not fetch again.
import type { ApiClient } from './api/client.js';
import { spansFromOtlp } from './model/from-otlp.js';
import { normalizeTrace } from './model/normalize.js';
import type { Trace } from './model/types.js';

const KEEP = 6;

export class TraceStore {
  readonly #api: ApiClient;
  readonly #loaded = new Map<string, Promise<Trace>>();
  /** traces opened from files: never evicted, never fetched */
  readonly #files = new Map<string, Trace>();
  readonly #revisions = new Map<string, number>();

  constructor(api: ApiClient) {
    this.#api = api;
  }

  /** The trace, from a file opened in this tab or from the collector. */
  get(traceID: string): Promise<Trace> {
    const id = traceID.toLowerCase().padStart(32, '0');
    const file = this.#files.get(id);
    if (file !== undefined) return Promise.resolve(file);
    let p = this.#loaded.get(id);
    if (p === undefined) {
      // marks on the browser's performance timeline (devtools, bench/first-screen.ts)
      p = this.#api.get<unknown>(`/api/v3/traces/${id}`).then((doc) => {
        performance.mark('ct:trace-received', { detail: id });
        const trace = normalizeTrace(spansFromOtlp(doc), id);
        performance.mark('ct:trace-normalized', { detail: id });
        return trace;
      });
      p.catch(() => this.#loaded.delete(id));
      this.#loaded.set(id, p);
      while (this.#loaded.size > KEEP) this.#loaded.delete(this.#loaded.keys().next().value!);
    } else {
      // most recently used last
      this.#loaded.delete(id);
      this.#loaded.set(id, p);
    }
    return p;
  }

  addFile(trace: Trace): void {
    this.#files.set(trace.traceID, trace);
    this.#revisions.set(trace.traceID, (this.#revisions.get(trace.traceID) ?? 0) + 1);
  }

  /** Changes when a file replaces the trace (pages showing it start over). */
  revision(traceID: string): number {
    return this.#revisions.get(traceID.toLowerCase().padStart(32, '0')) ?? 0;
  }

  isFromFile(traceID: string): boolean {
    return this.#files.has(traceID.toLowerCase().padStart(32, '0'));
  }
}
