import { createTracedFetch, crosstrace } from '@crosstrace/express-plugin';
import {
  type CreateTracerOptions,
  type CrosstraceTracer,
  createOtlpExporter,
  createTracer,
  type OtlpProtocol,
} from '@crosstrace/tracer';
import { type Span, type TextMapPropagator, type Tracer, trace } from '@opentelemetry/api';
import type { RequestHandler } from 'express';
import { Tracer as NoopOtTracer } from 'opentracing';

/** Where a service's spans go. */
export interface TelemetryOptions {
  /** false: no instrumentation at all (a benchmark's untraced subject). Default true. */
  enabled?: boolean;
  /** OTLP/HTTP endpoint (default: `OTEL_EXPORTER_OTLP_*` variables, else http://localhost:4318). */
  endpoint?: string;
  /** `http/protobuf` (default) or `http/json`. */
  protocol?: OtlpProtocol;
  /** Batch export delay (default 1000 ms, the original's batcher timeout). */
  exportDelayMs?: number;
  /** An exporter instead of OTLP (benchmarks, tests); shared by every service's tracer. */
  exporter?: CreateTracerOptions['exporter'];
}

const passThrough: RequestHandler = (_req, _res, next) => next();

/**
 * The instrumentation of one process: one tracer per service name, as the original gives every
 * simulated service (mysql, redis-manual) its own TracerProvider so it shows as its own
 * service. The first tracer of a process is registered globally (context manager and
 * propagator); the others are not. With `enabled: false` every accessor hands out the
 * uninstrumented equivalent (no middleware, plain fetch, no-op tracers).
 *
 * @example
 * const telemetry = new Telemetry({ endpoint: 'http://127.0.0.1:4318' });
 * app.use(telemetry.middleware('frontend'));
 * const span = telemetry.otel('mysql').startSpan('SQL SELECT');
 */
export class Telemetry {
  readonly enabled: boolean;
  private readonly tracers = new Map<string, CrosstraceTracer>();
  private readonly fetches = new Map<string, typeof fetch>();

  constructor(private readonly options: TelemetryOptions = {}) {
    this.enabled = options.enabled !== false;
  }

  /** The tracer of `serviceName` (OpenTracing API; `.provider` for OpenTelemetry), created on first use. */
  tracer(serviceName: string): CrosstraceTracer | undefined {
    if (!this.enabled) return undefined;
    let t = this.tracers.get(serviceName);
    if (t === undefined) {
      t = createTracer({
        serviceName,
        exporter:
          this.options.exporter ??
          createOtlpExporter({
            ...(this.options.endpoint !== undefined ? { endpoint: this.options.endpoint } : {}),
            ...(this.options.protocol !== undefined ? { protocol: this.options.protocol } : {}),
          }),
        batch: { scheduledDelayMillis: this.options.exportDelayMs ?? 1000 },
        registerGlobal: this.tracers.size === 0,
      });
      this.tracers.set(serviceName, t);
    }
    return t;
  }

  /** The OpenTracing tracer of `serviceName` (a no-op one when disabled). */
  ot(serviceName: string): NoopOtTracer {
    return this.tracer(serviceName) ?? new NoopOtTracer();
  }

  /** The OpenTelemetry API tracer of `serviceName` (a no-op one when disabled). */
  otel(serviceName: string): Tracer {
    const t = this.tracer(serviceName);
    return t === undefined
      ? trace.getTracerProvider().getTracer(serviceName)
      : t.provider.getTracer(serviceName);
  }

  /** The propagator of `serviceName`'s tracer (undefined when disabled). */
  propagator(serviceName: string): TextMapPropagator | undefined {
    return this.tracer(serviceName)?.propagator;
  }

  /**
   * `crosstrace()` for `serviceName`'s Express app (a pass-through when disabled), answering
   * with a W3C `traceresponse` header as the original's handlers do.
   */
  middleware(serviceName: string): RequestHandler {
    const t = this.tracer(serviceName);
    return t === undefined
      ? passThrough
      : (crosstrace({ tracer: t, traceResponse: true }) as unknown as RequestHandler);
  }

  /** `fetch` with CLIENT spans from `serviceName`'s tracer (the plain `fetch` when disabled). */
  fetch(serviceName: string): typeof fetch {
    const t = this.tracer(serviceName);
    if (t === undefined) return globalThis.fetch;
    let f = this.fetches.get(serviceName);
    if (f === undefined) {
      f = createTracedFetch({ tracer: t });
      this.fetches.set(serviceName, f);
    }
    return f;
  }

  /** Exports what is buffered. */
  async flush(): Promise<void> {
    await Promise.all([...this.tracers.values()].map((t) => t.forceFlush()));
  }

  /** Exports what is buffered, then stops every tracer. */
  async shutdown(): Promise<void> {
    await Promise.all([...this.tracers.values()].map((t) => t.shutdown()));
    this.tracers.clear();
  }
}

/**
 * The original's span logger: a log message becomes a span event carrying its fields and level
 * (zap fields → event attributes).
 */
export function spanLog(
  span: Span,
  message: string,
  fields: Record<string, string | number | boolean> = {},
  level: 'info' | 'error' = 'info',
): void {
  span.addEvent(message, { ...fields, level });
}
