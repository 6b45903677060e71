import type { Server } from 'node:http';
import { createTracer, NoopTracer, SimpleSpanProcessor } from '@crosstrace/tracer';
import { InMemorySpanExporter } from '@crosstrace/tracer/testing';
import { INVALID_SPAN_CONTEXT, type TracerProvider, trace } from '@opentelemetry/api';
import express from 'express';
import t, { type Test } from 'tap';
import { type CrosstraceOptions, crosstrace } from '../src/index.js';
import { close, createOtelTestTracer, listen, serverSpans, waitForSpans } from './helpers/tracing.js';

// Trace Context Level 2 `traceresponse`: 00-{trace-id}-{child-id}-{trace-flags}, child-id being the
// server span. The random-trace-id flag is set when this server generated the trace id and
// mirrors the incoming traceparent when it continued the caller's trace.

const TRACE = '12345678901234567890123456789012';
const SPAN = '1234567890123456';
const TRACERESPONSE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

function memory(sampler: string) {
  const exporter = new InMemorySpanExporter();
  const tracer = createTracer({
    serviceName: 'traceresponse-test',
    processor: new SimpleSpanProcessor(exporter),
    sampler,
    registerGlobal: false,
    env: {},
  });
  return { tracer, exporter };
}

async function serve(t: Test, options: CrosstraceOptions): Promise<string> {
  const app = express();
  app.use(crosstrace(options));
  app.get('/ok', (_req, res) => {
    res.send('ok');
  });
  app.get('/boom', () => {
    throw new Error('boom');
  });
  app.get('/healthz', (_req, res) => {
    res.send('up');
  });
  app.get('/own-head', (_req, res) => {
    res.writeHead(201, { 'content-type': 'text/plain' }).end('made');
  });
  const server: Server = app.listen(0, '127.0.0.1');
  const base = await listen(server);
  t.teardown(() => close(server));
  return base;
}

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  await res.arrayBuffer();
  return res;
}

t.test('off by default', async (t) => {
  const { tracer } = memory('always_on');
  const base = await serve(t, { tracer });
  const res = await get(`${base}/ok`);
  t.equal(res.headers.get('traceresponse'), null);
  await tracer.shutdown();
});

t.test('a new trace: the server span, sampled and random', async (t) => {
  const { tracer, exporter } = memory('always_on');
  const base = await serve(t, { tracer, traceResponse: true });
  const res = await get(`${base}/ok`);
  const m = TRACERESPONSE.exec(res.headers.get('traceresponse') ?? '');
  t.ok(m, 'a version-00 traceresponse');
  const [span] = serverSpans(await waitForSpans(exporter, (s) => serverSpans(s).length === 1));
  t.equal(m?.[1], span.spanContext().traceId, 'trace-id is the server span trace');
  t.equal(m?.[2], span.spanContext().spanId, 'child-id is the server span');
  t.equal(m?.[3], '03', 'sampled + random-trace-id (the id was generated here)');
  await tracer.shutdown();
});

t.test('a continued trace: random-trace-id exactly as received', async (t) => {
  const { tracer } = memory('parentbased_always_on');
  const base = await serve(t, { tracer, traceResponse: true });
  for (const [incoming, flags] of [
    ['01', '01'],
    ['03', '03'],
    ['02', '02'], // parent not sampled: neither are we, the random flag stays
    ['00', '00'],
    ['ff', '03'], // reserved bits are never sent back
  ]) {
    const res = await get(`${base}/ok`, { traceparent: `00-${TRACE}-${SPAN}-${incoming}` });
    const m = TRACERESPONSE.exec(res.headers.get('traceresponse') ?? '');
    t.equal(m?.[1], TRACE, `in ${incoming}: same trace`);
    t.not(m?.[2], SPAN, `in ${incoming}: the server's own span id, not the caller's`);
    t.equal(m?.[3], flags, `in ${incoming}: flags ${flags}`);
  }
  await tracer.shutdown();
});

t.test('an invalid traceparent restarts the trace: the new id is random', async (t) => {
  const { tracer } = memory('always_on');
  const base = await serve(t, { tracer, traceResponse: true });
  const res = await get(`${base}/ok`, { traceparent: `00-${'0'.repeat(32)}-${SPAN}-01` });
  const m = TRACERESPONSE.exec(res.headers.get('traceresponse') ?? '');
  t.not(m?.[1], '0'.repeat(32));
  t.equal(m?.[3], '03');
  await tracer.shutdown();
});

t.test('a trace joined from X-Request-ID does not claim a random id', async (t) => {
  const { tracer } = memory('always_on');
  const base = await serve(t, { tracer, traceResponse: true });
  const res = await get(`${base}/ok`, { 'x-request-id': 'fe1c2b9f0d6a4c8e9b7a6d5c4b3a2910' });
  const m = TRACERESPONSE.exec(res.headers.get('traceresponse') ?? '');
  t.equal(m?.[1], 'fe1c2b9f0d6a4c8e9b7a6d5c4b3a2910', 'the request id is the trace id');
  t.equal(m?.[3], '01');
  await tracer.shutdown();
});

t.test(
  'errors, 404s and writeHead with its own headers keep the header; ignored paths get none',
  async (t) => {
    const { tracer } = memory('always_on');
    const base = await serve(t, { tracer, traceResponse: true });
    const boom = await get(`${base}/boom`);
    t.equal(boom.status, 500);
    t.match(boom.headers.get('traceresponse'), TRACERESPONSE);
    const missing = await get(`${base}/nowhere`);
    t.equal(missing.status, 404);
    t.match(missing.headers.get('traceresponse'), TRACERESPONSE);
    const own = await get(`${base}/own-head`);
    t.equal(own.status, 201);
    t.match(own.headers.get('traceresponse'), TRACERESPONSE);
    const health = await get(`${base}/healthz`);
    t.equal(health.headers.get('traceresponse'), null, 'no span, no header');
    await tracer.shutdown();
  },
);

t.test('any OpenTelemetry TracerProvider: its span, its sampled flag', async (t) => {
  const { provider, exporter } = createOtelTestTracer();
  t.teardown(() => {
    trace.disable();
  });
  const base = await serve(t, { tracer: provider, traceResponse: true });
  const res = await get(`${base}/ok`, { traceparent: `00-${TRACE}-${SPAN}-01` });
  const m = TRACERESPONSE.exec(res.headers.get('traceresponse') ?? '');
  const [span] = serverSpans(await waitForSpans(exporter, (s) => serverSpans(s).length === 1));
  t.equal(m?.[2], span.spanContext().spanId);
  t.equal(m?.[3], '01');
  await provider.shutdown();
});

t.test('a tracer whose span has no context of its own sends nothing', async (t) => {
  const noop: TracerProvider = { getTracer: () => new NoopTracer() };
  const passThrough: TracerProvider = {
    getTracer: () => ({
      startSpan: (_name, _options, ctx) =>
        trace.wrapSpanContext(
          (ctx && trace.getSpanContext(ctx)) ?? { ...INVALID_SPAN_CONTEXT, isRemote: true },
        ),
      startActiveSpan: () => undefined as never,
    }),
  };
  for (const [name, provider] of [
    ['invalid context', noop],
    ['the caller context handed back', passThrough],
  ] as const) {
    const base = await serve(t, { tracer: provider, traceResponse: true });
    const res = await get(`${base}/ok`, { traceparent: `00-${TRACE}-${SPAN}-01` });
    t.equal(res.status, 200);
    t.equal(res.headers.get('traceresponse'), null, name);
  }
});
