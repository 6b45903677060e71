// The Kubernetes objects the simulated control plane writes, built from its state as the API
// server would hold them: Deployments, ReplicaSets, Pods, EndpointSlices.
import type { InvolvedObject, K8sObject } from './api-server.js';
import { k8sSeconds, nowNanos, rfc3339Nano } from './k8s-time.js';
import type { DeploymentSpec, DeploymentState, PodState, RsState } from './workload-state.js';

export const APPS = 'apps/v1';

function intOrPercent(v: number | undefined, fallback: string): number | string {
  return v === undefined ? fallback : v;
}

/** The `involvedObject` of an Event about `o` (a container of it with `fieldPath`). */
export function involved(o: K8sObject, fieldPath?: string): InvolvedObject {
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

/** The pod template of a Deployment spec (what the pod-template hash is computed from). */
export function podTemplate(
  spec: DeploymentSpec,
  opts: { probePeriodMs: number; terminationGracePeriodSeconds: number },
): Record<string, unknown> {
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
            periodSeconds: Math.max(1, Math.round(opts.probePeriodMs / 1000)),
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
      terminationGracePeriodSeconds: opts.terminationGracePeriodSeconds,
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      securityContext: {},
    },
  };
}

/** The Deployment as the API server holds it now: spec, managedFields, status from its pods. */
export function deploymentObject(
  d: DeploymentState,
  namespace: string,
  template: Record<string, unknown>,
): K8sObject {
  const newest = d.replicaSets[d.replicaSets.length - 1];
  const pods = d.replicaSets.flatMap((rs) => rs.pods.filter((p) => p.deletion === undefined));
  const ready = pods.filter((p) => p.ready !== undefined).length;
  const updated = newest?.pods.filter((p) => p.deletion === undefined).length ?? 0;
  const complete =
    updated === d.spec.replicas && pods.length === d.spec.replicas && ready === d.spec.replicas;
  const now = nowNanos();
  return {
    apiVersion: APPS,
    kind: 'Deployment',
    metadata: {
      name: d.spec.name,
      namespace,
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
      template,
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
  };
}

/** A managedFields entry of a client that changed the pod template's container. */
export function managedField(container: string, manager: string, at: bigint): Record<string, unknown> {
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

/** The ReplicaSet as the API server holds it now. */
export function replicaSetObject(rs: RsState, namespace: string): K8sObject {
  const live = rs.pods.filter((p) => p.deletion === undefined);
  const ready = live.filter((p) => p.ready !== undefined).length;
  const template = structuredClone(rs.template) as { metadata: { labels: Record<string, string> } };
  template.metadata.labels['pod-template-hash'] = rs.hash;
  return {
    apiVersion: APPS,
    kind: 'ReplicaSet',
    metadata: {
      name: rs.name,
      namespace,
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
  };
}

/** The Pod as the API server holds it now, from what the scheduler and kubelet did. */
export function podObject(p: PodState, namespace: string, terminationGracePeriodSeconds: number): K8sObject {
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
      namespace,
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
            deletionTimestamp: k8sSeconds(
              p.deletion + BigInt(terminationGracePeriodSeconds) * 1_000_000_000n,
            ),
            deletionGracePeriodSeconds: terminationGracePeriodSeconds,
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

/** The Service's EndpointSlice as the endpointslice controller writes it after a change at `trigger`. */
export function endpointSliceObject(d: DeploymentState, namespace: string, trigger: bigint): K8sObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: d.slice.name,
      generateName: `${d.spec.name}-`,
      namespace,
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
      targetRef: { kind: 'Pod', namespace, name: e.pod, uid: e.podUid },
    })),
    ports: [{ name: 'http', port: d.spec.containerPort, protocol: 'TCP' }],
  };
}
