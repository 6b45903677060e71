import { fromPlain } from '../model/attributes.js';
import type { InstrumentationScope, KeyValue, Resource, Span } from '../model/span.js';
import { SpanKind, StatusCode } from '../model/span.js';
import { VERSION } from '../version.js';
import { deriveSpanId, deriveTraceId } from './ids.js';
import type { K8sEvent } from './k8s-types.js';
import type { ControlPlaneState, ObservationResult } from './state.js';
import { eventKeyOf } from './state.js';
import { earlierOf, laterOf, parseK8sTime } from './time.js';
import type { EndpointChange, PodRecord } from './timeline.js';
import { eventMessage, eventReporter, eventSubject, eventTiming } from './timeline.js';

// Object lifecycle traces in the spirit of kspan: a Deployment rollout is one trace (one per new
// ReplicaSet, i.e. per pod template) rooted at a `Deployment.Rollout` span; Events become spans
// named `<Kind>.<Reason>` parented through the controllers' messages; each pod has one lifecycle
// span (its `Pod.Scheduled` event when known) that its other events, readiness, termination and
// EndpointSlice membership hang under. Every id is derived from the objects' own identity and
// the trace from names (pod → ReplicaSet → Deployment by Kubernetes' naming), so the same data
// in any order gives the same spans, and a re-import replaces rather than duplicates.

const SAFE = '[bcdfghjklmnpqrstvwxz2456789]';
const POD_OF_RS = new RegExp(`^(.+)-${SAFE}{5}$`);
const RS_OF_DEPLOY = new RegExp(`^(.+)-${SAFE}{6,10}$`);

export const CONTROL_PLANE_LAYER = 'control-plane';
const SCOPE: InstrumentationScope = Object.freeze({
  name: '@crosstrace/collector/k8s',
  version: VERSION,
  attributes: [],
}) as InstrumentationScope;
const resources = new Map<string, Resource>();

function resourceFor(service: string): Resource {
  let r = resources.get(service);
  if (r === undefined) {
    r = Object.freeze({
      attributes: fromPlain({ 'service.name': service, 'crosstrace.layer': CONTROL_PLANE_LAYER }),
      droppedAttributesCount: 0,
    }) as Resource;
    resources.set(service, r);
  }
  return r;
}

/** The ReplicaSet a pod name belongs to by Kubernetes' naming (`<rs>-<5 chars>`), or ''. */
export function replicaSetOfPodName(name: string): string {
  const m = POD_OF_RS.exec(name);
  return m !== null && RS_OF_DEPLOY.test(m[1]) ? m[1] : '';
}

/** The Deployment a ReplicaSet name belongs to (`<deployment>-<pod-template-hash>`), or ''. */
export function deploymentOfReplicaSet(name: string): string {
  return RS_OF_DEPLOY.exec(name)?.[1] ?? '';
}

interface PodIdentity {
  namespace: string;
  name: string;
  uid: string;
}

function podGroup(p: PodIdentity): string {
  const rs = replicaSetOfPodName(p.name);
  return rs ? `rollout|${p.namespace}|${rs}` : `pod|${p.namespace}|${p.name}|${p.uid}`;
}

function groupTraceId(group: string): string {
  return deriveTraceId(...group.split('|'));
}

/** The span every request to this pod links to: its lifecycle span. */
/** podLifecycleRef is a pure function of a pod's identity and hashes: its recent answers are kept. */
const refCache = new Map<string, { traceId: string; spanId: string }>();
const REF_CACHE_MAX = 4096;

export function podLifecycleRef(p: PodIdentity): { traceId: string; spanId: string } {
  const k = `${p.namespace}\u0000${p.name}\u0000${p.uid}`;
  const hit = refCache.get(k);
  if (hit !== undefined) return { traceId: hit.traceId, spanId: hit.spanId };
  const ref = { traceId: groupTraceId(podGroup(p)), spanId: deriveSpanId('pod', p.namespace, p.name, p.uid) };
  if (refCache.size >= REF_CACHE_MAX) refCache.clear();
  refCache.set(k, ref);
  return { traceId: ref.traceId, spanId: ref.spanId };
}

