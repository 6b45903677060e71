// Real OTel SDK exporters (OTLP/HTTP JSON, OTLP/HTTP protobuf, OTLP/gRPC) → collector → store.
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import t from 'tap';
import { getStringAttribute, toPlain } from '../../src/model/attributes.js';
import { startCollector } from '../helpers/collector.js';
import { sendTrace } from '../helpers/sdk.js';

const running = await startCollector();
t.teardown(() => running.collector.close());

const exporters: [string, () => SpanExporter, string][] = [
  ['otlp-http json', () => new JsonExporter({ url: running.otlpHttpUrl }), 'svc-json'],
  ['otlp-http protobuf', () => new ProtoExporter({ url: running.otlpHttpUrl }), 'svc-proto'],
  ['otlp-grpc', () => new GrpcExporter({ url: `http://${running.otlpGrpcAddress}` }), 'svc-grpc'],
];

for (const [name, make, service] of exporters) {
  t.test(name, async (t) => {
    const sent = await sendTrace(make(), service);
    const spans = await running.collector.store.getTrace(sent.traceId);
    t.equal(spans.length, 2, 'both spans stored');
    const root = spans.find((s) => s.spanId === sent.rootSpanId);
    const child = spans.find((s) => s.spanId === sent.childSpanId);
    if (root === undefined || child === undefined) throw new Error('spans missing');
    t.equal(root.name, 'GET /dispatch');
    t.equal(root.kind, 2, 'server');
    t.equal(root.parentSpanId, '');
    t.equal(root.startTimeUnixNano, 1_700_000_000_123_456_789n, 'exact ns start');
    t.equal(root.endTimeUnixNano, 1_700_000_000_400_000_001n, 'exact ns end');
    t.equal(root.serviceName, service);
    t.equal(root.layer, 'app', 'layer processor set app');
    t.equal(getStringAttribute(root.resource.attributes, 'k8s.pod.name'), 'pod-1');
    t.equal(root.scope.name, 'crosstrace-test');
    t.equal(root.scope.version, '1.2.3');
    const attrs = Object.fromEntries(root.attributes.map((kv) => [kv.key, kv.value]));
    t.same(attrs['http.method'], { stringValue: 'GET' });
    t.same(attrs['http.status_code'], { intValue: '200' });
    t.same(attrs.ratio, { doubleValue: 0.5 });
    t.same(attrs.ok, { boolValue: true });
    t.same(toPlain(attrs.list), ['a', 'b']);
    t.equal(child.parentSpanId, sent.rootSpanId);
    t.equal(child.kind, 3, 'client');
    t.same(child.status, { code: 2, message: 'deadlock' });
    t.equal(child.events.length, 1);
    t.equal(child.events[0].name, 'retry');
    t.equal(child.events[0].timeUnixNano, 1_700_000_000_250_000_000n);
    t.same(toPlain(child.events[0].attributes[0].value), 2);
    t.equal(child.links.length, 1);
    t.equal(child.links[0].traceId, sent.traceId);
    t.equal(child.links[0].spanId, sent.rootSpanId);
    t.equal(getStringAttribute(child.links[0].attributes, 'opentracing.ref_type'), 'follows_from');
    t.equal(child.flags & 0xff, 1, 'sampled flag kept');
    // and through the Jaeger API
    const res = await fetch(`${running.queryUrl}/api/traces/${sent.traceId}`);
    const api = (await res.json()) as {
      data: { spans: { spanID: string; startTime: number; tags: { key: string; value: unknown }[] }[] }[];
    };
    const jaegerRoot = api.data[0].spans.find((s) => s.spanID === sent.rootSpanId);
    t.equal(api.data[0].spans.length, 2, 'Jaeger API returns both spans');
    t.equal(jaegerRoot?.startTime, 1_700_000_000_123_456);
    t.ok(jaegerRoot?.tags.some((kv) => kv.key === 'ratio' && kv.value === 0.5));
  });
}

t.test('gzip-compressed exports (protobuf over HTTP, gRPC)', async (t) => {
  const gzip = 'gzip' as never;
  const http = await sendTrace(
    new ProtoExporter({ url: running.otlpHttpUrl, compression: gzip }),
    'svc-gzip',
  );
  t.equal((await running.collector.store.getTrace(http.traceId)).length, 2);
  const grpc = await sendTrace(
    new GrpcExporter({ url: `http://${running.otlpGrpcAddress}`, compression: gzip }),
    'svc-gzip-grpc',
  );
  t.equal((await running.collector.store.getTrace(grpc.traceId)).length, 2);
});

t.test('metrics count spans by receiver', async (t) => {
  const text = await running.collector.metrics.registry.metrics();
  t.match(text, /crosstrace_spans_received_total\{receiver="otlp-http"\} 6/);
  t.match(text, /crosstrace_spans_received_total\{receiver="otlp-grpc"\} 4/);
  t.match(text, /crosstrace_spans_stored_total\{receiver="otlp-grpc"\} 4/);
});

t.test('read back through the Jaeger API with every field', async (t) => {
  const sent = await sendTrace(new ProtoExporter({ url: running.otlpHttpUrl }), 'svc-jaeger');
  const res = await fetch(`${running.queryUrl}/api/traces/${sent.traceId}`);
  t.equal(res.status, 200);
  const body = (await res.json()) as {
    data: {
      traceID: string;
      spans: Record<string, unknown>[];
      processes: Record<string, { serviceName: string; tags: { key: string; value: unknown }[] }>;
    }[];
  };
  const trace = body.data[0];
  t.equal(trace.traceID, sent.traceId);
  const root = trace.spans.find((s) => s.spanID === sent.rootSpanId) as Record<string, unknown>;
  const child = trace.spans.find((s) => s.spanID === sent.childSpanId) as Record<string, unknown>;
  t.equal(root.operationName, 'GET /dispatch');
  t.equal(root.startTime, 1_700_000_000_123_456, 'µs start');
  t.equal(root.duration, 276_543, 'µs duration');
  const tags = (s: Record<string, unknown>) =>
    Object.fromEntries((s.tags as { key: string; value: unknown }[]).map((kv) => [kv.key, kv.value]));
  t.equal(tags(root)['http.method'], 'GET');
  t.equal(tags(root)['http.status_code'], 200);
  t.equal(tags(root)['crosstrace.layer'], 'app', 'every span carries its layer');
  t.equal(tags(root)['span.kind'], 'server');
  t.same(child.references, [
    { refType: 'CHILD_OF', traceID: sent.traceId, spanID: sent.rootSpanId },
    {
      refType: 'FOLLOWS_FROM',
      traceID: sent.traceId,
      spanID: sent.rootSpanId,
    },
  ]);
  t.equal(tags(child).error, true);
  t.equal((child.logs as unknown[]).length, 1);
  const process = trace.processes[root.processID as string];
  t.equal(process.serviceName, 'svc-jaeger');
  t.ok(process.tags.some((kv) => kv.key === 'k8s.pod.name' && kv.value === 'pod-1'));
  const services = (await (await fetch(`${running.queryUrl}/api/services`)).json()) as { data: string[] };
  t.ok(services.data.includes('svc-grpc') && services.data.includes('svc-jaeger'));
});
