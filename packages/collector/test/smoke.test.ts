// The collector as a user starts it, on whichever Node runs the test: the CLI with SQLite storage,
// real OTel SDK exporters sending OTLP/HTTP protobuf and JSON, the Jaeger API answering. CI runs
// this file on every supported Node line (better-sqlite3 is a native addon built per ABI).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import t from 'tap';
import { startCli } from './helpers/cli.js';
import { sendTrace } from './helpers/sdk.js';

interface JaegerTrace {
  data: {
    traceID: string;
    spans: { spanID: string; operationName: string }[];
    processes: Record<string, { serviceName: string }>;
  }[];
}

const dir = mkdtempSync(join(tmpdir(), 'crosstrace-smoke-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const cli = await startCli([
  '--storage',
  `sqlite:${join(dir, 'smoke.db')}`,
  '--otlp-http-port',
  '0',
  '--otlp-grpc-port',
  '0',
  '--query-port',
  '0',
  '--log-level',
  'warn',
]);
t.teardown(async () => {
  cli.child.kill('SIGTERM');
  await cli.exited;
});
const otlpUrl = `http://127.0.0.1:${cli.ports.otlpHttp}/v1/traces`;
const queryUrl = `http://127.0.0.1:${cli.ports.query}`;

t.test(`Node ${process.version}: OTLP/HTTP protobuf and JSON in, the Jaeger API out`, async (t) => {
  const proto = await sendTrace(new ProtoExporter({ url: otlpUrl }), 'smoke-proto');
  const json = await sendTrace(new JsonExporter({ url: otlpUrl }), 'smoke-json');
  for (const [sent, service] of [
    [proto, 'smoke-proto'],
    [json, 'smoke-json'],
  ] as const) {
    const res = await fetch(`${queryUrl}/api/traces/${sent.traceId}`);
    t.equal(res.status, 200, `${service}: trace found`);
    const body = (await res.json()) as JaegerTrace;
    const trace = body.data[0];
    t.equal(trace.traceID, sent.traceId);
    t.same(trace.spans.map((s) => s.spanID).sort(), [sent.rootSpanId, sent.childSpanId].sort(), 'both spans');
    t.same(
      Object.values(trace.processes).map((p) => p.serviceName),
      [service],
      'service name from the resource',
    );
  }
  const services = (await (await fetch(`${queryUrl}/api/services`)).json()) as { data: string[] };
  t.ok(services.data.includes('smoke-proto') && services.data.includes('smoke-json'), 'services listed');
});
