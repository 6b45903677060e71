import type { EndpointSlice, K8sEvent, K8sObject, Observation, Pod } from './k8s-types.js';
import { resourceVersionOf } from './k8s-types.js';
import { NANOS_PER_SECOND, parseK8sTime } from './time.js';

/** How an endpoint's membership in an EndpointSlice changed. */
export type EndpointChangeKind = 'added' | 'ready' | 'not-ready' | 'terminating' | 'removed';

export interface EndpointChange {
  slice: string;
  namespace: string;
  address: string;
  /** `namespace/name` of the pod behind the address when the slice names it */
  podName: string;
  podUid: string;
  kind: EndpointChangeKind;
  atNanos: bigint;
  /** where the time came from: trigger-time annotation, watch arrival, or the object's creation */
  timeSource: 'last-change-trigger-time' | 'arrival' | 'creation' | 'unknown';
}

export interface ReadinessTransition {
  ready: boolean;
  atNanos: bigint;
}

/** Everything the timeline knows about one pod, derived from all its observations. */
export interface PodRecord {
  /** uid, or `namespace/name` when the uid is unknown */
  key: string;
  namespace: string;
  name: string;
  uid: string;
  ips: string[];
  nodeName: string;
  createdNanos?: bigint;
  /** start of the IP assignment: status.startTime, else the first sighting with an IP */
  ipFromNanos?: bigint;
  /** end of the IP assignment: deletion (DELETED), or when the next holder of the IP started */
  ipUntilNanos?: bigint;
  readiness: ReadinessTransition[];
  /** when deletion was requested: deletionTimestamp − deletionGracePeriodSeconds */
  deletionStartedNanos?: bigint;
  deletionTimestampNanos?: bigint;
  deletionGracePeriodSeconds?: number;
  deletedNanos?: bigint;
  ownerReplicaSet: string;
  lastSeenNanos?: bigint;
}

/** The time an observation stands for: its arrival for live watches, else a time the object carries. */
export function observationTime(o: Observation): bigint | undefined {
  if (o.arrivalNanos !== undefined) return o.arrivalNanos;
  return objectTime(o.object);
}

function maxBig(a: bigint | undefined, b: bigint | undefined): bigint | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a > b ? a : b;
}

/** The latest time an object's own fields vouch for (conditions, deletion, trigger time, creation). */
export function objectTime(obj: K8sObject): bigint | undefined {
  const meta = obj.metadata ?? {};
  let t = parseK8sTime(meta.creationTimestamp);
  const trigger = parseK8sTime(meta.annotations?.['endpoints.kubernetes.io/last-change-trigger-time']);
  if (trigger !== undefined) return trigger;
  if (obj.kind === 'Pod') {
    const pod = obj as Pod;
    t = maxBig(t, parseK8sTime(pod.status?.startTime));
    for (const c of pod.status?.conditions ?? []) t = maxBig(t, parseK8sTime(c.lastTransitionTime));
    const del = deletionStart(pod);
    t = maxBig(t, del);
    for (const cs of pod.status?.containerStatuses ?? [])
      t = maxBig(t, parseK8sTime(cs.state?.terminated?.finishedAt));
  }
  return t;
}

function deletionStart(pod: Pod): bigint | undefined {
  const ts = parseK8sTime(pod.metadata?.deletionTimestamp);
  if (ts === undefined) return undefined;
  const grace = gracePeriodSeconds(pod);
  const start = ts - BigInt(grace) * NANOS_PER_SECOND;
  return start < 0n ? 0n : start;
}

/** deletionGracePeriodSeconds as a whole number of seconds ≥ 0 (0 when absent or not a number). */
function gracePeriodSeconds(pod: Pod): number {
  const g = pod.metadata?.deletionGracePeriodSeconds;
  return typeof g === 'number' && Number.isFinite(g) && g > 0 ? Math.trunc(g) : 0;
}

/** Sort key shared by every derivation, so that arrival order never matters. */
export function compareObservations(a: Observation, b: Observation): number {
  const ra = resourceVersionOf(a.object);
  const rb = resourceVersionOf(b.object);
  if (ra >= 0 && rb >= 0 && ra !== rb) return ra - rb;
  const ta = observationTime(a) ?? 0n;
  const tb = observationTime(b) ?? 0n;
  if (ta !== tb) return ta < tb ? -1 : 1;
  const order = { SNAPSHOT: 1, ADDED: 0, MODIFIED: 1, DELETED: 2 } as const;
  if (order[a.type] !== order[b.type]) return order[a.type] - order[b.type];
  return 0;
}

