import { randomInt, randomUUID } from 'node:crypto';
import { type ApiClient, rbacReason } from './identities.js';
import { k8sMicros, k8sSeconds, nowNanos } from './k8s-time.js';
import { eventName, uid } from './names.js';

/** A Kubernetes object as JSON. */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid: string;
    resourceVersion?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
};

/** A watch event as `kubectl get -w --output-watch-events -o json` prints it. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: K8sObject;
}

/** An `audit.k8s.io/v1` Event. */
export type AuditEvent = Record<string, unknown> & { auditID: string; stageTimestamp: string };

/** Where the simulated API server's records go (the collector's receivers, a recording). */
export interface ControlPlaneSink {
  watch(event: WatchEvent): void;
  audit(event: AuditEvent): void;
}

/** An API request for the audit log. */
export interface ApiRequest {
  client: ApiClient;
  verb: 'create' | 'update' | 'patch' | 'delete' | 'get';
  /** `pods`, `deployments`, … */
  resource: string;
  subresource?: string;
  namespace: string;
  name: string;
  /** '' for the core group. */
  apiGroup: string;
  code?: number;
  /** Query string of the request URI (`fieldManager=kubectl-set`). */
  query?: string;
  /** When the API server received it (default: now). */
  receivedNanos?: bigint;
}

/** The object an Event is about. */
export interface InvolvedObject {
  kind: string;
  apiVersion: string;
  name: string;
  namespace: string;
  uid: string;
  resourceVersion?: string;
  fieldPath?: string;
}

/**
 * The simulated API server: it numbers writes with one increasing resourceVersion (as etcd's
 * revision does), sends every write as a watch event, records Events as core/v1 Event objects
 * and every request as an audit event, with the times at which they happen.
 */
export class ApiServer {
  private revision = 1_000_000 + randomInt(1_000_000);
  private readonly objects = new Map<string, K8sObject>();

  constructor(private readonly sink: ControlPlaneSink) {}

  private key(o: K8sObject): string {
    return `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  }

  /** The stored version of an object (a copy). */
  get(kind: string, namespace: string, name: string): K8sObject | undefined {
    const o = this.objects.get(`${kind}/${namespace}/${name}`);
    return o === undefined ? undefined : structuredClone(o);
  }

  /** Stores a write, stamps its resourceVersion and sends the watch event; returns the stored copy. */
  write(type: WatchEvent['type'], object: K8sObject): K8sObject {
    const stored = structuredClone(object);
    stored.metadata.resourceVersion = String(++this.revision);
    if (type === 'DELETED') this.objects.delete(this.key(stored));
    else this.objects.set(this.key(stored), stored);
    this.sink.watch({ type, object: structuredClone(stored) });
    return structuredClone(stored);
  }

  /** Records an API request (one `ResponseComplete` audit event). */
  audit(req: ApiRequest): void {
    const received = req.receivedNanos ?? nowNanos();
    // the API server's own handling time: a few milliseconds
    const done = received + BigInt(800 + randomInt(4000)) * 1000n;
    const group = req.apiGroup === '' ? '/api/v1' : `/apis/${req.apiGroup}/v1`;
    const path =
      req.verb === 'create' && req.subresource === undefined
        ? `${group}/namespaces/${req.namespace}/${req.resource}`
        : `${group}/namespaces/${req.namespace}/${req.resource}/${req.name}${req.subresource ? `/${req.subresource}` : ''}`;
    const reason = rbacReason(req.client);
    const event: AuditEvent = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      auditID: randomUUID(),
      stage: 'ResponseComplete',
      requestURI: req.query ? `${path}?${req.query}` : path,
      verb: req.verb,
      user: { username: req.client.username, groups: req.client.groups },
      sourceIPs: [req.client.sourceIp],
      userAgent: req.client.userAgent,
      objectRef: {
        resource: req.resource,
        namespace: req.namespace,
        name: req.name,
        ...(req.apiGroup !== '' ? { apiGroup: req.apiGroup } : {}),
        apiVersion: 'v1',
        ...(req.subresource ? { subresource: req.subresource } : {}),
      },
      responseStatus: { metadata: {}, code: req.code ?? (req.verb === 'create' ? 201 : 200) },
      requestReceivedTimestamp: k8sMicros(received),
      stageTimestamp: k8sMicros(done),
      annotations: {
        'authorization.k8s.io/decision': 'allow',
        'authorization.k8s.io/reason': reason,
      },
    };
    this.sink.audit(event);
  }

  /**
   * Records a core/v1 Event as the reporting component's event recorder creates it:
   * `firstTimestamp`/`lastTimestamp` to the second, or — for the scheduler, which uses the
   * events.k8s.io API — `eventTime` to the microsecond with null timestamps.
   */
  event(opts: {
    involved: InvolvedObject;
    reason: string;
    message: string;
    reporter: ApiClient;
    type?: 'Normal' | 'Warning';
    action?: string;
    atNanos?: bigint;
  }): void {
    const at = opts.atNanos ?? nowNanos();
    const micro = opts.action !== undefined;
    const { involved } = opts;
    this.write('ADDED', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        name: eventName(involved.name, at),
        namespace: involved.namespace,
        uid: uid(),
        creationTimestamp: k8sSeconds(at),
      },
      involvedObject: {
        apiVersion: involved.apiVersion,
        kind: involved.kind,
        name: involved.name,
        namespace: involved.namespace,
        uid: involved.uid,
        ...(involved.resourceVersion ? { resourceVersion: involved.resourceVersion } : {}),
        ...(involved.fieldPath ? { fieldPath: involved.fieldPath } : {}),
      },
      reason: opts.reason,
      message: opts.message,
      type: opts.type ?? 'Normal',
      ...(micro
        ? {
            action: opts.action,
            eventTime: k8sMicros(at),
            firstTimestamp: null,
            lastTimestamp: null,
            reportingComponent: opts.reporter.component,
            reportingInstance: opts.reporter.host,
            source: {},
          }
        : {
            count: 1,
            eventTime: null,
            firstTimestamp: k8sSeconds(at),
            lastTimestamp: k8sSeconds(at),
            reportingComponent: opts.reporter.component,
            reportingInstance: opts.reporter.host,
            source: {
              component: opts.reporter.component,
              ...(opts.reporter.host ? { host: opts.reporter.host } : {}),
            },
          }),
    });
  }
}
