import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { CollectorErrorCode, createError } from '../errors.js';
import type { EndpointSlice, K8sEvent, K8sObject, Observation, ObservationType, Pod } from './k8s-types.js';
import { objectKey } from './k8s-types.js';
import type { EndpointChange, PodRecord } from './timeline.js';
import {
  derivePod,
  deriveSliceChanges,
  eventMessage,
  eventReporter,
  eventSubject,
  eventTiming,
  podIps,
} from './timeline.js';

/** A diagnosis as stored for the query API. */
export interface StoredDiagnosis {
  traceId: string;
  spanId: string;
  code: string;
  message: string;
  evidence: Record<string, string | number | boolean>;
  /** start of the diagnosed span (ns) */
  timeNanos: bigint;
  /** service.name of the diagnosed span */
  service: string;
}

/** What one call of addObservations changed. */
export interface ObservationResult {
  added: number;
  duplicates: number;
  /** pod keys whose derived record changed */
  podKeys: string[];
  /** event keys added or updated */
  eventKeys: string[];
  /** EndpointSlice keys added or updated */
  sliceKeys: string[];
  /** audit ids with new stages */
  auditIds: string[];
  /** other objects touched, as `Kind|namespace/name` */
  objectKeys: string[];
}

/** An ingress controller reload seen in the Events. */
export interface IngressReload {
  atNanos: bigint;
  pod: string;
  message: string;
}

/**
 * The control-plane state: every observed Kubernetes object (persisted), the pod-IP timeline derived
 * from them, and what the stitching processor keeps beside the spans (diagnoses, trace remaps).
 * Derivations are functions of the set of observations, never of their arrival order.
 */
export interface ControlPlaneState {
  addObservations(observations: readonly Observation[]): ObservationResult;
  /** Adds audit.k8s.io Events (persisted like objects); the result lists the audit ids touched. */
  addAuditEvents(events: readonly Record<string, unknown>[]): ObservationResult;
  /** Every stage seen of one audit id. */
  auditStages(auditId: string): Record<string, unknown>[];
  pod(key: string): PodRecord | undefined;
  podsByName(namespace: string, name: string): PodRecord[];
  allPods(): PodRecord[];
  /** The pod that held `ip` at `atNanos` (IPs are reused; the holder at that time wins). */
  podAt(ip: string, atNanos: bigint): PodRecord | undefined;
  /** Every pod known to have held `ip`, by start of the assignment. */
  ipHolders(ip: string): PodRecord[];
  /** EndpointSlice membership changes of an address, by time. */
  endpointChanges(address: string): EndpointChange[];
  /** Observations of other kinds (Deployments, ReplicaSets, …) of one object. */
  objectObservations(kind: string, namespace: string, name: string): Observation[];
  /** The latest version of an Event by key. */
  event(key: string): K8sEvent | undefined;
  allEvents(): K8sEvent[];
  /** Names of the objects of `kind` in `namespace` that have Events or (for Pods) records. */
  subjectNames(kind: string, namespace: string): string[];
  /** Event keys about an object (`kind`, `namespace/name`). */
  eventKeysFor(kind: string, namespace: string, name: string): string[];
  reloadsBetween(fromNanos: bigint, toNanos: bigint): IngressReload[];
  setDiagnoses(traceId: string, spanId: string, diagnoses: readonly StoredDiagnosis[]): void;
  listDiagnoses(q: { sinceNanos?: bigint; service?: string; limit?: number }): StoredDiagnosis[];
  /** Diagnoses of one span. */
  diagnosesOf(traceId: string, spanId: string): StoredDiagnosis[];
  setTraceRemap(fromTraceId: string, toTraceId: string): void;
  traceRemap(fromTraceId: string): string | undefined;
  close(): Promise<void>;
}

export interface ControlPlaneStateOptions {
  /** SQLite file (may be the span store's file: the tables are prefixed `ct_cp_`). */
  path?: string;
  /** keep everything in memory (the default when no path is given) */
  memory?: boolean;
}

/** The key of an Event object (uid, else namespace/name). */
export function eventKeyOf(e: K8sEvent): string {
  return e.metadata?.uid || objectKey(e.metadata?.namespace, e.metadata?.name);
}

function podKeyOf(p: Pod): string {
  return p.metadata?.uid || objectKey(p.metadata?.namespace, p.metadata?.name);
}

function sliceKeyOf(s: EndpointSlice): string {
  return s.metadata?.uid || objectKey(s.metadata?.namespace, s.metadata?.name);
}

