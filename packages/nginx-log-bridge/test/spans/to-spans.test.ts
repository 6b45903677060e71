import { readFileSync } from 'node:fs';
import { contextFromRequestId, ingressSpanIds, LAYER_ATTRIBUTE } from '@crosstrace/contract';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import t from 'tap';
import { parseLine } from '../../src/parse/parse-line.js';
import type { LogRecord } from '../../src/parse/types.js';
import { toSpans } from '../../src/spans/to-spans.js';
import { splitUpstreamName } from '../../src/spans/upstream-name.js';
import { fixtureLines } from '../helpers/fixtures.js';

const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
const hrMs = (hr: [number, number]) => hr[0] * 1000 + hr[1] / 1e6;

function ingress(index: number): LogRecord {
  const r = parseLine(fixtureLines('ingress-nginx-upstreaminfo.log')[index], { format: 'ingress-nginx' });
  if (!r.ok) throw new Error('fixture did not parse');
  return r.record;
}

t.test('one SERVER span and one CLIENT span per attempt, ids from the request id', async (t) => {
  const record = ingress(5); // 172.17.0.6:8080, 172.17.0.7:8080 / 200, 203
  const spans = toSpans(record);
  t.equal(spans.length, 3);
  const [server, first, second] = spans;
  const ids = ingressSpanIds('835136ae24486dbb4156dcbe21f5d402', 2)!;
  t.equal(server.kind, SpanKind.SERVER);
  t.same(server.instrumentationScope, { name: '@crosstrace/nginx-log-bridge', version: PACKAGE_VERSION });
  t.equal(server.spanContext().traceId, '835136ae24486dbb4156dcbe21f5d402');
  t.equal(server.spanContext().spanId, ids.serverSpanId);
  t.equal(server.parentSpanContext, undefined);
  t.same(
    [first.spanContext().spanId, second.spanContext().spanId],
    ids.attemptSpanIds,
    'attempt ids from the tracer',
  );
  t.equal(second.spanContext().spanId, contextFromRequestId('835136ae24486dbb4156dcbe21f5d402')!.spanId);
  for (const s of [first, second]) {
    t.equal(s.kind, SpanKind.CLIENT);
    t.equal(s.parentSpanContext?.spanId, ids.serverSpanId);
    t.equal(s.attributes[LAYER_ATTRIBUTE], 'ingress');
  }
  t.equal(first.attributes['server.address'], '172.17.0.6');
  t.equal(first.attributes['server.port'], 8080);
  t.equal(second.attributes['server.address'], '172.17.0.7');
  t.equal(first.attributes['http.response.status_code'], 200);
  t.equal(second.attributes['http.response.status_code'], 203);
  t.equal(second.attributes['http.request.resend_count'], 1);
  t.equal(server.name, 'GET default-web2-8080', 'method + upstream, never the URL');
  t.equal(server.attributes['url.path'], '/v2/some');
  t.equal(server.attributes['k8s.namespace.name'], 'default');
  t.equal(server.attributes['k8s.service.name'], 'web2');
  t.equal(server.attributes['crosstrace.k8s.service.port'], '8080');
  t.equal(server.attributes['http.response.status_code'], 200);
  t.equal(server.attributes['client.address'], '192.168.64.14');
  t.equal(server.attributes['network.protocol.version'], '1.1');
  t.equal(server.attributes[LAYER_ATTRIBUTE], 'ingress');
  t.equal(server.resource.attributes['service.name'], 'ingress-nginx');
});

t.test(
  'timing: second precision from $time_local, start = end - $request_time, attempts laid out',
  async (t) => {
    const spans = toSpans(ingress(5));
    const [server, first, second] = spans;
    const end = Date.UTC(2020, 1, 7, 12, 2, 42);
    t.equal(hrMs(server.endTime), end);
    t.equal(hrMs(server.startTime), end - 1);
    t.equal(server.attributes['crosstrace.ingress.time_precision'], 's');
    t.ok(hrMs(first.startTime) >= hrMs(server.startTime));
    t.ok(hrMs(second.endTime) <= hrMs(server.endTime), 'attempts never end after the request');
    t.ok(hrMs(second.startTime) >= hrMs(first.endTime));
  },
);

