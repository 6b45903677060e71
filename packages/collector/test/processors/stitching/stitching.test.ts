import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextFromRequestId } from '@crosstrace/contract';
import t from 'tap';
import {
  canonicalStore,
  loadScenarios,
  permutations,
  predictedDiagnoses,
  predictedLinks,
  runOrder,
  splitAppUnits,
  units,
  writerFor,
} from '../../../eval/scenario.js';
import { CollectorErrorCode } from '../../../src/errors.js';
import { getStringAttribute } from '../../../src/model/attributes.js';
import {
  createStitchingProcessor,
  DIAGNOSIS_EVENT,
  LINK_CONFIDENCE,
  LINK_TYPE,
} from '../../../src/processors/stitching/index.js';
import { ingestK8sText } from '../../../src/receivers/k8s/index.js';
import { openSqliteStore } from '../../../src/storage/index.js';

const scenarios = loadScenarios();
const get = (name: string) => scenarios.find((s) => s.name === name)!;

for (const name of ['exact-header', 'request-id-only', 'no-headers-sparse', 'rollout-stale-endpoint']) {
  t.test(`${name}: every arrival order stores the same result`, async (t) => {
    const sc = get(name);
    const u = units(sc);
    const reference = await canonicalStore(await runOrder(u));
    const perms = permutations(u);
    for (const p of perms) {
      const label = p.map((x) => (x.kind === 'k8s' ? 'k8s' : x.receiver)).join(' → ');
      t.same(await canonicalStore(await runOrder(p)), reference, label);
    }
  });
}

t.test('exact joins are 100%: by trace context and by X-Request-ID', async (t) => {
  for (const name of ['exact-header', 'request-id-only']) {
    const sc = get(name);
    const r = await runOrder(units(sc));
    t.same(
      [...(await predictedLinks(r, sc))].sort(),
      sc.truth.links.map(([a, b]) => `${a}>${b}`).sort(),
      name,
    );
  }
  const sc = get('request-id-only');
  const r = await runOrder(units(sc));
  const app = (await r.store.findSpans({ layer: 'app', limit: 1000 }))[0];
  t.equal(getStringAttribute(app.attributes, 'crosstrace.link.method'), 'x-request-id');
});

t.test('no headers: heuristic links carry a confidence and are links, not parents', async (t) => {
  const sc = get('no-headers-sparse');
  const r = await runOrder(units(sc));
  const predicted = await predictedLinks(r, sc);
  const truth = new Set(sc.truth.links.map(([a, b]) => `${a}>${b}`));
  let tp = 0;
  for (const p of predicted) if (truth.has(p)) tp++;
  t.ok(tp / predicted.size >= 0.95, `precision ${tp}/${predicted.size}`);
  t.ok(tp / truth.size >= 0.95, `recall ${tp}/${truth.size}`);
  for (const s of await r.store.findSpans({ layer: 'app', limit: 1000 })) {
    t.equal(s.parentSpanId, '', 'never re-parented on a guess');
    const l = s.links.find((x) => getStringAttribute(x.attributes, LINK_TYPE) === 'heuristic-ingress');
    t.ok(l && Number(getStringAttribute(l.attributes, LINK_CONFIDENCE)) > 0, 'confidence on the link');
  }
});

t.test('rollout: 502s carry the control-plane diagnosis with the right pod and evidence', async (t) => {
  const sc = get('rollout-stale-endpoint');
  for (const order of [units(sc), [...units(sc)].reverse()]) {
    const r = await runOrder(order);
    t.same([...predictedDiagnoses(r)].sort(), sc.truth.diagnoses.map(([a, c]) => `${a}>${c}`).sort());
    const list = r.controlPlane.listDiagnoses({});
    const terminating = list.find((d) => d.code === 'upstream-pod-terminating')!;
    t.equal(terminating.evidence.pod, 'shop/web-5d567cc74c-ss4lb');
    t.equal(terminating.evidence.deletionStartedAt, '2026-01-10T12:00:05.000000Z');
    t.equal(terminating.evidence.gracePeriodSeconds, 30);
    const removed = list.filter((d) => d.code === 'upstream-endpoint-removed');
    t.ok(removed.every((d) => d.evidence.removedAt === '2026-01-10T12:00:05.100000Z'));
    t.ok(
      removed.every((d) => typeof d.evidence.lagMs === 'number' && d.evidence.lagMs > 0),
      'lag since removal',
    );
    t.ok(
      list.some(
        (d) => d.code === 'upstream-ip-unassigned' && d.evidence.lastPod === 'shop/web-5d567cc74c-ss4lb',
      ),
    );
    // the failed attempt span carries the diagnosis events and a link to the old pod's lifecycle span
    const failed = await r.store.getSpansByIds(terminating.traceId, [terminating.spanId]);
    t.ok(failed[0].events.some((e) => e.name === DIAGNOSIS_EVENT));
    const podLink = failed[0].links.find(
      (l) => getStringAttribute(l.attributes, LINK_TYPE) === 'pod-lifecycle',
    )!;
    const lifecycle = await r.store.getSpansByIds(podLink.traceId, [podLink.spanId]);
    t.equal(getStringAttribute(lifecycle[0].attributes, 'k8s.pod.name'), 'web-5d567cc74c-ss4lb');
    t.equal(lifecycle[0].layer, 'control-plane');
    // the successful retry links to the new pod
    const trace = await r.store.getTrace(terminating.traceId);
    const retry = trace.find((s) => s.kind === 3 && s.spanId !== terminating.spanId)!;
    const retryLink = retry.links.find(
      (l) => getStringAttribute(l.attributes, LINK_TYPE) === 'pod-lifecycle',
    )!;
    t.equal(getStringAttribute(retryLink.attributes, 'k8s.pod.name'), 'web-7df978b9bf-jm22q');
    t.same(r.controlPlane.diagnosesOf(retry.traceId, retry.spanId), [], 'no diagnosis on a success');
  }
});

