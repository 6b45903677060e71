import { CollectorErrorCode, createError, isCollectorError } from '../errors.js';
import type { EndpointSlice, K8sEvent, K8sObject, Observation, Pod } from './k8s-types.js';
import { isRecord, objectKey } from './k8s-types.js';
import {
  auditIdOf,
  auditTime,
  eventKeyOf,
  type ObjectRef,
  observationId,
  observationRef,
  observationRow,
  podKeyOf,
  sliceKeyOf,
} from './observation-row.js';
import { sanitizeObject } from './sanitize.js';
import { SqliteControlPlaneStore } from './sqlite-store.js';
import type {
  ControlPlaneChanges,
  ControlPlaneStore,
  ControlPlaneWrite,
  DiagnosisSet,
  ObservationRow,
  RemapRow,
  StoredDiagnosis,
} from './store.js';
import { NANOS_PER_MS } from './time.js';
import type { EndpointChange, PodRecord } from './timeline.js';
import {
  compareObservations,
  derivePod,
  deriveSliceChanges,
  eventMessage,
  eventReporter,
  eventSubject,
  eventTiming,
  observationTime,
  podIps,
} from './timeline.js';

export { eventKeyOf } from './observation-row.js';
export type { StoredDiagnosis } from './store.js';

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
 * The control-plane state: every observed Kubernetes object, the pod-IP timeline derived from them,
 * and what the stitching processor keeps beside the spans (diagnoses, trace remaps). Derivations
 * are functions of the set of observations, never of their arrival order.
 *
 * Reads and writes are synchronous on an in-memory view (the stitching hot path); a
 * {@link ControlPlaneStore} backend (SQLite, PostgreSQL) persists the writes in order in the
 * background (`flush()` waits for them), hydrates the view on open, and — when several collectors
 * share it — feeds the view what the others wrote (`refresh()`, also run on a period and on the
 * backend's wake-ups).
 */
export interface ControlPlaneState {
  /** `memory` (nothing persisted), or the backend's name: `memory`, `sqlite`, `postgres`. */
  readonly backend: string;
  /** Several collectors share the backend: the view follows what they write. */
  readonly shared: boolean;
  addObservations(observations: readonly Observation[]): ObservationResult;
  /** Adds audit.k8s.io Events (persisted like objects); the result lists the audit ids touched. */
  addAuditEvents(events: readonly Record<string, unknown>[]): ObservationResult;
  /**
   * Reads back from the backend the stages of audit ids no longer (or not yet) held in memory, so
   * that a late stage joins its earlier ones; call before `addAuditEvents`.
   */
  loadAuditStages(auditIds: readonly string[]): Promise<void>;
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
  /**
   * Records that spans of `fromTraceId` belong to `toTraceId` from now on; `atNanos` (the start of
   * the span that made the join) dates it for retention (default: now).
   */
  setTraceRemap(fromTraceId: string, toTraceId: string, atNanos?: bigint): void;
  /** Several remaps at once (one transaction when persisted). */
  setTraceRemaps(remaps: readonly { from: string; to: string; atNanos?: bigint }[]): void;
  traceRemap(fromTraceId: string): string | undefined;
  /**
   * Forgets what only concerns times before `beforeNanos` (the oldest span the store still holds):
   * objects deleted before it, Events and audit events that ended before it, older versions of
   * live objects but the last one before it, diagnoses and trace remaps dated before it. What
   * remains derives the same timeline for every time from `beforeNanos` on.
   */
  expire(beforeNanos: bigint): ExpireResult;
  /** What is held: observations (and audit stages), diagnoses, trace remaps. */
  size(): { observations: number; diagnoses: number; remaps: number };
  /**
   * Rows written to the view and not yet in the backend (observations, diagnosis sets, remaps; an
   * expiry counts one): grows while the backend cannot be written.
   */
  backlog(): number;
  /**
   * Resolves when every write so far is in the backend; rejects (CollectorError
   * `CT_COLLECTOR_CONTROLPLANE_WRITE`, 503) when the backend failed: the writes stay queued.
   */
  flush(): Promise<void>;
  /** Reads into the view what other collectors wrote to a shared backend (nothing to do otherwise). */
  refresh(): Promise<void>;
  /** Flushes, stops following the backend, closes it when the state opened it. */
  close(): Promise<void>;
}

/** What one `expire` forgot. */
export interface ExpireResult {
  observations: number;
  diagnoses: number;
  remaps: number;
}

export interface ControlPlaneStateOptions {
  /** SQLite file (may be the span store's file: the tables are prefixed `ct_cp_`). */
  path?: string;
  /** keep everything in memory (the default when no path is given) */
  memory?: boolean;
  /** The span retention (ms): on open, what is older is expired before it is replayed into memory. */
  retentionMs?: number;
}

export interface OpenControlPlaneStateOptions {
  /** The backend to hydrate from and write to. */
  store: ControlPlaneStore;
  /** Close the backend with the state (default true). */
  closeStore?: boolean;
  /** The span retention (ms): on open, what is older is expired before the view is built. */
  retentionMs?: number;
  /** A shared backend: how often the view reads what others wrote, besides wake-ups (default 1000 ms). */
  pollIntervalMs?: number;
  /** Told of background failures (writes retried, reads retried on the next period). */
  onError?: (err: unknown) => void;
}

function isReload(e: K8sEvent): boolean {
  const reason = (e.reason ?? '').toUpperCase();
  return (
    reason === 'RELOAD' ||
    (/reload/i.test(eventMessage(e)) && /ingress|nginx/i.test(`${eventReporter(e)} ${eventMessage(e)}`))
  );
}

class ControlPlaneStateImpl implements ControlPlaneState {
  /** observation id → `kind\u0000key` of its object (to forget an object's ids with it) */
  readonly #seen = new Map<string, string>();
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
  /**
   * Stages of the most recent audit ids (least recently used first): an audit log holds millions
   * of ids, each wanted only until its last stage came; older ones are read back from the table
   * when a late stage comes (forgotten, when nothing is persisted).
   */
  readonly #audit = new Map<string, AuditEntry>();
  readonly #diagnoses = new Map<string, StoredDiagnosis[]>();
  /** trace remaps by the trace they move (`from`), with their date */
  readonly #remaps = new Map<string, RemapRow>();
  #ipIndex: Map<string, PodRecord[]> | undefined;
  readonly #store: ControlPlaneStore | undefined;
  readonly #closeStore: boolean;
  readonly #onError: (err: unknown) => void;
  /** writes not yet in the backend, in order */
  #pending: ControlPlaneWrite[] = [];
  /** the batch the backend is writing now (back in `#pending` if it fails) */
  #writing: readonly ControlPlaneWrite[] = [];
  #draining: Promise<void> | undefined;
  #drainScheduled = false;
  #retryTimer: NodeJS.Timeout | undefined;
  /** the backend's sequence number this view has read up to (shared backends) */
  #cursor = 0n;
  #refreshing: Promise<void> | undefined;
  #refreshAgain: Promise<void> | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  #closed = false;

  constructor(
    opts: {
      store?: ControlPlaneStore;
      closeStore?: boolean;
      snapshot?: ControlPlaneChanges;
      pollIntervalMs?: number;
      onError?: (err: unknown) => void;
    } = {},
  ) {
    this.#store = opts.store;
    this.#closeStore = opts.closeStore ?? true;
    this.#onError = opts.onError ?? (() => {});
    if (opts.snapshot !== undefined) this.#applyChanges(opts.snapshot);
    const store = this.#store;
    if (store?.shared) {
      const poll = opts.pollIntervalMs ?? 1000;
      if (poll > 0) {
        this.#pollTimer = setInterval(() => this.#backgroundRefresh(), poll);
        this.#pollTimer.unref();
      }
      this.#unsubscribe = store.subscribe?.(() => this.#backgroundRefresh());
    }
  }

  get backend(): string {
    return this.#store?.backend ?? 'memory';
  }

  get shared(): boolean {
    return this.#store?.shared === true;
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
    // a read never makes an entry: `loadAuditStages` reads back ids not held
    return this.#audit.has(auditId) ? [...this.#auditEntry(auditId).stages] : [];
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
    const fresh: ObservationRow[] = [];
    for (const o of observations) {
      // audit events are read defensively where their spans are built; objects are typed here once
      if (!isRecord(o.object)) continue;
      if (auditIdOf(o) === undefined) sanitizeObject(o.object);
      const id = observationId(o);
      const auditId = auditIdOf(o);
      if (auditId !== undefined) {
        // audit events: deduplicated within their id, held by the bounded audit cache
        const entry = this.#auditEntry(auditId);
        if (!entry.ids.has(id)) {
          entry.ids.add(id);
          entry.stages.push(auditStage(o.object as Record<string, unknown>));
          fresh.push(observationRow(o, id, { kind: 'audit', key: auditId }));
          result.added++;
        } else result.duplicates++;
        if (auditId !== '') audits.add(auditId);
        continue;
      }
      const isNew = !this.#seen.has(id);
      if (isNew) {
        const ref: ObjectRef = observationRef(o);
        this.#seen.set(id, `${ref.kind}\u0000${ref.key}`);
        fresh.push(observationRow(o, id, ref));
        result.added++;
      } else {
        result.duplicates++;
        // what the backend hands back (hydration, another collector's echo) changes nothing known
        if (!persist) continue;
      }
      // a re-sent object still counts as touched, so its spans are rebuilt (the first send may have
      // been refused downstream)
      const kind = o.object.kind ?? '';
      if (kind === 'Pod') {
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
    if (persist && fresh.length > 0) this.#write({ op: 'observations', rows: fresh });
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
    const set: DiagnosisSet = { traceId, spanId, diagnoses: [...diagnoses] };
    this.#setDiagnosesInMemory(set);
    this.#write({ op: 'diagnoses', sets: [set] });
  }

  #setDiagnosesInMemory(set: DiagnosisSet): void {
    this.#diagnoses.delete(`${set.traceId}|${set.spanId}`);
    for (const d of set.diagnoses) this.#addDiagnosisToMemory(d);
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
    if (this.#diagnoses.size === 0) return [];
    const list = this.#diagnoses.get(`${traceId}|${spanId}`);
    return list === undefined ? [] : [...list];
  }

  setTraceRemap(fromTraceId: string, toTraceId: string, atNanos?: bigint): void {
    this.setTraceRemaps([{ from: fromTraceId, to: toTraceId, atNanos }]);
  }

  setTraceRemaps(remaps: readonly { from: string; to: string; atNanos?: bigint }[]): void {
    const rows: RemapRow[] = [];
    for (const r of remaps) {
      const at = r.atNanos ?? BigInt(Date.now()) * NANOS_PER_MS;
      const prev = this.#remaps.get(r.from);
      if (prev !== undefined && prev.to === r.to && prev.atNanos >= at) continue;
      const row: RemapRow = {
        from: r.from,
        to: r.to,
        atNanos: prev !== undefined && prev.atNanos > at ? prev.atNanos : at,
      };
      this.#remaps.set(r.from, row);
      rows.push(row);
    }
    if (rows.length > 0) this.#write({ op: 'remaps', rows });
  }

  traceRemap(fromTraceId: string): string | undefined {
    return this.#remaps.get(fromTraceId)?.to;
  }

  size(): { observations: number; diagnoses: number; remaps: number } {
    let diagnoses = 0;
    for (const list of this.#diagnoses.values()) diagnoses += list.length;
    let audit = 0;
    for (const e of this.#audit.values()) audit += e.stages.length;
    return { observations: this.#seen.size + audit, diagnoses, remaps: this.#remaps.size };
  }

  backlog(): number {
    let rows = 0;
    for (const w of this.#pending) rows += writeRows(w);
    for (const w of this.#writing) rows += writeRows(w);
    return rows;
  }

  async loadAuditStages(auditIds: readonly string[]): Promise<void> {
    const store = this.#store;
    if (store === undefined) return;
    const missing = [...new Set(auditIds)].filter((id) => !this.#audit.has(id));
    if (missing.length === 0) return;
    let rows: ObservationRow[];
    try {
      rows = await store.auditRows(missing);
    } catch (cause) {
      throw backendError('cannot read audit events back from the control-plane backend', cause);
    }
    // merged: stages may have come while reading
    for (const id of missing) this.#auditEntry(id);
    for (const r of rows) this.#addAuditRow(this.#auditEntry(r.objectKey), r);
  }

  #addAuditRow(entry: AuditEntry, r: ObservationRow): void {
    if (entry.ids.has(r.id)) return;
    entry.ids.add(r.id);
    entry.stages.push(auditStage(r.observation.object as Record<string, unknown>));
  }

  /** The stages of an audit id (most recently used kept in memory; `loadAuditStages` reads back). */
  #auditEntry(auditId: string): AuditEntry {
    let entry = this.#audit.get(auditId);
    if (entry !== undefined) {
      this.#audit.delete(auditId);
      this.#audit.set(auditId, entry);
      return entry;
    }
    entry = { stages: [], ids: new Set() };
    this.#audit.set(auditId, entry);
    if (this.#audit.size > MAX_AUDIT_IDS) {
      const oldest = this.#audit.keys().next().value;
      if (oldest !== undefined) this.#audit.delete(oldest);
    }
    return entry;
  }

  expire(before: bigint): ExpireResult {
    const result: ExpireResult = { observations: 0, diagnoses: 0, remaps: 0 };
    /** objects forgotten whole, as `kind\u0000key` */
    const gone = new Set<string>();
    /** single observations of objects that stay */
    const dropped: string[] = [];
    const compactAll = (
      kind: string,
      all: Map<string, Observation[]>,
      deletedAt: (k: string, obs: Observation[]) => bigint | undefined,
    ) => {
      const touched: string[] = [];
      for (const [k, obs] of all) {
        const del = deletedAt(k, obs);
        if (del !== undefined && del < before) {
          all.delete(k);
          gone.add(`${kind}\u0000${k}`);
          touched.push(k);
          continue;
        }
        const kept = compact(obs, before);
        if (kept.length === obs.length) continue;
        for (const o of obs) if (!kept.includes(o)) dropped.push(observationId(o));
        all.set(k, kept);
        touched.push(k);
      }
      return touched;
    };
    for (const k of compactAll('Pod', this.#podObs, (k) => this.#pods.get(k)?.deletedNanos)) {
      const obs = this.#podObs.get(k);
      if (obs === undefined) this.#pods.delete(k);
      else this.#pods.set(k, derivePod(k, obs));
    }
    for (const k of compactAll('EndpointSlice', this.#sliceObs, deletedAtOf)) {
      const obs = this.#sliceObs.get(k);
      if (obs === undefined) this.#sliceChanges.delete(k);
      else this.#sliceChanges.set(k, deriveSliceChanges(obs));
    }
    for (const [k, obs] of this.#others) {
      const del = deletedAtOf(k, obs);
      if (del !== undefined && del < before) {
        this.#others.delete(k);
        gone.add(`${obs[0]?.object.kind ?? ''}\u0000${k}`);
        continue;
      }
      const kept = compact(obs, before);
      if (kept.length === obs.length) continue;
      for (const o of obs) if (!kept.includes(o)) dropped.push(observationId(o));
      this.#others.set(k, kept);
    }
    for (const [k, { event }] of this.#events) {
      const t = eventTiming(event);
      const end = t.endNanos ?? t.startNanos;
      if (end !== undefined && end >= before) continue;
      this.#events.delete(k);
      gone.add(`Event\u0000${k}`);
    }
    for (const [id, entry] of this.#audit) {
      let last: bigint | undefined;
      for (const st of entry.stages) {
        const at = auditTime(st);
        if (at !== undefined && (last === undefined || at > last)) last = at;
      }
      if (last !== undefined && last >= before) continue;
      this.#audit.delete(id);
      result.observations += entry.stages.length;
    }
    const droppedIds = new Set(dropped);
    for (const [id, ref] of this.#seen) {
      // an Event seen only deleted (its other versions came before this state) is nothing to keep
      const orphan = ref.startsWith('Event\u0000') && !this.#events.has(ref.slice('Event\u0000'.length));
      if (orphan) gone.add(ref);
      if (!orphan && !gone.has(ref) && !droppedIds.has(id)) continue;
      this.#seen.delete(id);
      result.observations++;
    }
    if (gone.size > 0 || dropped.length > 0) this.#reindex();
    for (const [k, list] of this.#diagnoses) {
      const kept = list.filter((d) => d.timeNanos >= before);
      result.diagnoses += list.length - kept.length;
      if (kept.length === 0) this.#diagnoses.delete(k);
      else if (kept.length < list.length) this.#diagnoses.set(k, kept);
    }
    for (const [from, row] of this.#remaps) {
      if (row.atNanos >= before) continue;
      this.#remaps.delete(from);
      result.remaps++;
    }
    // the backend also drops audit events held only there, whatever memory held
    this.#write({
      op: 'expire',
      request: {
        beforeNanos: before,
        objects: [...gone].map((ref) => {
          const [kind, key] = ref.split('\u0000');
          return { kind, key };
        }),
        observationIds: dropped,
      },
    });
    return result;
  }

  /** Rebuilds the name and address indexes from what is held (after `expire`). */
  #reindex(): void {
    this.#names.clear();
    this.#podsByName.clear();
    for (const [k, rec] of this.#pods) {
      this.#addName('Pod', rec.namespace, rec.name);
      const byName = this.#podsByName.get(`${rec.namespace}/${rec.name}`) ?? new Set<string>();
      this.#podsByName.set(`${rec.namespace}/${rec.name}`, byName);
      byName.add(k);
    }
    this.#eventsBySubject.clear();
    for (const [k, { event }] of this.#events) {
      const sub = eventSubject(event);
      this.#addName(sub.kind, sub.namespace, sub.name);
      const subject = `${sub.kind}|${sub.namespace}/${sub.name}`;
      const set = this.#eventsBySubject.get(subject) ?? new Set<string>();
      this.#eventsBySubject.set(subject, set);
      set.add(k);
    }
    this.#rebuildAddressIndex();
    this.#ipIndex = undefined;
  }

  // ---- the backend -------------------------------------------------------------------------

  #write(w: ControlPlaneWrite): void {
    if (this.#store === undefined) return;
    this.#pending.push(w);
    this.#scheduleDrain();
  }

  #scheduleDrain(): void {
    if (this.#drainScheduled || this.#retryTimer !== undefined) return;
    this.#drainScheduled = true;
    queueMicrotask(() => {
      this.#drainScheduled = false;
      this.#drain().catch((err) => {
        this.#onError(err);
        // queued writes are retried; a flush() reports the failure to its caller meanwhile
        this.#retryTimer ??= setTimeout(() => {
          this.#retryTimer = undefined;
          this.#scheduleDrain();
        }, 1000);
        this.#retryTimer.unref();
      });
    });
  }

  /** Writes what is queued, batch after batch, until nothing is; a failed batch stays first in line. */
  #drain(): Promise<void> {
    const store = this.#store;
    if (store === undefined) return Promise.resolve();
    this.#draining ??= (async () => {
      while (this.#pending.length > 0) {
        const batch = this.#pending;
        this.#pending = [];
        this.#writing = batch;
        try {
          await store.write(batch);
        } catch (cause) {
          this.#pending = [...batch, ...this.#pending];
          throw backendError('cannot write the control-plane state to its backend', cause);
        } finally {
          this.#writing = [];
        }
      }
    })().finally(() => {
      this.#draining = undefined;
    });
    return this.#draining;
  }

  async flush(): Promise<void> {
    while (this.#pending.length > 0 || this.#draining !== undefined) await this.#drain();
  }

  refresh(): Promise<void> {
    const store = this.#store;
    if (store === undefined || !store.shared || this.#closed) return Promise.resolve();
    if (this.#refreshing !== undefined) {
      // a read already under way may have started before what the caller wants to see: one more
      this.#refreshAgain ??= this.#refreshing
        .catch(() => {})
        .then(() => {
          this.#refreshAgain = undefined;
          return this.refresh();
        });
      return this.#refreshAgain;
    }
    this.#refreshing = (async () => {
      let changes: ControlPlaneChanges;
      try {
        changes = await store.changesSince(this.#cursor);
      } catch (cause) {
        throw backendError('cannot read the control-plane state from its backend', cause);
      }
      this.#applyChanges(changes);
    })().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  #backgroundRefresh(): void {
    this.refresh().catch((err) => this.#onError(err));
  }

  /** What the backend holds or others wrote, into the view (nothing is written back). */
  #applyChanges(changes: ControlPlaneChanges): void {
    if (changes.observations.length > 0) this.#apply(changes.observations, false);
    for (const r of changes.audit) {
      // only ids held in memory: the others are read back when a stage of theirs comes
      const entry = this.#audit.get(r.objectKey);
      if (entry !== undefined) this.#addAuditRow(entry, r);
    }
    // a write still queued here will be numbered after anything the backend hands back now: it
    // wins there, so it stays here (a batch being written is not skipped: its own rows, numbered
    // in order with the others', come back and settle it)
    const unwritten = this.#queuedKeys();
    for (const set of changes.diagnoses)
      if (!unwritten.has(`d|${set.traceId}|${set.spanId}`)) this.#setDiagnosesInMemory(set);
    for (const r of changes.remaps) {
      if (unwritten.has(`r|${r.from}`)) continue;
      this.#remaps.set(r.from, r);
    }
    if (changes.cursor > this.#cursor) this.#cursor = changes.cursor;
  }

  /** Diagnosis (`d|trace|span`) and remap (`r|from`) keys of the queued writes. */
  #queuedKeys(): Set<string> {
    const keys = new Set<string>();
    for (const w of this.#pending) {
      if (w.op === 'diagnoses') for (const d of w.sets) keys.add(`d|${d.traceId}|${d.spanId}`);
      else if (w.op === 'remaps') for (const r of w.rows) keys.add(`r|${r.from}`);
    }
    return keys;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#pollTimer !== undefined) clearInterval(this.#pollTimer);
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#unsubscribe?.();
    try {
      await this.#refreshing?.catch(() => {});
      await this.flush();
    } catch (err) {
      this.#onError(err);
    }
    if (this.#closeStore) await this.#store?.close();
  }
}

function writeRows(w: ControlPlaneWrite): number {
  switch (w.op) {
    case 'observations':
    case 'remaps':
      return w.rows.length;
    case 'diagnoses':
      return w.sets.length;
    case 'expire':
      return 1;
  }
}

function backendError(message: string, cause: unknown) {
  if (isCollectorError(cause)) return cause;
  return createError(
    CollectorErrorCode.ControlPlaneWrite,
    `${message}: ${(cause as Error)?.message ?? cause}`,
    {
      statusCode: 503,
      retryAfterSeconds: 1,
      cause,
    },
  );
}

/** Audit ids whose stages are held in memory (most recently used). */
const MAX_AUDIT_IDS = 4096;

/** The fields of an audit event its span is built from (request and response bodies stay on disk). */
const AUDIT_FIELDS = [
  'kind',
  'apiVersion',
  'level',
  'auditID',
  'stage',
  'requestURI',
  'verb',
  'user',
  'sourceIPs',
  'userAgent',
  'objectRef',
  'responseStatus',
  'requestReceivedTimestamp',
  'stageTimestamp',
  'annotations',
] as const;

function auditStage(e: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of AUDIT_FIELDS) if (e[k] !== undefined) out[k] = e[k];
  return out;
}

