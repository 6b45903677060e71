// The simulated control plane against the real collector: its records must be understood
// entirely, build the rollout's lifecycle trace, and explain a failed attempt to the old pod.
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from '@crosstrace/collector';
import t from 'tap';
import { ApiServer, type AuditEvent, type WatchEvent } from '../../src/demo/cluster/api-server.js';
import { CollectorSink, fanOut } from '../../src/demo/cluster/collector-sink.js';
import { node } from '../../src/demo/cluster/identities.js';
import type { Container, PodInfo, PodRuntime } from '../../src/demo/cluster/runtime.js';
import { Workloads } from '../../src/demo/cluster/workloads.js';

class FakeRuntime implements PodRuntime {
  readonly started: PodInfo[] = [];
  readonly terminated: string[] = [];
  async start(pod: PodInfo): Promise<Container> {
    this.started.push(pod);
    let exit!: (code: number) => void;
    const exited = new Promise<number>((r) => {
      exit = r;
    });
    let probes = 0;
    return {
      probe: async () => ++probes >= 2,
      terminate: () => {
        this.terminated.push(pod.name);
        setTimeout(() => exit(0), 30);
      },
      exited,
    };
  }
}

t.test(
  'a rollout of frontend: records the collector understands, a rollout trace, a diagnosis',
  async (t) => {
    const collector = await build({ storage: 'memory', otlpHttpPort: 0, otlpGrpcPort: -1, queryPort: 0 });
    const ports = await collector.listen();
    t.teardown(() => collector.close());
    const watch: WatchEvent[] = [];
    const audit: AuditEvent[] = [];
    const sink = new CollectorSink({ baseUrl: `http://127.0.0.1:${ports.otlpHttpPort}` });
    const api = new ApiServer(fanOut(sink, { watch: (e) => watch.push(e), audit: (e) => audit.push(e) }));
    const runtime = new FakeRuntime();
    const workloads = new Workloads(api, runtime, { namespace: 'hotrod', probePeriodMs: 20 });
    const changes: string[] = [];
    workloads.onEndpointsChange((s) => changes.push(s));
    const worker = node('kind-worker', '172.18.0.3', '127.0.0');
    const spec = {
      name: 'frontend',
      replicas: 2,
      image: 'ghcr.io/crosstrace/hotrod:0.1.0',
      containerPort: 8080,
      probePath: '/config',
      node: worker,
    };

    await workloads.apply(spec);
    t.same(
      runtime.started.map((p) => p.ip),
      ['127.0.0.2', '127.0.0.3'],
      'pod IPs from the node range',
    );
    t.same(
      workloads.endpoints('frontend').map((e) => [e.address, e.ready]),
      [
        ['127.0.0.2', true],
        ['127.0.0.3', true],
      ],
    );
    const [oldRs] = workloads.replicaSets('frontend');
    t.match(
      oldRs,
      /^frontend-[bcdfghjklmnpqrstvwxz2456789]{6,10}$/,
      'ReplicaSet named by its pod-template-hash',
    );
    const oldPods = workloads.pods(oldRs);

    await sleep(1100); // the rollout starts in another second (second-precision timestamps)
    await workloads.apply({ ...spec, image: 'ghcr.io/crosstrace/hotrod:0.1.1' });
    const [, newRs] = workloads.replicaSets('frontend');
    t.not(newRs, oldRs);
    t.same(runtime.terminated.sort(), [...oldPods].sort(), 'both old pods were stopped');
    t.same(workloads.pods(oldRs), [], 'and deleted');
    t.same(
      workloads.endpoints('frontend').map((e) => e.address),
      ['127.0.0.4', '127.0.0.5'],
      'the slice holds the new pods only',
    );
    t.ok(changes.length >= 8, 'endpoint changes were announced');
    await sink.flush();

    // every resourceVersion is unique and increasing, as etcd revisions are
    const rvs = watch.map((e) => Number(e.object.metadata.resourceVersion));
    t.same(
      rvs,
      [...rvs].sort((a, b) => a - b),
    );
    t.equal(new Set(rvs).size, rvs.length);
    const kinds = new Set(watch.map((e) => e.object.kind));
    t.same([...kinds].sort(), ['Deployment', 'EndpointSlice', 'Event', 'Pod', 'ReplicaSet']);
    const deleted = watch.filter((e) => e.type === 'DELETED').map((e) => e.object.metadata.name);
    t.same(deleted.sort(), [...oldPods].sort(), 'the old pods are DELETED in the end');
    const deleting = watch.find(
      (e) =>
        e.object.kind === 'Pod' &&
        e.object.metadata.name === oldPods[0] &&
        e.object.metadata.deletionTimestamp,
    );
    t.equal(deleting?.object.metadata.deletionGracePeriodSeconds, 30);
    t.match(
      String(deleting?.object.metadata.deletionTimestamp),
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
      'whole seconds',
    );
    t.ok(
      audit.some(
        (a) => a.verb === 'patch' && (a.objectRef as { resource: string }).resource === 'deployments',
      ),
    );
    t.ok(
      audit.every((a) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(String(a.stageTimestamp))),
      'MicroTime',
    );

    // the collector builds the rollout's lifecycle trace from them
    const rollouts = await collector.store.findSpans({ service: 'deployment-controller', limit: 100 });
    const root = rollouts.find(
      (s) =>
        s.name === 'Deployment.Rollout' &&
        s.attributes.some((a) => a.key === 'k8s.replicaset.name' && a.value.stringValue === newRs),
    );
    t.ok(root, 'a Deployment.Rollout span for the new ReplicaSet');
    const trace = await collector.store.getTrace(root!.traceId);
    const names = new Set(trace.map((s) => s.name));
    for (const n of [
      'ReplicaSet.SuccessfulCreate',
      'Pod.Scheduled',
      'Pod.Ready',
      'EndpointSlice.EndpointAdded',
    ])
      t.ok(names.has(n), `${n} in the rollout trace`);
    const change = root!.attributes.find((a) => a.key === 'k8s.deployment.change.manager');
    t.equal(change?.value.stringValue, 'kubectl-set', 'rooted at the kubectl change');
    const oldTrace = await collector.store.getTrace(
      (await collector.store.findSpans({ service: 'deployment-controller', limit: 100 })).find(
        (s) => s.name === 'Deployment.Rollout' && s.attributes.some((a) => a.value.stringValue === oldRs),
      )!.traceId,
    );
    const oldNames = new Set(oldTrace.map((s) => s.name));
    for (const n of [
      'Pod.Terminating',
      'Pod.Killing',
      'EndpointSlice.EndpointTerminating',
      'ReplicaSet.SuccessfulDelete',
    ])
      t.ok(oldNames.has(n), `${n} in the old ReplicaSet's trace`);
  },
);