function observationId(o: Observation): string {
  return createHash('sha256')
    .update(`${o.type}|${o.arrivalNanos ?? ''}|`)
    .update(JSON.stringify(o.object))
    .digest('hex')
    .slice(0, 40);
}

function isReload(e: K8sEvent): boolean {
  const reason = (e.reason ?? '').toUpperCase();
  return (
    reason === 'RELOAD' ||
    (/reload/i.test(eventMessage(e)) && /ingress|nginx/i.test(`${eventReporter(e)} ${eventMessage(e)}`))
  );
}

class ControlPlaneStateImpl implements ControlPlaneState {
  readonly #db: Database.Database | undefined;
  readonly #seen = new Set<string>();
  readonly #podObs = new Map<string, Observation[]>();
  readonly #pods = new Map<string, PodRecord>();
  readonly #sliceObs = new Map<string, Observation[]>();
  readonly #sliceChanges = new Map<string, EndpointChange[]>();
  readonly #changesByAddress = new Map<string, EndpointChange[]>();
  readonly #events = new Map<string, { event: K8sEvent; rv: number }>();
  readonly #eventsBySubject = new Map<string, Set<string>>();
  readonly #names = new Map<string, Set<string>>();
  readonly #podsByName = new Map<string, Set<string>>();
  readonly #others = new Map<string, Observation[]>();
  readonly #audit = new Map<string, Record<string, unknown>[]>();
  readonly #diagnoses = new Map<string, StoredDiagnosis[]>();
  readonly #remaps = new Map<string, string>();
  #ipIndex: Map<string, PodRecord[]> | undefined;
  #insertObs: Database.Statement | undefined;