t.test('$msec gives millisecond end times', async (t) => {
  const [server, attempt] = toSpans({
    msec: '1714557600.123',
    request_time: '0.050',
    request: 'GET /x?y=1 HTTP/1.1',
    status: '200',
    upstream_addr: '10.0.0.5:80',
    upstream_status: '200',
    upstream_response_time: '0.040',
    upstream_connect_time: '0.001',
    req_id: 'abc',
  });
  t.equal(hrMs(server.endTime), 1714557600123);
  t.equal(hrMs(server.startTime), 1714557600073);
  t.equal(server.attributes['crosstrace.ingress.time_precision'], 'ms');
  t.equal(server.attributes['url.query'], 'y=1');
  t.equal(hrMs(attempt.endTime) - hrMs(attempt.startTime), 40);
  t.equal(attempt.attributes['crosstrace.upstream.connect_time'], 0.001);
  t.same(server.duration, [0, 50_000_000]);
});

t.test('failed attempts are error spans; a retry on a second pod shows both', async (t) => {
  const spans = toSpans(ingress(6)); // 502, 502 on two IPv6 upstreams
  t.equal(spans.length, 3);
  t.equal(spans[0].status.code, SpanStatusCode.ERROR);
  t.equal(spans[1].status.code, SpanStatusCode.ERROR);
  t.equal(spans[1].attributes['server.address'], '2a02:cf40::7');
  t.equal(spans[1].attributes['server.port'], 5000);
  t.equal(spans[2].attributes['error.type'], '502');
  const retried = toSpans({
    time_local: '01/May/2024:10:00:00 +0000',
    request: 'GET / HTTP/1.1',
    status: '200',
    request_time: '0.010',
    upstream_addr: '10.0.0.1:80, 10.0.0.2:80',
    upstream_status: '504, 200',
    upstream_response_time: '0.005, 0.004',
    req_id: 'r1',
  });
  t.same(
    retried.map((s) => s.status.code),
    [SpanStatusCode.UNSET, SpanStatusCode.ERROR, SpanStatusCode.UNSET],
  );
  const noResponse = toSpans(ingress(8)); // "200, -"
  t.equal(noResponse[2].status.code, SpanStatusCode.ERROR);
  t.equal(noResponse[2].attributes['error.type'], 'no_response');
});

t.test('internal redirects (" : ") and unix sockets', async (t) => {
  const spans = toSpans({
    time_local: '01/May/2024:10:00:00 +0000',
    request: 'GET / HTTP/1.1',
    status: '200',
    upstream_addr: '10.0.0.1:80, 10.0.0.2:80 : unix:/run/app.sock',
    upstream_status: '502, 404 : 200',
    upstream_response_time: '0.001, 0.002 : 0.003',
  });
  t.equal(spans.length, 4);
  t.equal(spans[3].attributes['crosstrace.ingress.upstream_group'], 1);
  t.equal(spans[3].attributes['network.transport'], 'unix');
  t.equal(spans[3].attributes['server.address'], '/run/app.sock');
  t.equal(spans[2].attributes['http.response.status_code'], 404);
  t.equal(spans[2].status.code, SpanStatusCode.UNSET);
});

t.test('a logged traceparent decides the trace; the last attempt is what nginx propagated', async (t) => {
  const record: LogRecord = {
    msec: '1714557600.500',
    request_time: '0.010',
    request: 'GET / HTTP/1.1',
    status: '200',
    upstream_addr: '10.0.0.1:80',
    upstream_status: '200',
    http_traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    req_id: 'ignored-for-identity',
  };
  const [server, attempt] = toSpans(record);
  t.equal(server.spanContext().traceId, '0af7651916cd43dd8448eb211c80319c');
  t.equal(attempt.spanContext().spanId, 'b7ad6b7169203331');
  t.equal(attempt.parentSpanContext?.spanId, server.spanContext().spanId);
  const [json] = fixtureLines('ingress-json-traceparent.log');
  const r = parseLine(json, { format: 'json' });
  t.ok(r.ok);
  if (r.ok) {
    const [only, ...rest] = toSpans(r.record);
    t.equal(rest.length, 0, 'no upstream, no attempt');
    t.equal(only.spanContext().traceId, '0000000000000000ec70652d4865fdee', '64-bit ids padded stay');
    t.equal(only.parentSpanContext?.spanId, '0f5d197cd47c34d4', 'the client span is the parent');
    t.equal(only.name, 'GET upstream-default-backend');
    t.equal(only.attributes['server.address'], 'appname.company.com');
    t.equal(only.attributes['url.path'], '/thisdoesnotexist');
    t.equal(only.attributes['k8s.namespace.name'], undefined, 'the default backend is no service');
    t.equal(only.status.code, SpanStatusCode.ERROR);
  }
  const bad = toSpans({ ...record, http_traceparent: '00-zzz-b7ad6b7169203331-01' });
  t.equal(
    bad[0].spanContext().traceId,
    contextFromRequestId('ignored-for-identity')!.traceId,
    'bad traceparent ignored',
  );
});

