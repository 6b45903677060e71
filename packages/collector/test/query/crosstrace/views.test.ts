// The routes the web UI's service map, diagnoses and pods pages read.
import Fastify from 'fastify';
import t from 'tap';
import { loadScenarios, runOrder, units } from '../../../eval/scenario.js';
import {
  buildServiceMap,
  buildServiceMetrics,
  chooseStepMs,
  quantile,
  registerCrosstraceRoutes,
} from '../../../src/query/crosstrace/index.js';
import { makeSpan, ns, resourceOf } from '../../helpers/store-spans.js';

const sc = loadScenarios().find((s) => s.name === 'rollout-stale-endpoint')!;

t.test(
  'diagnoses: filters by code, time window and pod; each row names its pod and lifecycle span',
  async (t) => {
    const { store, controlPlane } = await runOrder(units(sc));
    const app = Fastify();
    registerCrosstraceRoutes(app, { store, controlPlane });
    t.teardown(() => app.close());
    const all = (await app.inject('/api/crosstrace/diagnoses')).json().data as {
      traceID: string;
      spanID: string;
      code: string;
      time: number;
      pod?: { namespace: string; name: string };
      lifecycle?: { traceID: string; spanID: string };
    }[];
    t.ok(all.length > 2);
    const withPod = all.filter((d) => d.pod !== undefined);
    t.ok(withPod.length > 0 && withPod.length < all.length, 'diagnoses that name a pod (not every one can)');
    for (const d of withPod)
      t.same(d.pod, { namespace: 'shop', name: 'web-5d567cc74c-ss4lb' }, `${d.code} names the pod`);
    const linked = all.filter((d) => d.lifecycle !== undefined);
    t.ok(linked.length > 0, 'attempts to a pod link to its lifecycle span');
    for (const d of linked) {
      const [span] = await store.getSpansByIds(d.lifecycle!.traceID, [d.lifecycle!.spanID]);
      t.equal(span?.layer, 'control-plane', 'the lifecycle span is stored');
    }
    const terminating = (await app.inject('/api/crosstrace/diagnoses?code=upstream-pod-terminating')).json()
      .data;
    t.ok(
      terminating.length > 0 &&
        terminating.every((d: { code: string }) => d.code === 'upstream-pod-terminating'),
    );
    const two = (
      await app.inject('/api/crosstrace/diagnoses?code=upstream-pod-terminating,upstream-endpoint-removed')
    ).json().data;
    t.equal(
      two.length,
      all.filter((d) => d.code === 'upstream-pod-terminating' || d.code === 'upstream-endpoint-removed')
        .length,
    );
    const cut = all[Math.floor(all.length / 2)].time;
    const until = (await app.inject(`/api/crosstrace/diagnoses?until=${cut}`)).json().data;
    t.ok(until.length > 0 && until.every((d: { time: number }) => d.time <= cut), 'until bounds the window');
    t.ok(until.length < all.length);
    t.same((await app.inject('/api/crosstrace/diagnoses?pod=shop/nobody')).json().data, []);
    t.equal(
      (await app.inject('/api/crosstrace/diagnoses?pod=shop/web-5d567cc74c-ss4lb')).json().data.length,
      withPod.length,
    );
    t.equal((await app.inject('/api/crosstrace/diagnoses?until=soon')).statusCode, 400);
    t.equal(
      (await app.inject('/api/crosstrace/diagnoses?code=upstream-pod-terminating&limit=1')).json().data
        .length,
      1,
    );
  },
);

t.test('pods: the list and each pod lifecycle span', async (t) => {
  const { store, controlPlane } = await runOrder(units(sc));
  const app = Fastify();
  registerCrosstraceRoutes(app, { store, controlPlane });
  t.teardown(() => app.close());
  const pods = (await app.inject('/api/crosstrace/pods')).json().data as {
    namespace: string;
    name: string;
    ips: string[];
    diagnoses: number;
    deletionStartedAt?: string;
    lifecycle: { traceID: string; spanID: string };
  }[];
  t.same(
    pods.map((p) => p.name),
    [...pods.map((p) => p.name)].sort(),
    'sorted by name',
  );
  const old = pods.find((p) => p.name === 'web-5d567cc74c-ss4lb')!;
  t.ok(old.diagnoses > 0, 'the terminated pod counts its diagnoses');
  t.equal(old.deletionStartedAt, '2026-01-10T12:00:05.000000Z');
  const [span] = await store.getSpansByIds(old.lifecycle.traceID, [old.lifecycle.spanID]);
  t.equal(span?.layer, 'control-plane', 'the lifecycle span is in the store');
  t.same((await app.inject('/api/crosstrace/pods?namespace=other')).json().data, []);
  const one = (await app.inject('/api/crosstrace/pods/shop/web-5d567cc74c-ss4lb/requests')).json();
  t.same(one.pod.lifecycle, old.lifecycle, 'the pod page knows the lifecycle trace');
});

