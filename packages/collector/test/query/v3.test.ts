import Fastify from 'fastify';
import t, { type Test } from 'tap';
import { registerQueryRoutes } from '../../src/query/index.js';
import { parseRfc3339Nanos } from '../../src/query/v3/routes.js';
import { createMemoryStore } from '../../src/storage/index.js';
import { BASE_MS, makeSpan, newSpanId, ns, resourceOf } from '../helpers/store-spans.js';

async function setup(t: Test) {
  const store = createMemoryStore();
  const app = Fastify();
  registerQueryRoutes(app, { store });
  await app.ready();
  t.teardown(() => app.close());
  const root = makeSpan({
    service: 'frontend',
    resource: resourceOf('frontend', { 'k8s.pod.name': 'fe-1' }),
    name: 'GET /dispatch',
    kind: 2,
    startTimeUnixNano: ns(0) + 123n,
    endTimeUnixNano: ns(40),
    traceState: 'a=b',
    attributes: [
      { key: 'http.status_code', value: { intValue: '200' } },
      { key: 'nan', value: { doubleValue: Number.NaN } },
    ],
    status: { code: 1, message: '' },
    events: [{ timeUnixNano: ns(1), name: 'ev', attributes: [], droppedAttributesCount: 0 }],
    links: [
      {
        traceId: '1'.repeat(32),
        spanId: newSpanId(),
        traceState: '',
        attributes: [{ key: 'opentracing.ref_type', value: { stringValue: 'follows_from' } }],
        droppedAttributesCount: 0,
        flags: 0,
      },
    ],
  });
  const child = makeSpan({
    traceId: root.traceId,
    parentSpanId: root.spanId,
    service: 'redis',
    resource: resourceOf('redis'),
    name: 'GET',
    kind: 3,
    layer: 'app',
    attributes: [{ key: 'crosstrace.layer', value: { stringValue: 'app' } }],
    startTimeUnixNano: ns(5),
    endTimeUnixNano: ns(6),
  });
  await store.writeSpans([root, child]);
  return { app, root, child };
}

t.test('GET /api/v3/traces/:id returns OTLP/JSON inside result', async (t) => {
  const { app, root, child } = await setup(t);
  const res = await app.inject(`/api/v3/traces/${root.traceId}`);
  t.equal(res.statusCode, 200);
  const body = res.json();
  const rs = body.result.resourceSpans;
  t.equal(rs.length, 2, 'one ResourceSpans per resource');
  t.same(rs[0].resource.attributes, [
    { key: 'service.name', value: { stringValue: 'frontend' } },
    { key: 'k8s.pod.name', value: { stringValue: 'fe-1' } },
  ]);
  t.same(rs[0].scopeSpans[0].scope, { name: 'test-scope', version: '1.2.3' });
  const s = rs[0].scopeSpans[0].spans[0];
  t.equal(s.traceId, root.traceId);
  t.equal(s.spanId, root.spanId);
  t.equal(s.parentSpanId, '');
  t.equal(s.traceState, 'a=b');
  t.equal(s.kind, 2);
  t.equal(s.startTimeUnixNano, (ns(0) + 123n).toString(), 'nanoseconds kept exactly, as a string');
  t.equal(s.endTimeUnixNano, ns(40).toString());
  t.same(s.status, { code: 1 });
  t.same(s.attributes, [
    { key: 'http.status_code', value: { intValue: '200' } },
    { key: 'nan', value: { doubleValue: 'NaN' } },
    { key: 'crosstrace.layer', value: { stringValue: 'app' } },
  ]);
  t.same(s.events, [{ timeUnixNano: ns(1).toString(), name: 'ev', attributes: [] }]);
  t.same(s.links[0].attributes, [{ key: 'opentracing.ref_type', value: { stringValue: 'follows_from' } }]);
  const c = rs[1].scopeSpans[0].spans[0];
  t.equal(c.parentSpanId, root.spanId);
  t.same(
    c.attributes.filter((a: { key: string }) => a.key === 'crosstrace.layer').length,
    1,
    'layer not duplicated',
  );
  t.equal(child.spanId, c.spanId);
  const missing = await app.inject(`/api/v3/traces/${'2'.repeat(32)}`);
  t.equal(missing.statusCode, 404);
  t.same(missing.json(), { error: { httpCode: 404, message: 'trace not found' } });
  const bad = await app.inject('/api/v3/traces/zz');
  t.equal(bad.statusCode, 400);
  t.match(bad.json().error.message, /malformed parameter trace_id/);
  const window = await app.inject(
    `/api/v3/traces/${root.traceId}?start_time=${new Date(BASE_MS + 4).toISOString()}&end_time=${new Date(BASE_MS + 10).toISOString()}`,
  );
  t.equal(window.json().result.resourceSpans.length, 1, 'start_time/end_time narrow the spans');
});

