// The few fields of Kubernetes objects the control-plane layer reads. Objects are kept as parsed
// JSON; every read goes through these optional shapes, so a missing field never throws.

export interface OwnerReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  uid?: string;
  controller?: boolean;
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

export interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [key: string]: unknown;
}

export interface PodCondition {
  type?: string;
  status?: string;
  lastTransitionTime?: string;
}

export interface Pod extends K8sObject {
  spec?: { nodeName?: string; terminationGracePeriodSeconds?: number };
  status?: {
    phase?: string;
    podIP?: string;
    podIPs?: { ip?: string }[];
    startTime?: string;
    conditions?: PodCondition[];
    containerStatuses?: {
      name?: string;
      state?: { running?: { startedAt?: string }; terminated?: { finishedAt?: string } };
    }[];
  };
}

export interface EndpointSliceEndpoint {
  addresses?: string[];
  conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null };
  targetRef?: { kind?: string; name?: string; namespace?: string; uid?: string };
  nodeName?: string;
}

export interface EndpointSlice extends K8sObject {
  addressType?: string;
  endpoints?: EndpointSliceEndpoint[] | null;
  ports?: { name?: string; port?: number; protocol?: string }[] | null;
}

/** core/v1 Event and events.k8s.io/v1 Event, both shapes. */
export interface K8sEvent extends K8sObject {
  // core/v1
  involvedObject?: {
    apiVersion?: string;
    kind?: string;
    name?: string;
    namespace?: string;
    uid?: string;
    fieldPath?: string;
  };
  reason?: string;
  message?: string;
  source?: { component?: string; host?: string };
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  count?: number;
  type?: string;
  // both
  eventTime?: string | null;
  reportingComponent?: string;
  reportingInstance?: string;
  action?: string;
  series?: { count?: number; lastObservedTime?: string } | null;
  // events.k8s.io/v1
  regarding?: {
    apiVersion?: string;
    kind?: string;
    name?: string;
    namespace?: string;
    uid?: string;
    fieldPath?: string;
  };
  note?: string;
  reportingController?: string;
  deprecatedSource?: { component?: string; host?: string };
  deprecatedFirstTimestamp?: string | null;
  deprecatedLastTimestamp?: string | null;
  deprecatedCount?: number;
}

/** Watch event types as `kubectl get -w --output-watch-events` prints them; SNAPSHOT for plain objects. */
export type ObservationType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'SNAPSHOT';

/** One sighting of an object: what it looked like, how it was seen and (for live watches) when. */
export interface Observation {
  type: ObservationType;
  object: K8sObject;
  /** When a live watch delivered it (ns); undefined for imports, whose arrival time means nothing. */
  arrivalNanos?: bigint;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `namespace/name` (namespace '' for cluster-scoped objects). */
export function objectKey(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? ''}/${name ?? ''}`;
}

/** resourceVersion as a number for ordering (etcd revisions); -1 when not numeric. */
export function resourceVersionOf(o: K8sObject): number {
  const rv = o.metadata?.resourceVersion;
  if (typeof rv !== 'string' || !/^\d+$/.test(rv)) return -1;
  return Number(rv);
}
