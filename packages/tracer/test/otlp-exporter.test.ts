import { followsFrom, childOf as otChildOf } from 'opentracing';
import t from 'tap';
import {
  BatchSpanProcessor,
  createOtlpExporter,
  createTracer,
  ErrorCode,
  setDiagnosticHandler,
} from '../src/index.js';
import { attrs, decodeTraceRequest, hex, type KV } from './helpers/otlp-decode.js';
import { startOtlpServer } from './helpers/otlp-server.js';

t.test(
  'real OTLP/protobuf export decodes: ids, parent, links with ref types, attributes, resource',
  async (t) => {
    const server = await startOtlpServer();
    t.teardown(server.close);
    const tracer = createTracer({
      serviceName: 'checkout',
      exporter: createOtlpExporter({ endpoint: server.url, protocol: 'http/protobuf' }, {}),
      env: { K8S_POD_NAME: 'checkout-7d9f', K8S_NAMESPACE_NAME: 'shop' },
      registerGlobal: false,
    });
    const parent = tracer.startSpan('parent');
    const other = tracer.startSpan('other');
    const child = tracer.startSpan('child', {
      references: [followsFrom(other.context()), otChildOf(parent.context())],
      tags: { 'order.id': 42, region: 'eu', paid: true },
    });
    child.finish();
    other.finish();
    parent.finish();
    await tracer.shutdown();

    t.equal(server.received.length, 1);
    const req = server.received[0];
    t.equal(req.path, '/v1/traces');
    t.equal(req.contentType, 'application/x-protobuf');
    const decoded = decodeTraceRequest(req.body);
    const rs = decoded.resourceSpans[0];
    const resource = attrs(rs.resource.attributes);
    t.equal(resource['service.name'], 'checkout');
    t.equal(resource['k8s.pod.name'], 'checkout-7d9f');
    t.equal(resource['k8s.namespace.name'], 'shop');
    const spans = rs.scopeSpans[0].spans;
    t.equal(rs.scopeSpans[0].scope.name, '@crosstrace/tracer');
    t.equal(spans.length, 3);
    const c = spans.find((s: { name: string }) => s.name === 'child');
    t.equal(hex(c.traceId), parent.context().traceId);
    t.equal(hex(c.spanId), child.context().spanId);
    t.equal(hex(c.parentSpanId), parent.context().spanId);
    t.same(attrs(c.attributes), { 'crosstrace.layer': 'app', 'order.id': 42, region: 'eu', paid: true });
    t.same(
      c.links.map((l: { spanId: Uint8Array; attributes: KV[] }) => [
        hex(l.spanId),
        attrs(l.attributes)['opentracing.ref_type'],
      ]),
      [
        [other.context().spanId, 'follows_from'],
        [parent.context().spanId, 'child_of'],
      ],
    );
    t.ok(Number(c.endTimeUnixNano) >= Number(c.startTimeUnixNano));
    t.ok(Number(c.startTimeUnixNano) > 1.6e18);
  },
);

t.test('http/json export through exporter-trace-otlp-http', async (t) => {
  const server = await startOtlpServer();
  t.teardown(server.close);
  const tracer = createTracer({
    serviceName: 'json-svc',
    exporter: createOtlpExporter({ endpoint: `${server.url}/custom/path`, protocol: 'http/json' }, {}),
    env: {},
    registerGlobal: false,
  });
  const s = tracer.startSpan('json-span');
  s.finish();
  await tracer.shutdown();
  t.equal(server.received[0].path, '/custom/path');
  t.equal(server.received[0].contentType, 'application/json');
  const body = JSON.parse(server.received[0].body.toString());
  const span = body.resourceSpans[0].scopeSpans[0].spans[0];
  t.equal(span.name, 'json-span');
  t.equal(span.traceId, s.context().traceId);
});

t.test('exporter reads OTEL_EXPORTER_OTLP_* env; 503 + Retry-After is retried after the delay', async (t) => {
  const server = await startOtlpServer((n) =>
    n === 1 ? { status: 503, headers: { 'retry-after': '1' } } : { status: 200 },
  );
  t.teardown(server.close);
  const exporter = createOtlpExporter(
    {},
    { OTEL_EXPORTER_OTLP_ENDPOINT: server.url, OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=acme' },
  );
  const processor = new BatchSpanProcessor(exporter, { exportTimeoutMillis: 10_000 });
  const tracer = createTracer({ processor, env: {}, registerGlobal: false });
  tracer.startSpan('retried').finish();
  await tracer.forceFlush();
  t.equal(server.received.length, 2, 'one retry');
  t.ok(server.received[1].at - server.received[0].at >= 900, 'waited for Retry-After');
  t.same(processor.stats(), { queued: 0, exported: 1, dropped: 0, failed: 0 });
  await tracer.shutdown();
});

t.test('bad exporter configuration fails fast with a code naming the option', async (t) => {
  t.throws(() => createOtlpExporter({ endpoint: 'not a url' }, {}), { code: ErrorCode.InvalidConfig });
  t.throws(() => createOtlpExporter({ protocol: 'grpc' as never }, {}), { code: ErrorCode.InvalidConfig });
  t.throws(() => createOtlpExporter({}, { OTEL_EXPORTER_OTLP_CERTIFICATE: '/nonexistent/ca.pem' }), {
    code: ErrorCode.InvalidConfig,
    message: /OTEL_EXPORTER_OTLP_CERTIFICATE/,
  });
});

t.test('a down collector never throws into user code; failures are counted', async (t) => {
  const server = await startOtlpServer();
  await server.close();
  const seen: string[] = [];
  const prev = setDiagnosticHandler((e) => seen.push(e.code));
  t.teardown(() => setDiagnosticHandler(prev));
  const processor = new BatchSpanProcessor(
    createOtlpExporter({ endpoint: server.url, timeoutMillis: 500 }, {}),
    {
      exportTimeoutMillis: 2000,
    },
  );
  const tracer = createTracer({ processor, env: {}, registerGlobal: false });
  tracer.startSpan('lost').finish();
  await tracer.shutdown();
  t.equal(processor.stats().failed, 1);
  t.ok(seen.includes(ErrorCode.ExportFailed) || seen.includes(ErrorCode.ExportTimeout));
});

t.test('object, cyclic and bigint tags are stringified; the export still decodes', async (t) => {
  const server = await startOtlpServer();
  t.teardown(server.close);
  const tracer = createTracer({
    exporter: createOtlpExporter({ endpoint: server.url }, {}),
    env: {},
    registerGlobal: false,
  });
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const span = tracer.startSpan('odd-tags');
  span.setTag('obj', { user: 'ana', n: 2 });
  span.setTag('cyclic', cyclic);
  span.setTag('big', 10n);
  span.setTag('list', ['a', 'b']);
  span.log({ event: 'e', payload: cyclic });
  span.finish();
  await tracer.shutdown();
  const decoded = decodeTraceRequest(server.received[0].body);
  const s = decoded.resourceSpans[0].scopeSpans[0].spans[0];
  const a = attrs(s.attributes);
  t.equal(a.obj, '{"user":"ana","n":2}');
  t.equal(a.cyclic, '[object Object]');
  t.equal(a.big, '10');
  t.equal(s.events[0].name, 'e');
});
