// Kubernetes objects arrive as parsed JSON or YAML from anyone allowed to post them: every field
// the control-plane state reads is checked for its type here, once, and dropped when it has
// another (a `conditions` that is an object, a name that is a number, an infinite grace period
// from YAML), so that the derivations can trust the shapes in k8s-types.ts.
import type { K8sObject } from './k8s-types.js';

/** A field's expected type: a scalar, a map of strings, any object, an object shape, or an array of one. */
type Shape = 'string' | 'number' | 'boolean' | 'stringMap' | 'object' | { [key: string]: Shape } | [Shape];

const S = 'string';
const N = 'number';
const B = 'boolean';

const OBJECT_REF: Shape = { apiVersion: S, kind: S, name: S, namespace: S, uid: S, fieldPath: S };
const SOURCE: Shape = { component: S, host: S };

const COMMON: Record<string, Shape> = {
  apiVersion: S,
  kind: S,
  metadata: {
    name: S,
    namespace: S,
    uid: S,
    resourceVersion: S,
    generation: N,
    creationTimestamp: S,
    deletionTimestamp: S,
    deletionGracePeriodSeconds: N,
    labels: 'stringMap',
    annotations: 'stringMap',
    ownerReferences: [{ apiVersion: S, kind: S, name: S, uid: S, controller: B }],
    managedFields: [{ manager: S, operation: S, time: S, fieldsV1: 'object' }],
  },
};

const BY_KIND: Record<string, Record<string, Shape>> = {
  Pod: {
    spec: { nodeName: S, terminationGracePeriodSeconds: N },
    status: {
      phase: S,
      podIP: S,
      podIPs: [{ ip: S }],
      startTime: S,
      conditions: [{ type: S, status: S, lastTransitionTime: S }],
      containerStatuses: [{ name: S, state: { running: { startedAt: S }, terminated: { finishedAt: S } } }],
    },
  },
  EndpointSlice: {
    addressType: S,
    endpoints: [
      {
        addresses: [S],
        conditions: { ready: B, serving: B, terminating: B },
        targetRef: OBJECT_REF,
        nodeName: S,
      },
    ],
    ports: [{ name: S, port: N, protocol: S }],
  },
  Event: {
    involvedObject: OBJECT_REF,
    regarding: OBJECT_REF,
    reason: S,
    message: S,
    note: S,
    type: S,
    action: S,
    count: N,
    deprecatedCount: N,
    source: SOURCE,
    deprecatedSource: SOURCE,
    firstTimestamp: S,
    lastTimestamp: S,
    deprecatedFirstTimestamp: S,
    deprecatedLastTimestamp: S,
    eventTime: S,
    reportingComponent: S,
    reportingController: S,
    reportingInstance: S,
    series: { count: N, lastObservedTime: S },
  },
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether `v` fits a scalar shape (finite numbers only: YAML has .inf and .nan). */
function fits(v: unknown, shape: 'string' | 'number' | 'boolean'): boolean {
  return shape === 'number' ? typeof v === 'number' && Number.isFinite(v) : typeof v === shape;
}

/** Drops the fields of `o` (in place) that do not fit `shape`; keeps every field it does not name. */
function clean(o: Record<string, unknown>, shape: Record<string, Shape>): void {
  for (const [k, s] of Object.entries(shape)) {
    if (!Object.hasOwn(o, k)) continue;
    const v = o[k];
    if (!keep(v, s, (x) => (o[k] = x))) delete o[k];
  }
}

/** True when `v` fits `s` (possibly after cleaning it, via `set`). */
function keep(v: unknown, s: Shape, set: (x: unknown) => void): boolean {
  if (s === 'string' || s === 'number' || s === 'boolean') return fits(v, s);
  if (s === 'object') return isObject(v);
  if (s === 'stringMap') {
    if (!isObject(v)) return false;
    for (const [k, x] of Object.entries(v)) if (typeof x !== 'string') delete v[k];
    return true;
  }
  if (Array.isArray(s)) {
    if (!Array.isArray(v)) return false;
    const item = s[0];
    set(v.filter((x) => keep(x, item, () => {})));
    return true;
  }
  if (!isObject(v)) return false;
  clean(v, s);
  return true;
}

/**
 * Drops, in place, the fields of a Kubernetes object that the control plane reads but that have
 * another type than Kubernetes gives them; returns the object.
 *
 * @example
 * sanitizeObject({ kind: 'Pod', status: { conditions: 5 } }); // → { kind: 'Pod', status: {} }
 */
export function sanitizeObject(o: K8sObject): K8sObject {
  const obj = o as Record<string, unknown>;
  clean(obj, COMMON);
  const byKind = typeof obj.kind === 'string' ? BY_KIND[obj.kind] : undefined;
  if (byKind !== undefined) clean(obj, byKind);
  return o;
}
