import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crosstrace } from '@crosstrace/express-plugin';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import express from 'express';

/**
 * An Express app instrumented with @crosstrace/express-plugin, exporting through the real OTel
 * SDK and OTLP/protobuf exporter: its server span joins the ingress trace from `traceparent` or,
 * without one, from `X-Request-ID`.
 */
export async function startExpressApp(
  collectorUrl: string,
): Promise<{ port: number; stop(): Promise<void> }> {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'express-app' }),
    spanProcessors: [
      new SimpleSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${collectorUrl}/v1/traces` }) }),
    ],
  });
  const app = express();
  // W3C propagation as an OpenTelemetry SDK set-up has it.
  app.use(crosstrace({ tracer: { provider, propagator: new W3CTraceContextPropagator() } }));
  app.get('/{*rest}', (_req, res) => {
    res.type('text/plain').send('hello\n');
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
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
