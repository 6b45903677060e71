// GET /api/v3/trace-summaries: what jaeger-ui's api/v3 client (fetchTraceSummaries) sends and
// validates (traceId 32 hex, decimal ns strings, non-negative counts, services with a name).
import Fastify from 'fastify';
import t from 'tap';
import { registerQueryRoutes } from '../../../src/query/index.js';
import { summarizeTrace } from '../../../src/query/v3/trace-summary.js';
import { createMemoryStore } from '../../../src/storage/index.js';
import { BASE_MS, makeSpan, newSpanId, ns, resourceOf } from '../../helpers/store-spans.js';

async function setup() {
  const store = createMemoryStore();
  const app = Fastify();
  registerQueryRoutes(app, { store });
  await app.ready();
  const ingress = makeSpan({
    service: 'ingress-nginx',
    resource: resourceOf('ingress-nginx'),
    name: 'GET shop-web-8080',
    layer: 'ingress',
    startTimeUnixNano: ns(0) + 7n,
    endTimeUnixNano: ns(300) + 9n,
  });
  const attempt = makeSpan({
    traceId: ingress.traceId,
    parentSpanId: ingress.spanId,
    service: 'ingress-nginx',
    resource: ingress.resource,
    name: 'GET shop-web-8080',
    kind: 3,
    layer: 'ingress',
    startTimeUnixNano: ns(1),
    endTimeUnixNano: ns(5),
    status: { code: 2, message: 'upstream 502' },
    attributes: [
      {
        key: 'crosstrace.diagnosis.codes',
        value: { stringValue: 'upstream-pod-terminating,upstream-endpoint-removed' },
      },
    ],
  });
  const app1 = makeSpan({
    traceId: ingress.traceId,
    parentSpanId: attempt.spanId,
    service: 'frontend',
    name: 'GET /dispatch',
    startTimeUnixNano: ns(6),
    endTimeUnixNano: ns(290),
  });
  const orphan = makeSpan({
    traceId: ingress.traceId,
    parentSpanId: newSpanId(),
    service: 'redis',
    resource: resourceOf('redis'),
    name: 'GET',
    startTimeUnixNano: ns(10),
    endTimeUnixNano: ns(12),
  });
  const other = makeSpan({
    service: 'frontend',
    name: 'GET /config',
    startTimeUnixNano: ns(1000),
    endTimeUnixNano: ns(1010),
  });
  await store.writeSpans([ingress, attempt, app1, orphan, other]);
  return { app, ingress, other };
}

const range = {
  'query.start_time_min': new Date(BASE_MS - 60_000).toISOString(),
  'query.start_time_max': new Date(BASE_MS + 60_000).toISOString(),
};

t.test('summaries of the matching traces, newest first, in api_v3 TraceSummary shape', async (t) => {
  const { app, ingress, other } = await setup();
  t.teardown(() => app.close());
  const res = await app.inject({ url: '/api/v3/trace-summaries', query: range });
  t.equal(res.statusCode, 200);
  const { summaries } = res.json();
  t.same(
    summaries.map((s: { traceId: string }) => s.traceId),
    [other.traceId, ingress.traceId],
  );
  const s = summaries[1];
  t.match(s.traceId, /^[0-9a-f]{32}$/);
  t.equal(s.rootServiceName, 'ingress-nginx');
  t.equal(s.rootOperationName, 'GET shop-web-8080');
  t.equal(s.rootLayer, 'ingress');
  t.equal(s.minStartTimeUnixNano, (ns(0) + 7n).toString(), 'ns kept exactly, as a decimal string');
  t.equal(s.maxEndTimeUnixNano, (ns(300) + 9n).toString());
  t.equal(s.spanCount, 4);
  t.equal(s.errorSpanCount, 1);
  t.equal(s.orphanSpanCount, 1, 'the redis span whose parent is missing');
  t.same(s.services, [
    { name: 'ingress-nginx', spanCount: 2, errorSpanCount: 1, layer: 'ingress' },
    { name: 'frontend', spanCount: 1, errorSpanCount: 0, layer: 'app' },
    { name: 'redis', spanCount: 1, errorSpanCount: 0, layer: 'app' },
  ]);
  t.same(s.layers, [
    { layer: 'ingress', spanCount: 2, errorSpanCount: 1 },
    { layer: 'app', spanCount: 2, errorSpanCount: 0 },
  ]);
  t.same(s.diagnoses, ['upstream-pod-terminating', 'upstream-endpoint-removed']);
});

t.test(
  'the parameters jaeger-ui sends: span_name, attributes (logfmt or JSON), durations, num_traces; and layer',
  async (t) => {
    const { app, ingress, other } = await setup();
    t.teardown(() => app.close());
    const ids = async (q: Record<string, string>) => {
      const res = await app.inject({ url: '/api/v3/trace-summaries', query: { ...range, ...q } });
      t.equal(res.statusCode, 200, JSON.stringify(q));
      return res.json().summaries.map((s: { traceId: string }) => s.traceId);
    };
    t.same(await ids({ 'query.service_name': 'frontend', 'query.span_name': 'GET /config' }), [
      other.traceId,
    ]);
    t.same(await ids({ 'query.service_name': 'frontend', 'query.operation_name': 'GET /dispatch' }), [
      ingress.traceId,
    ]);
    t.same(await ids({ 'query.attributes': 'error=true' }), [ingress.traceId], 'logfmt');
    t.same(
      await ids({ 'query.attributes': '{"otel.status_description":"upstream 502"}' }),
      [ingress.traceId],
      'JSON',
    );
    t.same(await ids({ 'query.duration_min': '250ms' }), [ingress.traceId]);
    t.same(await ids({ 'query.duration_max': '0.05s' }), [other.traceId, ingress.traceId]);
    t.same(await ids({ 'query.num_traces': '1' }), [other.traceId]);
    t.same(await ids({ 'query.layer': 'ingress' }), [ingress.traceId]);
    const bad = await app.inject({
      url: '/api/v3/trace-summaries',
      query: { 'query.start_time_min': 'yesterday' },
    });
    t.equal(bad.statusCode, 400);
    t.match(bad.json().error.message, /start_time/);
    const badDur = await app.inject({
      url: '/api/v3/trace-summaries',
      query: { ...range, 'query.duration_min': 'fast' },
    });
    t.equal(badDur.statusCode, 400);
  },
);

t.test(
  'summarizeTrace: a trace whose spans all have parents elsewhere roots at its earliest span',
  async (t) => {
    const a = makeSpan({
      parentSpanId: newSpanId(),
      name: 'late',
      startTimeUnixNano: ns(5),
      endTimeUnixNano: ns(6),
    });
    const b = makeSpan({
      traceId: a.traceId,
      parentSpanId: newSpanId(),
      name: 'early',
      startTimeUnixNano: ns(1),
      endTimeUnixNano: ns(2),
    });
    const s = summarizeTrace(a.traceId, [a, b]);
    t.equal(s.rootOperationName, 'early');
    t.equal(s.orphanSpanCount, 2);
  },
);
