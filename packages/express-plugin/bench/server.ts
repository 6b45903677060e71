// One benchmark subject in its own process: `bare`, `als` (bare + one AsyncLocalStorage.run per
// request), `crosstrace`, `noop` (crosstrace() on the OTel API's no-op tracer) or `otel`. The OTel
// instrumentations patch modules as they are required, so express (and http) are required only
// after they are registered. Prints `PORT <n>` when listening and, on SIGTERM, `SPANS <n>`: how
// many spans reached the exporter, so the runner can check the traced variants really traced.
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
} else if (variant === 'crosstrace') {
  const { createTracer } = await import('@crosstrace/tracer');
  const { crosstrace } = await import('../src/index.js');
  const tracer = createTracer({
    serviceName: 'bench',
    exporter: discardExporter as never,
    sampler: 'always_on',
  });
  middleware = crosstrace({ tracer }) as typeof middleware;
  flush = () => tracer.forceFlush();
} else if (variant === 'noop') {
  // the plugin's own work: crosstrace() with no tracer registered, so the OTel API's no-op tracer
  const { crosstrace } = await import('../src/index.js');
  middleware = crosstrace() as typeof middleware;
} else if (variant === 'als') {
  // the floor: what entering an AsyncLocalStorage context per request costs with no tracing at all
  const storage = new AsyncLocalStorage<unknown>();
  middleware = (req, _res, next) => storage.run(req, next);
} else if (variant !== 'bare') {
  throw new Error(`unknown variant ${variant}`);
}

const express = require('express') as typeof import('express');
const app = express();
// CPU time this process has used, printed as `CPU <µs>` on SIGUSR2 and read before and after a load
// run: CPU per request is steadier than requests/s on a shared machine. A signal, not an HTTP
// endpoint: a probe request from another client (other headers, a fresh connection) deoptimizes
// node:http's hot functions, which then compile again inside the measured run.
process.on('SIGUSR2', () => {
  const { user, system } = process.cpuUsage();
  process.stdout.write(`CPU ${user + system}\n`);
});
if (middleware) app.use(middleware as never);
app.get('/customer/:id', (req, res) => {
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