const SCALED = /replica set (\S+)/i;
const POD_IN_MESSAGE = /(?:Created|Deleted) pod: (\S+)/i;

function eventGroup(e: K8sEvent): string {
  const s = eventSubject(e);
  if (s.kind === 'Pod') return podGroup(s);
  if (s.kind === 'ReplicaSet' && deploymentOfReplicaSet(s.name)) return `rollout|${s.namespace}|${s.name}`;
  if (s.kind === 'Deployment') {
    const rs = SCALED.exec(eventMessage(e))?.[1];
    if (rs && deploymentOfReplicaSet(rs)) return `rollout|${s.namespace}|${rs}`;
  }
  return `object|${s.namespace}|${s.kind}|${s.name}`;
}

/** The lifecycle groups (one trace each) an addObservations result touched. */
export function affectedGroups(state: ControlPlaneState, result: ObservationResult): string[] {
  const groups = new Set<string>();
  for (const k of result.podKeys) {
    const p = state.pod(k);
    if (p) groups.add(podGroup(p));
  }
  for (const k of result.eventKeys) {
    const e = state.event(k);
    if (e) groups.add(eventGroup(e));
  }
  // a Deployment (its managedFields) changes the root of each of its rollouts
  const deployments = new Set(
    (result.objectKeys ?? [])
      .filter((k) => k.startsWith('Deployment|'))
      .map((k) => k.slice('Deployment|'.length)),
  );
  if (deployments.size > 0) {
    const candidates = new Set<string>();
    for (const e of state.allEvents()) candidates.add(eventGroup(e));
    for (const p of state.allPods()) candidates.add(podGroup(p));
    for (const g of candidates) {
      const [type, ns, rs] = g.split('|');
      if (type === 'rollout' && deployments.has(`${ns}/${deploymentOfReplicaSet(rs)}`)) groups.add(g);
    }
  }
  return [...groups].sort();
}

interface Draft {
  spanId: string;
  parentSpanId: string;
  name: string;
  service: string;
  start: bigint;
  end: bigint;
  attrs: Record<string, string | number | boolean | undefined>;
  error?: boolean;
}

function toSpan(traceId: string, d: Draft): Span {
  const attributes: KeyValue[] = fromPlain({ ...d.attrs, 'crosstrace.layer': CONTROL_PLANE_LAYER });
  return {
    traceId,
    spanId: d.spanId,
    parentSpanId: d.parentSpanId,
    traceState: '',
    flags: 1,
    name: d.name,
    kind: SpanKind.Internal,
    startTimeUnixNano: d.start,
    endTimeUnixNano: laterOf(d.end, d.start),
    attributes,
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: d.error ? StatusCode.Error : StatusCode.Unset, message: '' },
    resource: resourceFor(d.service),
    scope: SCOPE,
    serviceName: d.service,
    layer: CONTROL_PLANE_LAYER,
  };
}

function eventAttrs(e: K8sEvent, precision: string): Draft['attrs'] {
  const s = eventSubject(e);
  return {
    'k8s.event.reason': e.reason ?? '',
    'k8s.event.message': eventMessage(e),
    'k8s.event.type': e.type ?? '',
    'k8s.event.count': e.series?.count ?? e.count ?? e.deprecatedCount,
    'k8s.event.uid': e.metadata?.uid,
    'k8s.event.time_precision': precision,
    'k8s.object.kind': s.kind,
    'k8s.object.name': s.name,
    'k8s.object.uid': s.uid || undefined,
    'k8s.object.field_path': s.fieldPath || undefined,
    'k8s.namespace.name': s.namespace,
    'k8s.node.name': e.source?.host || undefined,
  };
}

const CHANGE_NAMES: Record<EndpointChange['kind'], string> = {
  added: 'EndpointSlice.EndpointAdded',
  ready: 'EndpointSlice.EndpointReady',
  'not-ready': 'EndpointSlice.EndpointNotReady',
  terminating: 'EndpointSlice.EndpointTerminating',
  removed: 'EndpointSlice.EndpointRemoved',
};