t.test('service map and metrics over a window', async (t) => {
  const { store, controlPlane } = await runOrder(units(sc));
  const app = Fastify();
  registerCrosstraceRoutes(app, { store, controlPlane });
  t.teardown(() => app.close());
  const start = Date.UTC(2026, 0, 10, 11, 0) * 1000;
  const end = Date.UTC(2026, 0, 10, 13, 0) * 1000;
  const map = (await app.inject(`/api/crosstrace/service-map?start=${start}&end=${end}`)).json();
  t.equal(map.truncated, false);
  t.ok(map.spans > 0);
  const edge = map.edges.find((e: { parent: string; child: string }) => e.parent === 'ingress-nginx');
  t.ok(edge, 'the stitched ingress → app edge');
  t.equal(map.nodes.find((n: { service: string }) => n.service === 'ingress-nginx').layer, 'ingress');
  t.ok(
    map.nodes.some((n: { layer: string }) => n.layer === 'control-plane'),
    'control-plane services are nodes',
  );
  const empty = (await app.inject(`/api/crosstrace/service-map?start=1000&end=2000`)).json();
  t.same(empty.nodes, []);
  t.equal((await app.inject('/api/crosstrace/service-map?start=9&end=1')).statusCode, 400);
  const m = (
    await app.inject(`/api/crosstrace/service-metrics?service=ingress-nginx&start=${start}&end=${end}`)
  ).json();
  t.equal(m.service, 'ingress-nginx');
  t.equal(m.stepMs, 60_000, 'two hours in one-minute buckets');
  t.equal(m.time.length, 120);
  const total = m.requests.reduce((a: number, b: number) => a + b, 0);
  t.equal(total, sc.ingress.filter((s) => s.kind === 'server').length, 'one request per ingress server span');
  t.ok(m.operations.length > 0);
  t.equal((await app.inject('/api/crosstrace/service-metrics')).statusCode, 400);
  t.equal(
    (await app.inject(`/api/crosstrace/service-metrics?service=x&start=${start}&end=${end}&step=10`))
      .statusCode,
    400,
  );
});

t.test('buildServiceMap counts calls and errors per edge, the majority layer per node', async (t) => {
  const root = makeSpan({
    service: 'ingress-nginx',
    resource: resourceOf('ingress-nginx'),
    layer: 'ingress',
  });
  const child = (service: string, parent: string, error = false) =>
    makeSpan({
      traceId: root.traceId,
      parentSpanId: parent,
      service,
      resource: resourceOf(service),
      status: { code: error ? 2 : 0, message: '' },
    });
  const a = child('frontend', root.spanId);
  const b = child('redis', a.spanId, true);
  const c = child('redis', a.spanId);
  const d = child('frontend', a.spanId);
  const map = buildServiceMap([root, a, b, c, d]);
  t.same(map.edges, [
    { parent: 'frontend', child: 'redis', callCount: 2, errorCount: 1 },
    { parent: 'ingress-nginx', child: 'frontend', callCount: 1, errorCount: 0 },
  ]);
  t.same(
    map.nodes.map((n) => [n.service, n.layer, n.spanCount, n.errorCount]),
    [
      ['frontend', 'app', 2, 0],
      ['ingress-nginx', 'ingress', 1, 0],
      ['redis', 'app', 2, 1],
    ],
  );
});

t.test('buildServiceMetrics: buckets, rates, percentiles', async (t) => {
  const spans = [10, 20, 30, 40, 1000].map((d, i) =>
    makeSpan({
      kind: 2,
      startTimeUnixNano: ns(i * 100),
      endTimeUnixNano: ns(i * 100 + d),
      status: { code: i === 4 ? 2 : 0, message: '' },
    }),
  );
  const base = Number(ns(0) / 1_000_000n);
  const m = buildServiceMetrics('frontend', spans, { startMs: base, endMs: base + 2000, stepMs: 1000 });
  t.same(m.requests, [5, 0]);
  t.same(m.requestsPerSecond, [5, 0]);
  t.same(m.errorRate, [0.2, null]);
  t.same(m.p50, [30, null]);
  t.same(m.p99, [1000, null]);
  t.equal(quantile([1, 2, 3, 4], 0.5), 2);
  t.equal(chooseStepMs(3600_000), 30_000);
  t.equal(chooseStepMs(7 * 86400_000), 21_600_000);
});