  constructor(opts: ControlPlaneStateOptions) {
    if (opts.path !== undefined && opts.memory !== true) {
      try {
        this.#db = new Database(opts.path);
        this.#db.pragma('journal_mode = WAL');
        this.#db.pragma('synchronous = NORMAL');
        this.#db.exec(`
          CREATE TABLE IF NOT EXISTS ct_cp_observations (
            id TEXT PRIMARY KEY, type TEXT NOT NULL, arrival_ns TEXT, body TEXT NOT NULL);
          CREATE TABLE IF NOT EXISTS ct_cp_diagnoses (
            trace_id TEXT NOT NULL, span_id TEXT NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL,
            evidence TEXT NOT NULL, time_ns INTEGER NOT NULL, service TEXT NOT NULL,
            PRIMARY KEY (trace_id, span_id, code));
          CREATE INDEX IF NOT EXISTS ct_cp_diagnoses_time ON ct_cp_diagnoses (time_ns);
          CREATE TABLE IF NOT EXISTS ct_cp_trace_remap (from_trace TEXT PRIMARY KEY, to_trace TEXT NOT NULL);`);
      } catch (cause) {
        throw createError(
          CollectorErrorCode.ControlPlaneOpen,
          `cannot open control-plane state at ${opts.path}`,
          { cause },
        );
      }
      this.#insertObs = this.#db.prepare(
        'INSERT OR IGNORE INTO ct_cp_observations (id, type, arrival_ns, body) VALUES (?, ?, ?, ?)',
      );
      const rows = this.#db
        .prepare('SELECT type, arrival_ns, body FROM ct_cp_observations ORDER BY rowid')
        .all() as {
        type: string;
        arrival_ns: string | null;
        body: string;
      }[];
      const replay: Observation[] = [];
      for (const r of rows) {
        const o: Observation = { type: r.type as ObservationType, object: JSON.parse(r.body) };
        if (r.arrival_ns !== null) o.arrivalNanos = BigInt(r.arrival_ns);
        replay.push(o);
      }
      this.#apply(replay, false);
      for (const r of this.#db.prepare('SELECT * FROM ct_cp_diagnoses').all() as Record<
        string,
        string | number | bigint
      >[]) {
        this.#addDiagnosisToMemory({
          traceId: String(r.trace_id),
          spanId: String(r.span_id),
          code: String(r.code),
          message: String(r.message),
          evidence: JSON.parse(String(r.evidence)),
          timeNanos: BigInt(r.time_ns),
          service: String(r.service),
        });
      }
      for (const r of this.#db.prepare('SELECT from_trace, to_trace FROM ct_cp_trace_remap').all() as {
        from_trace: string;
        to_trace: string;
      }[])
        this.#remaps.set(r.from_trace, r.to_trace);
    }
  }

  addObservations(observations: readonly Observation[]): ObservationResult {
    return this.#apply(observations, true);
  }

  addAuditEvents(events: readonly Record<string, unknown>[]): ObservationResult {
    return this.#apply(
      events.map((e) => ({ type: 'SNAPSHOT', object: e as K8sObject })),
      true,
    );
  }

  auditStages(auditId: string): Record<string, unknown>[] {
    return [...(this.#audit.get(auditId) ?? [])];
  }

  #apply(observations: readonly Observation[], persist: boolean): ObservationResult {
    const result: ObservationResult = {
      added: 0,
      duplicates: 0,
      podKeys: [],
      eventKeys: [],
      sliceKeys: [],
      auditIds: [],
      objectKeys: [],
    };
    const others = new Set<string>();
    const audits = new Set<string>();
    const pods = new Set<string>();
    const slices = new Set<string>();
    const events = new Set<string>();
    const fresh: [string, Observation][] = [];
    for (const o of observations) {
      const id = observationId(o);
      const isNew = !this.#seen.has(id);
      if (isNew) {
        this.#seen.add(id);
        fresh.push([id, o]);
        result.added++;
      } else result.duplicates++;
      // a re-sent object still counts as touched, so its spans are rebuilt (the first send may have
      // been refused downstream)
      const kind = o.object.kind ?? '';
      if (typeof o.object.apiVersion === 'string' && o.object.apiVersion.startsWith('audit.k8s.io/')) {
        const auditId = (o.object as Record<string, unknown>).auditID;
        if (typeof auditId === 'string' && auditId !== '') {
          if (isNew) push(this.#audit, auditId, o.object as Record<string, unknown>);
          audits.add(auditId);
        }
      } else if (kind === 'Pod') {
        const k = podKeyOf(o.object as Pod);
        if (isNew) push(this.#podObs, k, o);
        pods.add(k);
      } else if (kind === 'EndpointSlice') {
        const k = sliceKeyOf(o.object as EndpointSlice);
        if (isNew) push(this.#sliceObs, k, o);
        slices.add(k);
      } else if (kind === 'Event') {
        const e = o.object as K8sEvent;
        const k = eventKeyOf(e);
        if (o.type === 'DELETED') continue; // an expired Event says nothing new
        const rv = Number(e.metadata?.resourceVersion ?? -1);
        const prev = this.#events.get(k);
        if (prev === undefined || !(prev.rv > rv))
          this.#events.set(k, { event: e, rv: Number.isFinite(rv) ? rv : -1 });
        const s = eventSubject(e);
        this.#addName(s.kind, s.namespace, s.name);
        const subject = `${s.kind}|${s.namespace}/${s.name}`;
        const set = this.#eventsBySubject.get(subject) ?? new Set<string>();
        this.#eventsBySubject.set(subject, set);
        set.add(k);
        events.add(k);
      } else {
        const k = `${kind}|${objectKey(o.object.metadata?.namespace, o.object.metadata?.name)}`;
        if (isNew) push(this.#others, k, o);
        others.add(k);
      }
    }
    if (persist && this.#db !== undefined && fresh.length > 0) {
      const insert = this.#insertObs!;
      this.#db.transaction(() => {
        for (const [id, o] of fresh)
          insert.run(
            id,
            o.type,
            o.arrivalNanos === undefined ? null : String(o.arrivalNanos),
            JSON.stringify(o.object),
          );
      })();
    }
    for (const k of pods) {
      const rec = derivePod(k, this.#podObs.get(k) ?? []);
      this.#pods.set(k, rec);
      this.#addName('Pod', rec.namespace, rec.name);
      const byName = this.#podsByName.get(`${rec.namespace}/${rec.name}`) ?? new Set<string>();
      this.#podsByName.set(`${rec.namespace}/${rec.name}`, byName);
      byName.add(k);
    }
    for (const k of slices) {
      for (const c of this.#sliceChanges.get(k) ?? []) this.#changesByAddress.delete(c.address);
      this.#sliceChanges.set(k, deriveSliceChanges(this.#sliceObs.get(k) ?? []));
    }
    if (slices.size > 0) this.#rebuildAddressIndex();
    if (pods.size > 0 || slices.size > 0) this.#ipIndex = undefined;
    // pods named by a changed slice are affected too (their membership spans change)
    for (const k of slices)
      for (const c of this.#sliceChanges.get(k) ?? []) {
        if (c.podUid && this.#pods.has(c.podUid)) pods.add(c.podUid);
        else if (c.podName) for (const p of this.podsByName(...splitKey(c.podName))) pods.add(p.key);
      }
    result.podKeys = [...pods].sort();
    result.sliceKeys = [...slices].sort();
    result.eventKeys = [...events].sort();
    result.auditIds = [...audits].sort();
    result.objectKeys = [...others].sort();
    return result;
  }

  #rebuildAddressIndex(): void {
    this.#changesByAddress.clear();
    for (const changes of this.#sliceChanges.values())
      for (const c of changes) push(this.#changesByAddress, c.address, c);
    for (const list of this.#changesByAddress.values())
      list.sort((a, b) =>
        a.atNanos < b.atNanos ? -1 : a.atNanos > b.atNanos ? 1 : a.slice.localeCompare(b.slice),
      );
  }

  pod(key: string): PodRecord | undefined {
    return this.#pods.get(key);
  }

  #addName(kind: string, namespace: string, name: string): void {
    const k = `${kind}|${namespace}`;
    const set = this.#names.get(k) ?? new Set<string>();
    this.#names.set(k, set);
    set.add(name);
  }

  subjectNames(kind: string, namespace: string): string[] {
    return [...(this.#names.get(`${kind}|${namespace}`) ?? [])].sort();
  }

  podsByName(namespace: string, name: string): PodRecord[] {
    const out: PodRecord[] = [];
    for (const k of this.#podsByName.get(`${namespace}/${name}`) ?? []) {
      const p = this.#pods.get(k);
      if (p) out.push(p);
    }
    return out.sort((a, b) => cmpOpt(a.createdNanos ?? a.ipFromNanos, b.createdNanos ?? b.ipFromNanos));
  }

  allPods(): PodRecord[] {
    return [...this.#pods.values()].sort((a, b) => a.key.localeCompare(b.key));
  }

  #index(): Map<string, PodRecord[]> {
    if (this.#ipIndex !== undefined) return this.#ipIndex;
    const idx = new Map<string, PodRecord[]>();
    for (const p of this.#pods.values()) for (const ip of p.ips) push(idx, ip, p);
    // pods only known from EndpointSlices still hold their address while they are members
    for (const [address, changes] of this.#changesByAddress) {
      const known = idx.get(address) ?? [];
      for (const c of changes) {
        if (!c.podName) continue;
        const [ns, name] = splitKey(c.podName);
        if (known.some((p) => p.name === name && p.namespace === ns)) continue;
        if (this.podsByName(ns, name).length > 0) continue;
        const rec: PodRecord = {
          key: c.podUid || c.podName,
          namespace: ns,
          name,
          uid: c.podUid,
          ips: [address],
          nodeName: '',
          readiness: [],
          ownerReplicaSet: '',
          ipFromNanos: c.atNanos,
        };
        const removed = changes.find(
          (x) => x.kind === 'removed' && x.podName === c.podName && x.atNanos >= c.atNanos,
        );
        if (removed) rec.ipUntilNanos = removed.atNanos;
        known.push(rec);
      }
      if (known.length > 0) idx.set(address, known);
    }
    for (const list of idx.values())
      list.sort((a, b) => cmpOpt(a.ipFromNanos, b.ipFromNanos) || a.key.localeCompare(b.key));
    this.#ipIndex = idx;
    return idx;
  }

  ipHolders(ip: string): PodRecord[] {
    return [...(this.#index().get(ip) ?? [])];
  }

  podAt(ip: string, atNanos: bigint): PodRecord | undefined {
    const holders = this.#index().get(ip);
    if (holders === undefined) return undefined;
    let best: PodRecord | undefined;
    for (let i = 0; i < holders.length; i++) {
      const h = holders[i];
      const from = h.ipFromNanos ?? h.createdNanos;
      if (from !== undefined && from > atNanos) continue;
      if (h.ipUntilNanos !== undefined && atNanos >= h.ipUntilNanos) continue;
      const next = holders[i + 1]?.ipFromNanos;
      if (next !== undefined && atNanos >= next) continue;
      best = h;
    }
    return best;
  }

  endpointChanges(address: string): EndpointChange[] {
    return [...(this.#changesByAddress.get(address) ?? [])];
  }

  objectObservations(kind: string, namespace: string, name: string): Observation[] {
    return [...(this.#others.get(`${kind}|${objectKey(namespace, name)}`) ?? [])];
  }

  event(key: string): K8sEvent | undefined {
    return this.#events.get(key)?.event;
  }

  allEvents(): K8sEvent[] {
    return [...this.#events.values()].map((e) => e.event);
  }

  eventKeysFor(kind: string, namespace: string, name: string): string[] {
    return [...(this.#eventsBySubject.get(`${kind}|${namespace}/${name}`) ?? [])].sort();
  }

  reloadsBetween(fromNanos: bigint, toNanos: bigint): IngressReload[] {
    const out: IngressReload[] = [];
    for (const { event } of this.#events.values()) {
      if (!isReload(event)) continue;
      const t = eventTiming(event);
      const at = t.endNanos ?? t.startNanos;
      if (at === undefined || at < fromNanos || at > toNanos) continue;
      const s = eventSubject(event);
      out.push({ atNanos: at, pod: `${s.namespace}/${s.name}`, message: eventMessage(event) });
    }
    return out.sort((a, b) => cmpOpt(a.atNanos, b.atNanos));
  }

  #addDiagnosisToMemory(d: StoredDiagnosis): void {
    push(this.#diagnoses, `${d.traceId}|${d.spanId}`, d);
  }

  setDiagnoses(traceId: string, spanId: string, diagnoses: readonly StoredDiagnosis[]): void {
    const key = `${traceId}|${spanId}`;
    this.#diagnoses.delete(key);
    for (const d of diagnoses) this.#addDiagnosisToMemory(d);
    if (this.#db !== undefined) {
      const db = this.#db;
      db.transaction(() => {
        db.prepare('DELETE FROM ct_cp_diagnoses WHERE trace_id = ? AND span_id = ?').run(traceId, spanId);
        const ins = db.prepare('INSERT OR REPLACE INTO ct_cp_diagnoses VALUES (?, ?, ?, ?, ?, ?, ?)');
        for (const d of diagnoses)
          ins.run(d.traceId, d.spanId, d.code, d.message, JSON.stringify(d.evidence), d.timeNanos, d.service);
      })();
    }
  }

  listDiagnoses(q: { sinceNanos?: bigint; service?: string; limit?: number }): StoredDiagnosis[] {
    const out: StoredDiagnosis[] = [];
    for (const list of this.#diagnoses.values())
      for (const d of list) {
        if (q.sinceNanos !== undefined && d.timeNanos < q.sinceNanos) continue;
        if (q.service && d.service !== q.service) continue;
        out.push(d);
      }
    out.sort(
      (a, b) =>
        cmpOpt(b.timeNanos, a.timeNanos) || a.spanId.localeCompare(b.spanId) || a.code.localeCompare(b.code),
    );
    return q.limit !== undefined ? out.slice(0, q.limit) : out;
  }

  diagnosesOf(traceId: string, spanId: string): StoredDiagnosis[] {
    return [...(this.#diagnoses.get(`${traceId}|${spanId}`) ?? [])];
  }

  setTraceRemap(fromTraceId: string, toTraceId: string): void {
    if (this.#remaps.get(fromTraceId) === toTraceId) return;
    this.#remaps.set(fromTraceId, toTraceId);
    this.#db?.prepare('INSERT OR REPLACE INTO ct_cp_trace_remap VALUES (?, ?)').run(fromTraceId, toTraceId);
  }

  traceRemap(fromTraceId: string): string | undefined {
    return this.#remaps.get(fromTraceId);
  }

  async close(): Promise<void> {
    if (this.#db?.open) this.#db.close();
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list === undefined) m.set(k, [v]);
  else list.push(v);
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return i < 0 ? ['', key] : [key.slice(0, i), key.slice(i + 1)];
}

function cmpOpt(a: bigint | undefined, b: bigint | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return a < b ? -1 : 1;
}

/**
 * Opens the control-plane state: in memory, or persisted in SQLite (`path`), where the observed
 * objects are kept and the timeline is rebuilt from them on open.
 *
 * @param opts - `{ path }` for SQLite, `{ memory: true }` (or nothing) for memory
 * @example
 * const cp = createControlPlaneState({ path: 'crosstrace.db' });
 * cp.addObservations(parseK8sText(body).observations);
 * cp.podAt('10.244.1.7', nanos);
 */
export function createControlPlaneState(opts: ControlPlaneStateOptions = {}): ControlPlaneState {
  return new ControlPlaneStateImpl(opts);
}

export { podIps };