/** Builds every span of the given lifecycle groups from the current state. */
export function buildLifecycleSpans(state: ControlPlaneState, groups: readonly string[]): Span[] {
  const wanted = new Set(groups);
  const out: Span[] = [];
  if (wanted.size === 0) return out;
  // gather each group's members through the state's indexes (never a scan of everything)
  const eventKeys = new Set<string>();
  const podNames = new Set<string>(); // namespace/name
  for (const g of wanted) {
    const [type, ns, a, b] = g.split('|');
    if (type === 'pod') {
      podNames.add(`${ns}/${a}`);
    } else if (type === 'rollout') {
      for (const k of state.eventKeysFor('ReplicaSet', ns, a)) eventKeys.add(k);
      for (const k of state.eventKeysFor('Deployment', ns, deploymentOfReplicaSet(a))) eventKeys.add(k);
      for (const name of state.subjectNames('Pod', ns))
        if (name.startsWith(`${a}-`)) podNames.add(`${ns}/${name}`);
    } else {
      for (const k of state.eventKeysFor(a, ns, b)) eventKeys.add(k);
    }
  }
  for (const pn of podNames) {
    const i = pn.indexOf('/');
    for (const k of state.eventKeysFor('Pod', pn.slice(0, i), pn.slice(i + 1))) eventKeys.add(k);
  }
  const eventsByGroup = new Map<string, K8sEvent[]>();
  for (const k of [...eventKeys].sort()) {
    const e = state.event(k);
    if (e === undefined) continue;
    const g = eventGroup(e);
    if (!wanted.has(g)) continue;
    const list = eventsByGroup.get(g);
    if (list) list.push(e);
    else eventsByGroup.set(g, [e]);
  }
  const podsByGroup = new Map<string, Map<string, { id: PodIdentity; record?: PodRecord }>>();
  const addPod = (id: PodIdentity, record?: PodRecord) => {
    const g = podGroup(id);
    if (!wanted.has(g)) return;
    const m = podsByGroup.get(g) ?? new Map<string, { id: PodIdentity; record?: PodRecord }>();
    podsByGroup.set(g, m);
    const k = `${id.namespace}/${id.name}|${id.uid}`;
    const cur = m.get(k);
    if (cur === undefined || (record && !cur.record)) m.set(k, { id, record });
  };
  for (const pn of [...podNames].sort()) {
    const i = pn.indexOf('/');
    for (const p of state.podsByName(pn.slice(0, i), pn.slice(i + 1)))
      addPod({ namespace: p.namespace, name: p.name, uid: p.uid }, p);
  }
  for (const list of eventsByGroup.values())
    for (const e of list) {
      const s = eventSubject(e);
      if (s.kind === 'Pod') addPod({ namespace: s.namespace, name: s.name, uid: s.uid });
    }
  for (const g of [...wanted].sort()) {
    const traceId = groupTraceId(g);
    const drafts = buildGroup(
      g,
      eventsByGroup.get(g) ?? [],
      [...(podsByGroup.get(g)?.values() ?? [])],
      state,
    );
    for (const d of drafts) out.push(toSpan(traceId, d));
  }
  return out;
}

