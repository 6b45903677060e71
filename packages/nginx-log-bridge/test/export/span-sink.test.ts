import { PassThrough } from 'node:stream';
import { SpanKind } from '@opentelemetry/api';
import t from 'tap';
import { createJsonLinesSink, createOtlpSink, tracesUrl } from '../../src/export/span-sink.js';
import { parseLine } from '../../src/parse/parse-line.js';
import { toSpans } from '../../src/spans/to-spans.js';
import { CollectorStub } from '../helpers/collector-stub.js';
import { fixtureLines } from '../helpers/fixtures.js';

function spans() {
  const r = parseLine(fixtureLines('ingress-nginx-upstreaminfo.log')[5], { format: 'ingress-nginx' });
  if (!r.ok) throw new Error('fixture');
  return toSpans(r.record);
}

t.test('OTLP protobuf over HTTP, acknowledged by a receiver', async (t) => {
  const stub = await new CollectorStub().start();
  t.teardown(() => stub.stop());
  const sink = createOtlpSink({ endpoint: stub.url });
  const outcome = await sink.export(spans());
  t.same(outcome, { ok: true });
  t.equal(stub.spans.length, 3);
  const server = stub.spans.find((s) => s.kind === SpanKind.SERVER + 1);
  t.equal(server?.traceId, '835136ae24486dbb4156dcbe21f5d402');
  t.equal(server?.serviceName, 'ingress-nginx');
  t.equal(server?.attributes['crosstrace.layer'], 'ingress');
  await sink.shutdown();
});

t.test('a refused connection is a retryable failure, a 400 is permanent', async (t) => {
  const stub = await new CollectorStub().start();
  const url = stub.url;
  await stub.stop();
  const down = createOtlpSink({ endpoint: url, timeoutMillis: 2000 });
  const r = await down.export(spans());
  t.equal(r.ok, false);
  if (!r.ok) t.equal(r.permanent, false);
  await down.shutdown();
  const bad = await new CollectorStub().start();
  t.teardown(() => bad.stop());
  bad.failWith = 400;
  const sink = createOtlpSink({ endpoint: bad.url });
  const r2 = await sink.export(spans());
  t.equal(r2.ok, false);
  if (!r2.ok) t.equal(r2.permanent, true);
  await sink.shutdown();
});

t.test('dry-run sink writes one OTLP/JSON ExportTraceServiceRequest per batch', async (t) => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (b) => {
    text += b;
  });
  const sink = createJsonLinesSink(out);
  await sink.export(spans());
  await sink.export(spans().slice(0, 1));
  const lines = text.trim().split('\n');
  t.equal(lines.length, 2);
  const req = JSON.parse(lines[0]);
  const s = req.resourceSpans[0].scopeSpans[0].spans;
  t.equal(s.length, 3);
  t.match(s[0].traceId, /^[0-9a-f]{32}$/);
  t.match(s[0].spanId, /^[0-9a-f]{16}$/);
  t.equal(s[1].parentSpanId, s[0].spanId);
  t.equal(s[0].kind, 2, 'SPAN_KIND_SERVER');
  t.equal(s[1].kind, 3, 'SPAN_KIND_CLIENT');
  t.match(String(s[0].startTimeUnixNano), /^\d+$/);
});

t.test('endpoints without a path get /v1/traces', async (t) => {
  t.equal(tracesUrl('http://127.0.0.1:4318'), 'http://127.0.0.1:4318/v1/traces');
  t.equal(tracesUrl('https://c:4318/custom/path'), 'https://c:4318/custom/path');
});