export function podIps(pod: Pod): string[] {
  const out: string[] = [];
  for (const p of pod.status?.podIPs ?? [])
    if (typeof p.ip === 'string' && !out.includes(p.ip)) out.push(p.ip);
  const ip = pod.status?.podIP;
  if (typeof ip === 'string' && ip !== '' && !out.includes(ip)) out.unshift(ip);
  return out;
}

/**
 * The earliest time a pod object says it was running (so held its IP): a Ready or ContainersReady
 * condition that is True, a container's running.startedAt.
 */
function earliestRunning(pod: Pod): bigint | undefined {
  let at: bigint | undefined;
  const take = (v: unknown) => {
    const x = parseK8sTime(v);
    if (x !== undefined && (at === undefined || x < at)) at = x;
  };
  for (const c of pod.status?.conditions ?? [])
    if ((c.type === 'Ready' || c.type === 'ContainersReady') && c.status === 'True')
      take(c.lastTransitionTime);
  for (const cs of pod.status?.containerStatuses ?? []) take(cs.state?.running?.startedAt);
  return at;
}

/** Derives a pod's record from all its observations (in any order). */
export function derivePod(key: string, observations: readonly Observation[]): PodRecord {
  const sorted = [...observations].sort(compareObservations);
  const first = sorted[0]?.object as Pod | undefined;
  const rec: PodRecord = {
    key,
    namespace: first?.metadata?.namespace ?? '',
    name: first?.metadata?.name ?? '',
    uid: '',
    ips: [],
    nodeName: '',
    readiness: [],
    ownerReplicaSet: '',
  };
  const seen = new Set<string>();
  for (const o of sorted) {
    const pod = o.object as Pod;
    const meta = pod.metadata ?? {};
    const t = observationTime(o);
    if (meta.uid) rec.uid = meta.uid;
    if (meta.name) rec.name = meta.name;
    if (meta.namespace) rec.namespace = meta.namespace;
    if (pod.spec?.nodeName) rec.nodeName = pod.spec.nodeName;
    rec.createdNanos ??= parseK8sTime(meta.creationTimestamp);
    for (const ref of meta.ownerReferences ?? [])
      if (ref.kind === 'ReplicaSet' && ref.name) rec.ownerReplicaSet = ref.name;
    const ips = podIps(pod);
    for (const ip of ips) if (!rec.ips.includes(ip)) rec.ips.push(ip);
    if (ips.length > 0 && rec.ipFromNanos === undefined) {
      // a pod first seen after it started, without startTime: it held its IP at least since the
      // earliest moment the object vouches it ran, which may be well before this sighting
      const vouched = earliestRunning(pod);
      rec.ipFromNanos =
        parseK8sTime(pod.status?.startTime) ??
        (vouched !== undefined && (t === undefined || vouched < t) ? vouched : t) ??
        rec.createdNanos;
    }
    for (const c of pod.status?.conditions ?? []) {
      if (c.type !== 'Ready') continue;
      const at = parseK8sTime(c.lastTransitionTime) ?? t;
      if (at === undefined) continue;
      const ready = c.status === 'True';
      const k = `${ready}|${at}`;
      if (!seen.has(k)) {
        seen.add(k);
        rec.readiness.push({ ready, atNanos: at });
      }
    }
    const ds = deletionStart(pod);
    if (ds !== undefined) {
      rec.deletionStartedNanos = ds;
      rec.deletionTimestampNanos = parseK8sTime(meta.deletionTimestamp);
      rec.deletionGracePeriodSeconds = gracePeriodSeconds(pod);
    }
    if (o.type === 'DELETED') {
      // without a live arrival time, the latest time the final object vouches for (its containers'
      // finishedAt, conditions), which is when the pod really went, not the grace-period deadline
      let finished: bigint | undefined;
      for (const cs of pod.status?.containerStatuses ?? [])
        finished = maxBig(finished, parseK8sTime(cs.state?.terminated?.finishedAt));
      rec.deletedNanos = o.arrivalNanos ?? finished ?? rec.deletionTimestampNanos ?? t;
      // a pod object deleted before its grace period ended
      if (rec.deletedNanos !== undefined && ds !== undefined && rec.deletedNanos < ds) rec.deletedNanos = ds;
    }
    rec.lastSeenNanos = maxBig(rec.lastSeenNanos, t);
  }
  rec.readiness.sort((a, b) =>
    a.atNanos < b.atNanos ? -1 : a.atNanos > b.atNanos ? 1 : Number(a.ready) - Number(b.ready),
  );
  rec.ipUntilNanos = rec.deletedNanos;
  return rec;
}

