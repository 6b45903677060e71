import { readFileSync } from 'node:fs';
import t from 'tap';
import {
  affectedGroups,
  buildLifecycleSpans,
  createControlPlaneState,
  podLifecycleRef,
} from '../../src/controlplane/index.js';
import { getStringAttribute } from '../../src/model/attributes.js';
import type { Span } from '../../src/model/span.js';
import { parseK8sText } from '../../src/receivers/k8s-objects/parse.js';

const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
const fixture = readFileSync(
  new URL('../fixtures/kubernetes/events-deployment-rollout.yaml', import.meta.url),
  'utf8',
);

function importAll(text: string): Span[] {
  const cp = createControlPlaneState();
  const parsed = parseK8sText(text);
  const res = cp.addObservations(parsed.observations);
  return buildLifecycleSpans(cp, affectedGroups(cp, res));
}

function byName(spans: Span[], name: string, pod?: string): Span {
  const s = spans.find(
    (x) =>
      x.name === name && (pod === undefined || getStringAttribute(x.attributes, 'k8s.object.name') === pod),
  );
  if (s === undefined) throw new Error(`no span ${name}`);
  return s;
}

t.test('kspan rollout fixture: Deployment → ReplicaSet → Pod with scheduling and pull', async (t) => {
  const spans = importAll(fixture);
  const scaling = byName(spans, 'Deployment.ScalingReplicaSet');
  const create = byName(spans, 'ReplicaSet.SuccessfulCreate');
  const scheduled = byName(spans, 'Pod.Scheduled');
  const pulled = byName(spans, 'Pod.Pulled');
  const killing = byName(spans, 'Pod.Killing');
  const root = byName(spans, 'Deployment.Rollout');
  t.equal(scaling.parentSpanId, root.spanId);
  t.equal(root.parentSpanId, '');
  t.equal(create.parentSpanId, scaling.spanId, 'SuccessfulCreate is the child of ScalingReplicaSet');
  t.equal(scheduled.parentSpanId, create.spanId, 'Pod.Scheduled is the child of SuccessfulCreate');
  t.equal(pulled.parentSpanId, scheduled.spanId, 'Pod.Pulled is the child of Pod.Scheduled');
  for (const s of [scaling, create, scheduled, pulled])
    t.equal(s.traceId, root.traceId, `${s.name} in the rollout trace`);
  t.equal(scheduled.serviceName, 'default-scheduler');
  t.same(scheduled.scope, { name: '@crosstrace/collector/k8s', version: PACKAGE_VERSION, attributes: [] });
  t.equal(scaling.serviceName, 'deployment-controller');
  t.equal(pulled.serviceName, 'kubelet');
  t.equal(getStringAttribute(pulled.attributes, 'crosstrace.layer'), 'control-plane');
  // scheduler eventTime has microseconds, with null first/last timestamps
  t.equal(scheduled.startTimeUnixNano % 1_000_000_000n, 638_469_000n);
  t.equal(getStringAttribute(killing.attributes, 'k8s.object.name'), 'px-7df978b9bf-jm22q');
  t.equal(killing.name, 'Pod.Killing');
  t.ok(killing.parentSpanId !== '', 'the old pod Killing hangs under the old pod span');
  const oldPod = spans.find((s) => s.spanId === killing.parentSpanId);
  t.equal(oldPod?.name, 'Pod.Lifecycle');
  t.equal(getStringAttribute(oldPod!.attributes, 'k8s.pod.name'), 'px-7df978b9bf-jm22q');
});

t.test('deterministic: the same input gives the same ids; YAML order does not matter', async (t) => {
  const a = importAll(fixture);
  const docs = fixture.split(/^---$/m).reverse().join('\n---\n');
  const b = importAll(docs);
  const canon = (spans: Span[]) =>
    spans
      .map(
        (s) =>
          `${s.traceId} ${s.spanId} ${s.parentSpanId} ${s.name} ${s.startTimeUnixNano} ${s.endTimeUnixNano}`,
      )
      .sort();
  t.same(canon(a), canon(b));
  t.equal(new Set(a.map((s) => s.spanId)).size, a.length, 'span ids are unique');
});

t.test(
  'the rollout root starts at the Deployment spec change (managedFields), whatever the order',
  async (t) => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'px',
        namespace: 'default',
        uid: 'd1',
        resourceVersion: '5361630',
        managedFields: [
          {
            manager: 'kube-controller-manager',
            operation: 'Update',
            time: '2021-05-19T09:42:59Z',
            fieldsV1: { 'f:status': {} },
          },
          {
            manager: 'kubectl-client-side-apply',
            operation: 'Update',
            time: '2021-05-19T09:42:57Z',
            fieldsV1: { 'f:spec': {} },
          },
        ],
      },
    };
    const text = `${fixture}\n---\n${JSON.stringify(deployment)}`;
    const roots = [importAll(text), importAll(`${JSON.stringify(deployment)}\n---\n${fixture}`)].map(
      (spans) => byName(spans, 'Deployment.Rollout'),
    );
    for (const root of roots) {
      t.equal(root.startTimeUnixNano, BigInt(Date.parse('2021-05-19T09:42:57Z')) * 1_000_000n);
      t.equal(
        getStringAttribute(root.attributes, 'k8s.deployment.change.manager'),
        'kubectl-client-side-apply',
      );
    }
    // incrementally: events first, the Deployment later rewrites the same root span id
    const cp = createControlPlaneState();
    const first = cp.addObservations(parseK8sText(fixture).observations);
    const before = byName(buildLifecycleSpans(cp, affectedGroups(cp, first)), 'Deployment.Rollout');
    const second = cp.addObservations(parseK8sText(JSON.stringify(deployment)).observations);
    const after = byName(buildLifecycleSpans(cp, affectedGroups(cp, second)), 'Deployment.Rollout');
    t.equal(after.spanId, before.spanId);
    t.ok(after.startTimeUnixNano < before.startTimeUnixNano);
  },
);

t.test('podLifecycleRef: repeated calls give the same ids, and callers cannot change them', async (t) => {
  const pod = { namespace: 'shop', name: 'web-5d567cc74c-abcde', uid: 'u-1' };
  const first = podLifecycleRef(pod);
  t.match(first.traceId, /^[0-9a-f]{32}$/);
  t.match(first.spanId, /^[0-9a-f]{16}$/);
  first.traceId = 'x';
  const again = podLifecycleRef(pod);
  t.not(again.traceId, 'x', 'a returned ref is a copy');
  t.same(podLifecycleRef({ ...pod }), again, 'same identity, same ids');
  t.not(podLifecycleRef({ ...pod, uid: 'u-2' }).spanId, again.spanId, 'another uid, another span');
});
