import { readFileSync } from 'node:fs';
import t from 'tap';
import {
  createControlPlaneState,
  spanIdFromAuditId,
  traceIdFromAuditId,
} from '../../../src/controlplane/index.js';
import { getAttribute, getStringAttribute } from '../../../src/model/attributes.js';
import type { Span } from '../../../src/model/span.js';
import { SpanKind } from '../../../src/model/span.js';
import { createStitchingProcessor } from '../../../src/processors/stitching/index.js';
import { ingestK8sText } from '../../../src/receivers/k8s/index.js';
import { auditSpanName } from '../../../src/receivers/k8s-audit/index.js';
import { createMemoryStore } from '../../../src/storage/index.js';

const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
const fixture = readFileSync(
  new URL('../../fixtures/kubernetes/audit-events.jsonl', import.meta.url),
  'utf8',
);

function setup() {
  const store = createMemoryStore();
  const controlPlane = createControlPlaneState();
  const pipeline = createStitchingProcessor({
    next: { consume: (b) => store.writeSpans(b.spans) },
    store,
    controlPlane,
  });
  return { store, controlPlane, pipeline };
}

t.test('the audit fixture gives one span per auditID', async (t) => {
  const { store, controlPlane, pipeline } = setup();
  const r = await ingestK8sText(fixture, { pipeline, controlPlane, receiver: 'k8s-audit' });
  t.equal(r.auditEvents, 4);
  const ids = fixture
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).auditID as string);
  for (const id of ids) {
    const spans = await store.getTrace(traceIdFromAuditId(id));
    t.equal(spans.length, 1, `one span for ${id}`);
  }
  const first = (await store.getTrace(traceIdFromAuditId('cfce8a0b-b5f5-4365-8c9f-79c1227d10f9')))[0];
  t.equal(first.traceId, 'cfce8a0bb5f543658c9f79c1227d10f9', 'the UUID is the trace id');
  t.equal(first.name, 'get serviceaccounts');
  t.equal(first.kind, SpanKind.Server);
  t.equal(first.serviceName, 'kube-apiserver');
  t.equal(first.layer, 'control-plane');
  t.same(first.scope, { name: '@crosstrace/collector/k8s-audit', version: PACKAGE_VERSION, attributes: [] });
  t.equal(first.endTimeUnixNano - first.startTimeUnixNano, 3_526_000n, 'requestReceived → stageTimestamp');
  t.equal(getAttribute(first.attributes, 'http.response.status_code'), 200);
  t.match(getStringAttribute(first.attributes, 'user.name'), /openshift-kube-scheduler-operator/);
  t.match(getStringAttribute(first.attributes, 'user_agent.original'), /^cluster-kube-scheduler-operator/);
  t.equal(getStringAttribute(first.attributes, 'k8s.object.name'), 'openshift-kube-scheduler-sa');
  t.equal(getStringAttribute(first.attributes, 'k8s.namespace.name'), 'openshift-kube-scheduler');
  const metrics = (await store.getTrace(traceIdFromAuditId('381acf6d-5f30-4c7d-8175-c9c317ae5893')))[0];
  t.equal(metrics.name, 'get /metrics', 'non-resource requests are named by path');
});