interface EndpointState {
  address: string;
  podName: string;
  podUid: string;
  ready: boolean;
  terminating: boolean;
}

function endpointStates(slice: EndpointSlice): Map<string, EndpointState> {
  const out = new Map<string, EndpointState>();
  for (const ep of slice.endpoints ?? []) {
    const ref = ep.targetRef;
    const podName =
      ref?.kind === 'Pod' && ref.name
        ? `${ref.namespace ?? slice.metadata?.namespace ?? ''}/${ref.name}`
        : '';
    for (const address of ep.addresses ?? []) {
      out.set(address, {
        address,
        podName,
        podUid: ref?.uid ?? '',
        // nil ready means ready (discovery.k8s.io/v1 semantics)
        ready: ep.conditions?.ready !== false,
        terminating: ep.conditions?.terminating === true,
      });
    }
  }
  return out;
}

function sliceTime(o: Observation): { at?: bigint; source: EndpointChange['timeSource'] } {
  const trigger = parseK8sTime(
    o.object.metadata?.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'],
  );
  if (trigger !== undefined) return { at: trigger, source: 'last-change-trigger-time' };
  if (o.arrivalNanos !== undefined) return { at: o.arrivalNanos, source: 'arrival' };
  const created = parseK8sTime(o.object.metadata?.creationTimestamp);
  if (created !== undefined) return { at: created, source: 'creation' };
  return { source: 'unknown' };
}

/** The membership changes one EndpointSlice's observations describe. */
export function deriveSliceChanges(observations: readonly Observation[]): EndpointChange[] {
  const sorted = [...observations].sort(compareObservations);
  const out: EndpointChange[] = [];
  let prev = new Map<string, EndpointState>();
  for (const o of sorted) {
    const slice = o.object as EndpointSlice;
    const name = slice.metadata?.name ?? '';
    const namespace = slice.metadata?.namespace ?? '';
    const { at, source } = sliceTime(o);
    if (at === undefined) continue;
    const next = o.type === 'DELETED' ? new Map<string, EndpointState>() : endpointStates(slice);
    const push = (s: EndpointState, kind: EndpointChangeKind) =>
      out.push({
        slice: name,
        namespace,
        address: s.address,
        podName: s.podName,
        podUid: s.podUid,
        kind,
        atNanos: at,
        timeSource: source,
      });
    for (const [addr, s] of next) {
      const p = prev.get(addr);
      if (p === undefined) push(s, s.terminating ? 'terminating' : s.ready ? 'added' : 'not-ready');
      else if (s.terminating && !p.terminating) push(s, 'terminating');
      else if (!s.ready && p.ready) push(s, 'not-ready');
      else if (s.ready && !p.ready) push(s, 'ready');
    }
    for (const [addr, p] of prev) if (!next.has(addr)) push(p, 'removed');
    prev = next;
  }
  return out;
}

/** Event timing: eventTime (micro precision) else first/last timestamps (second precision). */
export interface EventTiming {
  startNanos?: bigint;
  endNanos?: bigint;
  precision: 'micro' | 'second';
}

export function eventTiming(e: K8sEvent): EventTiming {
  const eventTime = parseK8sTime(e.eventTime);
  const first = parseK8sTime(e.firstTimestamp) ?? parseK8sTime(e.deprecatedFirstTimestamp);
  const last =
    parseK8sTime(e.series?.lastObservedTime) ??
    parseK8sTime(e.lastTimestamp) ??
    parseK8sTime(e.deprecatedLastTimestamp);
  const start = eventTime ?? first ?? parseK8sTime(e.metadata?.creationTimestamp);
  let end = last ?? start;
  if (start !== undefined && end !== undefined && end < start) end = start;
  return { startNanos: start, endNanos: end, precision: eventTime !== undefined ? 'micro' : 'second' };
}

/** The object an Event is about, for both Event API versions. */
export function eventSubject(e: K8sEvent): {
  kind: string;
  name: string;
  namespace: string;
  uid: string;
  fieldPath: string;
} {
  const o = e.involvedObject ?? e.regarding ?? {};
  return {
    kind: o.kind ?? '',
    name: o.name ?? '',
    namespace: o.namespace ?? e.metadata?.namespace ?? '',
    uid: o.uid ?? '',
    fieldPath: o.fieldPath ?? '',
  };
}

export function eventMessage(e: K8sEvent): string {
  return e.message ?? e.note ?? '';
}

/** The component that reported the event (its `service.name`). */
export function eventReporter(e: K8sEvent): string {
  return (
    e.reportingComponent ||
    e.reportingController ||
    e.source?.component ||
    e.deprecatedSource?.component ||
    'kubernetes'
  );
}