t.test('a late ingress reload Event re-stitches the attempts of its window', async (t) => {
  const sc = get('rollout-stale-endpoint');
  const r = await runOrder(units(sc));
  t.notOk(
    r.controlPlane.listDiagnoses({}).some((d) => d.code === 'ingress-reload'),
    'no reload yet',
  );
  const stitching = createStitchingProcessor({
    next: writerFor(r.store),
    store: r.store,
    controlPlane: r.controlPlane,
  });
  const reload = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'ctl.1', namespace: 'ingress-nginx', uid: 'reload-1' },
    involvedObject: { kind: 'Pod', name: 'ingress-nginx-controller-7d9', namespace: 'ingress-nginx' },
    reason: 'RELOAD',
    message: 'NGINX reload triggered due to a change in configuration',
    source: { component: 'nginx-ingress-controller' },
    firstTimestamp: '2026-01-10T12:00:06Z',
    lastTimestamp: '2026-01-10T12:00:06Z',
  };
  await ingestK8sText(JSON.stringify(reload), {
    pipeline: stitching,
    controlPlane: r.controlPlane,
    receiver: 'k8s-objects',
  });
  const reloads = r.controlPlane.listDiagnoses({}).filter((d) => d.code === 'ingress-reload');
  t.ok(reloads.length > 0, 'failed attempts around the reload are diagnosed');
  const at = BigInt(Date.parse('2026-01-10T12:00:06Z')) * 1_000_000n;
  t.ok(
    reloads.every((d) => d.timeNanos >= at - 2_000_000_000n && d.timeNanos <= at + 1_000_000_000n),
    'only in its window',
  );
  const span = (await r.store.getSpansByIds(reloads[0].traceId, [reloads[0].spanId]))[0];
  t.ok(
    span.events.some(
      (e) => getStringAttribute(e.attributes, 'crosstrace.diagnosis.code') === 'ingress-reload',
    ),
  );
});

t.test('a store failure after the batch is durable is a retryable CollectorError', async (t) => {
  const { createMemoryStore } = await import('../../../src/storage/index.js');
  const { createControlPlaneState } = await import('../../../src/controlplane/index.js');
  const store = createMemoryStore();
  const failing = Object.assign(Object.create(store), {
    findSpans: async () => {
      throw new Error('disk on fire');
    },
  });
  const controlPlane = createControlPlaneState();
  const stitching = createStitchingProcessor({
    next: writerFor(store),
    store: failing,
    controlPlane,
  });
  const sc = get('no-headers-sparse');
  const u = units(sc);
  const k8s = u.find((x) => x.kind === 'k8s');
  const spans = u.find((x) => x.kind === 'spans' && x.receiver === 'ingress');
  if (k8s?.kind !== 'k8s' || spans?.kind !== 'spans') throw new Error('scenario shape');
  const lifecycle = await ingestK8sText(k8s.text, {
    pipeline: { consume: (b) => store.writeSpans(b.spans) },
    controlPlane,
    receiver: 'k8s-objects',
  });
  await t.rejects(stitching.consume({ spans: spans.spans, receiver: 'ingress' }), {
    code: CollectorErrorCode.StitchFailed,
    statusCode: 503,
  });
  t.equal(
    (await store.findSpans({ limit: 10_000 })).length,
    spans.spans.length + lifecycle.spans,
    'the batch itself was stored',
  );
});

