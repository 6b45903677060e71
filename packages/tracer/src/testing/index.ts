// Test aids for code instrumented with @crosstrace/tracer.
export { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
