import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiServer } from './api-server.js';
import {
  type ApiClient,
  DEPLOYMENT_CONTROLLER,
  ENDPOINTSLICE_CONTROLLER,
  KUBECTL,
  type Node,
  REPLICASET_CONTROLLER,
  SCHEDULER,
} from './identities.js';
import { nowNanos } from './k8s-time.js';
import { containerId, generatedSuffix, podTemplateHash, uid } from './names.js';
import {
  deploymentObject,
  endpointSliceObject,
  involved,
  managedField,
  podObject,
  podTemplate,
  replicaSetObject,
} from './objects.js';
import type { PodRuntime } from './runtime.js';
import {
  type DeploymentSpec,
  type DeploymentState,
  type Endpoint,
  type PodState,
  type RsState,
  strategyOf,
} from './workload-state.js';

export type { DeploymentSpec, Endpoint } from './workload-state.js';

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
    return podTemplate(spec, {
      probePeriodMs: this.probePeriodMs,
      terminationGracePeriodSeconds: this.grace,
    });
  }

  private writeDeployment(d: DeploymentState, type: 'ADDED' | 'MODIFIED'): void {
    d.object = this.api.write(type, deploymentObject(d, this.namespace, this.template(d.spec)));
  }

  private async create(spec: DeploymentSpec): Promise<void> {
    const now = nowNanos();
    const d: DeploymentState = {
      spec,
      uid: uid(),
      generation: 1,
      created: now,
      replicaSets: [],
      managedFields: [managedField(spec.name, 'kubectl-client-side-apply', now)],
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
    d.managedFields = [...d.managedFields, managedField(spec.name, 'kubectl-set', now)];
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
    rs.object = this.api.write(type, replicaSetObject(rs, this.namespace));
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

  private writePod(p: PodState, type: 'ADDED' | 'MODIFIED' | 'DELETED'): void {
    p.object = this.api.write(type, podObject(p, this.namespace, this.grace));
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
    this.api.write(first ? 'ADDED' : 'MODIFIED', endpointSliceObject(d, this.namespace, trigger));
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
