import {
  type Attributes,
  context as contextApi,
  type Sampler as OtelSampler,
  propagation,
  type TextMapPropagator,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { Resource } from '@opentelemetry/resources';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import { envList, envPositiveInt, envString } from '../config/env.js';
import { type AttributeLimits, resolveSpanLimits, type SpanLimits } from '../config/span-limits.js';
import { type DiagnosticHandler, reportOnce, setDiagnosticHandler } from '../diagnostics.js';
import { CrosstraceTracerError, ErrorCode } from '../errors.js';
import { BatchSpanProcessor, type BatchSpanProcessorOptions } from '../export/batch-span-processor.js';
import { ConsoleSpanExporter } from '../export/console-exporter.js';
import { createOtlpExporter } from '../export/otlp-exporter.js';
import { SimpleSpanProcessor } from '../export/simple-span-processor.js';
import { createPropagator } from '../propagation/create-propagator.js';
import { createResource } from '../resource/create-resource.js';
import { alwaysOffSampler } from '../sampling/always.js';
import { createSampler } from '../sampling/create-sampler.js';
import { fromOtelSampler, isOtelSampler } from '../sampling/otel-sampler.js';
import type { CrosstraceSampler } from '../sampling/sampler.js';
import { CrosstraceTracerProvider } from './provider.js';
import { CrosstraceTracer } from './tracer.js';

/** Options of {@link createTracer}; everything left out is read from `OTEL_*` variables. */
export interface CreateTracerOptions {
  /** `service.name` [`OTEL_SERVICE_NAME`]. */
  serviceName?: string;
  /** Where finished spans go, through a {@link BatchSpanProcessor} [`OTEL_TRACES_EXPORTER`: `otlp` | `console` | `none`]. */
  exporter?: SpanExporter;
  /** A ready processor instead of `exporter` (e.g. `SimpleSpanProcessor`, or any OTel `SpanProcessor`). */
  processor?: SpanProcessor;
  /** A sampler, an OTel `Sampler`, or a sampler name [`OTEL_TRACES_SAMPLER` / `_ARG`, `parentbased_always_on`]. */
  sampler?: CrosstraceSampler | OtelSampler | string;
  /** Propagator names or a ready propagator [`OTEL_PROPAGATORS`, `tracecontext,baggage`]. */
  propagators?: readonly string[] | TextMapPropagator;
  /** Extra resource attributes (or a ready `Resource`, used as is). */
  resource?: Resource | Attributes;
  /** Register as the global `@opentelemetry/api` tracer provider, propagator and context manager (default true). */
  registerGlobal?: boolean;
  /**
   * OpenTelemetry's span limits [`OTEL_SPAN_*_LIMIT`, `OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT`,
   * `OTEL_LINK_ATTRIBUTE_COUNT_LIMIT`; 128 attributes, events, links, attributes per event and per
   * link, no value length limit].
   */
  spanLimits?: SpanLimits;
  /** OpenTelemetry's general attribute limits, used where `spanLimits` is silent [`OTEL_ATTRIBUTE_*_LIMIT`]. */
  generalLimits?: AttributeLimits;
  /** Batch processor settings [`OTEL_BSP_*`]. */
  batch?: BatchSpanProcessorOptions;
  /** Flush and shut down on `beforeExit` and `SIGTERM` (default false). */
  flushOnExit?: boolean;
  /** HTTP-header extraction falls back to `X-Request-ID` (default true). */
  requestIdFallback?: boolean;
  /** Where diagnostics go (default: `process.emitWarning`, once per kind). */
  onDiagnostic?: DiagnosticHandler;
  /** The environment to read instead of `process.env` (tests). `OTEL_SDK_DISABLED=true` records nothing. */
  env?: NodeJS.ProcessEnv;
}

function isResource(value: unknown): value is Resource {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as Resource).merge === 'function' &&
    typeof (value as Resource).attributes === 'object'
  );
}

function isPropagator(value: unknown): value is TextMapPropagator {
  return (
    value !== null && typeof value === 'object' && typeof (value as TextMapPropagator).inject === 'function'
  );
}