t.test('X-Request-ID join: the app trace follows its root, children listed first included', async (t) => {
  const { createMemoryStore } = await import('../../../src/storage/index.js');
  const { createControlPlaneState } = await import('../../../src/controlplane/index.js');
  const { contextFromRequestId } = await import('@crosstrace/contract');
  const { toSpan } = await import('../../../eval/scenario.js');
  const appTrace = 'a'.repeat(32);
  const rid = 'req-42';
  const ctx = contextFromRequestId(rid)!;
  const base = { layer: 'app' as const, service: 'web', start: '1000000', end: '2000000' };
  const root = toSpan({
    ...base,
    traceId: appTrace,
    spanId: '1'.repeat(16),
    name: 'GET /',
    kind: 'server',
    attributes: { 'http.request.header.x-request-id': rid },
  });
  const child = toSpan({
    ...base,
    traceId: appTrace,
    spanId: '2'.repeat(16),
    parentSpanId: '1'.repeat(16),
    name: 'db',
    kind: 'client',
  });
  const late = toSpan({
    ...base,
    traceId: appTrace,
    spanId: '3'.repeat(16),
    parentSpanId: '1'.repeat(16),
    name: 'cache',
    kind: 'client',
  });
  const store = createMemoryStore();
  const stitching = createStitchingProcessor({
    next: writerFor(store),
    store,
    controlPlane: createControlPlaneState(),
  });
  await stitching.consume({ spans: [child, root], receiver: 'app' });
  await stitching.consume({ spans: [late], receiver: 'app' });
  const trace = await store.getTrace(ctx.traceId);
  t.same(
    trace.map((s) => s.name).sort(),
    ['GET /', 'cache', 'db'],
    'the whole app trace joined the ingress trace',
  );
  t.equal(
    trace.find((s) => s.name === 'GET /')?.parentSpanId,
    ctx.spanId,
    'the root is the last attempt’s child',
  );
  t.same(await store.getTrace(appTrace), [], 'nothing left behind');
});

for (const name of ['request-id-only', 'rollout-stale-endpoint']) {
  t.test(
    `${name}: app traces split over two batches (children first) — every order, one result`,
    async (t) => {
      const sc = get(name);
      const u = splitAppUnits(sc);
      const reference = await canonicalStore(await runOrder(u));
      const perms = permutations(u);
      let same = 0;
      for (const p of perms) {
        const label = p.map((x) => (x.kind === 'k8s' ? 'k8s' : x.receiver)).join(' → ');
        const got = await canonicalStore(await runOrder(p));
        if (JSON.stringify(got) === JSON.stringify(reference)) same++;
        else t.same(got, reference, label);
      }
      t.equal(same, perms.length, `${same}/${perms.length} orders identical`);
      // and the reference is the joined one: every app span (children included) in its ingress trace
      const r = await runOrder(u);
      const roots = sc.app.filter((x) => !x.parentSpanId);
      let joined = 0;
      for (const root of roots) {
        const ctx = contextFromRequestId(String(root.attributes?.['http.request.header.x-request-id'] ?? ''));
        if (ctx === undefined) continue;
        const trace = await r.store.getTrace(ctx.traceId);
        const child = [...root.spanId].reverse().join('');
        if (trace.some((s) => s.spanId === root.spanId) && trace.some((s) => s.spanId === child)) joined++;
        t.same(await r.store.getTrace(root.traceId), [], 'nothing left under the app trace id');
      }
      t.equal(joined, roots.length, 'every root and its child joined the ingress trace');
    },
  );
}

