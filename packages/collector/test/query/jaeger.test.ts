import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import t, { type Test } from 'tap';
import type { Span } from '../../src/model/span.js';
import type { JaegerResponse, JaegerTrace } from '../../src/query/index.js';
import { registerQueryRoutes } from '../../src/query/index.js';
import { createMemoryStore, openSqliteStore, type SpanStore } from '../../src/storage/index.js';
import { BASE_MS, makeSpan, newSpanId, newTraceId, ns, resourceOf } from '../helpers/store-spans.js';

const NOW_MS = BASE_MS + 3_600_000;

async function appWith(t: Test, store: SpanStore) {
  const app = Fastify();
  registerQueryRoutes(app, { store, now: () => NOW_MS });
  await app.ready();
  t.teardown(async () => {
    await app.close();
    await store.close();
  });
  return app;
}

/** frontend (ingress server) → driver (client span with OT child_of ref) + a follows_from link. */
function hotrodTrace(): Span[] {
  const traceId = newTraceId();
  const root = makeSpan({
    traceId,
    service: 'frontend',
    resource: resourceOf('frontend', { 'k8s.pod.name': 'frontend-1', 'host.name': 'node-a' }),
    name: 'HTTP GET /dispatch',
    kind: 2,
    layer: 'ingress',
    startTimeUnixNano: ns(1000),
    endTimeUnixNano: ns(1250),
    attributes: [
      { key: 'http.status_code', value: { intValue: '502' } },
      { key: 'big', value: { intValue: '9007199254740993' } },
      { key: 'ratio', value: { doubleValue: 0.5 } },
      { key: 'retry', value: { boolValue: true } },
      { key: 'blob', value: { bytesValue: 'AQID' } },
      { key: 'list', value: { arrayValue: { values: [{ stringValue: 'a' }] } } },
    ],
    status: { code: 2, message: 'bad gateway' },
    events: [
      {
        timeUnixNano: ns(1100),
        name: 'upstream retry',
        attributes: [{ key: 'upstream', value: { stringValue: '10.0.0.7:8080' } }],
        droppedAttributesCount: 0,
      },
    ],
  });
  const otherTrace = newTraceId();
  const child = makeSpan({
    traceId,
    service: 'driver',
    resource: resourceOf('driver'),
    name: 'FindNearest',
    kind: 3,
    startTimeUnixNano: ns(1010),
    endTimeUnixNano: ns(1200),
    links: [
      {
        traceId,
        spanId: root.spanId,
        traceState: '',
        attributes: [{ key: 'opentracing.ref_type', value: { stringValue: 'child_of' } }],
        droppedAttributesCount: 0,
        flags: 0,
      },
      {
        traceId: otherTrace,
        spanId: newSpanId(),
        traceState: '',
        attributes: [{ key: 'opentracing.ref_type', value: { stringValue: 'follows_from' } }],
        droppedAttributesCount: 0,
        flags: 0,
      },
    ],
  });
  const grandchild = makeSpan({
    traceId,
    parentSpanId: child.spanId,
    service: 'driver',
    resource: child.resource,
    name: 'redis GET',
    kind: 1,
    startTimeUnixNano: ns(1020),
    endTimeUnixNano: ns(1021),
  });
  return [root, child, grandchild];
}