t.test('GET /api/v3/traces searches with query.* parameters', async (t) => {
  const { app, root } = await setup(t);
  const min = new Date(BASE_MS - 1000).toISOString();
  const max = new Date(BASE_MS + 1000).toISOString();
  const ok = await app.inject({
    url: '/api/v3/traces',
    query: {
      'query.service_name': 'frontend',
      'query.operation_name': 'GET /dispatch',
      'query.start_time_min': min,
      'query.start_time_max': max,
      'query.duration_min': '10ms',
      'query.num_traces': '5',
      'query.attributes': '{"http.status_code":"200"}',
    },
  });
  t.equal(ok.statusCode, 200);
  const spans = ok
    .json()
    .result.resourceSpans.flatMap((r: { scopeSpans: Array<{ spans: unknown[] }> }) =>
      r.scopeSpans.flatMap((s) => s.spans),
    );
  t.equal(spans.length, 2, 'whole trace');
  t.equal((spans[0] as { traceId: string }).traceId, root.traceId);
  const none = await app.inject({
    url: '/api/v3/traces',
    query: {
      'query.service_name': 'frontend',
      'query.start_time_min': min,
      'query.start_time_max': max,
      'query.duration_min': '1h',
    },
  });
  t.same(none.json(), { result: { resourceSpans: [] } });
  const missing = await app.inject('/api/v3/traces?query.service_name=frontend');
  t.equal(missing.statusCode, 400);
  t.same(missing.json(), {
    error: { httpCode: 400, message: 'query.start_time_min and query.start_time_max are required' },
  });
  const badTime = await app.inject(
    `/api/v3/traces?query.start_time_min=yesterday&query.start_time_max=${max}`,
  );
  t.equal(badTime.statusCode, 400);
  t.match(badTime.json().error.message, /malformed parameter query.start_time_min/);
  const badDur = await app.inject(
    `/api/v3/traces?query.start_time_min=${min}&query.start_time_max=${max}&query.duration_min=fast`,
  );
  t.equal(badDur.statusCode, 400);
  t.match(badDur.json().error.message, /query.duration_min/);
});

t.test('services and operations', async (t) => {
  const { app } = await setup(t);
  t.same((await app.inject('/api/v3/services')).json(), { services: ['frontend', 'redis'] });
  t.same((await app.inject('/api/v3/operations?service=redis')).json(), {
    operations: [{ name: 'GET', spanKind: 'client' }],
  });
  t.same((await app.inject('/api/v3/operations?service=redis&span_kind=server')).json(), { operations: [] });
  t.equal((await app.inject('/api/v3/operations')).statusCode, 400);
});

t.test('RFC 3339 parsing keeps nanoseconds and offsets', async (t) => {
  t.equal(parseRfc3339Nanos('2026-01-01T00:00:00Z'), BigInt(BASE_MS) * 1_000_000n);
  t.equal(parseRfc3339Nanos('2026-01-01T00:00:00.000000123Z'), BigInt(BASE_MS) * 1_000_000n + 123n);
  t.equal(parseRfc3339Nanos('2026-01-01T01:00:00.5+01:00'), BigInt(BASE_MS) * 1_000_000n + 500_000_000n);
  t.equal(parseRfc3339Nanos('2026-01-01 00:00:00'), undefined);
  t.equal(parseRfc3339Nanos('2026-13-01T00:00:00Z'), undefined);
});