t.test('SQLite store: moving a remapped trace gives the memory store’s result in both orders', async (t) => {
  const sc = get('request-id-only');
  const u = splitAppUnits(sc);
  const reference = await canonicalStore(await runOrder(u));
  const dir = mkdtempSync(join(tmpdir(), 'ct-stitch-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const childrenFirst = u;
  const rootsFirst = [...u.slice(0, -2), u[u.length - 1], u[u.length - 2]];
  for (const [label, order] of [
    ['children first', childrenFirst],
    ['roots first', rootsFirst],
  ] as const) {
    const store = await openSqliteStore({ path: join(dir, `${label.replace(' ', '-')}.db`) });
    t.teardown(() => store.close());
    const r = await runOrder(order, { store });
    t.same(await canonicalStore(r), reference, label);
    // searches never return the deleted copies
    const oldTrace = sc.app[0].traceId;
    t.same(await store.findSpans({ traceId: oldTrace, limit: 10 }), [], `${label}: old trace empty`);
    t.same(
      (await store.findSpans({ service: sc.app[0].service, limit: 100_000 })).filter(
        (s) => s.traceId === oldTrace,
      ),
      [],
      `${label}: a service search finds no old copy`,
    );
  }
});

t.test('audit join: apiserver spans stored before the audit-id span follow it, any order', async (t) => {
  const { createMemoryStore } = await import('../../../src/storage/index.js');
  const { createControlPlaneState } = await import('../../../src/controlplane/index.js');
  const { toSpan } = await import('../../../eval/scenario.js');
  const { traceIdFromAuditId, spanIdFromAuditId } = await import('../../../src/controlplane/ids.js');
  const auditId = '4c1f2f4e-9f0e-4b8e-8a4e-0a9d3c1e2b7f';
  const apiTrace = 'b'.repeat(32);
  const base = { layer: 'app' as const, service: 'kube-apiserver', start: '1000000', end: '2000000' };
  const handler = toSpan({
    ...base,
    traceId: apiTrace,
    spanId: '1'.repeat(16),
    name: 'HTTP GET',
    kind: 'server',
    attributes: { 'audit-id': auditId },
  });
  const etcd = toSpan({
    ...base,
    traceId: apiTrace,
    spanId: '2'.repeat(16),
    parentSpanId: '1'.repeat(16),
    name: 'etcd Range',
    kind: 'client',
  });
  const list = toSpan({
    ...base,
    traceId: apiTrace,
    spanId: '3'.repeat(16),
    parentSpanId: '1'.repeat(16),
    name: 'List',
    kind: 'internal',
  });
  const batches = [[etcd], [handler], [list]];
  const results: string[][] = [];
  for (const order of permutations(batches)) {
    const store = createMemoryStore();
    const controlPlane = createControlPlaneState();
    const stitching = createStitchingProcessor({
      next: writerFor(store),
      store,
      controlPlane,
    });
    for (const b of order) await stitching.consume({ spans: b, receiver: 'otlp' });
    const trace = await store.getTrace(traceIdFromAuditId(auditId));
    t.same(trace.map((s) => s.name).sort(), ['HTTP GET', 'List', 'etcd Range']);
    t.equal(trace.find((s) => s.name === 'HTTP GET')?.parentSpanId, spanIdFromAuditId(auditId));
    t.same(await store.getTrace(apiTrace), [], 'nothing left under the apiserver trace id');
    results.push(await canonicalStore({ store, controlPlane }));
  }
  t.ok(
    results.every((r) => JSON.stringify(r) === JSON.stringify(results[0])),
    'all 6 orders store the same',
  );
});

t.test(
  'write first, delete second: a crash between leaves a duplicate that the retry resolves',
  async (t) => {
    const { createMemoryStore } = await import('../../../src/storage/index.js');
    const { createControlPlaneState } = await import('../../../src/controlplane/index.js');
    const { toSpan } = await import('../../../eval/scenario.js');
    const appTrace = 'c'.repeat(32);
    const ctx = contextFromRequestId('req-crash')!;
    const base = { layer: 'app' as const, service: 'web', start: '1000000', end: '2000000' };
    const root = toSpan({
      ...base,
      traceId: appTrace,
      spanId: '1'.repeat(16),
      name: 'GET /',
      kind: 'server',
      attributes: { 'http.request.header.x-request-id': 'req-crash' },
    });
    const child = toSpan({
      ...base,
      traceId: appTrace,
      spanId: '2'.repeat(16),
      parentSpanId: '1'.repeat(16),
      name: 'db',
      kind: 'client',
    });
    const store = createMemoryStore();
    let crash = true;
    // the store, except that deleteSpans fails while `crash` is set (the process died in between)
    const crashing = new Proxy(store, {
      get(target, prop) {
        if (prop === 'deleteSpans')
          return async (traceId: string, ids?: readonly string[]) => {
            if (crash) throw new Error('killed');
            return target.deleteSpans(traceId, ids);
          };
        const v = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const controlPlane = createControlPlaneState();
    const stitching = createStitchingProcessor({
      next: writerFor(crashing),
      store: crashing,
      controlPlane,
    });
    await stitching.consume({ spans: [child], receiver: 'app' });
    await t.rejects(stitching.consume({ spans: [root], receiver: 'app' }), {
      code: CollectorErrorCode.StitchFailed,
      statusCode: 503,
    });
    t.same(
      (await store.getTrace(ctx.traceId)).map((s) => s.name).sort(),
      ['GET /', 'db'],
      'the copy was written',
    );
    t.same(
      (await store.getTrace(appTrace)).map((s) => s.name),
      ['db'],
      'the old copy is still there: a duplicate, no loss',
    );
    crash = false;
    await stitching.consume({ spans: [root], receiver: 'app' });
    t.same((await store.getTrace(appTrace)).length, 0, 'the retried batch finished the move');
    t.same((await store.getTrace(ctx.traceId)).map((s) => s.name).sort(), ['GET /', 'db']);
  },
);
