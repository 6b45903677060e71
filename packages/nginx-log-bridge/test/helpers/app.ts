import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { contextFromRequestId, LAYER_ATTRIBUTE, Layer } from '@crosstrace/contract';
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The app behind nginx: a plain node:http server whose SERVER span takes its parent from
 * `traceparent`, else from `X-Request-ID` through the tracer's contextFromRequestId (what the
 * express plugin does), exported with the real OTel SDK and OTLP exporter.
 */
export async function startApp(collectorUrl: string): Promise<{ port: number; stop(): Promise<void> }> {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'app' }),
    spanProcessors: [
      new SimpleSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${collectorUrl}/v1/traces` }) }),
    ],
  });
  const tracer = provider.getTracer('test-app');
  const server: Server = createServer((req, res) => {
    const tp = TRACEPARENT.exec(String(req.headers.traceparent ?? ''));
    const fromId = contextFromRequestId(req.headers['x-request-id']);
    const parent = tp
      ? { traceId: tp[1], spanId: tp[2], traceFlags: 1, isRemote: true }
      : fromId
        ? { traceId: fromId.traceId, spanId: fromId.spanId, traceFlags: 1, isRemote: true }
        : undefined;
    const ctx = parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
    const span = tracer.startSpan(
      `${req.method} /hello`,
      { kind: SpanKind.SERVER, attributes: { [LAYER_ATTRIBUTE]: Layer.App, 'url.path': req.url ?? '' } },
      ctx,
    );
    res.setHeader('content-type', 'text/plain');
    res.end('hello\n', () => span.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    async stop() {
      await provider.forceFlush();
      await provider.shutdown();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
