// Test tracing set-up: createTracer() with an in-memory exporter (the public contract), and a plain
// OpenTelemetry SDK provider for checking that any TracerProvider works.

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CrosstraceTracer, createTracer, SimpleSpanProcessor } from '@crosstrace/tracer';
import { InMemorySpanExporter } from '@crosstrace/tracer/testing';
import { context, propagation, type TextMapPropagator, type TracerProvider, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  SimpleSpanProcessor as OtelSimpleSpanProcessor,
  TracerProvider as OtelTracerProvider,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace';

export interface TestTracer {
  /** The createTracer() result: what apps pass as `crosstrace({ tracer })`. */
  tracer: CrosstraceTracer;
  provider: TracerProvider;
  propagator: TextMapPropagator;
  exporter: InMemorySpanExporter;
  shutdown(): Promise<void>;
}

/** The public set-up: createTracer() (registered globally) exporting to memory synchronously. */
export function createTestTracer(options: { propagators?: string[] } = {}): TestTracer {
  const exporter = new InMemorySpanExporter();
  const tracer = createTracer({
    serviceName: 'express-plugin-test',
    processor: new SimpleSpanProcessor(exporter),
    sampler: 'always_on',
    propagators: options.propagators ?? ['tracecontext', 'baggage'],
  });
  return {
    tracer,
    provider: tracer.provider,
    propagator: tracer.propagator,
    exporter,
    shutdown: () => tracer.shutdown(),
  };
}

/**
 * A plain OpenTelemetry SDK set-up, for checking that any TracerProvider works too: registered
 * globally with an AsyncLocalStorage context manager and W3C propagation, as a Node app does.
 */
export function createOtelTestTracer(): { provider: OtelTracerProvider; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter();
  const provider = new OtelTracerProvider({ spanProcessors: [new OtelSimpleSpanProcessor({ exporter })] });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  return { provider, exporter };
}

/** Resolves when `predicate` holds for the finished spans, polling; rejects after 15 s (a loaded machine is slow). */
export async function waitForSpans(
  exporter: InMemorySpanExporter,
  predicate: (spans: ReadableSpan[]) => boolean,
  timeoutMs = 15_000,
): Promise<ReadableSpan[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const spans = exporter.getFinishedSpans();
    if (predicate(spans)) return spans;
    if (Date.now() > deadline) {
      throw new Error(`spans not as expected: ${spans.map((s) => s.name).join(', ')}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

export async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export function serverSpans(spans: ReadableSpan[]): ReadableSpan[] {
  return spans.filter((s) => s.kind === 1);
}

/** A TracerProvider whose spans count their end() calls, to check "ends exactly once". */
export function countingProvider(inner: TracerProvider): {
  provider: TracerProvider;
  endCalls: Map<string, number>;
} {
  const endCalls = new Map<string, number>();
  const provider = Object.create(inner) as TracerProvider;
  provider.getTracer = (name, version, options) => {
    const tracer = inner.getTracer(name, version, options);
    return {
      startSpan(spanName, opts, ctx) {
        const span = tracer.startSpan(spanName, opts, ctx);
        const id = span.spanContext().spanId;
        const end = span.end.bind(span);
        span.end = (t) => {
          endCalls.set(id, (endCalls.get(id) ?? 0) + 1);
          end(t);
        };
        return span;
      },
      startActiveSpan: tracer.startActiveSpan.bind(tracer),
    } as ReturnType<TracerProvider['getTracer']>;
  };
  return { provider, endCalls };
}