t.test('stages arriving separately (any order) merge into one span', async (t) => {
  const base = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    auditID: 'not-a-uuid-1',
    verb: 'create',
    objectRef: { resource: 'pods', subresource: 'binding', namespace: 'd', name: 'p' },
    requestReceivedTimestamp: '2026-01-10T12:00:00.100000Z',
  };
  const received = { ...base, stage: 'RequestReceived', stageTimestamp: '2026-01-10T12:00:00.100000Z' };
  const complete = {
    ...base,
    stage: 'ResponseComplete',
    stageTimestamp: '2026-01-10T12:00:00.250000Z',
    responseStatus: { code: 201 },
  };
  for (const order of [
    [complete, received],
    [received, complete],
  ]) {
    const { store, controlPlane, pipeline } = setup();
    for (const e of order)
      await ingestK8sText(JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [e] }), {
        pipeline,
        controlPlane,
        receiver: 'k8s-audit',
      });
    const spans = await store.getTrace(traceIdFromAuditId('not-a-uuid-1'));
    t.equal(spans.length, 1);
    t.equal(spans[0].name, 'create pods/binding');
    t.equal(spans[0].endTimeUnixNano - spans[0].startTimeUnixNano, 150_000_000n);
    t.same(
      spans[0].events.map((e) => e.name),
      ['RequestReceived', 'ResponseComplete'],
    );
    t.equal(getAttribute(spans[0].attributes, 'http.response.status_code'), 201);
  }
  t.equal(auditSpanName({ verb: 'list' }), 'list ');
});

t.test(
  'a kube-apiserver OTLP span with audit-id ends up in the audit span trace, before or after it',
  async (t) => {
    const auditId = 'cfce8a0b-b5f5-4365-8c9f-79c1227d10f9';
    const apiserver = (traceId: string): Span[] => [
      {
        traceId,
        spanId: '1111111111111111',
        parentSpanId: '2222222222222222',
        traceState: '',
        flags: 1,
        name: 'HTTP GET',
        kind: SpanKind.Server,
        startTimeUnixNano: 1615226802512700000n,
        endTimeUnixNano: 1615226802516000000n,
        attributes: [{ key: 'audit-id', value: { stringValue: auditId } }],
        droppedAttributesCount: 0,
        events: [],
        droppedEventsCount: 0,
        links: [],
        droppedLinksCount: 0,
        status: { code: 0, message: '' },
        resource: {
          attributes: [{ key: 'service.name', value: { stringValue: 'apiserver' } }],
          droppedAttributesCount: 0,
        },
        scope: { name: 'k8s.io/apiserver', version: '', attributes: [] },
        serviceName: 'apiserver',
        layer: 'control-plane',
      },
      {
        traceId,
        spanId: '3333333333333333',
        parentSpanId: '1111111111111111',
        traceState: '',
        flags: 1,
        name: 'etcd Get',
        kind: SpanKind.Client,
        startTimeUnixNano: 1615226802513000000n,
        endTimeUnixNano: 1615226802514000000n,
        attributes: [],
        droppedAttributesCount: 0,
        events: [],
        droppedEventsCount: 0,
        links: [],
        droppedLinksCount: 0,
        status: { code: 0, message: '' },
        resource: { attributes: [], droppedAttributesCount: 0 },
        scope: { name: 'etcd', version: '', attributes: [] },
        serviceName: 'apiserver',
        layer: 'control-plane',
      },
    ];
    for (const auditFirst of [true, false]) {
      const { store, controlPlane, pipeline } = setup();
      const otlpTrace = 'abcdefabcdefabcdefabcdefabcdef01';
      if (auditFirst) await ingestK8sText(fixture, { pipeline, controlPlane, receiver: 'k8s-audit' });
      await pipeline.consume({ spans: apiserver(otlpTrace), receiver: 'otlp' });
      if (!auditFirst) await ingestK8sText(fixture, { pipeline, controlPlane, receiver: 'k8s-audit' });
      const trace = await store.getTrace(traceIdFromAuditId(auditId));
      t.same(
        trace.map((s) => s.name).sort(),
        ['HTTP GET', 'etcd Get', 'get serviceaccounts'],
        `audit first: ${auditFirst}`,
      );
      const http = trace.find((s) => s.name === 'HTTP GET')!;
      t.equal(http.parentSpanId, spanIdFromAuditId(auditId), 'the apiserver span is the audit span child');
      t.equal(http.links[0].spanId, '2222222222222222', 'its original parent is kept as a link');
      t.equal(http.links[0].traceId, otlpTrace);
    }
  },
);
