import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { CollectorErrorCode, createError } from '../errors.js';
import type { EndpointSlice, K8sEvent, K8sObject, Observation, ObservationType, Pod } from './k8s-types.js';
import { isRecord, objectKey } from './k8s-types.js';
import { sanitizeObject } from './sanitize.js';
import { NANOS_PER_MS, parseK8sTime } from './time.js';
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
  readonly #remaps = new Map<string, string>();
  readonly #remapTimes = new Map<string, bigint>();
  #ipIndex: Map<string, PodRecord[]> | undefined;
  #insertObs: Database.Statement | undefined;
  #insertRemap: Database.Statement | undefined;
  #auditRows: Database.Statement | undefined;

  constructor(opts: ControlPlaneStateOptions) {
    if (opts.path !== undefined && opts.memory !== true) {
      let db: Database.Database;
      try {
        db = new Database(opts.path);
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        createTables(db);
      } catch (cause) {
        throw createError(
          CollectorErrorCode.ControlPlaneOpen,
          `cannot open control-plane state at ${opts.path}`,
          { cause },
        );
      }
      this.#db = db;
      this.#insertObs = db.prepare(
        'INSERT OR IGNORE INTO ct_cp_observations (id, type, arrival_ns, body, kind, obj_key, at_ns) VALUES (?, ?, ?, ?, ?, ?, ?)',
      );
      const cutoff =
        opts.retentionMs === undefined || opts.retentionMs <= 0
          ? undefined
          : (BigInt(Date.now()) - BigInt(Math.trunc(opts.retentionMs))) * NANOS_PER_MS;
      // what retention can tell without the timeline goes before anything is read
      if (cutoff !== undefined) {
        db.prepare('DELETE FROM ct_cp_diagnoses WHERE time_ns < ?').run(cutoff);
        db.prepare('DELETE FROM ct_cp_trace_remap WHERE at_ns < ?').run(cutoff);
      }
      // rows from before observations carried their object and time: labelled once
      const unlabelled = db
        .prepare(
          'SELECT id, type, arrival_ns, body FROM ct_cp_observations WHERE kind IS NULL OR at_ns IS NULL',
        )
        .all() as { id: string; type: string; arrival_ns: string | null; body: string }[];
      if (unlabelled.length > 0) {
        const label = db.prepare(
          'UPDATE ct_cp_observations SET kind = ?, obj_key = ?, at_ns = ? WHERE id = ?',
        );
        db.transaction(() => {
          for (const r of unlabelled) {
            const o = rowObservation(r);
            const ref = refOf(o);
            label.run(ref.kind, ref.key, timeOf(o) ?? null, r.id);
          }
        })();
      }
      if (cutoff !== undefined)
        db.prepare("DELETE FROM ct_cp_observations WHERE kind = 'audit' AND at_ns < ?").run(cutoff);
      // audit events are read back per id when a late stage needs them, never replayed whole
      const rows = db
        .prepare("SELECT type, arrival_ns, body FROM ct_cp_observations WHERE kind != 'audit' ORDER BY rowid")
        .all() as { type: string; arrival_ns: string | null; body: string }[];
      const replay = rows.map(rowObservation);
      this.#apply(replay, false);
      for (const r of db.prepare('SELECT * FROM ct_cp_diagnoses').all() as Record<
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
      for (const r of db
        .prepare('SELECT from_trace, to_trace, at_ns FROM ct_cp_trace_remap')
        .safeIntegers(true)
        .all() as {
        from_trace: string;
        to_trace: string;
        at_ns: bigint;
      }[]) {
        this.#remaps.set(r.from_trace, r.to_trace);
        this.#remapTimes.set(r.from_trace, r.at_ns);
      }
      if (cutoff !== undefined) this.expire(cutoff);
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
    return [...this.#auditEntry(auditId).stages];
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
    const fresh: [string, Observation, ObjectRef][] = [];
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
          fresh.push([id, o, { kind: 'audit', key: auditId }]);
          result.added++;
        } else result.duplicates++;
        if (auditId !== '') audits.add(auditId);
        continue;
      }
      const isNew = !this.#seen.has(id);
      if (isNew) {
        const ref = refOf(o);
        this.#seen.set(id, `${ref.kind}\u0000${ref.key}`);
        fresh.push([id, o, ref]);
        result.added++;
      } else result.duplicates++;
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
    if (persist && this.#db !== undefined && fresh.length > 0) {
      const insert = this.#insertObs!;
      this.#db.transaction(() => {
        for (const [id, o, ref] of fresh)
          insert.run(
            id,
            o.type,
            o.arrivalNanos === undefined ? null : String(o.arrivalNanos),
            JSON.stringify(o.object),
            ref.kind,
            ref.key,
            timeOf(o) ?? null,
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

  setTraceRemap(fromTraceId: string, toTraceId: string, atNanos?: bigint): void {
    this.setTraceRemaps([{ from: fromTraceId, to: toTraceId, atNanos }]);
  }

  setTraceRemaps(remaps: readonly { from: string; to: string; atNanos?: bigint }[]): void {
    const fresh: { from: string; to: string; at: bigint }[] = [];
    for (const r of remaps) {
      const at = r.atNanos ?? BigInt(Date.now()) * NANOS_PER_MS;
      const prev = this.#remapTimes.get(r.from);
      if (this.#remaps.get(r.from) === r.to && prev !== undefined && prev >= at) continue;
      this.#remaps.set(r.from, r.to);
      this.#remapTimes.set(r.from, prev !== undefined && prev > at ? prev : at);
      fresh.push({ from: r.from, to: r.to, at: this.#remapTimes.get(r.from)! });
    }
    if (this.#db === undefined || fresh.length === 0) return;
    this.#insertRemap ??= this.#db.prepare('INSERT OR REPLACE INTO ct_cp_trace_remap VALUES (?, ?, ?)');
    const insert = this.#insertRemap;
    this.#db.transaction(() => {
      for (const r of fresh) insert.run(r.from, r.to, r.at);
    })();
  }

  traceRemap(fromTraceId: string): string | undefined {
    return this.#remaps.get(fromTraceId);
  }

  size(): { observations: number; diagnoses: number; remaps: number } {
    let diagnoses = 0;
    for (const list of this.#diagnoses.values()) diagnoses += list.length;
    let audit = 0;
    for (const e of this.#audit.values()) audit += e.stages.length;
    return { observations: this.#seen.size + audit, diagnoses, remaps: this.#remaps.size };
  }

  /** The stages of an audit id (most recently used kept in memory, else read back). */
  #auditEntry(auditId: string): AuditEntry {
    let entry = this.#audit.get(auditId);
    if (entry !== undefined) {
      this.#audit.delete(auditId);
      this.#audit.set(auditId, entry);
      return entry;
    }
    entry = { stages: [], ids: new Set() };
    if (this.#db !== undefined) {
      this.#auditRows ??= this.#db.prepare(
        "SELECT id, body FROM ct_cp_observations WHERE kind = 'audit' AND obj_key = ? ORDER BY rowid",
      );
      for (const r of this.#auditRows.all(auditId) as { id: string; body: string }[]) {
        entry.ids.add(r.id);
        entry.stages.push(auditStage(JSON.parse(r.body)));
      }
    }
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
      if (this.#db === undefined) result.observations += entry.stages.length;
    }
    if (this.#db !== undefined)
      result.observations += this.#db
        .prepare("DELETE FROM ct_cp_observations WHERE kind = 'audit' AND at_ns < ?")
        .run(before).changes;
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
    for (const [from, at] of this.#remapTimes) {
      if (at >= before) continue;
      this.#remapTimes.delete(from);
      this.#remaps.delete(from);
      result.remaps++;
    }
    const db = this.#db;
    if (db !== undefined && (result.observations > 0 || result.diagnoses > 0 || result.remaps > 0)) {
      const byRef = db.prepare('DELETE FROM ct_cp_observations WHERE kind = ? AND obj_key = ?');
      const byId = db.prepare('DELETE FROM ct_cp_observations WHERE id = ?');
      db.transaction(() => {
        for (const ref of gone) byRef.run(...ref.split('\u0000'));
        for (const id of dropped) byId.run(id);
        db.prepare('DELETE FROM ct_cp_diagnoses WHERE time_ns < ?').run(before);
        db.prepare('DELETE FROM ct_cp_trace_remap WHERE at_ns < ?').run(before);
      })();
    }
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

  async close(): Promise<void> {
    if (this.#db?.open) this.#db.close();
  }
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

function auditIdOf(o: Observation): string | undefined {
  const obj = o.object;
  if (typeof obj.apiVersion !== 'string' || !obj.apiVersion.startsWith('audit.k8s.io/')) return undefined;
  const id = (obj as Record<string, unknown>).auditID;
  return typeof id === 'string' ? id : '';
}

function auditTime(stage: Record<string, unknown>): bigint | undefined {
  return parseK8sTime(stage.stageTimestamp) ?? parseK8sTime(stage.requestReceivedTimestamp);
}

/** The time an observation is filed under for retention (an audit event's stage time). */
function timeOf(o: Observation): bigint | undefined {
  return auditIdOf(o) === undefined ? observationTime(o) : auditTime(o.object as Record<string, unknown>);
}

function rowObservation(r: { type: string; arrival_ns: string | null; body: string }): Observation {
  const o: Observation = { type: r.type as ObservationType, object: JSON.parse(r.body) };
  if (r.arrival_ns !== null) o.arrivalNanos = BigInt(r.arrival_ns);
  return o;
}

/** The object an observation is about, as the state keys it (audit events by audit id). */
interface ObjectRef {
  kind: string;
  key: string;
}

function refOf(o: Observation): ObjectRef {
  const obj = o.object;
  if (typeof obj.apiVersion === 'string' && obj.apiVersion.startsWith('audit.k8s.io/')) {
    const auditId = (obj as Record<string, unknown>).auditID;
    return { kind: 'audit', key: typeof auditId === 'string' ? auditId : '' };
  }
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  if (kind === 'Pod') return { kind, key: podKeyOf(obj as Pod) };
  if (kind === 'EndpointSlice') return { kind, key: sliceKeyOf(obj as EndpointSlice) };
  if (kind === 'Event') return { kind, key: eventKeyOf(obj as K8sEvent) };
  return { kind, key: `${kind}|${objectKey(obj.metadata?.namespace, obj.metadata?.name)}` };
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

/** The state's tables; columns added since the first release are added to older files. */
function createTables(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS ct_cp_observations (
      id TEXT PRIMARY KEY, type TEXT NOT NULL, arrival_ns TEXT, body TEXT NOT NULL, kind TEXT, obj_key TEXT,
      at_ns INTEGER);
    CREATE TABLE IF NOT EXISTS ct_cp_diagnoses (
      trace_id TEXT NOT NULL, span_id TEXT NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL,
      evidence TEXT NOT NULL, time_ns INTEGER NOT NULL, service TEXT NOT NULL,
      PRIMARY KEY (trace_id, span_id, code));
    CREATE INDEX IF NOT EXISTS ct_cp_diagnoses_time ON ct_cp_diagnoses (time_ns);
    CREATE TABLE IF NOT EXISTS ct_cp_trace_remap (
      from_trace TEXT PRIMARY KEY, to_trace TEXT NOT NULL, at_ns INTEGER NOT NULL DEFAULT 0);`);
  const columns = (table: string) =>
    new Set((db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name));
  const obs = columns('ct_cp_observations');
  if (!obs.has('kind')) db.exec('ALTER TABLE ct_cp_observations ADD COLUMN kind TEXT');
  if (!obs.has('obj_key')) db.exec('ALTER TABLE ct_cp_observations ADD COLUMN obj_key TEXT');
  if (!obs.has('at_ns')) db.exec('ALTER TABLE ct_cp_observations ADD COLUMN at_ns INTEGER');
  if (!columns('ct_cp_trace_remap').has('at_ns')) {
    // remaps from before they were dated count from now: they age out one retention period later
    db.exec('ALTER TABLE ct_cp_trace_remap ADD COLUMN at_ns INTEGER NOT NULL DEFAULT 0');
    db.prepare('UPDATE ct_cp_trace_remap SET at_ns = ?').run(BigInt(Date.now()) * NANOS_PER_MS);
  }
  db.exec(`
    CREATE INDEX IF NOT EXISTS ct_cp_observations_object ON ct_cp_observations (kind, obj_key);
    CREATE INDEX IF NOT EXISTS ct_cp_trace_remap_time ON ct_cp_trace_remap (at_ns);`);
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