function buildGroup(
  group: string,
  events: K8sEvent[],
  pods: { id: PodIdentity; record?: PodRecord }[],
  state: ControlPlaneState,
): Draft[] {
  const [type, namespace, rs] = group.split('|');
  const rootId = type === 'rollout' ? deriveSpanId('rollout', namespace, rs) : '';
  const drafts: Draft[] = [];
  const timed = events
    .map((e) => ({ e, t: eventTiming(e), key: eventKeyOf(e) }))
    .filter((x) => x.t.startNanos !== undefined)
    .sort((a, b) =>
      a.t.startNanos! < b.t.startNanos!
        ? -1
        : a.t.startNanos! > b.t.startNanos!
          ? 1
          : a.key.localeCompare(b.key),
    );
  const scaling = timed.filter(
    (x) => eventSubject(x.e).kind === 'Deployment' && x.e.reason === 'ScalingReplicaSet',
  );
  const creators = new Map<string, string>(); // pod name → SuccessfulCreate span id
  const podSpans = new Map<string, string>(); // namespace/name → pod span id (for events without uid)
  for (const p of pods) podSpans.set(`${p.id.namespace}/${p.id.name}`, podLifecycleRef(p.id).spanId);
  for (const x of timed) {
    const s = eventSubject(x.e);
    const spanId = deriveSpanId('event', x.key);
    const start = x.t.startNanos!;
    const draft: Draft = {
      spanId,
      parentSpanId: rootId,
      name: `${s.kind}.${x.e.reason ?? 'Unknown'}`,
      service: eventReporter(x.e),
      start,
      end: x.t.endNanos ?? start,
      attrs: eventAttrs(x.e, x.t.precision),
      error: x.e.type === 'Warning',
    };
    if (s.kind === 'Pod') {
      if (x.e.reason === 'Scheduled') continue; // becomes the pod's lifecycle span below
      draft.parentSpanId =
        (s.uid
          ? deriveSpanId('pod', s.namespace, s.name, s.uid)
          : podSpans.get(`${s.namespace}/${s.name}`)) ?? rootId;
    } else if (s.kind === 'ReplicaSet') {
      const podName = POD_IN_MESSAGE.exec(eventMessage(x.e))?.[1];
      if (podName && /^Created/i.test(eventMessage(x.e))) creators.set(podName, spanId);
      // the Deployment's "Scaled … replica set <rs>" at or before this event (1 s precision)
      let parent = '';
      for (const sc of scaling) {
        if (sc.t.startNanos! > start + 1_000_000_000n) break;
        if (SCALED.exec(eventMessage(sc.e))?.[1] === s.name) parent = deriveSpanId('event', sc.key);
      }
      draft.parentSpanId = parent || rootId;
    }
    drafts.push(draft);
  }
  for (const p of pods) drafts.push(...podDrafts(p.id, p.record, timed, creators, rootId, state));
  if (type === 'rollout' && drafts.length > 0) {
    let start = drafts[0].start;
    let end = drafts[0].end;
    for (const d of drafts) {
      start = earlierOf(start, d.start);
      end = laterOf(end, d.end);
    }
    const deployment = deploymentOfReplicaSet(rs);
    const change = specChange(state, namespace, deployment, start);
    drafts.unshift({
      spanId: rootId,
      parentSpanId: '',
      name: 'Deployment.Rollout',
      service: 'deployment-controller',
      start: change ? earlierOf(change.atNanos, start) : start,
      end,
      attrs: {
        'k8s.namespace.name': namespace,
        'k8s.deployment.name': deployment,
        'k8s.replicaset.name': rs,
        'k8s.deployment.change.manager': change?.manager,
        'k8s.deployment.change.operation': change?.operation,
      },
    });
  }
  return drafts;
}

interface ManagedField {
  manager?: string;
  operation?: string;
  time?: string;
  fieldsV1?: { 'f:spec'?: unknown };
}

/**
 * The Deployment spec change that started a rollout: the latest `managedFields` entry touching
 * `spec` at or before the rollout's first member (+1 s for second-precision times), from any
 * observed version of the Deployment.
 */
function specChange(
  state: ControlPlaneState,
  namespace: string,
  deployment: string,
  firstNanos: bigint,
): { atNanos: bigint; manager: string; operation: string } | undefined {
  if (!deployment) return undefined;
  let best: { atNanos: bigint; manager: string; operation: string } | undefined;
  for (const o of state.objectObservations('Deployment', namespace, deployment)) {
    const fields = (o.object.metadata as { managedFields?: ManagedField[] } | undefined)?.managedFields ?? [];
    for (const f of fields) {
      if (f.fieldsV1?.['f:spec'] === undefined) continue;
      const at = parseK8sTime(f.time);
      if (at === undefined || at > firstNanos + 1_000_000_000n) continue;
      if (best === undefined || at > best.atNanos)
        best = { atNanos: at, manager: f.manager ?? '', operation: f.operation ?? '' };
    }
  }
  return best;
}