interface AuditEntry {
  stages: Record<string, unknown>[];
  /** observation ids of the stages (deduplication) */
  ids: Set<string>;
}

/** When an object was seen deleted (its DELETED observation), if it was. */
function deletedAtOf(_key: string, obs: readonly Observation[]): bigint | undefined {
  let at: bigint | undefined;
  for (const o of obs) {
    if (o.type !== 'DELETED') continue;
    const t = observationTime(o);
    if (t !== undefined && (at === undefined || t > at)) at = t;
  }
  return at;
}

/**
 * An object's observations without the versions superseded before `before`: every observation
 * from `before` on, and the last one before it (the object as it stood then).
 */
function compact(obs: readonly Observation[], before: bigint): Observation[] {
  const sorted = [...obs].sort(compareObservations);
  let lastOld = -1;
  for (let i = 0; i < sorted.length; i++) {
    const t = observationTime(sorted[i]);
    if (t === undefined || t < before) lastOld = i;
  }
  if (lastOld <= 0) return obs as Observation[];
  return sorted.filter((o, i) => {
    if (i === lastOld) return true;
    const t = observationTime(o);
    return t !== undefined && t >= before;
  });
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

function cutoffOf(retentionMs: number | undefined): bigint | undefined {
  return retentionMs === undefined || retentionMs <= 0
    ? undefined
    : (BigInt(Date.now()) - BigInt(Math.trunc(retentionMs))) * NANOS_PER_MS;
}

/**
 * Opens the control-plane state synchronously: in memory (nothing persisted), or persisted in
 * SQLite (`path`), where the observed objects are kept and the timeline is rebuilt from them on
 * open. For any backend (PostgreSQL, shared), use {@link openControlPlaneState}.
 *
 * @param opts - `{ path }` for SQLite, `{ memory: true }` (or nothing) for memory
 * @example
 * const cp = createControlPlaneState({ path: 'crosstrace.db' });
 * cp.addObservations(parseK8sText(body).observations);
 * cp.podAt('10.244.1.7', nanos);
 */
export function createControlPlaneState(opts: ControlPlaneStateOptions = {}): ControlPlaneState {
  if (opts.path === undefined || opts.memory === true) return new ControlPlaneStateImpl();
  const store = new SqliteControlPlaneStore(opts.path);
  const cutoff = cutoffOf(opts.retentionMs);
  // what retention can tell without the timeline goes before anything is read
  const state = new ControlPlaneStateImpl({ store, snapshot: store.loadSync(cutoff) });
  if (cutoff !== undefined) state.expire(cutoff);
  return state;
}

/**
 * Opens the control-plane state on a backend: the view is hydrated from what it holds (after
 * expiring what `retentionMs` no longer covers); a shared backend (PostgreSQL) is then followed.
 *
 * @example
 * const store = await openPostgresControlPlaneStore({ url });
 * const cp = await openControlPlaneState({ store, retentionMs: 72 * 3600_000 });
 * await cp.refresh(); // what the other collectors wrote since
 */
export async function openControlPlaneState(opts: OpenControlPlaneStateOptions): Promise<ControlPlaneState> {
  const cutoff = cutoffOf(opts.retentionMs);
  let snapshot: ControlPlaneChanges;
  try {
    snapshot = await opts.store.load(cutoff);
  } catch (cause) {
    if (opts.closeStore !== false) await opts.store.close().catch(() => {});
    throw createError(CollectorErrorCode.ControlPlaneOpen, 'cannot read the control-plane state', { cause });
  }
  const state = new ControlPlaneStateImpl({
    store: opts.store,
    closeStore: opts.closeStore,
    snapshot,
    pollIntervalMs: opts.pollIntervalMs,
    onError: opts.onError,
  });
  if (cutoff !== undefined) state.expire(cutoff);
  return state;
}

export { podIps };
