import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiServer, InvolvedObject, K8sObject } from './api-server.js';
import {
  type ApiClient,
  DEPLOYMENT_CONTROLLER,
  ENDPOINTSLICE_CONTROLLER,
  KUBECTL,
  type Node,
  REPLICASET_CONTROLLER,
  SCHEDULER,
} from './identities.js';
import { k8sSeconds, nowNanos, rfc3339Nano } from './k8s-time.js';
import { containerId, generatedSuffix, podTemplateHash, uid } from './names.js';
import type { Container, PodRuntime } from './runtime.js';

/** A Deployment as `kubectl apply` would send it (what the demo varies). */
export interface DeploymentSpec {
  name: string;
  replicas: number;
  image: string;
  containerPort: number;
  /** The readiness probe: an HTTP GET of this path, or a TCP connect when undefined. */
  probePath?: string;
  /** Where its pods run. */
  node: Node;
  /**
   * RollingUpdate `maxSurge` / `maxUnavailable` as pod counts (default: the Deployment defaults,
   * 25 % each, rounded up and down: 1 and 0 for up to 4 replicas).
   */
  maxSurge?: number;
  maxUnavailable?: number;
  /** Container arguments and environment (part of the pod template: changing them rolls it out). */
  args?: string[];
  env?: Record<string, string>;
}

/** One address of a Service's EndpointSlice, as the ingress controller reads it. */
export interface Endpoint {
  address: string;
  port: number;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  pod: string;
}

/** Options of {@link Workloads}. */
export interface WorkloadsOptions {
  namespace: string;
  /** How often the kubelet probes readiness (the pods' `periodSeconds`, default 1 s). */
  probePeriodMs?: number;
  /** The pods' termination grace period (default 30 s). */
  terminationGracePeriodSeconds?: number;
  /**
   * How long after a deleted pod's containers exited the kubelet takes to tear the pod down
   * (sandbox, network, volumes) and confirm the deletion; the pod is Terminating meanwhile
   * (default 1 s).
   */
  podTeardownMs?: number;
}

interface PodState {
  name: string;
  uid: string;
  ip: string;
  node: Node;
  rs: RsState;
  containerId: string;
  created: bigint;
  scheduled?: bigint;
  started?: bigint;
  containerStarted?: bigint;
  ready?: bigint;
  deletion?: bigint;
  finished?: bigint;
  exitCode?: number;
  container?: Container;
  object?: K8sObject;
  /** Resolves when the pod object is deleted. */
  gone?: Promise<void>;
  markGone?: () => void;
}

interface RsState {
  name: string;
  uid: string;
  created: bigint;
  hash: string;
  revision: number;
  replicas: number;
  template: Record<string, unknown>;
  pods: PodState[];
  object?: K8sObject;
  dep: DeploymentState;
}

interface DeploymentState {
  spec: DeploymentSpec;
  uid: string;
  generation: number;
  created: bigint;
  replicaSets: RsState[];
  object?: K8sObject;
  managedFields: Record<string, unknown>[];
  service: { uid: string };
  slice: {
    name: string;
    uid: string;
    created: bigint;
    written: boolean;
    endpoints: Map<string, Endpoint & { podUid: string }>;
  };
}

const APPS = 'apps/v1';

function strategyOf(spec: DeploymentSpec): { maxSurge: number; maxUnavailable: number } {
  const maxSurge = spec.maxSurge ?? Math.ceil(spec.replicas * 0.25);
  const maxUnavailable = spec.maxUnavailable ?? Math.floor(spec.replicas * 0.25);
  return { maxSurge, maxUnavailable: maxSurge === 0 && maxUnavailable === 0 ? 1 : maxUnavailable };
}

function intOrPercent(v: number | undefined, fallback: string): number | string {
  return v === undefined ? fallback : v;
}

function involved(o: K8sObject, fieldPath?: string): InvolvedObject {
  return {
    kind: o.kind,
    apiVersion: o.apiVersion,
    name: o.metadata.name,
    namespace: o.metadata.namespace ?? '',
    uid: o.metadata.uid,
    resourceVersion: o.metadata.resourceVersion,
    ...(fieldPath ? { fieldPath } : {}),
  };
}

function condition(type: string, status: boolean, at: bigint | undefined, reason?: string) {
  return {
    type,
    status: status ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: at === undefined ? null : k8sSeconds(at),
    ...(reason ? { reason } : {}),
  };
}