t.test(
  'maxSurge 1, maxUnavailable 1: one old pod goes at once, the other when a new pod is ready',
  async (t) => {
    const order: string[] = [];
    const runtime: PodRuntime = {
      async start(pod) {
        order.push(`start ${pod.name}`);
        let exit!: (code: number) => void;
        const exited = new Promise<number>((r) => {
          exit = r;
        });
        let probes = 0;
        return {
          probe: async () => {
            const ready = ++probes >= 3;
            if (ready) order.push(`ready ${pod.name}`);
            return ready;
          },
          terminate: () => {
            order.push(`terminate ${pod.name}`);
            setTimeout(() => exit(0), 10);
          },
          exited,
        };
      },
    };
    const api = new ApiServer({ watch: () => {}, audit: () => {} });
    const workloads = new Workloads(api, runtime, { namespace: 'hotrod', probePeriodMs: 10 });
    const spec = {
      name: 'frontend',
      replicas: 2,
      image: 'ghcr.io/crosstrace/hotrod:0.1.0',
      containerPort: 8080,
      node: node('kind-worker', '172.18.0.3', '127.0.0'),
      maxSurge: 1,
      maxUnavailable: 1,
    };
    await workloads.apply(spec);
    const [oldRs] = workloads.replicaSets('frontend');
    const [a1, a2] = workloads.pods(oldRs);
    order.length = 0;
    await workloads.apply({ ...spec, image: 'ghcr.io/crosstrace/hotrod:0.1.1' });
    const [, newRs] = workloads.replicaSets('frontend');
    const firstReady = order.findIndex((e) => e.startsWith('ready '));
    const killed = order.filter((e) => e.startsWith('terminate ')).map((e) => e.slice(10));
    t.same(killed, [a1, a2], 'both old pods, in order');
    t.ok(order.indexOf(`terminate ${a1}`) < firstReady, 'the first old pod goes before any new pod is ready');
    t.ok(order.indexOf(`terminate ${a2}`) > firstReady, 'the second once a new pod is ready');
    t.equal(order.filter((e) => e.startsWith('start ')).length, 2, 'two new pods, started together');
    t.equal(workloads.pods(newRs).length, 2);
    t.same(workloads.pods(oldRs), []);
  },
);
