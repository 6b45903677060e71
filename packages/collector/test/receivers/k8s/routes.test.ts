import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import t from 'tap';
import { createControlPlaneState } from '../../../src/controlplane/index.js';
import { CollectorErrorCode, createError } from '../../../src/errors.js';
import type { SpanBatch } from '../../../src/model/span.js';
import { registerK8sRoutes } from '../../../src/receivers/k8s/index.js';

const events = readFileSync(
  new URL('../../fixtures/kubernetes/events-deployment-rollout.yaml', import.meta.url),
  'utf8',
);
const audit = readFileSync(new URL('../../fixtures/kubernetes/audit-events.jsonl', import.meta.url), 'utf8');

async function app(consume: (b: SpanBatch) => Promise<void>) {
  const a = Fastify();
  const controlPlane = createControlPlaneState();
  registerK8sRoutes(a, { pipeline: { consume }, controlPlane });
  await a.ready();
  return { a, controlPlane };
}

t.test('POST /k8s/objects takes YAML, watch events and Lists; POST /k8s/audit an EventList', async (t) => {
  const batches: SpanBatch[] = [];
  const { a, controlPlane } = await app(async (b) => {
    batches.push(b);
  });
  t.teardown(() => a.close());
  let res = await a.inject({
    method: 'POST',
    url: '/k8s/objects',
    payload: events,
    headers: { 'content-type': 'application/yaml' },
  });
  t.equal(res.statusCode, 200);
  t.equal(res.json().accepted.objects, 5);
  t.ok(res.json().spans >= 5);
  t.equal(batches[0].receiver, 'k8s-objects');
  t.ok(batches[0].spans.some((s) => s.name === 'Pod.Pulled'));
  const watch = `${JSON.stringify({ type: 'ADDED', object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'd', uid: 'u1' }, status: { podIP: '10.9.9.9' } } })}\n`;
  const before = BigInt(Date.now()) * 1_000_000n;
  res = await a.inject({
    method: 'POST',
    url: '/k8s/objects',
    payload: watch,
    headers: { 'content-type': 'application/json' },
  });
  t.equal(res.statusCode, 200);
  t.ok(
    (controlPlane.pod('u1')?.ipFromNanos ?? 0n) >= before,
    'a live watch event is stamped with its arrival',
  );
  const items = audit
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  res = await a.inject({
    method: 'POST',
    url: '/k8s/audit',
    payload: { kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items },
  });
  t.equal(res.statusCode, 200);
  t.equal(res.json().accepted.auditEvents, 4);
  t.equal(batches.at(-1)?.spans.length, 4);
  res = await a.inject({
    method: 'POST',
    url: '/k8s/audit',
    payload: audit,
    headers: { 'content-type': 'application/x-ndjson' },
  });
  t.equal(res.json().accepted.duplicates, 4, 'a re-sent audit batch is recognised');
});

t.test('garbage is a 400 with a stable code; a full pipeline is a 503 with Retry-After', async (t) => {
  const { a } = await app(async () => {
    throw createError(CollectorErrorCode.QueueFull, 'queue full', { statusCode: 503, retryAfterSeconds: 2 });
  });
  t.teardown(() => a.close());
  let res = await a.inject({
    method: 'POST',
    url: '/k8s/objects',
    payload: '{"nope": true}',
    headers: { 'content-type': 'application/json' },
  });
  t.equal(res.statusCode, 400);
  t.equal(res.json().code, CollectorErrorCode.K8sBadBody);
  res = await a.inject({
    method: 'POST',
    url: '/k8s/objects',
    payload: events,
    headers: { 'content-type': 'text/plain' },
  });
  t.equal(res.statusCode, 503);
  t.equal(res.headers['retry-after'], '2');
  t.equal(res.json().code, CollectorErrorCode.QueueFull);
});

t.test('?arrival=<ns> replays a recorded watch with the times its events arrived', async (t) => {
  const { a, controlPlane } = await app(async () => {});
  t.teardown(() => a.close());
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'd', uid: 'u2' },
    status: {
      podIP: '10.9.9.8',
      containerStatuses: [{ name: 'c', state: { terminated: { finishedAt: '2026-12-07T06:00:01Z' } } }],
    },
  };
  const post = (type: string, arrival: string) =>
    a.inject({
      method: 'POST',
      url: `/k8s/objects?arrival=${arrival}`,
      payload: `${JSON.stringify({ type, object: pod })}\n`,
      headers: { 'content-type': 'application/json' },
    });
  const added = 1_796_623_200_123_456_789n; // 2026-12-07T06:00:00.123456789Z
  const deleted = 1_796_623_202_250_000_000n; // a second after the containers' exit, as a kubelet does
  t.equal((await post('ADDED', String(added))).statusCode, 200);
  t.equal((await post('DELETED', String(deleted))).statusCode, 200);
  const rec = controlPlane.pod('u2');
  t.equal(rec?.ipFromNanos, added, 'the IP is held from the recorded arrival of ADDED');
  t.equal(rec?.deletedNanos, deleted, 'and gone at the recorded arrival of DELETED, not at finishedAt');

  for (const bad of ['yesterday', '-5', '1.5e18', '']) {
    const res = await post('ADDED', bad);
    t.equal(res.statusCode, 400, `arrival=${bad} is refused`);
    t.equal(res.json().code, CollectorErrorCode.K8sBadBody);
    t.match(res.json().message, /arrival must be none, event or nanoseconds since the Unix epoch/);
  }
});