function podDrafts(
  id: PodIdentity,
  record: PodRecord | undefined,
  timed: { e: K8sEvent; t: ReturnType<typeof eventTiming>; key: string }[],
  creators: Map<string, string>,
  rootId: string,
  state: ControlPlaneState,
): Draft[] {
  const ref = podLifecycleRef(id);
  const mine = timed.filter((x) => {
    const s = eventSubject(x.e);
    return (
      s.kind === 'Pod' &&
      s.namespace === id.namespace &&
      s.name === id.name &&
      (s.uid === '' || s.uid === id.uid)
    );
  });
  const scheduled = mine.find((x) => x.e.reason === 'Scheduled');
  const children: Draft[] = [];
  const baseAttrs = {
    'k8s.namespace.name': id.namespace,
    'k8s.pod.name': id.name,
    'k8s.pod.uid': id.uid || undefined,
  };
  if (record) {
    let wasReady = false;
    for (const r of record.readiness) {
      if (!r.ready && !wasReady) continue;
      wasReady = r.ready;
      children.push({
        spanId: deriveSpanId('pod-readiness', ref.spanId, String(r.ready), String(r.atNanos)),
        parentSpanId: ref.spanId,
        name: r.ready ? 'Pod.Ready' : 'Pod.NotReady',
        service: 'kubelet',
        start: r.atNanos,
        end: r.atNanos,
        attrs: baseAttrs,
      });
    }
    if (record.deletionStartedNanos !== undefined) {
      children.push({
        spanId: deriveSpanId('pod-terminating', ref.spanId),
        parentSpanId: ref.spanId,
        name: 'Pod.Terminating',
        service: 'kube-apiserver',
        start: record.deletionStartedNanos,
        end: record.deletedNanos ?? record.deletionTimestampNanos ?? record.deletionStartedNanos,
        attrs: {
          ...baseAttrs,
          'k8s.pod.deletion_timestamp': record.deletionTimestampNanos?.toString(),
          'k8s.pod.deletion_grace_period_seconds': record.deletionGracePeriodSeconds,
        },
      });
    }
    for (const ip of record.ips)
      for (const c of state.endpointChanges(ip)) {
        if (c.podUid ? c.podUid !== id.uid : c.podName !== `${id.namespace}/${id.name}`) continue;
        children.push({
          spanId: deriveSpanId('endpoint', ref.spanId, c.slice, c.kind, String(c.atNanos)),
          parentSpanId: ref.spanId,
          name: CHANGE_NAMES[c.kind],
          service: 'endpointslice-controller',
          start: c.atNanos,
          end: c.atNanos,
          attrs: {
            ...baseAttrs,
            'k8s.endpointslice.name': c.slice,
            'server.address': c.address,
            'crosstrace.time_source': c.timeSource,
          },
        });
      }
  }
  for (const x of mine) {
    if (x === scheduled) continue;
    // event spans of this pod were built by the caller; only their times matter for the extent
    children.push({
      spanId: '',
      parentSpanId: '',
      name: '',
      service: '',
      start: x.t.startNanos!,
      end: x.t.endNanos ?? x.t.startNanos!,
      attrs: {},
    });
  }
  const times: bigint[] = [];
  if (scheduled) times.push(scheduled.t.startNanos!);
  if (record?.createdNanos !== undefined) times.push(record.createdNanos);
  if (record?.ipFromNanos !== undefined) times.push(record.ipFromNanos);
  for (const c of children) times.push(c.start);
  if (times.length === 0) return [];
  const start = times.reduce(earlierOf);
  let end = start;
  for (const c of children) if (c.end > end) end = c.end;
  for (const t of [record?.deletedNanos, record?.deletionTimestampNanos, record?.lastSeenNanos])
    if (t !== undefined && t > end) end = t;
  const podSpan: Draft = {
    spanId: ref.spanId,
    parentSpanId: creators.get(id.name) ?? rootId,
    name: scheduled ? 'Pod.Scheduled' : 'Pod.Lifecycle',
    service: scheduled ? eventReporter(scheduled.e) : 'kubelet',
    start,
    end,
    attrs: {
      ...(scheduled ? eventAttrs(scheduled.e, scheduled.t.precision) : {}),
      ...baseAttrs,
      'k8s.pod.ip': record?.ips[0],
      'k8s.node.name': record?.nodeName || undefined,
      'crosstrace.k8s.lifecycle': true,
    },
  };
  return [podSpan, ...children.filter((c) => c.spanId !== '')];
}
