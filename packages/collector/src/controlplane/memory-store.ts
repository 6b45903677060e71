import type {
  ControlPlaneChanges,
  ControlPlaneStore,
  ControlPlaneWrite,
  DiagnosisSet,
  ObservationRow,
  RemapRow,
} from './store.js';
import { noChanges } from './store.js';

type Sequenced<T> = T & { seq: bigint };

/**
 * The control-plane backend in process memory: what one collector's state writes, kept in write
 * order. Several states may share one instance (they then see each other's writes like states on
 * one PostgreSQL database); nothing outlives the process.
 */
export class MemoryControlPlaneStore implements ControlPlaneStore {
  readonly backend = 'memory';
  readonly shared: boolean;
  #seq = 0n;
  readonly #observations = new Map<string, Sequenced<ObservationRow>>();
  readonly #diagnoses = new Map<string, Sequenced<DiagnosisSet>>();
  readonly #remaps = new Map<string, Sequenced<RemapRow>>();
  readonly #listeners = new Set<() => void>();

  /** @param opts - `shared`: states opened on this instance tail each other's writes */
  constructor(opts: { shared?: boolean } = {}) {
    this.shared = opts.shared === true;
  }

  async load(beforeNanos?: bigint): Promise<ControlPlaneChanges> {
    if (beforeNanos !== undefined) this.#expireDated(beforeNanos);
    const all = this.#since(-1n);
    return { ...all, audit: [] };
  }

  async write(batch: readonly ControlPlaneWrite[]): Promise<void> {
    for (const w of batch) {
      if (w.op === 'observations') {
        for (const r of w.rows)
          if (!this.#observations.has(r.id)) this.#observations.set(r.id, { ...r, seq: ++this.#seq });
      } else if (w.op === 'diagnoses') {
        for (const s of w.sets) this.#diagnoses.set(`${s.traceId}|${s.spanId}`, { ...s, seq: ++this.#seq });
      } else if (w.op === 'remaps') {
        for (const r of w.rows) this.#remaps.set(r.from, { ...r, seq: ++this.#seq });
      } else {
        const { beforeNanos, objects, observationIds } = w.request;
        const gone = new Set(objects.map((o) => `${o.kind}\u0000${o.key}`));
        const ids = new Set(observationIds);
        for (const [id, r] of this.#observations)
          if (
            ids.has(id) ||
            gone.has(`${r.kind}\u0000${r.objectKey}`) ||
            (r.kind === 'audit' && r.atNanos !== undefined && r.atNanos < beforeNanos)
          )
            this.#observations.delete(id);
        this.#expireDated(beforeNanos);
      }
    }
    for (const wake of this.#listeners) wake();
  }

  #expireDated(before: bigint): void {
    for (const [k, s] of this.#diagnoses)
      if (s.diagnoses.length === 0 || s.diagnoses.every((d) => d.timeNanos < before))
        this.#diagnoses.delete(k);
    for (const [k, r] of this.#remaps) if (r.atNanos < before) this.#remaps.delete(k);
    for (const [id, r] of this.#observations)
      if (r.kind === 'audit' && r.atNanos !== undefined && r.atNanos < before) this.#observations.delete(id);
  }

  #since(cursor: bigint): ControlPlaneChanges {
    const out = noChanges(this.#seq);
    const bySeq = <T extends { seq: bigint }>(a: T, b: T) => (a.seq < b.seq ? -1 : 1);
    for (const r of [...this.#observations.values()].filter((x) => x.seq > cursor).sort(bySeq)) {
      if (r.kind === 'audit') out.audit.push(strip(r));
      else out.observations.push(r.observation);
    }
    for (const s of [...this.#diagnoses.values()].filter((x) => x.seq > cursor).sort(bySeq))
      out.diagnoses.push(strip(s));
    for (const r of [...this.#remaps.values()].filter((x) => x.seq > cursor).sort(bySeq))
      out.remaps.push(strip(r));
    return out;
  }

  async changesSince(cursor: bigint): Promise<ControlPlaneChanges> {
    return this.#since(cursor);
  }

  async auditRows(auditIds: readonly string[]): Promise<ObservationRow[]> {
    const wanted = new Set(auditIds);
    return [...this.#observations.values()]
      .filter((r) => r.kind === 'audit' && wanted.has(r.objectKey))
      .sort((a, b) => (a.seq < b.seq ? -1 : 1))
      .map(strip);
  }

  subscribe(wake: () => void): () => void {
    this.#listeners.add(wake);
    return () => this.#listeners.delete(wake);
  }

  async close(): Promise<void> {
    this.#listeners.clear();
  }
}

function strip<T>(r: Sequenced<T>): T {
  const { seq: _seq, ...rest } = r;
  return rest as T;
}
