import express from 'express';
import t from 'tap';
import { crosstrace, tracedFetch } from '../src/index.js';
import { close, createTestTracer, serverSpans, waitForSpans } from './helpers/tracing.js';

// W3C, B3 and Jaeger come from the tracer's propagators, configured once in createTracer().
const tt = createTestTracer({ propagators: ['tracecontext', 'b3', 'jaeger'] });
const { exporter } = tt;
const app = express();
app.use(crosstrace({ tracer: tt.tracer }));
app.get('/in/:x', (_req, res) => {
  res.send('ok');
});
app.get('/headers', (req, res) => {
  res.json(req.headers);
});
app.get('/out', async (_req, res) => {
  const r = await tracedFetch(`${base}/headers`);
  res.json(await r.json());
});
const server = app.listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
t.teardown(async () => {
  await close(server);
  await tt.shutdown();
});
t.beforeEach(() => exporter.reset());

async function parentOf(headers: Record<string, string>) {
  const res = await fetch(`${base}/in/1`, { headers });
  await res.arrayBuffer();
  const [s] = serverSpans(await waitForSpans(exporter, (x) => serverSpans(x).length === 1));
  return { traceId: s.spanContext().traceId, parent: s.parentSpanContext?.spanId };
}

t.test('B3 single header', async (t) => {
  const got = await parentOf({ b3: '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1' });
  t.same(got, { traceId: '80f198ee56343ba864fe8b2a57d3eff7', parent: 'e457b5a2e4d86bd1' });
});

t.test('B3 multi headers', async (t) => {
  const got = await parentOf({
    'x-b3-traceid': '463ac35c9f6413ad48485a3953bb6124',
    'x-b3-spanid': 'a2fb4a1d1a96d312',
    'x-b3-sampled': '1',
  });
  t.same(got, { traceId: '463ac35c9f6413ad48485a3953bb6124', parent: 'a2fb4a1d1a96d312' });
});

t.test('Jaeger uber-trace-id', async (t) => {
  const got = await parentOf({ 'uber-trace-id': '3ce929d0e0e4736aa3ce929d0e0e4736:00f067aa0ba902b7:0:1' });
  t.same(got, { traceId: '3ce929d0e0e4736aa3ce929d0e0e4736', parent: '00f067aa0ba902b7' });
});

t.test('a malformed header leaves the request a new root', async (t) => {
  const got = await parentOf({ traceparent: '00-zzzz-yyyy-01', b3: 'garbage' });
  t.equal(got.parent, undefined);
  t.match(got.traceId, /^[0-9a-f]{32}$/);
});

t.test('outgoing calls carry every configured format', async (t) => {
  const res = await fetch(`${base}/out`);
  const headers = (await res.json()) as Record<string, string>;
  t.match(headers.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-03$/, 'a new trace: sampled + random-trace-id');
  t.ok(headers.b3, 'b3 header');
  t.ok(headers['uber-trace-id'], 'uber-trace-id header');
  const spans = await waitForSpans(exporter, (x) => x.length === 3);
  const client = spans.find((s) => s.kind === 2)!;
  t.equal(headers.traceparent.split('-')[2], client.spanContext().spanId);
});