t.test('GET /api/traces/:id returns the trace in Jaeger shape with every field', async (t) => {
  const store = createMemoryStore();
  const app = await appWith(t, store);
  const [root, child, grandchild] = hotrodTrace();
  await store.writeSpans([grandchild, child, root]);
  const res = await app.inject(`/api/traces/${root.traceId}`);
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /application\/json/);
  const body = res.json() as JaegerResponse<JaegerTrace[]>;
  t.same(Object.keys(body).sort(), ['data', 'errors', 'limit', 'offset', 'total']);
  t.equal(body.total, 1);
  t.equal(body.errors, null);
  const trace = body.data[0];
  t.equal(trace.traceID, root.traceId);
  t.same(
    trace.spans.map((s) => s.spanID),
    [root.spanId, child.spanId, grandchild.spanId],
    'sorted by start time',
  );
  const r = trace.spans[0];
  t.equal(r.operationName, 'HTTP GET /dispatch');
  t.equal(r.startTime, (BASE_MS + 1000) * 1000);
  t.equal(r.duration, 250_000);
  t.equal(r.flags, 1);
  t.same(r.references, []);
  t.same(r.logs, [
    {
      timestamp: (BASE_MS + 1100) * 1000,
      fields: [
        { key: 'event', type: 'string', value: 'upstream retry' },
        { key: 'upstream', type: 'string', value: '10.0.0.7:8080' },
      ],
    },
  ]);
  const tag = (k: string) => r.tags.find((x) => x.key === k);
  t.same(tag('http.status_code'), { key: 'http.status_code', type: 'int64', value: 502 });
  t.same(tag('big'), { key: 'big', type: 'int64', value: '9007199254740993' });
  t.same(tag('ratio'), { key: 'ratio', type: 'float64', value: 0.5 });
  t.same(tag('retry'), { key: 'retry', type: 'bool', value: true });
  t.same(tag('blob'), { key: 'blob', type: 'binary', value: 'AQID' });
  t.same(tag('list'), { key: 'list', type: 'string', value: '["a"]' });
  t.same(tag('span.kind'), { key: 'span.kind', type: 'string', value: 'server' });
  t.same(tag('otel.status_code'), { key: 'otel.status_code', type: 'string', value: 'ERROR' });
  t.same(tag('error'), { key: 'error', type: 'bool', value: true });
  t.same(tag('otel.status_description'), {
    key: 'otel.status_description',
    type: 'string',
    value: 'bad gateway',
  });
  t.same(tag('crosstrace.layer'), { key: 'crosstrace.layer', type: 'string', value: 'ingress' });
  t.same(tag('otel.scope.name'), { key: 'otel.scope.name', type: 'string', value: 'test-scope' });
  for (const s of trace.spans)
    t.ok(
      s.tags.some((x) => x.key === 'crosstrace.layer'),
      'every span has its layer',
    );
  t.same(trace.processes[r.processID], {
    serviceName: 'frontend',
    tags: [
      { key: 'k8s.pod.name', type: 'string', value: 'frontend-1' },
      { key: 'host.name', type: 'string', value: 'node-a' },
    ],
  });
  const c = trace.spans[1];
  t.same(c.references, [
    { refType: 'CHILD_OF', traceID: root.traceId, spanID: root.spanId },
    { refType: 'FOLLOWS_FROM', traceID: child.links[1].traceId, spanID: child.links[1].spanId },
  ]);
  t.equal(trace.processes[c.processID].serviceName, 'driver');
  t.equal(trace.spans[2].processID, c.processID, 'one process per resource');
  t.same(trace.spans[2].references, [{ refType: 'CHILD_OF', traceID: root.traceId, spanID: child.spanId }]);
  t.same(Object.keys(trace.processes).sort(), ['p1', 'p2']);

  const upper = await app.inject(`/api/traces/${root.traceId.toUpperCase()}`);
  t.equal(upper.statusCode, 200, 'upper-case ids work');
});

t.test("span flags: the W3C trace flags only, not OTLP's is-remote bits", async (t) => {
  const store = createMemoryStore();
  const app = await appWith(t, store);
  const span = makeSpan({ traceId: newTraceId(), service: 'bridge', name: 'GET web' });
  span.flags = 0x301; // sampled + OTLP "context has is_remote" + "is remote"
  await store.writeSpans([span]);
  const body = (await app.inject(`/api/traces/${span.traceId}`)).json() as JaegerResponse<JaegerTrace[]>;
  t.equal(body.data[0].spans[0].flags, 1);
});

t.test('trace lookups: 404 and 400 in Jaeger error shape, short ids padded', async (t) => {
  const store = createMemoryStore();
  const app = await appWith(t, store);
  const missing = await app.inject(`/api/traces/${'1'.repeat(32)}`);
  t.equal(missing.statusCode, 404);
  t.same(missing.json(), {
    data: null,
    total: 0,
    limit: 0,
    offset: 0,
    errors: [{ code: 404, msg: 'trace not found' }],
  });
  const bad = await app.inject('/api/traces/xyz');
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().errors[0].code, 400);
  t.match(bad.json().errors[0].msg, /traceID/);
  const s = makeSpan({ traceId: `${'0'.repeat(16)}00000000deadbeef` });
  await store.writeSpans([s]);
  const short = await app.inject('/api/traces/deadbeef');
  t.equal(short.statusCode, 200);
  t.equal(short.json().data[0].traceID, s.traceId);
});