/**
 * The part of a Kubernetes control plane a Deployment rollout touches — the deployment,
 * ReplicaSet and EndpointSlice controllers, the scheduler and the kubelet — acting on real
 * containers (a {@link PodRuntime}) and writing what a real cluster writes, when it happens:
 * watch events for Deployments, ReplicaSets, Pods and EndpointSlices, core/v1 Events, and audit
 * events for every API request. Rolling updates follow the deployment controller: new pods up
 * to `replicas + maxSurge`, old pods deleted while more than `replicas − maxUnavailable` are
 * ready.
 */
export class Workloads {
  private readonly deployments = new Map<string, DeploymentState>();
  private readonly ipNext = new Map<string, number>();
  private readonly listeners: Array<(service: string) => void> = [];
  private readonly probePeriodMs: number;
  private readonly grace: number;
  private readonly teardownMs: number;
  readonly namespace: string;

  constructor(
    private readonly api: ApiServer,
    private readonly runtime: PodRuntime,
    options: WorkloadsOptions,
  ) {
    this.namespace = options.namespace;
    this.probePeriodMs = options.probePeriodMs ?? 1000;
    this.grace = options.terminationGracePeriodSeconds ?? 30;
    this.teardownMs = options.podTeardownMs ?? 1000;
  }

  /** Called with the Service name whenever its EndpointSlice changes. */
  onEndpointsChange(listener: (service: string) => void): void {
    this.listeners.push(listener);
  }

  /** The Service's endpoints as its EndpointSlice lists them now. */
  endpoints(service: string): Endpoint[] {
    const d = this.deployments.get(service);
    return d === undefined ? [] : [...d.slice.endpoints.values()].map(({ podUid: _, ...e }) => e);
  }

  /** Names of the Deployment's ReplicaSets, oldest first. */
  replicaSets(name: string): string[] {
    return this.deployments.get(name)?.replicaSets.map((r) => r.name) ?? [];
  }

  /** Names of the pods of a ReplicaSet that still exist. */
  pods(replicaSet: string): string[] {
    for (const d of this.deployments.values())
      for (const rs of d.replicaSets) if (rs.name === replicaSet) return rs.pods.map((p) => p.name);
    return [];
  }

  /**
   * `kubectl apply` of a Deployment: creates it, or changes its pod template and rolls it out.
   * Resolves when the rollout is complete (new pods ready, old pods gone).
   */
  async apply(spec: DeploymentSpec): Promise<void> {
    const existing = this.deployments.get(spec.name);
    if (existing === undefined) return this.create(spec);
    return this.rollout(existing, spec);
  }

  /** Deletes every pod (SIGTERM to every container) and waits for them to exit. */
  async shutdown(): Promise<void> {
    const all: PodState[] = [];
    for (const d of this.deployments.values()) for (const rs of d.replicaSets) all.push(...rs.pods);
    for (const p of all) p.container?.terminate();
    await Promise.all(all.map((p) => p.container?.exited));
  }

  // ---------------------------------------------------------------- Deployment

  private template(spec: DeploymentSpec): Record<string, unknown> {
    return {
      metadata: { labels: { app: spec.name } },
      spec: {
        containers: [
          {
            name: spec.name,
            image: spec.image,
            ...(spec.args ? { args: spec.args } : {}),
            ports: [{ name: 'http', containerPort: spec.containerPort, protocol: 'TCP' }],
            env: Object.entries(spec.env ?? {}).map(([name, value]) => ({ name, value })),
            readinessProbe: {
              ...(spec.probePath
                ? { httpGet: { path: spec.probePath, port: spec.containerPort, scheme: 'HTTP' } }
                : { tcpSocket: { port: spec.containerPort } }),
              periodSeconds: Math.max(1, Math.round(this.probePeriodMs / 1000)),
              timeoutSeconds: 1,
              successThreshold: 1,
              failureThreshold: 3,
            },
            resources: {},
            terminationMessagePath: '/dev/termination-log',
            terminationMessagePolicy: 'File',
            imagePullPolicy: 'IfNotPresent',
          },
        ],
        restartPolicy: 'Always',
        terminationGracePeriodSeconds: this.grace,
        dnsPolicy: 'ClusterFirst',
        schedulerName: 'default-scheduler',
        securityContext: {},
      },
    };
  }

