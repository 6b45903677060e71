import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor, type SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';

export interface SentSpans {
  traceId: string;
  rootSpanId: string;
  childSpanId: string;
}

/**
 * Sends a small trace through `exporter` with every kind of field set: attributes of each type,
 * an event, a link, an error status, server and client kinds.
 */
export async function sendTrace(exporter: SpanExporter, serviceName: string): Promise<SentSpans> {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName, 'k8s.pod.name': 'pod-1' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('crosstrace-test', '1.2.3');
  const root = tracer.startSpan('GET /dispatch', {
    kind: SpanKind.SERVER,
    attributes: { 'http.method': 'GET', 'http.status_code': 200, ratio: 0.5, ok: true, list: ['a', 'b'] },
    startTime: [1_700_000_000, 123_456_789],
  });
  const child = tracer.startSpan(
    'SELECT customers',
    {
      kind: SpanKind.CLIENT,
      attributes: { 'db.system': 'mysql', rows: 42 },
      links: [{ context: root.spanContext(), attributes: { 'opentracing.ref_type': 'follows_from' } }],
      startTime: [1_700_000_000, 200_000_000],
    },
    trace.setSpan(ROOT_CONTEXT, root),
  );
  child.addEvent('retry', { attempt: 2 }, [1_700_000_000, 250_000_000]);
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'deadlock' });
  child.end([1_700_000_000, 300_000_000]);
  root.end([1_700_000_000, 400_000_001]);
  await provider.forceFlush();
  await provider.shutdown();
  return {
    traceId: root.spanContext().traceId,
    rootSpanId: root.spanContext().spanId,
    childSpanId: child.spanContext().spanId,
  };
}