t.test('services, operations and dependencies', async (t) => {
  const store = createMemoryStore();
  const app = await appWith(t, store);
  await store.writeSpans(hotrodTrace());
  const services = await app.inject('/api/services');
  t.same(services.json(), { data: ['driver', 'frontend'], total: 2, limit: 0, offset: 0, errors: null });
  const ops = await app.inject('/api/services/driver/operations');
  t.same(ops.json().data, ['FindNearest', 'redis GET']);
  const ops2 = await app.inject('/api/operations?service=driver&spanKind=client');
  t.same(ops2.json().data, [{ name: 'FindNearest', spanKind: 'client' }]);
  t.equal(ops2.json().total, 1);
  const noService = await app.inject('/api/operations');
  t.equal(noService.statusCode, 400);
  const deps = await app.inject(`/api/dependencies?endTs=${BASE_MS + 2000}&lookback=10000`);
  t.same(deps.json().data, [{ parent: 'frontend', child: 'driver', callCount: 1 }]);
  const none = await app.inject(`/api/dependencies?endTs=${BASE_MS - 100_000}&lookback=1000`);
  t.same(none.json().data, []);
  const bad = await app.inject('/api/dependencies?endTs=soon');
  t.equal(bad.statusCode, 400);
  t.match(bad.json().errors[0].msg, /endTs/);
});

t.test('search: service, operation, tags (JSON, logfmt, tag=), durations, time, limit', async (t) => {
  const store = createMemoryStore();
  const app = await appWith(t, store);
  const a = hotrodTrace();
  const b = hotrodTrace().map((s) => ({
    ...s,
    startTimeUnixNano: s.startTimeUnixNano + 60_000_000_000n,
    endTimeUnixNano:
      s.endTimeUnixNano + 60_000_000_000n + (s.serviceName === 'frontend' ? 2_000_000_000n : 0n),
    status: { code: 0 as const, message: '' },
  }));
  await store.writeSpans([...a, ...b]);
  const range = `start=${BASE_MS * 1000}&end=${(BASE_MS + 120_000) * 1000}`;
  const ids = async (qs: string) => {
    const res = await app.inject(`/api/traces?${qs}`);
    t.equal(res.statusCode, 200, qs);
    return (res.json() as JaegerResponse<JaegerTrace[]>).data.map((tr) => tr.traceID);
  };
  t.same(await ids(`service=frontend&${range}`), [b[0].traceId, a[0].traceId], 'newest first');
  t.same(await ids(`service=frontend&${range}&limit=1`), [b[0].traceId]);
  t.same(await ids(`service=driver&operation=FindNearest&${range}`), [b[0].traceId, a[0].traceId]);
  t.same(await ids(`service=frontend&${range}&tags=${encodeURIComponent('{"error":"true"}')}`), [
    a[0].traceId,
  ]);
  t.same(
    await ids(`service=frontend&${range}&tags=${encodeURIComponent('error=true http.status_code=502')}`),
    [a[0].traceId],
  );
  t.same(await ids(`service=frontend&${range}&tag=error:true`), [a[0].traceId]);
  t.same(await ids(`service=frontend&${range}&tags=${encodeURIComponent('{"k8s.pod.name":"frontend-1"}')}`), [
    b[0].traceId,
    a[0].traceId,
  ]);
  t.same(await ids(`service=frontend&${range}&minDuration=1s`), [b[0].traceId]);
  t.same(await ids(`service=frontend&${range}&maxDuration=250ms`), [a[0].traceId]);
  t.same(await ids(`service=frontend&${range}&minDuration=249.5ms&maxDuration=250000us`), [a[0].traceId]);
  t.same(await ids(`service=frontend&start=${(BASE_MS + 30_000) * 1000}&end=${(BASE_MS + 120_000) * 1000}`), [
    b[0].traceId,
  ]);
  // No start: end − lookback (the UI's form), then Jaeger's default of 2 days.
  t.same(await ids(`service=frontend&end=${(BASE_MS + 61_500) * 1000}&lookback=1m`), [b[0].traceId]);
  t.same(await ids('service=frontend'), [b[0].traceId, a[0].traceId], 'default window ends now');
  t.same(await ids(`traceID=${a[0].traceId}&traceID=${b[0].traceId}`), [a[0].traceId, b[0].traceId]);
  const full = await app.inject(`/api/traces?service=driver&${range}`);
  t.equal(full.json().data[0].spans.length, 3, 'whole traces, not only matching spans');
});

