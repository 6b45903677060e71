// One benchmark subject in its own process: `bare`, `als` (bare + one AsyncLocalStorage.run per
// request), `crosstrace` or `otel`. The OTel instrumentations patch modules as they are required,
// so express (and http) are required only after they are registered. Prints `PORT <n>` when
// listening and, on SIGTERM, `SPANS <n>`: how many spans reached the exporter, so the runner can
// check the traced variants really traced.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

type ExportResult = { code: number };
/** Drops spans: the benchmark measures instrumentation on the request path, not export. */
let exported = 0;
const discardExporter = {
  export(spans: unknown[], done: (r: ExportResult) => void): void {
    exported += spans.length;
    done({ code: 0 });
  },
  shutdown: (): Promise<void> => Promise.resolve(),
  forceFlush: (): Promise<void> => Promise.resolve(),
};

const variant = process.argv[2];
const require = createRequire(import.meta.url);
let flush: () => Promise<void> = () => Promise.resolve();
let middleware: ((req: unknown, res: unknown, next: () => void) => void) | undefined;

if (variant === 'otel') {
  const { context, propagation, trace } = await import('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const { W3CTraceContextPropagator } = await import('@opentelemetry/core');
  const { TracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace');
  const { registerInstrumentations } = await import('@opentelemetry/instrumentation');
  const { HttpInstrumentation } = await import('@opentelemetry/instrumentation-http');
  const { ExpressInstrumentation } = await import('@opentelemetry/instrumentation-express');
  const provider = new TracerProvider({
    spanProcessors: [new BatchSpanProcessor({ exporter: discardExporter as never })],
  });
  // What NodeTracerProvider.register() did before OpenTelemetry JS 3.
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  flush = () => provider.forceFlush();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [new HttpInstrumentation(), new ExpressInstrumentation()],
  });
} else if (variant.startsWith('crosstrace-noop')) {
  process.env.CT_SKIP = variant.split('/')[1] ?? '';
  const { context, ROOT_CONTEXT } = await import('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const { crosstrace } = await import('../src/index.js');
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const sc = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 0 };
  const span = {
    spanContext: () => sc, setAttribute() { return span; }, setAttributes() { return span; }, addEvent() { return span; },
    addLink() { return span; }, addLinks() { return span; }, setStatus() { return span; }, updateName() { return span; },
    end() {}, isRecording: () => false, recordException() {},
  };
  const tracer = { startSpan: () => span, startActiveSpan: () => undefined };
  middleware = crosstrace({ tracer: { getTracer: () => tracer } as never }) as typeof middleware;
  void ROOT_CONTEXT;
} else if (variant.startsWith('crosstrace')) {
  process.env.CT_SKIP = variant.split('/')[1] ?? '';
  const { createTracer, SimpleSpanProcessor, BatchSpanProcessor } = await import('@crosstrace/tracer');
  const { crosstrace } = await import('../src/index.js');
  const tracer = createTracer({
    serviceName: 'bench',
    ...(variant === 'crosstrace-simple'
      ? { processor: new SimpleSpanProcessor(discardExporter as never) }
      : variant === 'crosstrace-b32'
        ? { processor: new BatchSpanProcessor(discardExporter as never, { maxExportBatchSize: 32 }) }
        : { exporter: discardExporter as never }),
    sampler: variant.startsWith('crosstrace-off') ? 'always_off' : 'always_on',
  });
  middleware = crosstrace({ tracer }) as typeof middleware;
  flush = () => tracer.forceFlush();
} else if (variant === 'als') {
  // the floor: what entering an AsyncLocalStorage context per request costs with no tracing at all
  const storage = new AsyncLocalStorage<unknown>();
  middleware = (req, _res, next) => storage.run(req, next);
} else if (variant.startsWith('x-')) {
  // TEMPORARY differential subjects
  const parts = new Set(variant.slice(2).split('+'));
  const { context } = await import('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const storage = new AsyncLocalStorage<unknown>();
  if (parts.has('api')) context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const { splitTarget } = await import('../src/url.js');
  const { storeRequestState, requestState } = await import('../src/request-store.js');
  const dc = await import('node:diagnostics_channel');
  const { ErrorLayerKeeper } = await import('../src/error-layer.js');
  const keeper = new ErrorLayerKeeper();
  let tracer: any;
  if (parts.has('span')) {
    const { createTracer } = await import('@crosstrace/tracer');
    const t = createTracer({ serviceName: 'bench', exporter: discardExporter as never, sampler: parts.has('off') ? 'always_off' : 'always_on' });
    tracer = t.provider.getTracer('x');
    flush = () => t.forceFlush();
  }
  if (parts.has('chan')) {
    dc.subscribe('http.server.response.finish', (m: any) => {
      if (parts.has('sock')) requestState(m.request, m.socket)?.responseFinished();
    });
  }
  const sink: unknown[] = [];
  const retainN = parts.has('ret512') ? 512 : parts.has('ret32') ? 32 : 0;
  let queue: unknown[] = [];
  let seq = 0;
  class FakeSpan {
    a: unknown; b: unknown; c: unknown; d: unknown; e: unknown; f: unknown; g: unknown; h: unknown; i: unknown; j: unknown;
    k: unknown; l: unknown; m: unknown; n: unknown; o: unknown; p: unknown; q: unknown; r: unknown; s: unknown; t: unknown;
    constructor(x: number) {
      this.a = { traceId: String.fromCharCode(97 + (x & 15), 98, 99, 100, 101, 102, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97 + ((x >> 4) & 15), 98, 99, 100, 101, 102, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57), f: 1, hi: x, lo: x + 1, ts: undefined, r: false, bg: undefined, sid: undefined };
      this.b = { 'crosstrace.layer': 'app', 'http.request.method': 'GET', 'url.path': '/customer/123', 'url.scheme': 'http', 'network.protocol.version': '1.1', 'server.address': '127.0.0.1', 'server.port': 3000, 'client.address': '127.0.0.1', 'network.peer.address': '127.0.0.1', 'network.peer.port': x, 'user_agent.original': 'x', 'http.route': '/customer/:id', 'http.response.status_code': 200 };
      this.c = x; this.d = x + 1; this.e = 'GET /customer/:id'; this.f = 1; this.g = undefined; this.h = undefined; this.i = undefined; this.j = undefined;
      this.k = undefined; this.l = undefined; this.m = undefined; this.n = 1; this.o = false; this.p = true; this.q = undefined; this.r = undefined; this.s = undefined; this.t = undefined;
    }
  }
  middleware = (req: any, res: any, next) => {
    let ctx: unknown = req;
    if (parts.has('hdr')) {
      const headers = req.headers;
      const socket = req.socket;
      const t = splitTarget(req.originalUrl ?? req.url);
      ctx = {
        a: headers['x-request-id'],
        b: headers.traceparent,
        c: headers.host,
        d: headers['user-agent'],
        e: headers['x-forwarded-for'],
        f: socket.remoteAddress,
        g: socket.remotePort,
        h: req.method,
        i: t.path,
        j: req.httpVersion,
      };
    }
    if (parts.has('prop')) req.xspan = ctx;
    if (parts.has('clos')) res.once('finish', () => { sink[0] = ctx; });
    let span: any;
    if (parts.has('span')) {
      span = tracer.startSpan('GET', { kind: 1, attributes: { 'crosstrace.layer': 'app', 'http.request.method': 'GET', 'url.path': '/customer/123' } });
    }
    if (parts.has('sock')) {
      const state = {
        span, req, ended: false, nextOnSocket: undefined,
        socketClosed() { this.ended = true; },
        responseFinished() {
          this.ended = true;
          if (span) { span.updateName('GET /customer/:id'); span.setAttribute('http.route', '/customer/:id'); span.setAttribute('http.response.status_code', res.statusCode); span.end(); }
        },
      };
      storeRequestState(req, state as never, req.socket);
    } else if (span && parts.has('clos')) {
      res.once('finish', () => span.end());
    }
    if (parts.has('keep')) keeper.keepLast(req);
    if (retainN > 0) {
      queue.push(new FakeSpan(seq++));
      if (queue.length >= retainN) queue = [];
    }
    if (parts.has('api')) context.with(ctx as never, next);
    else storage.run(ctx, next);
  };
} else if (variant !== 'bare') {
  throw new Error(`unknown variant ${variant}`);
}

const express = require('express') as typeof import('express');
const app = express();
// CPU time this process has used, printed as `CPU <µs>` on SIGUSR2 and read before and after a load
// run: CPU per request is steadier than requests/s on a shared machine. A signal, not an HTTP
// endpoint: a probe request from another client (other headers, a fresh connection) deoptimizes
// node:http's hot functions, which then compile again inside the measured run.
let served = 0;
process.on('SIGUSR2', () => {
  const { user, system } = process.cpuUsage();
  const t = process.threadCpuUsage();
  process.stdout.write(`REQ ${served}\nTCPU ${t.user + t.system}\nCPU ${user + system}\n`);
});
if (middleware) app.use(middleware as never);
app.get('/customer/:id', (req, res) => {
  served++;
  res.json({ id: req.params.id, name: 'Rachel', location: '115,277' });
});
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`PORT ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => {
    void flush().then(() => {
      process.stdout.write(`SPANS ${exported}\n`, () => process.exit(0));
    });
  });
});