function samplerFrom(option: CreateTracerOptions['sampler'], env: NodeJS.ProcessEnv): CrosstraceSampler {
  if (option === undefined) {
    return createSampler(
      envString(env, 'OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on',
      envString(env, 'OTEL_TRACES_SAMPLER_ARG'),
    );
  }
  if (typeof option === 'string') return createSampler(option, envString(env, 'OTEL_TRACES_SAMPLER_ARG'));
  if (isOtelSampler(option)) return fromOtelSampler(option);
  if (typeof (option as CrosstraceSampler | null)?.sample === 'function') return option;
  throw new CrosstraceTracerError(
    ErrorCode.InvalidConfig,
    'sampler: expected a sampler, an OTel Sampler or a name',
  );
}

function exporterFromEnv(env: NodeJS.ProcessEnv): SpanExporter | undefined {
  const names = envList(env, 'OTEL_TRACES_EXPORTER') ?? ['otlp'];
  const name = names[0];
  if (names.length > 1)
    reportOnce(ErrorCode.InvalidConfig, 'OTEL_TRACES_EXPORTER: only the first exporter is used');
  if (name === 'none') return undefined;
  if (name === 'console') return new ConsoleSpanExporter();
  if (name === 'otlp') return createOtlpExporter({}, env);
  throw new CrosstraceTracerError(
    ErrorCode.InvalidConfig,
    `OTEL_TRACES_EXPORTER: unknown exporter "${name}" (otlp, console, none)`,
  );
}

function batchFromEnv(
  env: NodeJS.ProcessEnv,
  given: BatchSpanProcessorOptions | undefined,
): BatchSpanProcessorOptions {
  return {
    maxQueueSize: given?.maxQueueSize ?? envPositiveInt(env, 'OTEL_BSP_MAX_QUEUE_SIZE'),
    maxExportBatchSize: given?.maxExportBatchSize ?? envPositiveInt(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE'),
    scheduledDelayMillis: given?.scheduledDelayMillis ?? envPositiveInt(env, 'OTEL_BSP_SCHEDULE_DELAY'),
    exportTimeoutMillis: given?.exportTimeoutMillis ?? envPositiveInt(env, 'OTEL_BSP_EXPORT_TIMEOUT'),
  };
}

class NoopProcessor implements SpanProcessor {
  onStart(): void {}
  onEnd(): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function isOwnProcessor(p: SpanProcessor): boolean {
  return p instanceof BatchSpanProcessor || p instanceof SimpleSpanProcessor || p instanceof NoopProcessor;
}

function registerGlobally(tracer: CrosstraceTracer): void {
  const current = trace.getTracerProvider() as { getDelegate?: () => unknown };
  const delegate = typeof current.getDelegate === 'function' ? current.getDelegate() : current;
  if (delegate instanceof CrosstraceTracerProvider) {
    // a previous crosstrace tracer of this process (tests, hot reload): the newest one wins
    trace.disable();
    propagation.disable();
  }
  if (!trace.setGlobalTracerProvider(tracer.provider)) {
    reportOnce(
      ErrorCode.InvalidConfig,
      'another global TracerProvider is registered; not replacing it',
      'global',
    );
  }
  propagation.setGlobalPropagator(tracer.propagator);
  const manager = new AsyncLocalStorageContextManager();
  if (contextApi.setGlobalContextManager(manager.enable())) return;
  manager.disable(); // one is already there (ours from an earlier tracer, or the app's): keep it
}

function flushOnExit(tracer: CrosstraceTracer): void {
  process.once('beforeExit', () => {
    void tracer.shutdown();
  });
  const onTerm = () => {
    void tracer.shutdown().finally(() => {
      if (process.listenerCount('SIGTERM') === 0) process.kill(process.pid, 'SIGTERM');
    });
  };
  process.once('SIGTERM', onTerm);
}

/**
 * Creates the tracer: an OpenTracing `Tracer` whose spans are OpenTelemetry spans, plus its
 * `provider` (registered as the global `@opentelemetry/api` `TracerProvider` with an
 * AsyncLocalStorage context manager unless `registerGlobal: false`) and `propagator`.
 * Without options everything comes from `OTEL_*` variables. Throws a `CT_TRACER_INVALID_CONFIG`
 * error naming the option when the configuration is bad; after that nothing it returns throws.
 *
 * @example
 * import { createTracer, createOtlpExporter } from '@crosstrace/tracer';
 * const tracer = createTracer({ serviceName: 'checkout', exporter: createOtlpExporter() });
 * const span = tracer.startSpan('charge', { tags: { 'order.id': 42 } });
 * span.finish();
 * await tracer.shutdown();
 */
export function createTracer(options: CreateTracerOptions = {}): CrosstraceTracer {
  const env = options.env ?? process.env;
  const limits = resolveSpanLimits(options.spanLimits, options.generalLimits, env);
  if (options.onDiagnostic !== undefined) setDiagnosticHandler(options.onDiagnostic);
  const resource = isResource(options.resource)
    ? options.resource
    : createResource({ serviceName: options.serviceName, attributes: options.resource, env });
  // OTEL_SDK_DISABLED: context still propagates, nothing is recorded or exported
  const disabled = envString(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true';
  const sampler = disabled ? alwaysOffSampler : samplerFrom(options.sampler, env);
  const propagator = isPropagator(options.propagators)
    ? options.propagators
    : createPropagator(
        (options.propagators as readonly string[] | undefined) ??
          envList(env, 'OTEL_PROPAGATORS') ?? ['tracecontext', 'baggage'],
      );
  let processor = disabled ? new NoopProcessor() : options.processor;
  if (processor === undefined) {
    const exporter = options.exporter ?? exporterFromEnv(env);
    processor =
      exporter === undefined
        ? new NoopProcessor()
        : new BatchSpanProcessor(exporter, batchFromEnv(env, options.batch));
  }
  const tracer = new CrosstraceTracer({
    resource,
    processor,
    sampler,
    propagator,
    requestIdFallback: options.requestIdFallback ?? true,
    limits,
  });
  tracer.provider = new CrosstraceTracerProvider(
    tracer,
    processor,
    !isOwnProcessor(processor),
    () => tracer.forceFlush(),
    () => tracer.shutdown(),
  );
  if (options.registerGlobal !== false) registerGlobally(tracer);
  if (options.flushOnExit === true) flushOnExit(tracer);
  return tracer;
}