  private writeDeployment(d: DeploymentState, type: 'ADDED' | 'MODIFIED'): void {
    const newest = d.replicaSets[d.replicaSets.length - 1];
    const pods = d.replicaSets.flatMap((rs) => rs.pods.filter((p) => p.deletion === undefined));
    const ready = pods.filter((p) => p.ready !== undefined).length;
    const updated = newest?.pods.filter((p) => p.deletion === undefined).length ?? 0;
    const complete =
      updated === d.spec.replicas && pods.length === d.spec.replicas && ready === d.spec.replicas;
    const now = nowNanos();
    d.object = this.api.write(type, {
      apiVersion: APPS,
      kind: 'Deployment',
      metadata: {
        name: d.spec.name,
        namespace: this.namespace,
        uid: d.uid,
        generation: d.generation,
        creationTimestamp: k8sSeconds(d.created),
        labels: { app: d.spec.name },
        annotations: { 'deployment.kubernetes.io/revision': String(newest?.revision ?? 1) },
        managedFields: d.managedFields,
      },
      spec: {
        replicas: d.spec.replicas,
        selector: { matchLabels: { app: d.spec.name } },
        template: this.template(d.spec),
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: {
            maxUnavailable: intOrPercent(d.spec.maxUnavailable, '25%'),
            maxSurge: intOrPercent(d.spec.maxSurge, '25%'),
          },
        },
        revisionHistoryLimit: 10,
        progressDeadlineSeconds: 600,
      },
      status: {
        observedGeneration: d.generation,
        replicas: pods.length,
        updatedReplicas: updated,
        readyReplicas: ready,
        availableReplicas: ready,
        ...(pods.length - ready > 0 ? { unavailableReplicas: pods.length - ready } : {}),
        conditions: [
          {
            type: 'Available',
            status: ready >= d.spec.replicas ? 'True' : 'False',
            lastUpdateTime: k8sSeconds(now),
            lastTransitionTime: k8sSeconds(d.created),
            reason: ready >= d.spec.replicas ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
            message:
              ready >= d.spec.replicas
                ? 'Deployment has minimum availability.'
                : 'Deployment does not have minimum availability.',
          },
          {
            type: 'Progressing',
            status: 'True',
            lastUpdateTime: k8sSeconds(now),
            lastTransitionTime: k8sSeconds(d.created),
            reason: complete ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated',
            message: complete
              ? `ReplicaSet "${newest?.name}" has successfully progressed.`
              : `ReplicaSet "${newest?.name}" is progressing.`,
          },
        ],
      },
    });
  }

  private async create(spec: DeploymentSpec): Promise<void> {
    const now = nowNanos();
    const d: DeploymentState = {
      spec,
      uid: uid(),
      generation: 1,
      created: now,
      replicaSets: [],
      managedFields: [this.managedField(spec.name, 'kubectl-client-side-apply', now)],
      service: { uid: uid() },
      slice: {
        name: `${spec.name}-${generatedSuffix()}`,
        uid: uid(),
        created: now,
        written: false,
        endpoints: new Map(),
      },
    };
    this.deployments.set(spec.name, d);
    this.api.audit({ ...this.req(KUBECTL, 'create', 'deployments', spec.name, 'apps'), receivedNanos: now });
    this.writeDeployment(d, 'ADDED');
    this.writeSlice(d, now);
    const rs = this.createReplicaSet(d, spec.replicas);
    this.api.event({
      involved: involved(d.object!),
      reason: 'ScalingReplicaSet',
      message: `Scaled up replica set ${rs.name} from 0 to ${spec.replicas}`,
      reporter: DEPLOYMENT_CONTROLLER,
    });
    const pods = Array.from({ length: spec.replicas }, () => this.createPod(rs));
    await Promise.all(pods.map((p) => this.runPod(p)));
    this.writeDeployment(d, 'MODIFIED');
  }

  private async rollout(d: DeploymentState, spec: DeploymentSpec): Promise<void> {
    const now = nowNanos();
    d.spec = spec;
    d.generation++;
    d.managedFields = [...d.managedFields, this.managedField(spec.name, 'kubectl-set', now)];
    this.api.audit({
      ...this.req(KUBECTL, 'patch', 'deployments', spec.name, 'apps'),
      query: 'fieldManager=kubectl-set',
      receivedNanos: now,
    });
    this.writeDeployment(d, 'MODIFIED');
    const old = d.replicaSets.filter((r) => r.replicas > 0);
    const { maxSurge, maxUnavailable } = strategyOf(spec);
    let rs: RsState | undefined;
    const starting = new Set<Promise<void>>();
    const gone: Promise<void>[] = [];
    const live = (r: RsState) => r.pods.filter((p) => p.deletion === undefined);
    const ready = (r: RsState) =>
      live(r).filter((p) => p.ready !== undefined && p.finished === undefined).length;
    // the deployment controller's rolling update: surge new pods, remove old ones while enough are available
    for (;;) {
      let changed = false;
      const oldCount = old.reduce((n, r) => n + r.replicas, 0);
      const newCount = rs?.replicas ?? 0;
      const up = Math.min(spec.replicas - newCount, spec.replicas + maxSurge - newCount - oldCount);
      if (up > 0) {
        if (rs === undefined) {
          rs = this.createReplicaSet(d, up);
          this.api.event({
            involved: involved(d.object!),
            reason: 'ScalingReplicaSet',
            message: `Scaled up replica set ${rs.name} from 0 to ${up}`,
            reporter: DEPLOYMENT_CONTROLLER,
          });
        } else this.scale(d, rs, newCount + up);
        for (let i = 0; i < up; i++) {
          const run: Promise<void> = this.runPod(this.createPod(rs)).finally(() => starting.delete(run));
          starting.add(run);
        }
        changed = true;
      }
      const available = (rs ? ready(rs) : 0) + old.reduce((n, r) => n + ready(r), 0);
      let down = Math.min(oldCount, available - (spec.replicas - maxUnavailable));
      for (const r of old) {
        const k = Math.min(down, r.replicas);
        if (k <= 0) continue;
        this.scale(d, r, r.replicas - k);
        for (const pod of live(r).slice(0, k)) gone.push(this.deletePod(pod));
        down -= k;
        changed = true;
      }
      if (changed) this.writeDeployment(d, 'MODIFIED');
      if (rs?.replicas === spec.replicas && old.every((r) => r.replicas === 0)) break;
      if (!changed) {
        if (starting.size === 0) throw new Error(`rollout of ${spec.name} cannot progress`);
        await Promise.race(starting);
      }
    }
    await Promise.all(starting);
    await Promise.all(gone);
    this.writeDeployment(d, 'MODIFIED');
  }

  private managedField(container: string, manager: string, at: bigint): Record<string, unknown> {
    return {
      manager,
      operation: 'Update',
      apiVersion: APPS,
      time: k8sSeconds(at),
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:spec': {
          'f:template': {
            'f:spec': { 'f:containers': { [`k:{"name":"${container}"}`]: { 'f:image': {}, 'f:env': {} } } },
          },
        },
      },
    };
  }

  // ---------------------------------------------------------------- ReplicaSet

  private createReplicaSet(d: DeploymentState, replicas: number): RsState {
    const template = this.template(d.spec);
    const hash = podTemplateHash(template);
    const rs: RsState = {
      name: `${d.spec.name}-${hash}`,
      uid: uid(),
      created: nowNanos(),
      hash,
      revision: d.replicaSets.length + 1,
      replicas,
      template,
      pods: [],
      dep: d,
    };
    d.replicaSets.push(rs);
    this.api.audit(this.req(DEPLOYMENT_CONTROLLER, 'create', 'replicasets', rs.name, 'apps'));
    this.writeReplicaSet(rs, 'ADDED');
    return rs;
  }

  private writeReplicaSet(rs: RsState, type: 'ADDED' | 'MODIFIED'): void {
    const live = rs.pods.filter((p) => p.deletion === undefined);
    const ready = live.filter((p) => p.ready !== undefined).length;
    const template = structuredClone(rs.template) as { metadata: { labels: Record<string, string> } };
    template.metadata.labels['pod-template-hash'] = rs.hash;
    rs.object = this.api.write(type, {
      apiVersion: APPS,
      kind: 'ReplicaSet',
      metadata: {
        name: rs.name,
        namespace: this.namespace,
        uid: rs.uid,
        generation: 1 + rs.dep.replicaSets.indexOf(rs),
        creationTimestamp: k8sSeconds(rs.created),
        labels: { app: rs.dep.spec.name, 'pod-template-hash': rs.hash },
        annotations: {
          'deployment.kubernetes.io/desired-replicas': String(rs.dep.spec.replicas),
          'deployment.kubernetes.io/max-replicas': String(rs.dep.spec.replicas + 1),
          'deployment.kubernetes.io/revision': String(rs.revision),
        },
        ownerReferences: [
          {
            apiVersion: APPS,
            kind: 'Deployment',
            name: rs.dep.spec.name,
            uid: rs.dep.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        replicas: rs.replicas,
        selector: { matchLabels: { app: rs.dep.spec.name, 'pod-template-hash': rs.hash } },
        template,
      },
      status: {
        replicas: live.length,
        fullyLabeledReplicas: live.length,
        readyReplicas: ready,
        availableReplicas: ready,
        observedGeneration: 1,
      },
    });
  }

  private scale(d: DeploymentState, rs: RsState, replicas: number): void {
    const from = rs.replicas;
    rs.replicas = replicas;
    this.api.audit(this.req(DEPLOYMENT_CONTROLLER, 'update', 'replicasets', rs.name, 'apps'));
    this.writeReplicaSet(rs, 'MODIFIED');
    this.api.event({
      involved: involved(d.object!),
      reason: 'ScalingReplicaSet',
      message: `Scaled ${replicas > from ? 'up' : 'down'} replica set ${rs.name} from ${from} to ${replicas}`,
      reporter: DEPLOYMENT_CONTROLLER,
    });
  }

  // ---------------------------------------------------------------- Pods

  private allocateIp(n: Node): string {
    const next = this.ipNext.get(n.name) ?? 2;
    this.ipNext.set(n.name, next + 1);
    return `${n.podPrefix}.${next}`;
  }

  private createPod(rs: RsState): PodState {
    const n = rs.dep.spec.node;
    const pod: PodState = {
      name: `${rs.name}-${generatedSuffix()}`,
      uid: uid(),
      ip: this.allocateIp(n),
      node: n,
      rs,
      containerId: containerId(),
      created: nowNanos(),
    };
    rs.pods.push(pod);
    this.api.audit({
      ...this.req(REPLICASET_CONTROLLER, 'create', 'pods', pod.name, ''),
      receivedNanos: pod.created,
    });
    this.writePod(pod, 'ADDED');
    this.api.event({
      involved: involved(rs.object!),
      reason: 'SuccessfulCreate',
      message: `Created pod: ${pod.name}`,
      reporter: REPLICASET_CONTROLLER,
      atNanos: pod.created,
    });
    return pod;
  }

  private podObject(p: PodState): K8sObject {
    const spec = p.rs.dep.spec;
    const template = p.rs.template as { spec: Record<string, unknown> };
    const running = p.containerStarted !== undefined && p.finished === undefined;
    const containerState =
      p.finished !== undefined
        ? {
            terminated: {
              exitCode: p.exitCode ?? 0,
              reason: p.exitCode ? 'Error' : 'Completed',
              startedAt: k8sSeconds(p.containerStarted!),
              finishedAt: k8sSeconds(p.finished),
              containerID: p.containerId,
            },
          }
        : running
          ? { running: { startedAt: k8sSeconds(p.containerStarted!) } }
          : { waiting: { reason: 'ContainerCreating' } };
    const ready = p.ready !== undefined && p.finished === undefined && p.deletion === undefined;
    const readyAt = p.finished ?? p.deletion ?? p.ready ?? p.started;
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: p.name,
        generateName: `${p.rs.name}-`,
        namespace: this.namespace,
        uid: p.uid,
        creationTimestamp: k8sSeconds(p.created),
        labels: { app: spec.name, 'pod-template-hash': p.rs.hash },
        ownerReferences: [
          {
            apiVersion: APPS,
            kind: 'ReplicaSet',
            name: p.rs.name,
            uid: p.rs.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
        ...(p.deletion !== undefined
          ? {
              deletionTimestamp: k8sSeconds(p.deletion + BigInt(this.grace) * 1_000_000_000n),
              deletionGracePeriodSeconds: this.grace,
            }
          : {}),
      },
      spec: {
        ...template.spec,
        serviceAccountName: 'default',
        serviceAccount: 'default',
        ...(p.scheduled !== undefined ? { nodeName: p.node.name } : {}),
      },
      status: {
        phase:
          p.finished !== undefined ? (p.exitCode ? 'Failed' : 'Succeeded') : running ? 'Running' : 'Pending',
        conditions:
          p.scheduled === undefined
            ? []
            : [
                condition(
                  'PodReadyToStartContainers',
                  p.containerStarted !== undefined && p.finished === undefined,
                  p.containerStarted ?? p.started,
                ),
                condition('Initialized', p.started !== undefined, p.started),
                condition(
                  'Ready',
                  ready,
                  readyAt,
                  ready ? undefined : p.finished !== undefined ? 'PodCompleted' : 'ContainersNotReady',
                ),
                condition(
                  'ContainersReady',
                  ready,
                  readyAt,
                  ready ? undefined : p.finished !== undefined ? 'PodCompleted' : 'ContainersNotReady',
                ),
                condition('PodScheduled', true, p.scheduled),
              ],
        ...(p.started !== undefined
          ? {
              hostIP: p.node.hostIp,
              hostIPs: [{ ip: p.node.hostIp }],
              startTime: k8sSeconds(p.started),
            }
          : {}),
        ...(p.containerStarted !== undefined ? { podIP: p.ip, podIPs: [{ ip: p.ip }] } : {}),
        ...(p.started !== undefined
          ? {
              containerStatuses: [
                {
                  name: spec.name,
                  image: spec.image,
                  imageID: `${spec.image.split(':')[0]}@sha256:${p.rs.hash.padEnd(64, '0')}`,
                  ...(p.containerStarted !== undefined ? { containerID: p.containerId } : {}),
                  ready,
                  started: running,
                  restartCount: 0,
                  state: containerState,
                  lastState: {},
                },
              ],
              qosClass: 'BestEffort',
            }
          : {}),
      },
    };
  }

  private writePod(p: PodState, type: 'ADDED' | 'MODIFIED' | 'DELETED'): void {
    p.object = this.api.write(type, this.podObject(p));
  }

  /** Scheduler, kubelet and readiness: resolves when the pod is ready (and in its EndpointSlice). */
  private async runPod(p: PodState): Promise<void> {
    const spec = p.rs.dep.spec;
    const n = p.node;
    // the scheduler binds it
    p.scheduled = nowNanos();
    this.api.audit({
      ...this.req(SCHEDULER, 'create', 'pods', p.name, '', 'binding'),
      receivedNanos: p.scheduled,
    });
    this.writePod(p, 'MODIFIED');
    this.api.event({
      involved: involved(p.object!),
      reason: 'Scheduled',
      message: `Successfully assigned ${this.namespace}/${p.name} to ${n.name}`,
      reporter: SCHEDULER,
      action: 'Binding',
      atNanos: p.scheduled,
    });
    // the kubelet admits it and starts the container
    p.started = nowNanos();
    this.podStatus(p);
    const field = `spec.containers{${spec.name}}`;
    this.api.event({
      involved: involved(p.object!, field),
      reason: 'Pulled',
      message: `Container image "${spec.image}" already present on machine`,
      reporter: n.kubelet,
    });
    this.api.event({
      involved: involved(p.object!, field),
      reason: 'Created',
      message: `Created container: ${spec.name}`,
      reporter: n.kubelet,
    });
    p.container = await this.runtime.start({
      namespace: this.namespace,
      name: p.name,
      uid: p.uid,
      nodeName: n.name,
      ip: p.ip,
      deployment: spec.name,
      replicaSet: p.rs.name,
      image: spec.image,
      port: spec.containerPort,
      ...(spec.probePath !== undefined ? { probePath: spec.probePath } : {}),
    });
    p.containerStarted = nowNanos();
    void p.container.exited.then((code) => this.containerExited(p, code));
    this.api.event({
      involved: involved(p.object!, field),
      reason: 'Started',
      message: `Started container ${spec.name}`,
      reporter: n.kubelet,
    });
    this.podStatus(p);
    // readiness probes, every period, until one passes
    while (!(await p.container.probe())) {
      if (p.finished !== undefined) throw new Error(`pod ${p.name} exited before it was ready`);
      await sleep(this.probePeriodMs);
    }
    p.ready = nowNanos();
    this.podStatus(p);
    this.writeReplicaSet(p.rs, 'MODIFIED');
    this.setEndpoint(p, { ready: true, serving: true, terminating: false }, p.ready);
  }

  private podStatus(p: PodState): void {
    this.api.audit(this.req(p.node.kubelet, 'patch', 'pods', p.name, '', 'status'));
    this.writePod(p, 'MODIFIED');
  }

  /** The ReplicaSet controller deletes a pod; the kubelet stops its container. Resolves when it is gone. */
  private deletePod(p: PodState): Promise<void> {
    p.deletion = nowNanos();
    this.api.audit({
      ...this.req(REPLICASET_CONTROLLER, 'delete', 'pods', p.name, ''),
      receivedNanos: p.deletion,
    });
    this.writePod(p, 'MODIFIED');
    this.api.event({
      involved: involved(p.rs.object!),
      reason: 'SuccessfulDelete',
      message: `Deleted pod: ${p.name}`,
      reporter: REPLICASET_CONTROLLER,
      atNanos: p.deletion,
    });
    this.writeReplicaSet(p.rs, 'MODIFIED');
    // a terminating endpoint: no longer ready, still serving until its probe fails
    this.setEndpoint(p, { ready: false, serving: true, terminating: true }, p.deletion);
    this.api.event({
      involved: involved(p.object!, `spec.containers{${p.rs.dep.spec.name}}`),
      reason: 'Killing',
      message: `Stopping container ${p.rs.dep.spec.name}`,
      reporter: p.node.kubelet,
    });
    p.gone = new Promise<void>((resolve) => {
      p.markGone = resolve;
    });
    if (p.container === undefined) this.confirmDeletion(p);
    else p.container.terminate();
    return p.gone;
  }

  private containerExited(p: PodState, code: number): void {
    p.finished = nowNanos();
    p.exitCode = code;
    this.podStatus(p);
    if (p.deletion === undefined) return; // a crash: the pod stays (no restarts are simulated)
    setTimeout(() => this.confirmDeletion(p), this.teardownMs);
  }

  /** The kubelet, done tearing the pod down, deletes it for good (grace period 0). */
  private confirmDeletion(p: PodState): void {
    this.api.audit(this.req(p.node.kubelet, 'delete', 'pods', p.name, ''));
    this.writePod(p, 'DELETED');
    p.rs.pods = p.rs.pods.filter((x) => x !== p);
    this.removeEndpoint(p, nowNanos());
    p.markGone?.();
  }

  // ---------------------------------------------------------------- EndpointSlice

  private setEndpoint(
    p: PodState,
    c: { ready: boolean; serving: boolean; terminating: boolean },
    trigger: bigint,
  ): void {
    const d = p.rs.dep;
    d.slice.endpoints.set(p.ip, {
      address: p.ip,
      port: d.spec.containerPort,
      ...c,
      pod: p.name,
      podUid: p.uid,
    });
    this.writeSlice(d, trigger);
  }

  private removeEndpoint(p: PodState, trigger: bigint): void {
    const d = p.rs.dep;
    if (d.slice.endpoints.delete(p.ip)) this.writeSlice(d, trigger);
  }

  private writeSlice(d: DeploymentState, trigger: bigint): void {
    const first = !d.slice.written;
    d.slice.written = true;
    this.api.audit(
      this.req(
        ENDPOINTSLICE_CONTROLLER,
        first ? 'create' : 'update',
        'endpointslices',
        d.slice.name,
        'discovery.k8s.io',
      ),
    );
    this.api.write(first ? 'ADDED' : 'MODIFIED', {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: d.slice.name,
        generateName: `${d.spec.name}-`,
        namespace: this.namespace,
        uid: d.slice.uid,
        creationTimestamp: k8sSeconds(d.slice.created),
        labels: {
          'kubernetes.io/service-name': d.spec.name,
          'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
        },
        annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': rfc3339Nano(trigger) },
        ownerReferences: [
          {
            apiVersion: 'v1',
            kind: 'Service',
            name: d.spec.name,
            uid: d.service.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      addressType: 'IPv4',
      endpoints: [...d.slice.endpoints.values()].map((e) => ({
        addresses: [e.address],
        conditions: { ready: e.ready, serving: e.serving, terminating: e.terminating },
        nodeName: d.spec.node.name,
        targetRef: { kind: 'Pod', namespace: this.namespace, name: e.pod, uid: e.podUid },
      })),
      ports: [{ name: 'http', port: d.spec.containerPort, protocol: 'TCP' }],
    });
    for (const l of this.listeners) l(d.spec.name);
  }

  private req(
    client: ApiClient,
    verb: 'create' | 'update' | 'patch' | 'delete',
    resource: string,
    name: string,
    apiGroup: string,
    subresource?: string,
  ) {
    return {
      client,
      verb,
      resource,
      name,
      apiGroup,
      namespace: this.namespace,
      ...(subresource ? { subresource } : {}),
    };
  }
}
