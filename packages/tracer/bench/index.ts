// @crosstrace/tracer benchmarks: ours vs the OpenTelemetry SDK and jaeger-client, same process.
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import {
  type ExportResult,
  ExportResultCode,
  W3CTraceContextPropagator as OtelW3C,
} from '@opentelemetry/core';
import {
  BatchSpanProcessor as OtelBatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { type BenchRow, compareNsPerOp, report } from '../../../scripts/bench/record.js';
import { BatchSpanProcessor, createTracer, W3CTraceContextPropagator } from '../src/index.js';

const require = createRequire(import.meta.url);
const jaeger = require('jaeger-client');

const noopExporter: SpanExporter = {
  export(_spans: ReadableSpan[], done: (r: ExportResult) => void) {
    done({ code: ExportResultCode.SUCCESS });
  },
  shutdown: async () => {},
};
const SPANS_PER_CALL = 200;
// Span limits on, the same for both SDKs: OpenTelemetry's defaults plus a value length limit, so
// every string attribute is checked against it.
const LIMITS = {
  attributeCountLimit: 128,
  attributeValueLengthLimit: 4096,
  eventCountLimit: 128,
  linkCountLimit: 128,
  attributePerEventCountLimit: 128,
  attributePerLinkCountLimit: 128,
};
const tick = () => new Promise<void>((r) => setImmediate(r)); // lets every batch processor export

// ---------------------------------------------------------------- span start + finish, 3 tags
const ours = createTracer({
  serviceName: 'bench',
  processor: new BatchSpanProcessor(noopExporter),
  registerGlobal: false,
  spanLimits: LIMITS,
  env: {},
});
const oursParent = ours.startSpan('parent');

const otelProvider = new TracerProvider({
  spanProcessors: [new OtelBatchSpanProcessor({ exporter: noopExporter })],
  spanLimits: LIMITS,
});
const otelTracer = otelProvider.getTracer('bench');
const otelParentCtx = trace.setSpan(ROOT_CONTEXT, otelTracer.startSpan('parent'));

const jaegerTracer = new jaeger.Tracer('bench', new jaeger.NoopReporter(), new jaeger.ConstSampler(true));
const jaegerParent = jaegerTracer.startSpan('parent');

const spans = await compareNsPerOp(
  {
    ours: async () => {
      for (let i = 0; i < SPANS_PER_CALL; i++) {
        const s = ours.startSpan('child', { childOf: oursParent });
        s.setTag('http.method', 'GET');
        s.setTag('http.status_code', 200);
        s.setTag('cache.hit', true);
        s.finish();
      }
      await tick();
    },
    otel: async () => {
      for (let i = 0; i < SPANS_PER_CALL; i++) {
        const s = otelTracer.startSpan('child', undefined, otelParentCtx);
        s.setAttribute('http.method', 'GET');
        s.setAttribute('http.status_code', 200);
        s.setAttribute('cache.hit', true);
        s.end();
      }
      await tick();
    },
    jaeger: async () => {
      for (let i = 0; i < SPANS_PER_CALL; i++) {
        const s = jaegerTracer.startSpan('child', { childOf: jaegerParent });
        s.setTag('http.method', 'GET');
        s.setTag('http.status_code', 200);
        s.setTag('cache.hit', true);
        s.finish();
      }
      await tick();
    },
  },
  { opsPerCall: SPANS_PER_CALL, rounds: 5, minMs: 300 },
);

// ---------------------------------------------------------------- traceparent inject + extract
const ourW3C = new W3CTraceContextPropagator();
const otelW3C = new OtelW3C();
function propagation(headers: Record<string, string>) {
  const ctx = ourW3C.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
  const otelCtx = otelW3C.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
  return compareNsPerOp(
    {
      ours: () => {
        for (let i = 0; i < 100; i++) {
          const h: Record<string, string> = {};
          ourW3C.inject(ctx, h, defaultTextMapSetter);
          ourW3C.extract(ROOT_CONTEXT, h, defaultTextMapGetter);
        }
      },
      otel: () => {
        for (let i = 0; i < 100; i++) {
          const h: Record<string, string> = {};
          otelW3C.inject(otelCtx, h, defaultTextMapSetter);
          otelW3C.extract(ROOT_CONTEXT, h, defaultTextMapGetter);
        }
      },
    },
    { opsPerCall: 100, rounds: 5, minMs: 200 },
  );
}
const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const prop = await propagation({ traceparent });
const propState = await propagation({ traceparent, tracestate: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE' });

// ---------------------------------------------------------------- bytes retained per finished span
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
class HoldingProcessor implements SpanProcessor {
  held: ReadableSpan[] = [];
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    this.held.push(span);
  }
  forceFlush = async () => {};
  shutdown = async () => {};
}
function retained(make: (p: HoldingProcessor) => () => void): number {
  const N = 20_000;
  const p = new HoldingProcessor();
  const one = make(p);
  one();
  p.held.length = 0;
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < N; i++) one();
  gc();
  const after = process.memoryUsage().heapUsed;
  if (p.held.length !== N) throw new Error('spans not held');
  return (after - before) / N;
}
const oursBytes = retained((p) => {
  const t = createTracer({ processor: p, registerGlobal: false, spanLimits: LIMITS, env: {} });
  const parent = t.startSpan('parent');
  return () => {
    const s = t.startSpan('child', { childOf: parent });
    s.setTag('http.method', 'GET');
    s.setTag('http.status_code', 200);
    s.setTag('cache.hit', true);
    s.finish();
  };
});
const otelBytes = retained((p) => {
  const t = new TracerProvider({ spanProcessors: [p], spanLimits: LIMITS }).getTracer('bench');
  const ctx = trace.setSpan(ROOT_CONTEXT, t.startSpan('parent'));
  return () => {
    const s = t.startSpan('child', undefined, ctx);
    s.setAttribute('http.method', 'GET');
    s.setAttribute('http.status_code', 200);
    s.setAttribute('cache.hit', true);
    s.end();
  };
});

const pkg = '@crosstrace/tracer';
const rows: BenchRow[] = [
  {
    package: pkg,
    benchmark: 'child span start+finish, 3 tags, batch queued',
    ours: spans.ours / 1000,
    peer: spans.otel / 1000,
    note: 'span limits on in both SDKs (OTel defaults + 4096-character values)',
    peerName: '@opentelemetry/sdk-trace',
    unit: 'µs/span',
    higherIsBetter: false,
  },
  {
    package: pkg,
    benchmark: 'child span start+finish, 3 tags, batch queued',
    ours: spans.ours / 1000,
    peer: spans.jaeger / 1000,
    peerName: 'jaeger-client (const sampler, no-op reporter)',
    unit: 'µs/span',
    higherIsBetter: false,
  },
  {
    package: pkg,
    benchmark: 'traceparent inject + extract',
    ours: prop.ours,
    peer: prop.otel,
    peerName: 'OTel W3CTraceContextPropagator',
    unit: 'ns/op',
    higherIsBetter: false,
  },
  {
    package: pkg,
    benchmark: 'traceparent + 2-member tracestate inject + extract',
    ours: propState.ours,
    peer: propState.otel,
    peerName: 'OTel W3CTraceContextPropagator',
    unit: 'ns/op',
    higherIsBetter: false,
  },
  {
    package: pkg,
    benchmark: 'heap retained per finished, unexported span',
    ours: oursBytes,
    peer: otelBytes,
    peerName: '@opentelemetry/sdk-trace',
    unit: 'bytes/span',
    higherIsBetter: false,
  },
];
report(rows);
await ours.shutdown();
await otelProvider.shutdown();
