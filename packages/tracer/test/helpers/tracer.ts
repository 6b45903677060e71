import { type CreateTracerOptions, createTracer, SimpleSpanProcessor } from '../../src/index.js';
import { InMemorySpanExporter } from '../../src/testing/index.js';

/** A tracer exporting synchronously to memory, reading no real environment. */
export function memoryTracer(options: CreateTracerOptions = {}) {
  const exporter = new InMemorySpanExporter();
  const tracer = createTracer({
    serviceName: 'test-svc',
    processor: new SimpleSpanProcessor(exporter),
    env: {},
    ...options,
  });
  return { tracer, exporter };
}