t.test('search: bad parameters answer 400 in Jaeger shape', async (t) => {
  const app = await appWith(t, createMemoryStore());
  const cases: Array<[string, RegExp]> = [
    ['/api/traces', /parameter 'service' is required/],
    ['/api/traces?service=a&limit=ten', /limit/],
    ['/api/traces?service=a&start=yesterday', /start/],
    ['/api/traces?service=a&minDuration=5parsecs', /minDuration/],
    [
      '/api/traces?service=a&minDuration=2s&maxDuration=1s',
      /'maxDuration' should be greater than 'minDuration'/,
    ],
    [`/api/traces?service=a&tags=${encodeURIComponent('{"a":')}`, /tags/],
    [`/api/traces?service=a&tags=${encodeURIComponent('a="unterminated')}`, /tags/],
    ['/api/traces?service=a&tag=novalue', /tag/],
    ['/api/traces?traceID=nothex', /traceID/],
    [`/api/traces?service=a&start=${BASE_MS * 1000 + 10}&end=${BASE_MS * 1000}`, /start/],
  ];
  for (const [url, msg] of cases) {
    const res = await app.inject(url);
    t.equal(res.statusCode, 400, url);
    const body = res.json();
    t.equal(body.data, null);
    t.equal(body.errors[0].code, 400);
    t.match(body.errors[0].msg, msg, url);
  }
});

t.test('a Grafana-style request sequence on the SQLite store', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ct-query-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openSqliteStore({ path: join(dir, 'q.db') });
  const app = await appWith(t, store);
  const trace = hotrodTrace();
  await store.writeSpans(trace);
  // Grafana's Jaeger data source: services, operations of the chosen one, search, then the trace.
  const services = (
    await app.inject({ url: '/api/services', headers: { accept: 'application/json' } })
  ).json();
  t.same(services.data, ['driver', 'frontend']);
  const ops = (await app.inject(`/api/services/${encodeURIComponent(services.data[1])}/operations`)).json();
  t.same(ops.data, ['HTTP GET /dispatch']);
  const search = await app.inject({
    url: '/api/traces',
    query: {
      service: 'frontend',
      operation: ops.data[0],
      tags: '{"http.status_code":"502"}',
      limit: '20',
      start: String(BASE_MS * 1000),
      end: String(NOW_MS * 1000),
      minDuration: '100ms',
    },
  });
  t.equal(search.statusCode, 200);
  const found = search.json() as JaegerResponse<JaegerTrace[]>;
  t.equal(found.data.length, 1);
  const id = found.data[0].traceID;
  const one = (await app.inject(`/api/traces/${id}`)).json() as JaegerResponse<JaegerTrace[]>;
  t.equal(one.data[0].spans.length, 3);
  t.same(one.data[0], found.data[0], 'search and lookup return the same trace');
  const deps = (await app.inject(`/api/dependencies?endTs=${NOW_MS}&lookback=${3_600_000 * 2}`)).json();
  t.same(deps.data, [{ parent: 'frontend', child: 'driver', callCount: 1 }]);
});

t.test("GET /api/traces?tags= finds a span by its event's fields (HotROD's find-trace link)", async (t) => {
  for (const [name, open] of [
    ['memory', async () => createMemoryStore()],
    [
      'sqlite',
      async () => {
        const dir = mkdtempSync(join(tmpdir(), 'ct-jaeger-'));
        t.teardown(() => rmSync(dir, { recursive: true, force: true }));
        return openSqliteStore({ path: join(dir, 'db.sqlite') });
      },
    ],
  ] as const) {
    const store = await open();
    const app = await appWith(t, store);
    const root = makeSpan({
      service: 'frontend',
      name: 'HTTP GET /dispatch',
      startTimeUnixNano: ns(1000),
      endTimeUnixNano: ns(1200),
      events: [
        {
          timeUnixNano: ns(1190),
          name: 'Dispatch successful',
          attributes: [{ key: 'driver', value: { stringValue: 'T712345C' } }],
          droppedAttributesCount: 0,
        },
      ],
    });
    await store.writeSpans([
      root,
      makeSpan({ service: 'frontend', startTimeUnixNano: ns(2000), endTimeUnixNano: ns(2100) }),
    ]);
    const res = await app.inject(
      `/api/traces?service=frontend&lookback=2h&tags=${encodeURIComponent('{"driver":"T712345C"}')}`,
    );
    t.equal(res.statusCode, 200, name);
    const body = res.json() as JaegerResponse<JaegerTrace[]>;
    t.same(
      body.data.map((tr) => tr.traceID),
      [root.traceId],
      `${name}: the trace whose only driver is on an event`,
    );
    const logfmt = await app.inject(
      `/api/traces?service=frontend&lookback=2h&tags=${encodeURIComponent('event="Dispatch successful"')}`,
    );
    t.same(
      (logfmt.json() as JaegerResponse<JaegerTrace[]>).data.map((tr) => tr.traceID),
      [root.traceId],
      `${name}: the event name as event=`,
    );
  }
});