t.test("OTel module ids: the propagated span is nginx's", async (t) => {
  const [server, attempt] = toSpans({
    msec: '1714557600.500',
    request: 'GET / HTTP/1.1',
    status: '200',
    upstream_addr: '10.0.0.1:80',
    upstream_status: '200',
    opentelemetry_trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    otel_span_id: '00f067aa0ba902b7',
    http_traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-01',
  });
  t.equal(server.spanContext().traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  t.equal(attempt.spanContext().spanId, '00f067aa0ba902b7');
  t.equal(server.parentSpanContext?.spanId, '1111111111111111');
});

t.test('no request id: ids from file identity and offset, stable on re-read', async (t) => {
  const [line] = fixtureLines('combined.log');
  const r = parseLine(line);
  if (!r.ok) throw new Error('no parse');
  const a = toSpans(r.record, { source: { id: 'f1', offset: 0 } });
  const again = toSpans(r.record, { source: { id: 'f1', offset: 0 } });
  const other = toSpans(r.record, { source: { id: 'f1', offset: 200 } });
  t.equal(a[0].spanContext().traceId, again[0].spanContext().traceId);
  t.equal(a[0].spanContext().spanId, again[0].spanContext().spanId);
  t.not(a[0].spanContext().traceId, other[0].spanContext().traceId);
  t.equal(a[0].name, 'GET');
  t.same(a[0].attributes['user_agent.original'], r.record.http_user_agent);
  t.equal(a[0].attributes['http.request.header.referer'], undefined, '"-" is not logged');
});

t.test('TLS, mTLS, unknown variables and custom service name', async (t) => {
  const [server] = toSpans(
    {
      time_iso8601: '2024-05-01T10:00:00+02:00',
      request_method: 'PATCHp',
      request_uri: '/a',
      status: '400',
      ssl_protocol: 'TLSv1.3',
      ssl_cipher: 'TLS_AES_256_GCM_SHA384',
      ssl_client_verify: 'FAILED:unable to verify the first certificate',
      ssl_client_s_dn: 'CN=client',
      http_x_tenant: 'acme',
      my_var: 'v',
      empty_var: '-',
    },
    { serviceName: 'edge', resourceAttributes: { 'k8s.pod.name': 'ingress-0' } },
  );
  t.equal(server.endTime[0] * 1000, Date.UTC(2024, 4, 1, 8, 0, 0));
  t.equal(server.attributes['http.request.method'], '_OTHER');
  t.equal(server.attributes['http.request.method_original'], 'PATCHp');
  t.equal(server.name, 'HTTP');
  t.equal(server.attributes['tls.protocol.name'], 'tls');
  t.equal(server.attributes['tls.protocol.version'], '1.3');
  t.equal(server.attributes['tls.cipher'], 'TLS_AES_256_GCM_SHA384');
  t.equal(server.attributes['crosstrace.tls.client_authenticated'], false);
  t.equal(server.attributes['tls.client.subject'], 'CN=client');
  t.same(server.attributes['http.request.header.x-tenant'], ['acme']);
  t.equal(server.attributes['nginx.my_var'], 'v');
  t.equal(server.attributes['nginx.empty_var'], undefined);
  t.equal(server.status.code, SpanStatusCode.UNSET, '4xx is not a server error');
  t.equal(server.resource.attributes['service.name'], 'edge');
  t.equal(server.resource.attributes['k8s.pod.name'], 'ingress-0');
});

t.test('lines without a usable time give no spans; never throws', async (t) => {
  t.same(toSpans({ status: '200' }), []);
  t.same(toSpans({ time_local: 'garbage' }), []);
  t.same(toSpans(null as unknown as LogRecord), []);
});

t.test('upstream names', async (t) => {
  t.same(splitUpstreamName('default-web-8080'), { namespace: 'default', service: 'web', port: '8080' });
  t.same(splitUpstreamName('kube-system-dash-board-http', ['kube-system']), {
    namespace: 'kube-system',
    service: 'dash-board',
    port: 'http',
  });
  t.equal(splitUpstreamName('upstream-default-backend'), undefined);
  t.equal(splitUpstreamName('web-80'), undefined);
});
